package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/pack"
)

// runCtl runs one guichetctl command line in-process.
func runCtl(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), &cli{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// writePacks writes the embedded packs, and a broken copy of ma, to a
// temporary directory.
func writePacks(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	for _, code := range pack.EmbeddedCodes() {
		data, err := pack.EmbeddedData(code)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, code+".json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := pack.EmbeddedData("ma")
	broken := bytes.Replace(data, []byte(`"zgh": "ⵍⵎⵃⴽⴰⵎⴰ ⵜⴰⵎⵣⵡⴰⵔⵓⵜ ⵏ ⵕⵕⴱⴰⵟ",`), nil, 1)
	broken = bytes.Replace(broken, []byte(`"tracking_qr_base": "https://`), []byte(`"tracking_qr_base": "http://`), 1)
	if bytes.Equal(broken, data) {
		t.Fatal("the test could not break ma.json")
	}
	if err := os.WriteFile(filepath.Join(dir, "ma-broken.json"), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.json"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPackCheck(t *testing.T) {
	dir := writePacks(t)
	ma := filepath.Join(dir, "ma.json")
	tg := filepath.Join(dir, "tg.json")
	broken := filepath.Join(dir, "ma-broken.json")
	empty := filepath.Join(dir, "empty.json")
	missing := filepath.Join(dir, "nope.json")
	maData, _ := pack.EmbeddedData("ma")

	okMA := ma + ": ok (pack ma v1, 4 languages, 42 courts, 6 services)\n"
	okTG := tg + ": ok (pack tg v1, 1 language, 17 courts, 4 services)\n"
	tests := []struct {
		name         string
		args         []string
		stdin        string
		wantCode     int
		wantStdout   string
		wantStderr   []string // lines that must appear on standard error
		wantNoStderr bool
	}{
		{
			name:         "embedded packs",
			args:         []string{"pack", "check", ma, tg},
			wantStdout:   okMA + okTG,
			wantNoStderr: true,
		},
		{
			name:       "one broken among good ones",
			args:       []string{"pack", "check", ma, broken, tg},
			wantCode:   1,
			wantStdout: okMA + okTG,
			wantStderr: []string{
				"pack: " + broken + ": courts[3].names.zgh: missing name for language zgh",
				"pack: " + broken + `: tracking_qr_base: must be an https URL, got scheme "http"`,
				"guichetctl pack: 1 of 3 pack files refused",
			},
		},
		{
			name:       "empty and missing files",
			args:       []string{"pack", "check", empty, missing},
			wantCode:   1,
			wantStderr: []string{"pack: " + empty + ": line 1, column 1: invalid JSON: unexpected end of the file", "pack: " + missing + ": cannot read:", "guichetctl pack: 2 of 2 pack files refused"},
		},
		{
			name:         "standard input",
			args:         []string{"pack", "check", "-"},
			stdin:        string(maData),
			wantStdout:   "-: ok (pack ma v1, 4 languages, 42 courts, 6 services)\n",
			wantNoStderr: true,
		},
		{
			name:       "no file",
			args:       []string{"pack", "check"},
			wantCode:   2,
			wantStderr: []string{"usage: guichetctl pack COMMAND [ARGS]", "guichetctl pack: check: no pack file given"},
		},
		{
			name:       "no command",
			args:       []string{"pack"},
			wantCode:   2,
			wantStderr: []string{"usage: guichetctl pack COMMAND [ARGS]", "guichetctl pack: missing command"},
		},
		{
			name:       "unknown command",
			args:       []string{"pack", "verify", ma},
			wantCode:   2,
			wantStderr: []string{`guichetctl pack: unknown command "verify"`},
		},
		{
			name: "list",
			args: []string{"pack", "list"},
			wantStdout: "CODE  VERSION  LANGUAGES     CURRENCY  COURTS  SERVICES\n" +
				"ma    1        ar,fr,zgh,en  MAD       42      6\n" +
				"tg    1        fr            XOF       17      4\n",
			wantNoStderr: true,
		},
		{
			name:       "export of an unknown pack",
			args:       []string{"pack", "export", "fr"},
			wantCode:   1,
			wantStderr: []string{`guichetctl pack: pack: no such embedded pack: "fr" (have ma, tg)`},
		},
		{
			name:       "export without a code",
			args:       []string{"pack", "export"},
			wantCode:   2,
			wantStderr: []string{"guichetctl pack: export: give exactly one pack code"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCtl(t, tt.stdin, tt.args...)
			if code != tt.wantCode {
				t.Errorf("guichetctl %v exit = %d, want %d\nstderr:\n%s", tt.args, code, tt.wantCode, stderr)
			}
			if diff := cmp.Diff(tt.wantStdout, stdout); diff != "" {
				t.Errorf("guichetctl %v stdout mismatch (-want +got):\n%s", tt.args, diff)
			}
			if tt.wantNoStderr && stderr != "" {
				t.Errorf("guichetctl %v stderr = %q, want nothing", tt.args, stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("guichetctl %v stderr lacks %q; got:\n%s", tt.args, want, stderr)
				}
			}
		})
	}
}

// TestPackExportCheck is what a technician does to change a pack: export
// it, edit it, check it.
func TestPackExportCheck(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		want, _ := pack.EmbeddedData(code)
		c, out, stderr := runCtl(t, "", "pack", "export", code)
		if c != 0 || out != string(want) {
			t.Fatalf("pack export %s: exit %d, %d bytes (want %d); stderr %s", code, c, len(out), len(want), stderr)
		}
		c, _, stderr = runCtl(t, out, "pack", "check", "-")
		if c != 0 {
			t.Errorf("pack check of the exported %s: exit %d, stderr %s", code, c, stderr)
		}
	}
}

func TestPackCheckCancelled(t *testing.T) {
	dir := writePacks(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut}, []string{"pack", "check", filepath.Join(dir, "ma.json")})
	if code != 1 || out.Len() != 0 || !strings.Contains(errOut.String(), "context canceled") {
		t.Errorf("cancelled check: exit %d, stdout %q, stderr %q; want 1, nothing, context canceled", code, out.String(), errOut.String())
	}
}

func TestUsageListsPack(t *testing.T) {
	_, stdout, _ := runCtl(t, "", "help")
	if !strings.Contains(stdout, "\n  pack ") || !strings.Contains(stdout, " check a country pack file\n") {
		t.Errorf("guichetctl help = %q, want the pack command listed", stdout)
	}
}
