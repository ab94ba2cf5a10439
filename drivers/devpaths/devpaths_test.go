package devpaths

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var parseTests = []struct {
	name string
	in   string
	want map[string]string
	err  string
}{
	{"devsim", "idscan=/tmp/d/idscan\nqrscan=/tmp/d/qrscan\nreceipt=/tmp/d/receipt\n", map[string]string{"idscan": "/tmp/d/idscan", "qrscan": "/tmp/d/qrscan", "receipt": "/tmp/d/receipt"}, ""},
	{"comments and blanks", "# emulated\n\n  payterm = /dev/guichet/payterm  \r\n", map[string]string{"payterm": "/dev/guichet/payterm"}, ""},
	{"empty", "", map[string]string{}, ""},
	{"no equals", "idscan /dev/x\n", nil, "line 1"},
	{"no path", "idscan=\n", nil, "not NAME=PATH"},
	{"long line", strings.Repeat("x", maxLine+10), nil, "too long"},
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in), "devices.env")
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("Parse(%q) = %v, want an error containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, d)
			}
		})
	}
}

func TestRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "devices.env")
	if _, err := Read(path); err == nil {
		t.Error("Read(missing file) succeeded")
	}
	os.WriteFile(path, []byte("receipt=/dev/guichet/receipt\n"), 0o644)
	got, err := Read(path)
	if err != nil || got["receipt"] != "/dev/guichet/receipt" {
		t.Errorf("Read = %v, %v", got, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := Parse(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		for k, v := range m {
			if k == "" || v == "" || strings.ContainsAny(k, "\n") {
				t.Fatalf("Parse(%q) gave %q=%q", in, k, v)
			}
		}
	})
}
