package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/pdfdoc/pdfcheck"
)

func TestPrintSampleExtract(t *testing.T) {
	tests := []struct {
		pack, lang string
		want       []string // in the PDF's text layer
	}{
		{"ma", "fr", []string{"Extrait du casier judiciaire", "B3/2026/004217", "Tribunal de première instance de Casablanca", "EL AMRANI", "Néant", "Le procureur du Roi"}},
		{"ma", "ar", []string{"مستخرج من السجل العدلي", "المحكمة الابتدائية بالدار البيضاء", "العمراني", "لا شيء", "وكيل الملك", "B3/2026/004217"}},
		{"tg", "fr", []string{"République togolaise", "AGBEKO", "Néant", "Le procureur de la République"}},
	}
	for _, tt := range tests {
		t.Run(tt.pack+"_"+tt.lang, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "extract.pdf")
			code, stdout, stderr := runCtl(t, "", "print", "sample", "--kind", "extract", "--pack", tt.pack, "--lang", tt.lang, "--pdf", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "extract "+tt.lang+" ("+tt.pack+"), number B3/2026/004217") || !strings.Contains(stdout, "verification QR https://") {
				t.Errorf("stdout = %q, want the report line", stdout)
			}
			pdf, err := os.ReadFile(out)
			if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Fatalf("%s is not a PDF (%v)", out, err)
			}
			pdfcheck.Need(t, "pdftotext", "pdftoppm", "zbarimg")
			text := strings.Join(strings.Fields(pdfcheck.Text(t, pdf)), " ")
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("PDF text lacks %q:\n%s", w, text)
				}
			}
			url := stdout[strings.Index(stdout, "https://") : len(stdout)-1]
			if diff := cmp.Diff([]string{url}, pdfcheck.QR(t, pdf, 150)); diff != "" {
				t.Errorf("QR codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPrintSampleExtractStdout(t *testing.T) {
	code, stdout, stderr := runCtl(t, "", "print", "sample", "--kind", "extract", "--lang", "ar", "--pdf", "-")
	if code != 0 || !strings.HasPrefix(stdout, "%PDF-") || !strings.Contains(stderr, "extract ar (ma)") {
		t.Errorf("--pdf - = exit %d, stdout %.8q, stderr %q; want the PDF on stdout and the report on stderr", code, stdout, stderr)
	}
}

func TestPrintSampleExtractRefuses(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.pdf")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--lang", "de", "--pdf", out}, 2, `--lang "de": pack ma has ar, fr, zgh, en`},
		{[]string{"--lang", "ar", "--pack", "tg", "--pdf", out}, 2, "pack tg has fr"},
		{[]string{"--lang", "fr", "--pack", "xx", "--pdf", out}, 2, "xx"},
		{[]string{"--lang", "fr"}, 2, "--pdf FILE is required"},
		{[]string{"--lang", "fr", "--pdf", filepath.Join(dir, "no", "such", "dir.pdf")}, 1, "no such file"},
	}
	for _, tt := range tests {
		args := append([]string{"print", "sample", "--kind", "extract"}, tt.args...)
		code, _, stderr := runCtl(t, "", args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) {
			t.Errorf("guichetctl %s = exit %d, %q; want %d and %q", strings.Join(args, " "), code, stderr, tt.code, tt.msg)
		}
	}
}
