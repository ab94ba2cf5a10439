package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	updater "guichet/sync/update"
)

// notifySocket is a systemd notification socket: what the kiosk sends.
type notifySocket struct {
	path string
	mu   sync.Mutex
	msgs []string
}

func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	n := &notifySocket{path: filepath.Join(t.TempDir(), "notify.sock")}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: n.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			k, err := c.Read(buf)
			if err != nil {
				return
			}
			n.mu.Lock()
			n.msgs = append(n.msgs, string(buf[:k]))
			n.mu.Unlock()
		}
	}()
	return n
}

func (n *notifySocket) count(msg string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := 0
	for _, m := range n.msgs {
		if m == msg {
			c++
		}
	}
	return c
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSDNotify(t *testing.T) {
	n := listenNotify(t)
	t.Setenv("NOTIFY_SOCKET", n.path)
	if err := sdNotify("READY=1"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 2*time.Second, "READY=1 received", func() bool { return n.count("READY=1") == 1 })
	t.Setenv("NOTIFY_SOCKET", "")
	if err := sdNotify("READY=1"); err != nil {
		t.Errorf("sdNotify without a socket = %v, want nil (not under systemd)", err)
	}
	t.Setenv("WATCHDOG_USEC", "3000000")
	t.Setenv("WATCHDOG_PID", "")
	if got := watchdogEvery(); got != time.Second {
		t.Errorf("watchdogEvery(3 s) = %v, want 1 s", got)
	}
	t.Setenv("WATCHDOG_PID", "1")
	if got := watchdogEvery(); got != 0 {
		t.Errorf("watchdogEvery(for another pid) = %v, want 0", got)
	}
}

// TestRealProcessSignals runs the real kiosk as `guichet-updater launch`
// and systemd start it: it says READY=1 once its home screen is up, pings
// the watchdog while its event loop turns, writes a healthy report for its
// release, and tells the updater when a citizen is at it.
func TestRealProcessSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiosk with cgo and runs it under Xvfb")
	}
	requireTools(t, "Xvfb")
	kioskBin, devsimBin := binaries(t)
	x := startXvfb(t, panel)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	devDir := filepath.Join(dir, "dev")
	os.Mkdir(devDir, 0o755)
	os.Mkdir(filepath.Join(dir, "health"), 0o755)
	dev := startDevsim(t, devsimBin, devDir)
	n := listenNotify(t)
	healthFile := filepath.Join(dir, "health", "1.4.2.json")
	sessionFile := filepath.Join(dir, "health", "session.state")
	kp := startKioskEnv(t, x, kioskBin, filepath.Join(dir, "data"), dev, []string{
		"NOTIFY_SOCKET=" + n.path, "WATCHDOG_USEC=900000", "GUICHET_RELEASE=1.4.2",
		"GUICHET_HEALTH_FILE=" + healthFile, "GUICHET_SESSION_FILE=" + sessionFile,
	})
	if _, err := kp.log.waitLine(ctx, 0, func(l string) bool { return strings.Contains(l, "home screen is up") }); err != nil {
		t.Fatalf("%v\n%s", err, kp.log.text())
	}
	waitUntil(t, 10*time.Second, "READY=1", func() bool { return n.count("READY=1") == 1 })
	waitUntil(t, 10*time.Second, "three watchdog pings", func() bool { return n.count("WATCHDOG=1") >= 3 })

	var h updater.HealthReport
	waitUntil(t, 60*time.Second, "the health report", func() bool {
		b, err := os.ReadFile(healthFile)
		if err != nil {
			return false
		}
		h, err = updater.DecodeHealthReport(b)
		return err == nil
	})
	if h.Version.String() != "1.4.2" || !h.HomeScreenRendered || !h.PeripheralsAnswered || !h.StoreOpened || !h.RegistryReachedOrQueueIntact || h.Failure() != "" {
		t.Errorf("health report %+v (failure %q), want healthy for 1.4.2", h, h.Failure())
	}

	session := func() updater.SessionState {
		b, err := os.ReadFile(sessionFile)
		if err != nil {
			return updater.SessionState{}
		}
		s, _ := updater.DecodeSessionState(b)
		return s
	}
	waitUntil(t, 10*time.Second, "the session state written idle", func() bool { _, err := os.Stat(sessionFile); return err == nil })
	if session().SessionActive {
		t.Fatal("the session state says a citizen is here on the attract screen")
	}
	if _, err := dev.exec(ctx, "gpio press presence"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the session state active once someone walks up", func() bool { return session().SessionActive })
}

// TestNoWindowIsNotUp: on a display where no OpenGL window can be made (an
// X server without GLX), the kiosk does not claim its home screen is up: it
// says why and stops with a failure, for systemd (and a release on
// probation) to see.
func TestNoWindowIsNotUp(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiosk with cgo and runs it under Xvfb")
	}
	requireTools(t, "Xvfb")
	kioskBin, devsimBin := binaries(t)
	x := startXvfb(t, panel, "-extension", "GLX")
	dir := t.TempDir()
	devDir := filepath.Join(dir, "dev")
	os.Mkdir(devDir, 0o755)
	dev := startDevsim(t, devsimBin, devDir)
	kp := startKiosk(t, x, kioskBin, filepath.Join(dir, "data"), dev)
	select {
	case <-kp.exited:
	case <-time.After(60 * time.Second):
		t.Fatalf("the kiosk still runs without a window:\n%s", kp.log.text())
	}
	log := kp.log.text()
	if kp.err == nil || strings.Contains(log, "home screen is up") || !strings.Contains(log, "window could not be created") {
		t.Errorf("exit %v; log:\n%s", kp.err, log)
	}
}
