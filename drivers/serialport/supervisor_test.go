package serialport_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/drivers/serialport"
	"guichet/drivers/serialport/serialtest"
)

// fakePort is a Port whose Read blocks until Close or a scripted failure.
type fakePort struct {
	fail   chan error
	closed chan struct{}
	once   sync.Once
}

func newFakePort() *fakePort {
	return &fakePort{fail: make(chan error, 1), closed: make(chan struct{})}
}

func (p *fakePort) Read(b []byte) (int, error) {
	select {
	case err := <-p.fail:
		return 0, err
	case <-p.closed:
		return 0, os.ErrClosed
	}
}
func (p *fakePort) Write(b []byte) (int, error)        { return len(b), nil }
func (p *fakePort) SetReadTimeout(time.Duration) error { return nil }
func (p *fakePort) Close() error {
	p.once.Do(func() { close(p.closed) })
	return nil
}

// healthLog collects the reports a Supervisor makes.
type healthLog struct {
	mu  sync.Mutex
	all []drivers.Health
	c   chan drivers.Health
}

func newHealthLog() *healthLog { return &healthLog{c: make(chan drivers.Health, 100)} }

func (l *healthLog) add(h drivers.Health) {
	l.mu.Lock()
	l.all = append(l.all, h)
	l.mu.Unlock()
	l.c <- h
}

// waitFor returns the first report in state, failing after a while.
func (l *healthLog) waitFor(t *testing.T, state drivers.State) drivers.Health {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case h := <-l.c:
			if h.State == state {
				return h
			}
		case <-deadline:
			t.Fatalf("no health report %q within 10s", state)
		}
	}
}

func (l *healthLog) states() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s []string
	for _, h := range l.all {
		s = append(s, string(h.State)+": "+h.Reason)
	}
	return s
}

func TestSupervisorBacksOffAndReportsHealth(t *testing.T) {
	notFound := fmt.Errorf("serialport: open /dev/guichet/idscan: %w", fs.ErrNotExist)
	// Six failed opens, then a port that is lost, then one that stays.
	opens := []error{notFound, notFound, notFound, notFound, notFound, notFound, nil, nil}
	var ports []*fakePort
	n := 0
	open := func(ctx context.Context) (drivers.Port, error) {
		if n >= len(opens) {
			t.Fatalf("open called %d times, want %d", n+1, len(opens))
		}
		err := opens[n]
		n++
		if err != nil {
			return nil, err
		}
		p := newFakePort()
		ports = append(ports, p)
		if len(ports) == 1 {
			p.fail <- fmt.Errorf("serialport: read: %w", serialport.ErrDeviceGone)
		}
		return p, nil
	}
	var waits []time.Duration
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	log := newHealthLog()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &serialport.Supervisor{
		Device: "idscan", Label: "ID-card scanner", Path: "/dev/guichet/idscan",
		Open:       open,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, FailAfter: 4,
		PollInterval: -1,
		OnHealth:     log.add,
		Now:          func() time.Time { return clock },
		After: func(d time.Duration) <-chan time.Time {
			waits = append(waits, d)
			clock = clock.Add(d)
			c := make(chan time.Time, 1)
			c <- clock
			return c
		},
	}
	drives := 0
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(ctx context.Context, p drivers.Port) error {
			drives++
			if drives == 2 {
				cancel() // the second connection is where the test ends
			}
			_, err := p.Read(make([]byte, 1))
			return err
		})
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}

	wantWaits := []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
		800 * time.Millisecond, time.Second, time.Second, // capped
		time.Second, // after the short-lived connection: no reset
	}
	if diff := cmp.Diff(wantWaits, waits); diff != "" {
		t.Errorf("backoff waits mismatch (-want +got):\n%s", diff)
	}
	const notFoundReason = "not found at /dev/guichet/idscan: is the ID-card scanner plugged in?"
	want := []string{
		"reconnecting: opening /dev/guichet/idscan",
		"reconnecting: " + notFoundReason,
		"failed: " + notFoundReason, // the fourth failure in a row
		"connected: ",
		"reconnecting: lost at /dev/guichet/idscan: the ID-card scanner was unplugged or switched off; reconnecting",
		"connected: ",
	}
	if diff := cmp.Diff(want, log.states()); diff != "" {
		t.Errorf("health reports mismatch (-want +got):\n%s", diff)
	}
	for _, p := range ports {
		select {
		case <-p.closed:
		default:
			t.Errorf("a port was left open")
		}
	}
	h := s.Health()
	if h.Device != "idscan" || h.Path != "/dev/guichet/idscan" || h.State != drivers.Connected || h.Since.IsZero() {
		t.Errorf("Health() = %+v, want idscan connected with a Since", h)
	}
}

