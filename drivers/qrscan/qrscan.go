package qrscan

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"guichet/drivers"
	"guichet/kiosk/clock"
	"guichet/kiosk/scan"
)

// The Config defaults.
const (
	DefaultMaxPayload      = 512
	DefaultDuplicateWindow = 2 * time.Second
	DefaultCharTimeout     = 200 * time.Millisecond
	DefaultRetrigger       = 10 * time.Second
	DefaultRearmDelay      = 500 * time.Millisecond
)

// readTick bounds each Read so Serve notices a stalled half line and its
// ctx; serialport honours it to within its own 0.1 s granularity.
const readTick = 50 * time.Millisecond

// Config is the reader's part of the kiosk configuration. Zero values take
// the defaults.
type Config struct {
	// Prefix is what the scanner sends before each code; "" for none.
	Prefix string
	// Suffix ends each code: CR (the default), LF, CRLF or TAB.
	Suffix Suffix
	// MaxPayload is the longest code kept, in bytes (DefaultMaxPayload).
	// A longer one is dropped and reported as scan.too_long.
	MaxPayload int

	// Trigger is the scanner's serial trigger command set: none (the
	// default: the scanner reads on its own), honeywell or custom.
	Trigger TriggerProfile
	// TriggerStart, TriggerStop and TriggerOneShot define TriggerCustom.
	TriggerStart, TriggerStop string
	TriggerOneShot            bool
	// Retrigger is how often the start command is sent again while armed,
	// for one-shot triggers: set it below the scanner's own read time-out
	// (DefaultRetrigger). Negative disables it.
	Retrigger time.Duration
	// RearmDelay is how long after a read a one-shot trigger is sent
	// again (DefaultRearmDelay), so that a code held in front of the
	// scanner is not read in a tight loop.
	RearmDelay time.Duration

	// DuplicateWindow: the same code seen again less than this after it
	// was last seen is suppressed (DefaultDuplicateWindow). Negative
	// disables suppression.
	DuplicateWindow time.Duration
	// CharTimeout: a line left unfinished this long after its last byte
	// is dropped as incomplete (DefaultCharTimeout).
	CharTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Suffix == "" {
		c.Suffix = SuffixCR
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.Trigger == "" {
		c.Trigger = TriggerNone
	}
	if c.Retrigger == 0 {
		c.Retrigger = DefaultRetrigger
	}
	if c.RearmDelay <= 0 {
		c.RearmDelay = DefaultRearmDelay
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = DefaultDuplicateWindow
	}
	if c.CharTimeout <= 0 {
		c.CharTimeout = DefaultCharTimeout
	}
	return c
}

// Event is Scanned or ScanFailed.
type Event interface{ isEvent() }

// Scanned is a code read while the reader was armed.
type Scanned struct {
	Payload string    // the code's text, without prefix and suffix
	At      time.Time // when its last byte arrived
}

// ScanFailed is a read that gave no usable code while armed.
type ScanFailed struct {
	// Reason is a message key of kiosk/scan: scan.too_long,
	// scan.not_text or scan.incomplete.
	Reason string
	// Detail is for the log: sizes and kinds, never the payload.
	Detail string
	At     time.Time
}

func (Scanned) isEvent()    {}
func (ScanFailed) isEvent() {}

// Stats are the reader's counters since New, for telemetry.
type Stats struct {
	Scanned    int // Scanned events sent
	Failed     int // ScanFailed events sent
	Duplicates int // codes suppressed as duplicates
	Ignored    int // lines read while disarmed
	Dropped    int // events lost because nobody was reading Events
	Noise      int // bytes dropped: before a prefix, or half lines
	Triggers   int // start commands sent
}

// eventBuffer is how many events wait for a slow reader before new ones
// are dropped (and counted).
const eventBuffer = 16

// Scanner drives one serial QR/barcode reader. Arm it when a screen wants
// a code, Disarm it when the screen goes; codes read meanwhile arrive on
// Events. It outlives connections: Serve runs it on one open port, and a
// serialport.Supervisor calls Serve again after a replug, with the armed
// state kept. Its methods are safe for concurrent use.
type Scanner struct {
	cfg     Config
	trigger Trigger
	clk     clock.Clock
	log     *slog.Logger
	events  chan Event

	writeMu sync.Mutex   // orders commands on the wire
	partial atomic.Int64 // bytes of an unfinished line, for tests

	mu       sync.Mutex
	port     drivers.Port // nil between connections
	serving  bool
	armed    bool
	armGen   uint64 // counts Arm calls, so an old ctx cannot disarm a newer arming
	armStop  func() bool
	timer    clock.Timer
	timerGen uint64
	lastCode string
	lastSeen time.Time
	stats    Stats
}

// New returns a Scanner for cfg. clk is the kiosk's clock (clock.System in
// the appliance); log may be nil.
func New(cfg Config, clk clock.Clock, log *slog.Logger) (*Scanner, error) {
	cfg = cfg.withDefaults()
	if _, err := NewFramer(cfg.framing()); err != nil {
		return nil, err
	}
	t, err := TriggerFor(cfg.Trigger, cfg.TriggerStart, cfg.TriggerStop, cfg.TriggerOneShot)
	if err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.System
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scanner{cfg: cfg, trigger: t, clk: clk, log: log, events: make(chan Event, eventBuffer)}, nil
}

func (c Config) framing() Framing {
	return Framing{Prefix: c.Prefix, Suffix: c.Suffix, MaxPayload: c.MaxPayload}
}

// Events delivers Scanned and ScanFailed events. It is never closed.
func (s *Scanner) Events() <-chan Event { return s.events }

// Stats returns the counters.
func (s *Scanner) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Armed reports whether a screen is waiting for a code.
func (s *Scanner) Armed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.armed
}

