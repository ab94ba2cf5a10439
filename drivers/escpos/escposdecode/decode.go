package escposdecode

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Result is a whole stream decoded and printed.
type Result struct {
	Commands []Command
	*Paper
}

// Count returns how many commands of op the stream held.
func (r *Result) Count(op Op) int {
	n := 0
	for _, c := range r.Commands {
		if c.Op == op {
			n++
		}
	}
	return n
}

// Text returns the native text lines, one per line.
func (r *Result) Text() string {
	var b strings.Builder
	for _, l := range r.Lines {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

// Decode parses a complete stream and prints it on paper widthDots wide.
func Decode(data []byte, widthDots int) (*Result, error) {
	res := &Result{Paper: NewPaper(widthDots)}
	var p Parser
	var applyErr error
	err := p.Feed(data, func(c Command) {
		if applyErr != nil {
			return
		}
		res.Commands = append(res.Commands, c)
		applyErr = res.Apply(c)
	})
	if err == nil {
		err = applyErr
	}
	if err == nil {
		err = p.Close()
	}
	if err == nil && res.PendingText() {
		err = fmt.Errorf("escposdecode: stream ends with text never printed (no LF after %q)", lineText(res.line))
	}
	return res, err
}

func lineText(cells []cell) string {
	var b strings.Builder
	for _, c := range cells {
		b.WriteRune(c.r)
	}
	return b.String()
}

// WritePNG saves img as a PNG file.
func WritePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("escposdecode: %s: %w", path, err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("escposdecode: %w", err)
	}
	return nil
}

// ErrNoZbar is returned by ScanQR when zbarimg is not installed.
var ErrNoZbar = errors.New("escposdecode: zbarimg not found (Debian package zbar-tools)")

// ScanQR runs zbarimg on a PNG file and returns the QR payloads it reads,
// in the order it reports them.
func ScanQR(pngPath string) ([]string, error) {
	bin, err := exec.LookPath("zbarimg")
	if err != nil {
		return nil, ErrNoZbar
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", pngPath)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() == 4 {
			return nil, nil // zbarimg: no symbol found
		}
		return nil, fmt.Errorf("escposdecode: zbarimg %s: %w: %s", pngPath, err, stderr.Bytes())
	}
	out := strings.TrimRight(stdout.String(), "\n")
	if out == "" {
		return nil, nil
	}
	return strings.Split(out, "\n"), nil
}

// NeedZbar skips t when zbarimg is missing on a developer's machine and
// fails it when CI is set: CI must check every printed QR code.
func NeedZbar(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("zbarimg"); err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("zbarimg is required when CI is set: apt-get install zbar-tools (images/host-packages.txt)")
	}
	t.Skip("zbarimg not installed (apt-get install zbar-tools); QR codes not checked")
}
