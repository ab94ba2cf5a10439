package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"guichet/drivers"
	"guichet/kiosk/flow"
	"guichet/kiosk/store"
	updater "guichet/sync/update"
)

// What the kiosk tells the system around it: systemd (ready, and alive
// while its event loop turns: the unit's watchdog), the updater (the health
// report that ends a new release's probation, and whether a citizen is at
// the kiosk, so that an update never interrupts one).

// sdNotify sends a state line to systemd's notification socket
// ($NOTIFY_SOCKET); without one it does nothing.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if strings.HasPrefix(path, "@") {
		path = "\x00" + path[1:] // abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return fmt.Errorf("guichet: sd_notify: %w", err)
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// watchdogEvery is how often to tell systemd the kiosk is alive: a third
// of $WATCHDOG_USEC, or 0 when the unit has no watchdog.
func watchdogEvery() time.Duration {
	us, err := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if err != nil || us <= 0 {
		return 0
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0
	}
	return time.Duration(us) * time.Microsecond / 3
}

// keepAlive pings systemd's watchdog while the UI's event loop answers: a
// kiosk whose screen froze stops pinging and systemd restarts it.
func keepAlive(ctx context.Context, log *slog.Logger) {
	every := watchdogEvery()
	if every == 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		answered := make(chan struct{})
		fyne.Do(func() { close(answered) })
		select {
		case <-answered:
			if err := sdNotify("WATCHDOG=1"); err != nil {
				log.Warn("watchdog ping failed", "err", err)
			}
		case <-time.After(every):
			log.Error("the UI's event loop did not answer within the watchdog interval: no ping")
		case <-ctx.Done():
			return
		}
	}
}

// writeAtomic writes b to path through a synced temporary file and a
// rename, then syncs the directory.
func writeAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	// The updater, another user, reads these files: readable by all
	// whatever the unit's UMask.
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// healthCheck is what a release on probation must show the updater, from
// $GUICHET_RELEASE and $GUICHET_HEALTH_FILE, set by `guichet-updater
// launch`: the home screen up, every configured peripheral answered, the
// store open, and the registry reached or the queue intact.
type healthCheck struct {
	path    string
	version updater.Version
	ps      *peripherals
	st      *store.Store
	link    *syncLink
	log     *slog.Logger

	// onResult, if set, hears the check's outcome once: the settings on
	// probation are kept or given up with it.
	onResult func(ok bool, detail string)

	mu   sync.Mutex
	home bool
}

func newHealthCheck(ps *peripherals, st *store.Store, link *syncLink, log *slog.Logger) *healthCheck {
	h := &healthCheck{ps: ps, st: st, link: link, log: log}
	path, rel := os.Getenv("GUICHET_HEALTH_FILE"), os.Getenv("GUICHET_RELEASE")
	if path == "" || rel == "" {
		return h
	}
	v, err := updater.ParseVersion(rel)
	if err != nil {
		log.Error("GUICHET_RELEASE is not a version: no health report", "release", rel, "err", err)
		return h
	}
	h.path, h.version = path, v
	return h
}

// homeScreenUp is called once the home screen showed.
func (h *healthCheck) homeScreenUp() {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.home = true
	h.mu.Unlock()
}

// report builds the report as things stand.
func (h *healthCheck) report() updater.HealthReport {
	h.mu.Lock()
	home := h.home
	h.mu.Unlock()
	r := updater.HealthReport{Version: h.version, PID: os.Getpid(), WrittenAt: time.Now().UTC(), HomeScreenRendered: home}
	var why []string
	if !home {
		why = append(why, "the home screen did not show")
	}
	r.PeripheralsAnswered = true
	for _, d := range h.ps.healthSnapshot() {
		if d.State != drivers.Connected {
			r.PeripheralsAnswered = false
			why = append(why, fmt.Sprintf("%s did not answer (%s: %s)", d.Device, d.State, d.Reason))
		}
	}
	hs, err := h.st.Health()
	r.StoreOpened = err == nil
	if err != nil {
		why = append(why, "the store does not answer: "+err.Error())
	}
	online := h.link.c != nil && h.link.c.Status().Online
	r.RegistryReachedOrQueueIntact = online || (err == nil && !hs.Limited)
	if !r.RegistryReachedOrQueueIntact {
		why = append(why, "the registry is not reached and the queue is not healthy")
	}
	r.Detail = strings.Join(why, "; ")
	return r
}

// run writes the report as soon as every check passes, or at the deadline
// with what failed: the updater decides.
func (h *healthCheck) run(ctx context.Context, deadline time.Duration) {
	if h == nil {
		return
	}
	end := time.Now().Add(deadline)
	every(ctx, time.Second, func() bool {
		r := h.report()
		ok := r.HomeScreenRendered && r.PeripheralsAnswered && r.StoreOpened && r.RegistryReachedOrQueueIntact
		if !ok && time.Now().Before(end) {
			return true
		}
		if h.onResult != nil {
			h.onResult(ok, r.Detail)
		}
		if h.path == "" {
			return false
		}
		b, err := json.Marshal(r)
		if err == nil {
			err = writeAtomic(h.path, b)
		}
		if err != nil {
			h.log.Error("health report not written", "path", h.path, "err", err)
		} else {
			h.log.Info("health report written", "release", h.version.String(), "healthy", ok, "detail", r.Detail)
		}
		return false
	})
}

// sessionState tells the updater whether a citizen is at the kiosk, in
// $GUICHET_SESSION_FILE (updater.SessionState), each time that changes.
type sessionState struct {
	path   string
	log    *slog.Logger
	window *updater.Window // from the settings; nil: the updater's default

	mu     sync.Mutex
	active *bool
}

func newSessionState(log *slog.Logger, window string) *sessionState {
	p := os.Getenv("GUICHET_SESSION_FILE")
	if p == "" {
		return nil
	}
	s := &sessionState{path: p, log: log}
	if window != "" {
		start, end, _ := strings.Cut(window, "-")
		s.window = &updater.Window{Start: start, End: end, Zone: localZone()}
	}
	return s
}

// localZone is the IANA name of the kiosk's time zone ($TZ, then
// /etc/timezone), "" (UTC) when unknown.
func localZone() string {
	if z := os.Getenv("TZ"); z != "" {
		return strings.TrimPrefix(z, ":")
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

// observe records the screen's kind: any screen but the attract screen is
// a citizen's session.
func (s *sessionState) observe(k flow.Kind) {
	if s == nil {
		return
	}
	active := k != flow.KindAttract
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.active != nil && *s.active == active {
		return
	}
	b, err := updater.EncodeSessionState(updater.SessionState{SessionActive: active, ChangedAt: time.Now().UTC(), Window: s.window})
	if err == nil {
		err = writeAtomic(s.path, b)
	}
	if err != nil {
		s.log.Error("session state not written: the updater will wait as if a citizen were here", "path", s.path, "err", err)
		return
	}
	s.active = &active
}
