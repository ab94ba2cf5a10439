package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// TestMain runs guichet-devsim's main instead of the tests when the test
// binary is started as the command (GUICHET_DEVSIM_MAIN=1).
func TestMain(m *testing.M) {
	if os.Getenv("GUICHET_DEVSIM_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

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
	dir := openTempDir(t)
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
	return dir, devicesEnv(t, dir, done, logs), logs
}

// openTempDir is t.TempDir, opened to user nobody, as whom cups-pdf writes.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// devicesEnv waits for DIR/devices.env and returns its entries, or fails
// when devsim stops first.
func devicesEnv(t *testing.T, dir string, stopped <-chan error, logs *syncLog) map[string]string {
	t.Helper()
	env := filepath.Join(dir, "devices.env")
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(env); err == nil && len(b) > 0 {
			entries := map[string]string{}
			for _, line := range strings.Fields(string(b)) {
				k, v, _ := strings.Cut(line, "=")
				entries[k] = v
			}
			return entries
		}
		select {
		case err := <-stopped:
			t.Fatalf("guichet-devsim stopped (%v) before writing devices.env; log:\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no devices.env after 15 s; log:\n%s", logs)
		}
	}
}

// TestLaserAcceptsAPDF runs guichet-devsim -laser as a process, prints the
// sample bulletin n°3 through the kiosk's IPP driver to the queue and server
// devices.env names, finds the PDF in DIR/laser, and checks that SIGTERM,
// as make run stops it, stops its cupsd and removes its cups-pdf
// configuration from /etc/cups.
func TestLaserAcceptsAPDF(t *testing.T) {
	if err := cupsemu.Check(); err != nil && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	dir := openTempDir(t)
	logs := &syncLog{}
	cmd := exec.Command(os.Args[0], "-dir", dir, "-laser", "guichet-laser")
	cmd.Env = append(os.Environ(), "GUICHET_DEVSIM_MAIN=1")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- cmd.Wait() }()
	stop := func() error {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-stopped:
			return err
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-stopped
			t.Errorf("guichet-devsim still ran 10 s after SIGTERM; log:\n%s", logs)
			return nil
		}
	}
	var addr string
	t.Run("prints", func(t *testing.T) {
		env := devicesEnv(t, dir, stopped, logs)
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
	if err := stop(); err != nil {
		t.Errorf("guichet-devsim after SIGTERM: %v; log:\n%s", err, logs)
	}
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
