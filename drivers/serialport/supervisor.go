package serialport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"guichet/drivers"
)

// The Supervisor's defaults.
const (
	DefaultMinBackoff   = 250 * time.Millisecond
	DefaultMaxBackoff   = 5 * time.Second
	DefaultFailAfter    = 5
	DefaultPollInterval = time.Second
)

// Supervisor keeps one device open: it opens it, hands the port to the
// device's driver, notices the device vanishing (the driver's error, or the
// stable path disappearing), and reopens it with exponential backoff when it
// comes back. It reports the device's health at every change.
//
// Set the fields before calling Run; only Device, Path and Open are
// required. A Supervisor runs once at a time.
type Supervisor struct {
	// Device is the configured name ("idscan"); Label the words a
	// technician knows it by ("ID-card scanner"), Device when empty.
	Device, Label string
	// Path is the stable path, for the health report and the vanishing
	// check. Empty disables the check.
	Path string
	// Open opens the device (Opener(cfg) for a serial device).
	Open drivers.Opener

	// MinBackoff and MaxBackoff bound the wait between attempts: it
	// starts at MinBackoff and doubles after each failure up to
	// MaxBackoff; it starts again from MinBackoff once a connection has
	// lasted MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// FailAfter is how many opens in a row must fail before the state
	// turns from Reconnecting to Failed. The supervisor keeps trying at
	// MaxBackoff even then: a technician plugging the device back in
	// needs no restart.
	FailAfter int
	// PollInterval is how often the path is checked while connected;
	// negative disables the check.
	PollInterval time.Duration

	// OnHealth, if set, is called on Run's goroutine with each new health
	// (state or reason changed). It must not block.
	OnHealth func(drivers.Health)
	// Now and After are the clock; nil means the time package's.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Logger receives one line per state change; nil discards.
	Logger *slog.Logger

	mu     sync.Mutex
	health drivers.Health
}

// Health returns the device's current health.
func (s *Supervisor) Health() drivers.Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.health.State == "" {
		return drivers.Health{Device: s.Device, Path: s.Path, State: drivers.Reconnecting, Reason: "not opened yet"}
	}
	return s.health
}

// Run opens the device and calls drive with the live port until ctx is
// done, reopening the device after each loss. drive should return when its
// ctx is done or the port fails; Run closes the port after drive returns.
// An error from drive is taken as a loss of the device (logged, reported
// in the health, followed by a reopen); a nil return ends Run with nil.
// Run returns ctx.Err() when ctx is done.
func (s *Supervisor) Run(ctx context.Context, drive func(ctx context.Context, p drivers.Port) error) error {
	minB, maxB := s.MinBackoff, s.MaxBackoff
	if minB <= 0 {
		minB = DefaultMinBackoff
	}
	if maxB <= 0 {
		maxB = DefaultMaxBackoff
	}
	if maxB < minB {
		maxB = minB
	}
	failAfter := s.FailAfter
	if failAfter <= 0 {
		failAfter = DefaultFailAfter
	}
	s.report(drivers.Reconnecting, "opening "+s.Path)

	delay, failures := minB, 0
	for {
		p, err := s.Open(ctx)
		if ctx.Err() != nil {
			if err == nil {
				p.Close()
			}
			return ctx.Err()
		}
		if err != nil {
			failures++
			state := drivers.Reconnecting
			if failures >= failAfter {
				state = drivers.Failed
			}
			s.report(state, s.openReason(err))
		} else {
			failures = 0
			s.report(drivers.Connected, "")
			start := s.now()
			err = s.runOnce(ctx, p, drive)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == nil {
				return nil
			}
			s.report(drivers.Reconnecting, s.lossReason(err))
			if s.now().Sub(start) >= maxB {
				delay = minB
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.after(delay):
		}
		delay = min(2*delay, maxB)
	}
}

// runOnce runs drive on p until it returns, closing p first when ctx is
// done or the path vanishes, so that a driver blocked in Read wakes up.
func (s *Supervisor) runOnce(ctx context.Context, p drivers.Port, drive func(context.Context, drivers.Port) error) error {
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- drive(dctx, p) }()

	var poll <-chan time.Time
	if s.Path != "" && s.PollInterval >= 0 {
		every := s.PollInterval
		if every == 0 {
			every = DefaultPollInterval
		}
		t := time.NewTicker(every)
		defer t.Stop()
		poll = t.C
	}
	closed := false
	closePort := func() {
		if !closed {
			closed = true
			p.Close()
		}
	}
	var lost error
	stop := ctx.Done()
	for {
		select {
		case err := <-done:
			closePort()
			if lost != nil {
				return lost
			}
			return err
		case <-stop:
			cancel()
			closePort()
			stop, poll = nil, nil
		case <-poll:
			if _, err := os.Stat(s.Path); errors.Is(err, fs.ErrNotExist) {
				lost = fmt.Errorf("serialport: %s: %w: %s no longer exists", s.Device, ErrDeviceGone, s.Path)
				cancel()
				closePort()
				poll = nil
			}
		}
	}
}

func (s *Supervisor) label() string {
	if s.Label != "" {
		return s.Label
	}
	return s.Device
}

// openReason says why an open failed, in words a technician can act on.
func (s *Supervisor) openReason(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("not found at %s: is the %s plugged in?", s.Path, s.label())
	case errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("permission denied on %s: check that the udev rule gives the kiosk access to the %s", s.Path, s.label())
	}
	return fmt.Sprintf("cannot open the %s at %s: %v", s.label(), s.Path, err)
}

// lossReason says why a connection ended.
func (s *Supervisor) lossReason(err error) string {
	if errors.Is(err, ErrDeviceGone) {
		return fmt.Sprintf("lost at %s: the %s was unplugged or switched off; reconnecting", s.Path, s.label())
	}
	return fmt.Sprintf("the %s stopped: %v; reconnecting", s.label(), err)
}

// report records and announces a health change.
func (s *Supervisor) report(state drivers.State, reason string) {
	s.mu.Lock()
	h := s.health
	if h.State == state && h.Reason == reason {
		s.mu.Unlock()
		return
	}
	if h.State != state {
		h.Since = s.now()
	}
	h.Device, h.Path, h.State, h.Reason = s.Device, s.Path, state, reason
	s.health = h
	s.mu.Unlock()

	if s.Logger != nil {
		s.Logger.Info("device health", "device", h.Device, "path", h.Path, "state", string(h.State), "reason", h.Reason)
	}
	if s.OnHealth != nil {
		s.OnHealth(h)
	}
}

func (s *Supervisor) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Supervisor) after(d time.Duration) <-chan time.Time {
	if s.After != nil {
		return s.After(d)
	}
	return time.After(d)
}