// Arm starts reading for a screen, until Disarm is called or ctx is done,
// whichever comes first (pass the screen's context). With a trigger it
// sends the start command now if the scanner is connected, and again on
// each reconnection. Arming clears the duplicate memory: a screen that asks
// for a code gets it even if another screen just had it. The error is a
// failed start command; the Scanner stays armed and Serve will notice a
// lost port.
func (s *Scanner) Arm(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("qrscan: arm: %w", err)
	}
	s.mu.Lock()
	s.armGen++
	gen := s.armGen
	if !s.armed {
		s.lastCode, s.lastSeen = "", time.Time{}
	}
	s.armed = true
	port := s.port
	if s.armStop != nil {
		s.armStop()
	}
	s.armStop = context.AfterFunc(ctx, func() {
		s.mu.Lock()
		current := s.armGen == gen
		s.mu.Unlock()
		if current {
			s.Disarm()
		}
	})
	s.mu.Unlock()
	if port == nil || s.trigger.Start == nil {
		return nil
	}
	err := s.sendStart(port)
	s.scheduleRetrigger(s.cfg.Retrigger)
	return err
}

// Disarm stops reading: codes that arrive afterwards are ignored. With a
// trigger it sends the stop command.
func (s *Scanner) Disarm() error {
	s.mu.Lock()
	s.armGen++
	wasArmed := s.armed
	s.armed = false
	if s.armStop != nil {
		s.armStop()
		s.armStop = nil
	}
	s.stopTimerLocked()
	port := s.port
	s.mu.Unlock()
	if !wasArmed || port == nil || s.trigger.Stop == nil {
		return nil
	}
	return s.write(port, s.trigger.Stop, "stop")
}

// Serve reads codes from port until ctx is done (it then returns nil) or
// the port fails (it returns the error, wrapped): a serialport.Supervisor's
// drive function. A half line left by a lost port is reported as
// scan.incomplete. Serve does not close port. Only one Serve runs at a time.
func (s *Scanner) Serve(ctx context.Context, port drivers.Port) error {
	framer, err := NewFramer(s.cfg.framing())
	if err != nil {
		return err
	}
	if err := port.SetReadTimeout(readTick); err != nil {
		return fmt.Errorf("qrscan: %w", err)
	}
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return errors.New("qrscan: Serve is already running")
	}
	s.serving, s.port = true, port
	armed := s.armed
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.serving, s.port = false, nil
		s.stopTimerLocked()
		s.mu.Unlock()
	}()

	// A scanner just plugged in (or left scanning by a kiosk that
	// restarted) is put in the state the screens want.
	if armed && s.trigger.Start != nil {
		if err := s.sendStart(port); err != nil && ctx.Err() == nil {
			return err
		}
		s.scheduleRetrigger(s.cfg.Retrigger)
	} else if !armed && s.trigger.Stop != nil {
		if err := s.write(port, s.trigger.Stop, "stop"); err != nil && ctx.Err() == nil {
			return err
		}
	}

	var buf [256]byte
	var lastByte time.Time
	for {
		if ctx.Err() != nil {
			s.dropHalfLine(framer, "the reader stopped")
			return nil
		}
		n, err := port.Read(buf[:])
		if n > 0 {
			lastByte = s.clk.Now()
			framer.Feed(buf[:n], func(f Frame) { s.handle(f, lastByte) })
			s.partial.Store(int64(framer.Pending()))
		}
		switch {
		case err == nil:
		case drivers.IsTimeout(err):
			if framer.Pending() > 0 && s.clk.Now().Sub(lastByte) >= s.cfg.CharTimeout {
				s.dropHalfLine(framer, "the scanner went quiet in the middle of a code")
			}
		case ctx.Err() != nil:
			s.dropHalfLine(framer, "the reader stopped")
			return nil
		default:
			s.dropHalfLine(framer, "the scanner was lost in the middle of a code")
			return fmt.Errorf("qrscan: read: %w", err)
		}
	}
}

