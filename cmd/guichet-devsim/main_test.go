package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"guichet/drivers/devsim"
	"guichet/drivers/ipp"
	"guichet/drivers/ipp/cupsemu"
	"guichet/drivers/pdfdoc"
	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// devsimRun runs guichet-devsim's run in a directory user nobody (cups-pdf)
// can reach, until the test ends; it returns the directory, devices.env's
// entries and the log.
func devsimRun(t *testing.T, laser string) (string, map[string]string, *syncLog) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	logs := &syncLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, devsim.Config{Dir: dir, Laser: laser}, "", slog.New(slog.NewTextHandler(logs, nil)))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return 10 s after its context ended")
		}
	})
	env := filepath.Join(dir, "devices.env")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(env); err == nil && len(b) > 0 {
			entries := map[string]string{}
			for _, line := range strings.Fields(string(b)) {
				k, v, _ := strings.Cut(line, "=")
				entries[k] = v
			}
			return dir, entries, logs
		}
		select {
		case err := <-done:
			t.Fatalf("run returned %v before writing devices.env; log:\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no devices.env after 15 s; log:\n%s", logs)
		}
	}
}

// TestLaserAcceptsAPDF prints the sample bulletin n°3 through the kiosk's
// IPP driver to the queue and server devices.env names, finds the PDF in
// DIR/laser, and checks that stopping devsim stops its cupsd and removes
// its cups-pdf configuration from /etc/cups.
func TestLaserAcceptsAPDF(t *testing.T) {
	if err := cupsemu.Check(); err != nil && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	var dir, addr string
	t.Run("prints", func(t *testing.T) {
		var env map[string]string
		var logs *syncLog
		dir, env, logs = devsimRun(t, "guichet-laser")
		addr = env["cups"]
		if env["laser"] != "guichet-laser" || addr == "" {
			t.Fatalf("devices.env = %q, want laser=guichet-laser and cups=HOST:PORT; log:\n%s", env, logs)
		}
		if !strings.Contains(logs.String(), "laser printer up") {
			t.Errorf("the log does not say the laser printer is up:\n%s", logs)
		}
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		cfg := ipp.DefaultConfig()
		cfg.Host, cfg.Queue, cfg.User, cfg.Poll = host, env["laser"], "guichet", 100*time.Millisecond
		if cfg.Port, err = strconv.Atoi(port); err != nil {
			t.Fatal(err)
		}
		p, err := ipp.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		j, err := p.Print(ctx, ipp.Document{Name: "extract B3/2026/004217", PDF: bulletinPDF(t)}, nil)
		if err != nil || j.State != ipp.JobCompleted {
			t.Fatalf("Print() = %s, %v; want completed", j.State, err)
		}
		for {
			files, _ := filepath.Glob(filepath.Join(devsim.LaserDir(dir), "*.pdf"))
			if len(files) == 1 {
				if b, err := os.ReadFile(files[0]); err == nil && bytes.Contains(b, []byte("%%EOF")) {
					break
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("PDFs in %s: %q, want one whole PDF", devsim.LaserDir(dir), files)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	if addr == "" {
		return
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("cupsd still listens on %s after devsim stopped", addr)
	}
	confs, _ := filepath.Glob("/etc/cups/cups-pdf-guichet-*.conf")
	for _, c := range confs {
		if b, _ := os.ReadFile(c); strings.Contains(string(b), dir) {
			t.Errorf("%s is left behind after devsim stopped", c)
		}
	}
}

// TestWithoutCUPSTheRestStarts: with no cupsd to be found, devsim starts
// the other devices, says in its log why there is no laser printer, and
// names none in devices.env.
func TestWithoutCUPSTheRestStarts(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, env, logs := devsimRun(t, "guichet-laser")
	if _, ok := env["laser"]; ok {
		t.Errorf("devices.env names a laser without CUPS: %q", env)
	}
	if env["idscan"] == "" || env["receipt"] == "" {
		t.Errorf("devices.env = %q, want the other devices", env)
	}
	for _, w := range []string{"WITHOUT the laser printer", "cupsd (Debian package cups) is not installed"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("the log lacks %q:\n%s", w, logs)
		}
	}
}

// bulletinPDF is the French Moroccan sample extract as the kiosk prints it.
func bulletinPDF(t *testing.T) []byte {
	t.Helper()
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	e, err := extracttest.Sample(p)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := extract.Layout(e, p, "fr", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pdf
}