func TestSupervisorSinceChangesOnlyWithState(t *testing.T) {
	clock := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	log := newHealthLog()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opens := 0
	s := &serialport.Supervisor{
		Device: "qrscan", Path: "/dev/guichet/qrscan",
		Open: func(ctx context.Context) (drivers.Port, error) {
			opens++
			if opens == 3 {
				cancel()
			}
			return nil, fmt.Errorf("open: %w", fs.ErrPermission)
		},
		FailAfter: 10, PollInterval: -1, OnHealth: log.add,
		Now: func() time.Time { return clock },
		After: func(d time.Duration) <-chan time.Time {
			clock = clock.Add(d)
			c := make(chan time.Time, 1)
			c <- clock
			return c
		},
	}
	if err := s.Run(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if len(log.all) != 2 {
		t.Fatalf("reports = %v, want opening then permission denied", log.all)
	}
	if got := log.all[1].Reason; got != "permission denied on /dev/guichet/qrscan: check that the udev rule gives the kiosk access to the qrscan" {
		t.Errorf("reason = %q", got)
	}
	if !log.all[1].Since.Equal(log.all[0].Since) {
		t.Errorf("Since moved from %v to %v though the state stayed reconnecting", log.all[0].Since, log.all[1].Since)
	}
}

func TestSupervisorNoticesThePathVanishing(t *testing.T) {
	// The driver is stuck in a Read that never fails by itself; only the
	// path check can tell that the device went.
	path := filepath.Join(t.TempDir(), "printer")
	os.WriteFile(path, nil, 0o600)
	log := newHealthLog()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &serialport.Supervisor{
		Device: "receipt", Label: "receipt printer", Path: path,
		Open:         func(ctx context.Context) (drivers.Port, error) { return newFakePort(), nil },
		MinBackoff:   time.Hour, // never reopen within the test
		PollInterval: 10 * time.Millisecond,
		OnHealth:     log.add,
	}
	go s.Run(ctx, func(ctx context.Context, p drivers.Port) error {
		_, err := p.Read(make([]byte, 1))
		return err
	})
	log.waitFor(t, drivers.Connected)
	os.Remove(path)
	h := log.waitFor(t, drivers.Reconnecting)
	if want := "lost at " + path + ": the receipt printer was unplugged or switched off; reconnecting"; h.Reason != want {
		t.Errorf("reason = %q, want %q", h.Reason, want)
	}
}

func TestSupervisorDriverFinishing(t *testing.T) {
	s := &serialport.Supervisor{
		Device: "idscan", Path: "", PollInterval: -1,
		Open: func(ctx context.Context) (drivers.Port, error) { return newFakePort(), nil },
	}
	if err := s.Run(context.Background(), func(ctx context.Context, p drivers.Port) error { return nil }); err != nil {
		t.Errorf("Run with a driver returning nil = %v, want nil", err)
	}
}

// TestSupervisorReconnectsARealPTY unplugs and replugs a pseudo-terminal
// behind a stable symlink, as udev would, and checks that lines flow
// before and after through serialport.Open.
func TestSupervisorReconnectsARealPTY(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "idscan")
	plug := func() *serialtest.PTY {
		pty, err := serialtest.Open()
		if err != nil {
			t.Fatal(err)
		}
		tmp := link + ".tmp"
		os.Symlink(pty.Path, tmp)
		if err := os.Rename(tmp, link); err != nil {
			t.Fatal(err)
		}
		return pty
	}
	log := newHealthLog()
	lines := make(chan string, 10)
	ctx, cancel := context.WithCancel(context.Background())
	s := &serialport.Supervisor{
		Device: "idscan", Label: "ID-card scanner", Path: link,
		Open:       serialport.Opener(serialport.Config{Path: link, Baud: 9600, ReadTimeout: 100 * time.Millisecond}),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
		OnHealth:     log.add,
	}
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(ctx context.Context, p drivers.Port) error {
			r := bufio.NewReader(p)
			for ctx.Err() == nil {
				l, err := r.ReadString('\r')
				if serialport.IsTimeout(err) {
					continue
				}
				if err != nil {
					return err
				}
				lines <- l
			}
			return ctx.Err()
		})
	}()
	expectLine := func(want string) {
		t.Helper()
		select {
		case got := <-lines:
			if got != want {
				t.Errorf("line = %q, want %q", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no line %q within 10s", want)
		}
	}

	h := log.waitFor(t, drivers.Failed) // nothing plugged in yet
	if want := "not found at " + link + ": is the ID-card scanner plugged in?"; h.Reason != want {
		t.Errorf("reason = %q, want %q", h.Reason, want)
	}
	pty := plug()
	log.waitFor(t, drivers.Connected)
	pty.Far.Write([]byte("first\r"))
	expectLine("first\r")

	pty.Close() // unplug
	os.Remove(link)
	log.waitFor(t, drivers.Reconnecting)
	pty = plug() // replug
	defer pty.Close()
	log.waitFor(t, drivers.Connected)
	pty.Far.Write([]byte("second\r"))
	expectLine("second\r")

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
