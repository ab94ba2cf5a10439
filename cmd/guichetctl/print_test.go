package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/escpos/escposdecode"
	"guichet/kiosk/tracking"
)

// TestPrintSample writes each kind of receipt in each language, decodes the
// bytes independently and reads the preview's QR code back.
func TestPrintSample(t *testing.T) {
	escposdecode.NeedZbar(t)
	dir := t.TempDir()
	for kind, hasQR := range map[string]bool{"receipt": true, "payment": true, "callback": true, "slip": true, "testpage": true, "diagnostics": false} {
		for _, lang := range []string{"ar", "fr", "zgh", "en"} {
			t.Run(kind+"/"+lang, func(t *testing.T) {
				bin := filepath.Join(dir, kind+"-"+lang+".bin")
				png := filepath.Join(dir, kind+"-"+lang+".png")
				code, stdout, stderr := runCtl(t, "", "print", "sample", "--kind", kind, "--lang", lang,
					"--tracking", "3g33 xkde nm3m", "--escpos", bin, "--png", png)
				if code != 0 {
					t.Fatalf("exit %d: %s", code, stderr)
				}
				if !strings.Contains(stdout, "tracking 3G33-XKDE-NM3M") || !strings.Contains(stdout, "bytes") {
					t.Errorf("stdout = %q", stdout)
				}
				data, err := os.ReadFile(bin)
				if err != nil {
					t.Fatal(err)
				}
				res, err := escposdecode.Decode(data, 576)
				if err != nil {
					t.Fatalf("decoding %s: %v", bin, err)
				}
				if len(res.Cuts) != 1 {
					t.Errorf("%d cuts, want 1", len(res.Cuts))
				}
				got, err := escposdecode.ScanQR(png)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case kind == "testpage":
					if len(got) != 1 || !strings.HasPrefix(got[0], "GUICHET TEST ") {
						t.Errorf("test page QR = %q", got)
					}
				case hasQR:
					if diff := cmp.Diff([]string{"https://suivi.justice.gov.ma/t/3G33XKDENM3M"}, got); diff != "" {
						t.Errorf("preview QR (-want +got):\n%s", diff)
					}
				default:
					if len(got) != 0 {
						t.Errorf("QR codes %q on a page without one", got)
					}
				}
			})
		}
	}
}

func TestPrintSampleDefaults(t *testing.T) {
	// A fresh tracking number, the 58 mm printer, Togo's pack, bytes on
	// standard output and the report on standard error.
	code, stdout, stderr := runCtl(t, "", "print", "sample", "--kind", "receipt", "--lang", "fr", "--pack", "tg", "--printer", "58mm", "--escpos", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	res, err := escposdecode.Decode([]byte(stdout), 384)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`tracking ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr = %q, want the tracking number", stderr)
	}
	n, err := tracking.Parse(m[1])
	if err != nil {
		t.Fatalf("generated tracking number %s: %v", m[1], err)
	}
	if !strings.Contains(res.Text(), n.String()) || !strings.Contains(res.Text(), "Lomé") {
		t.Errorf("receipt text lacks %s or Lomé:\n%s", n, res.Text())
	}
	if !bytes.HasPrefix([]byte(stdout), []byte{0x1B, 0x40, 0x1B, 0x74, 16}) {
		t.Errorf("bytes start % x, want ESC @ ESC t 16", []byte(stdout)[:5])
	}
}

func TestPrintRefuses(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.bin")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"print"}, 2, "missing command"},
		{[]string{"print", "scan"}, 2, "unknown command"},
		{[]string{"print", "sample", "--kind", "menu", "--lang", "fr", "--escpos", out}, 2, `--kind "menu"`},
		{[]string{"print", "sample", "--kind", "extract", "--lang", "fr"}, 2, "--pdf FILE is required"},
		{[]string{"print", "sample", "--kind", "receipt", "--lang", "de", "--escpos", out}, 2, `--lang "de"`},
		{[]string{"print", "sample", "--kind", "receipt", "--lang", "ar", "--pack", "tg", "--escpos", out}, 2, "pack tg has fr"},
		{[]string{"print", "sample", "--kind", "receipt", "--lang", "fr"}, 2, "--escpos FILE is required"},
		{[]string{"print", "sample", "--kind", "receipt", "--lang", "fr", "--tracking", "K7MX", "--escpos", out}, 2, "--tracking"},
		{[]string{"print", "sample", "--kind", "receipt", "--lang", "fr", "--printer", "112mm", "--escpos", out}, 2, "112mm"},
		{[]string{"print", "sample", "--kind", "receipt", "--lang", "fr", "--escpos", filepath.Join(out, "no", "dir")}, 1, "no such file"},
	}
	for _, tt := range tests {
		code, _, stderr := runCtl(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("guichetctl %s = exit %d, %q; want %d and %q", strings.Join(tt.args, " "), code, stderr, tt.code, tt.msg)
		}
	}
}