// dropHalfLine discards an unfinished line, telling an armed screen.
func (s *Scanner) dropHalfLine(f *Framer, why string) {
	n := f.Reset()
	s.partial.Store(0)
	if n == 0 {
		return
	}
	s.mu.Lock()
	s.stats.Noise += n
	s.mu.Unlock()
	s.fail(scan.MsgIncomplete, fmt.Sprintf("%s: %d bytes dropped", why, n), s.clk.Now())
}

// handle acts on one frame.
func (s *Scanner) handle(f Frame, at time.Time) {
	s.mu.Lock()
	s.stats.Noise += f.Skipped
	if !s.armed {
		s.stats.Ignored++
		s.mu.Unlock()
		s.log.Debug("qrscan: line ignored while disarmed", "kind", f.Kind.String(), "bytes", f.Length)
		return
	}
	s.mu.Unlock()
	if s.trigger.OneShot {
		s.scheduleRetrigger(s.cfg.RearmDelay)
	}
	switch f.Kind {
	case FrameTooLong:
		s.fail(scan.MsgTooLong, fmt.Sprintf("code of %d bytes, limit %d", f.Length, s.cfg.MaxPayload), at)
	case FrameGarbled:
		s.fail(scan.MsgNotText, fmt.Sprintf("%d bytes that are not text", f.Length), at)
	case FrameCode:
		s.mu.Lock()
		dup := s.cfg.DuplicateWindow > 0 && f.Payload == s.lastCode && at.Sub(s.lastSeen) < s.cfg.DuplicateWindow
		s.lastCode, s.lastSeen = f.Payload, at
		if dup {
			s.stats.Duplicates++
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.emit(Scanned{Payload: f.Payload, At: at})
	}
}

func (s *Scanner) fail(reason, detail string, at time.Time) {
	s.mu.Lock()
	armed := s.armed
	s.mu.Unlock()
	if !armed {
		return
	}
	s.log.Info("qrscan: scan failed", "reason", reason, "detail", detail)
	s.emit(ScanFailed{Reason: reason, Detail: detail, At: at})
}

func (s *Scanner) emit(e Event) {
	// Counted under the lock with the (non-blocking) send, so that Stats
	// agrees with what a reader has received.
	s.mu.Lock()
	select {
	case s.events <- e:
		switch e.(type) {
		case Scanned:
			s.stats.Scanned++
		case ScanFailed:
			s.stats.Failed++
		}
		s.mu.Unlock()
	default:
		s.stats.Dropped++
		s.mu.Unlock()
		s.log.Warn("qrscan: event dropped: nobody is reading Events")
	}
}

func (s *Scanner) sendStart(port drivers.Port) error {
	s.mu.Lock()
	s.stats.Triggers++
	s.mu.Unlock()
	return s.write(port, s.trigger.Start, "start")
}

func (s *Scanner) write(port drivers.Port, cmd []byte, name string) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if _, err := port.Write(cmd); err != nil {
		return fmt.Errorf("qrscan: send %s command: %w", name, err)
	}
	return nil
}

// scheduleRetrigger sends the start command after d, then every Retrigger,
// while armed and connected with a one-shot trigger. It replaces a pending
// one.
func (s *Scanner) scheduleRetrigger(d time.Duration) {
	if !s.trigger.OneShot || d < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopTimerLocked()
	if !s.armed || s.port == nil {
		return
	}
	gen := s.timerGen
	s.timer = s.clk.AfterFunc(d, func() {
		s.mu.Lock()
		port := s.port
		ok := s.armed && port != nil && s.timerGen == gen
		s.mu.Unlock()
		if !ok {
			return
		}
		if err := s.sendStart(port); err != nil {
			s.log.Warn("qrscan: re-trigger failed", "err", err)
			return // Serve will see the port fail
		}
		s.scheduleRetrigger(s.cfg.Retrigger)
	})
}

func (s *Scanner) stopTimerLocked() {
	s.timerGen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}
