package update

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Roles are the four TUF top-level roles, in the order the kiosk checks them.
var Roles = []string{metadata.ROOT, metadata.TIMESTAMP, metadata.SNAPSHOT, metadata.TARGETS}

// Keys are the ministry's release keys, one Ed25519 key per role. Root
// signs the other roles' keys (and, on rotation, its successor); it should
// live offline.
type Keys map[string]ed25519.PrivateKey

// GenerateKeys makes a fresh key for every role.
func GenerateKeys() (Keys, error) {
	k := Keys{}
	for _, r := range Roles {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("update: generating the %s key: %w", r, err)
		}
		k[r] = priv
	}
	return k, nil
}

// WriteKeys writes each key as <dir>/<role>.pem (PKCS#8, mode 0600). It
// refuses to overwrite a key file: losing a root key bricks the fleet's
// trust.
func WriteKeys(dir string, k Keys) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	for _, r := range Roles {
		if k[r] == nil {
			continue
		}
		der, err := x509.MarshalPKCS8PrivateKey(k[r])
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		path := filepath.Join(dir, r+".pem")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("update: %s already exists; move it away first if you really mean to replace the %s key", path, r)
		}
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
			f.Close()
			return fmt.Errorf("update: writing %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("update: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("update: %w", err)
		}
	}
	return syncDir(dir)
}

// LoadKeys reads <dir>/<role>.pem for each role present; roles whose file
// is missing are left out (a release machine need not hold the root key).
func LoadKeys(dir string) (Keys, error) {
	k := Keys{}
	for _, r := range Roles {
		path := filepath.Join(dir, r+".pem")
		b, err := readFileCapped(path, 16<<10)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("update: reading the %s key: %w", r, err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil || blk.Type != "PRIVATE KEY" {
			return nil, fmt.Errorf("update: %s is not a PEM private key", path)
		}
		key, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("update: %s: %w", path, err)
		}
		ed, ok := key.(ed25519.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("update: %s is a %T, want an Ed25519 key", path, key)
		}
		k[r] = ed
	}
	if len(k) == 0 {
		return nil, fmt.Errorf("update: no key files (root.pem, targets.pem, snapshot.pem, timestamp.pem) in %s", dir)
	}
	return k, nil
}

func (k Keys) need(roles ...string) error {
	for _, r := range roles {
		if k[r] == nil {
			return fmt.Errorf("update: the %s key is needed and was not given (%s.pem)", r, r)
		}
	}
	return nil
}

func tufKey(priv ed25519.PrivateKey) (*metadata.Key, string, error) {
	key, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		return nil, "", fmt.Errorf("update: %w", err)
	}
	id, err := key.ID()
	if err != nil {
		return nil, "", fmt.Errorf("update: %w", err)
	}
	return key, id, nil
}

// sign appends an Ed25519 signature over the canonical JSON of signed,
// exactly as TUF verifiers check it.
func sign(signed any, priv ed25519.PrivateKey) (metadata.Signature, error) {
	payload, err := cjson.EncodeCanonical(signed)
	if err != nil {
		return metadata.Signature{}, fmt.Errorf("update: canonical JSON: %w", err)
	}
	_, id, err := tufKey(priv)
	if err != nil {
		return metadata.Signature{}, err
	}
	return metadata.Signature{KeyID: id, Signature: ed25519.Sign(priv, payload)}, nil
}
