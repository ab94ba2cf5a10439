package trustfile

import (
	"crypto/ed25519"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func key(b byte) ed25519.PublicKey {
	k := make(ed25519.PublicKey, ed25519.PublicKeySize)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

var b64 = base64.StdEncoding.EncodeToString

var parseTests = []struct {
	name string
	in   string
	want map[string]ed25519.PublicKey
	err  string
}{
	{"one key", `{"registry-3f2a9c01b4de": "` + b64(key(1)) + `"}`, map[string]ed25519.PublicKey{"registry-3f2a9c01b4de": key(1)}, ""},
	{"two keys", `{"a": "` + b64(key(1)) + `", "b.2": "` + b64(key(9)) + `"}`, map[string]ed25519.PublicKey{"a": key(1), "b.2": key(9)}, ""},
	{"empty object", `{}`, nil, "no key listed"},
	{"array", `["x"]`, nil, "not a JSON object"},
	{"short key", `{"a": "` + b64(key(1)[:31]) + `"}`, nil, "32-byte"},
	{"not base64", `{"a": "-_-_"}`, nil, "base64"},
	{"bad id", `{"a b": "` + b64(key(1)) + `"}`, nil, "only ASCII"},
	{"empty id", `{"": "` + b64(key(1)) + `"}`, nil, "1 to 64"},
	{"trailing", `{"a": "` + b64(key(1)) + `"} {}`, nil, "data after"},
	{"number", `{"a": 3}`, nil, "not a JSON object"},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("Parse(%s) = %v, want an error containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s) = %v", tt.in, err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Parse(%s) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	keys := map[string]ed25519.PublicKey{"registry-b": key(2), "registry-a": key(1)}
	b, err := Marshal(keys)
	if err != nil {
		t.Fatal(err)
	}
	if i, j := strings.Index(string(b), "registry-a"), strings.Index(string(b), "registry-b"); i < 0 || j < i {
		t.Errorf("Marshal not sorted by key id:\n%s", b)
	}
	path := filepath.Join(t.TempDir(), "registry-keys.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(keys, got); d != "" {
		t.Errorf("Load(Marshal(keys)) (-want +got):\n%s", d)
	}
	if _, err := Marshal(map[string]ed25519.PublicKey{"a": key(1)[:8]}); err == nil {
		t.Error("Marshal of an 8-byte key succeeded")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "guichet-registry keys") {
		t.Errorf("Load(missing) = %v, want a sentence saying where the keys come from", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add([]byte(tt.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := Parse(b)
		if err != nil {
			return
		}
		out, err := Marshal(keys)
		if err != nil {
			t.Fatalf("Marshal(Parse(%q)) = %v", b, err)
		}
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(…)) = %v", err)
		}
		if d := cmp.Diff(keys, again); d != "" {
			t.Fatalf("round trip (-first +second):\n%s", d)
		}
	})
}
