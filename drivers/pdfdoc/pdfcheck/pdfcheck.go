// Package pdfcheck reads a PDF back with independent tools, for tests:
// poppler's pdftotext, pdfinfo and pdftoppm (Debian poppler-utils) and
// zbarimg (zbar-tools). A test that needs a tool calls Need first: when the
// tool is missing the test is skipped, or fails when the CI environment
// variable is set (the CI image must have them; images/host-packages.txt
// lists them).
package pdfcheck

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Need skips t (fails it under CI) unless every tool is on the PATH.
func Need(t testing.TB, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (CI is set): install poppler-utils and zbar-tools", tool)
			}
			t.Skipf("%s is not installed (Debian poppler-utils, zbar-tools); skipping", tool)
		}
	}
}

// write stores pdf in a temporary file and returns its path.
func write(t testing.TB, pdf []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.Bytes())
	}
	return out
}

// Text returns the PDF's text layer as pdftotext reads it (UTF-8, reading
// order; Arabic lines come back in logical order, wrapped in the
// embedding marks pdftotext adds, which Text removes).
func Text(t testing.TB, pdf []byte) string {
	t.Helper()
	Need(t, "pdftotext")
	out := run(t, "pdftotext", "-enc", "UTF-8", write(t, pdf), "-")
	return strings.Map(func(r rune) rune {
		if r >= '\u202a' && r <= '\u202e' || r == '\u200e' || r == '\u200f' {
			return -1
		}
		return r
	}, string(out))
}

// Pages returns the PDF's page count as pdfinfo reads it.
func Pages(t testing.TB, pdf []byte) int {
	t.Helper()
	Need(t, "pdfinfo")
	for _, l := range strings.Split(string(run(t, "pdfinfo", write(t, pdf))), "\n") {
		if v, ok := strings.CutPrefix(l, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("pdfinfo: %q", l)
			}
			return n
		}
	}
	t.Fatalf("pdfinfo gave no page count")
	return 0
}

// PNGs renders every page at dpi with pdftoppm and returns the files'
// paths, in page order, in dir.
func PNGs(t testing.TB, pdf []byte, dpi int, dir string) []string {
	t.Helper()
	Need(t, "pdftoppm")
	prefix := filepath.Join(dir, "page")
	run(t, "pdftoppm", "-r", strconv.Itoa(dpi), "-png", write(t, pdf), prefix)
	files, err := filepath.Glob(prefix + "*.png")
	if err != nil || len(files) == 0 {
		t.Fatalf("pdftoppm wrote no page (%v)", err)
	}
	sort.Strings(files)
	return files
}

// QR renders the PDF at dpi and returns every QR code zbarimg decodes on
// every page, exactly as encoded.
func QR(t testing.TB, pdf []byte, dpi int) []string {
	t.Helper()
	Need(t, "pdftoppm", "zbarimg")
	var codes []string
	for _, png := range PNGs(t, pdf, dpi, t.TempDir()) {
		cmd := exec.Command("zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", png)
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 4 {
			continue // no symbol on this page
		} else if err != nil {
			t.Fatalf("zbarimg %s: %v", png, err)
		}
		for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
			codes = append(codes, l)
		}
	}
	return codes
}
