// Package trustfile reads and writes the file of registry document keys a
// kiosk's image trusts: the keys that sign enrolment tickets (and the
// reference data the registry publishes). `guichet-registry keys` prints
// it; the image ships it as DefaultPath; `guichetctl provision -trust`
// reads it to check a ticket offline before anything is sent.
//
// The format is one JSON object, key id to the standard base64 of a raw
// 32-byte Ed25519 public key:
//
//	{
//	  "registry-3f2a9c01b4de": "W0lx2F0p6mN3b5o3Zk1i5bq0b3c4d5e6f7g8h9i0j1k="
//	}
//
// Several keys may be listed (a registry's key being replaced, or several
// registries); at least one must be. Limits: no expiry or revocation of a
// key inside the file: a new image (or system update) replaces the file.
package trustfile

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"unicode"
)

// DefaultPath is where the kiosk's image carries the file.
const DefaultPath = "/etc/guichet/registry-keys.json"

// MaxSize bounds the file: far above any real list of keys.
const MaxSize = 64 << 10

// maxKeyID bounds a key id's length.
const maxKeyID = 64

// Parse reads the file's bytes.
func Parse(b []byte) (map[string]ed25519.PublicKey, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("trustfile: %d bytes, limit %d", len(b), MaxSize)
	}
	var raw map[string]string
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("trustfile: not a JSON object of key id to base64 public key: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trustfile: data after the JSON object")
	}
	if len(raw) == 0 {
		return nil, errors.New("trustfile: no key listed")
	}
	keys := make(map[string]ed25519.PublicKey, len(raw))
	for id, v := range raw {
		if err := checkID(id); err != nil {
			return nil, err
		}
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("trustfile: key %q is not the base64 of a %d-byte Ed25519 public key", id, ed25519.PublicKeySize)
		}
		keys[id] = ed25519.PublicKey(k)
	}
	return keys, nil
}

func checkID(id string) error {
	if id == "" || len(id) > maxKeyID {
		return fmt.Errorf("trustfile: a key id must be 1 to %d characters, not %d", maxKeyID, len(id))
	}
	for _, r := range id {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("trustfile: key id %q: only ASCII letters, digits, '-', '_' and '.'", id)
		}
	}
	return nil
}

// Marshal writes keys in the file's format, sorted by key id.
func Marshal(keys map[string]ed25519.PublicKey) ([]byte, error) {
	if len(keys) == 0 {
		return nil, errors.New("trustfile: no key to write")
	}
	ids := make([]string, 0, len(keys))
	for id, k := range keys {
		if err := checkID(id); err != nil {
			return nil, err
		}
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("trustfile: key %q is %d bytes, not %d", id, len(k), ed25519.PublicKeySize)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b bytes.Buffer
	b.WriteString("{\n")
	for i, id := range ids {
		name, _ := json.Marshal(id)
		fmt.Fprintf(&b, "  %s: %q", name, base64.StdEncoding.EncodeToString(keys[id]))
		if i < len(ids)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return b.Bytes(), nil
}

// Load reads the file at path, with a sentence that names it on failure.
func Load(path string) (map[string]ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("trustfile: %s does not exist: the image carries the registry's keys there (guichet-registry keys prints them)", path)
		}
		return nil, fmt.Errorf("trustfile: %w", err)
	}
	keys, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return keys, nil
}
