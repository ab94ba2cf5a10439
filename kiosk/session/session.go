package session

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/tracking"
)

// MinWarningLead is the shortest warning WCAG 2.2.1 allows: the citizen has
// at least 20 seconds to ask for more time.
const MinWarningLead = 20 * time.Second

// MinExtensions is the fewest extensions WCAG 2.2.1 allows when their number
// is limited at all.
const MinExtensions = 10

// Config is the idle-timeout policy, normally from the country pack.
type Config struct {
	// IdleTimeout is how long a session lives without a touch. The warning
	// comes WarningLead before its end.
	IdleTimeout time.Duration
	// WarningLead is how long the warning shows before expiry; at least
	// MinWarningLead and shorter than IdleTimeout.
	WarningLead time.Duration
	// MaxExtensions limits how many times the citizen may answer the warning;
	// 0 means no limit, otherwise at least MinExtensions.
	MaxExtensions int
}

// DefaultConfig is two minutes idle, of which the last 30 seconds warn, and
// no limit on extensions.
func DefaultConfig() Config {
	return Config{IdleTimeout: 2 * time.Minute, WarningLead: 30 * time.Second}
}

// Validate reports the first rule the policy breaks.
func (c Config) Validate() error {
	switch {
	case c.WarningLead < MinWarningLead:
		return fmt.Errorf("session: warning lead %v is shorter than the %v WCAG 2.2.1 requires", c.WarningLead, MinWarningLead)
	case c.IdleTimeout <= c.WarningLead:
		return fmt.Errorf("session: idle timeout %v is not longer than the warning lead %v", c.IdleTimeout, c.WarningLead)
	case c.MaxExtensions < 0:
		return fmt.Errorf("session: negative maximum extensions %d", c.MaxExtensions)
	case c.MaxExtensions > 0 && c.MaxExtensions < MinExtensions:
		return fmt.Errorf("session: maximum extensions %d is below the %d WCAG 2.2.1 requires (0 means no limit)", c.MaxExtensions, MinExtensions)
	}
	return nil
}

// State is where a session stands.
type State int

const (
	Active  State = iota // the citizen is using the kiosk
	Warning              // idle: the warning is showing and counting down
	Expired              // the idle timeout ran out; everything personal is wiped
	Closed               // Wipe was called before expiry (the citizen finished)
)

func (s State) String() string {
	switch s {
	case Active:
		return "active"
	case Warning:
		return "warning"
	case Expired:
		return "expired"
	case Closed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// EventKind says what happened.
type EventKind int

const (
	// EventWarning: the session went idle; show the warning with a way to
	// extend, and say it aloud.
	EventWarning EventKind = iota + 1
	// EventCountdown: once a second during the warning, SecondsLeft fell.
	EventCountdown
	// EventExtended: the citizen answered the warning; hide it.
	EventExtended
	// EventExpired: the session ran out and has been wiped; go home.
	EventExpired
)

func (k EventKind) String() string {
	switch k {
	case EventWarning:
		return "warning"
	case EventCountdown:
		return "countdown"
	case EventExtended:
		return "extended"
	case EventExpired:
		return "expired"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is what the session tells the UI.
type Event struct {
	Kind EventKind
	// SecondsLeft before expiry, rounded up (EventWarning, EventCountdown).
	SecondsLeft int
	// Deadline is when the session expires unless extended (EventWarning,
	// EventCountdown) or will next warn (EventExtended).
	Deadline time.Time
	// ExtensionsLeft is how many more times the warning may be answered;
	// -1 means no limit. 0 during a warning: show no "more time" button.
	ExtensionsLeft int
}

func (e Event) String() string {
	switch e.Kind {
	case EventWarning, EventCountdown:
		return fmt.Sprintf("%v: %d s left, %d extensions left", e.Kind, e.SecondsLeft, e.ExtensionsLeft)
	}
	return e.Kind.String()
}

// Errors callers branch on.
var (
	ErrEnded            = errors.New("session: ended (expired or wiped)")
	ErrNoExtensionsLeft = errors.New("session: no extensions left")
)

// Session is one citizen's visit. It holds everything personal the kiosk
// learns during the visit, behind methods, until Wipe; it is safe for
// concurrent use (the UI, the device bridge and the clock call it).
type Session struct {
	cfg    Config
	clk    clock.Clock
	notify func(Event)

	mu         sync.Mutex
	state      State
	last       time.Time // last activity
	deadline   time.Time // expiry, while warning
	extensions int       // answered warnings
	gen        uint64    // invalidates timers armed earlier
	timer      clock.Timer
	pending    []Event
	delivering bool

	p personal
}

// personal is everything about the citizen; Wipe zeroes all of it.
type personal struct {
	language string
	service  string
	fields   map[string][]byte // form values, by field id
	mrz      map[string][]byte // fields read from the card's MRZ, by name
	scans    map[string][]byte // card images, by side; owned by the session
	receipt  tracking.Number
}

// New starts a session now. clk is the kiosk's clock (clock.System if nil);
// notify receives the events, in order, never while the session's lock is
// held, so it may call the session back; it must not block (the UI hands
// the event to fyne.Do). notify may be nil.
func New(cfg Config, clk clock.Clock, notify func(Event)) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clk == nil {
		clk = clock.System
	}
	if notify == nil {
		notify = func(Event) {}
	}
	s := &Session{cfg: cfg, clk: clk, notify: notify}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.last = clk.Now()
	s.armLocked(cfg.IdleTimeout - cfg.WarningLead)
	return s, nil
}

// State returns the session's state.
func (s *Session) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// ExpiresAt returns when the session expires if nothing more happens; zero
// once it has ended.
func (s *Session) ExpiresAt() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch s.state {
	case Active:
		return s.last.Add(s.cfg.IdleTimeout)
	case Warning:
		return s.deadline
	}
	return time.Time{}
}

// Touch records activity: any tap, key or scan. While active it pushes the
// idle timeout back. During the warning it is the "simple action" of WCAG
// 2.2.1 and extends the session like Extend, counting as an extension; once
// no extensions are left it does nothing and the session expires on time.
// After the end it does nothing.
func (s *Session) Touch() {
	s.mu.Lock()
	switch s.state {
	case Active:
		s.last = s.clk.Now() // the armed timer notices and re-arms
	case Warning:
		if s.extensionsLeftLocked() != 0 {
			s.extendLocked()
		}
	}
	s.mu.Unlock()
	s.flush()
}

// Extend answers the warning: the session is active again for a full idle
// timeout. While active it is a Touch. It returns ErrNoExtensionsLeft when
// the policy's limit is reached and ErrEnded after the end.
func (s *Session) Extend() error {
	s.mu.Lock()
	var err error
	switch s.state {
	case Active:
		s.last = s.clk.Now()
	case Warning:
		if s.extensionsLeftLocked() == 0 {
			err = ErrNoExtensionsLeft
		} else {
			s.extendLocked()
		}
	default:
		err = ErrEnded
	}
	s.mu.Unlock()
	s.flush()
	return err
}

// Wipe ends the session and clears everything personal it holds: byte
// slices are overwritten with zeros, maps emptied, references dropped. It
// is idempotent, and it is what expiry calls. Afterwards every setter
// returns ErrEnded and every getter returns the zero value.
func (s *Session) Wipe() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == Active || s.state == Warning {
		s.state = Closed
		s.disarmLocked()
	}
	s.p.wipe()
}

func (p *personal) wipe() {
	for _, m := range []map[string][]byte{p.fields, p.mrz, p.scans} {
		for k, v := range m {
			clear(v)
			delete(m, k)
		}
	}
	*p = personal{}
}

func (s *Session) extensionsLeftLocked() int {
	if s.cfg.MaxExtensions == 0 {
		return -1
	}
	return s.cfg.MaxExtensions - s.extensions
}

func (s *Session) extendLocked() {
	s.extensions++
	s.state = Active
	s.last = s.clk.Now()
	s.deadline = time.Time{}
	s.armLocked(s.cfg.IdleTimeout - s.cfg.WarningLead)
	s.emitLocked(Event{
		Kind:           EventExtended,
		Deadline:       s.last.Add(s.cfg.IdleTimeout - s.cfg.WarningLead),
		ExtensionsLeft: s.extensionsLeftLocked(),
	})
}

func (s *Session) armLocked(d time.Duration) {
	s.disarmLocked()
	gen := s.gen
	s.timer = s.clk.AfterFunc(d, func() { s.fire(gen) })
}

func (s *Session) disarmLocked() {
	s.gen++
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// fire is the one timer's callback; gen tells a stale timer from the
// current one (a real timer may fire while being stopped).
func (s *Session) fire(gen uint64) {
	s.mu.Lock()
	if gen != s.gen {
		s.mu.Unlock()
		return
	}
	now := s.clk.Now()
	switch s.state {
	case Active:
		warnAt := s.last.Add(s.cfg.IdleTimeout - s.cfg.WarningLead)
		if now.Before(warnAt) { // touched since the timer was armed
			s.armLocked(warnAt.Sub(now))
			break
		}
		// The full lead from now, even if the timer fired late (a suspended
		// board): the citizen always gets the time WCAG promises.
		s.state = Warning
		s.deadline = now.Add(s.cfg.WarningLead)
		s.emitLocked(s.countdownLocked(EventWarning, s.cfg.WarningLead))
		s.armLocked(tick(s.cfg.WarningLead))
	case Warning:
		left := s.deadline.Sub(now)
		if left <= 0 {
			s.p.wipe()
			s.state = Expired
			s.disarmLocked()
			s.emitLocked(Event{Kind: EventExpired, ExtensionsLeft: s.extensionsLeftLocked()})
			break
		}
		s.emitLocked(s.countdownLocked(EventCountdown, left))
		s.armLocked(tick(left))
	}
	s.mu.Unlock()
	s.flush()
}

func (s *Session) countdownLocked(k EventKind, left time.Duration) Event {
	return Event{
		Kind:           k,
		SecondsLeft:    int((left + time.Second - 1) / time.Second),
		Deadline:       s.deadline,
		ExtensionsLeft: s.extensionsLeftLocked(),
	}
}

// tick returns the wait until the count of whole seconds left next drops.
func tick(left time.Duration) time.Duration {
	if r := left % time.Second; r != 0 {
		return r
	}
	return time.Second
}

func (s *Session) emitLocked(e Event) { s.pending = append(s.pending, e) }

// flush delivers pending events outside the lock, one deliverer at a time
// so that they arrive in order; a notify that calls back into the session
// only queues, and the running deliverer picks its events up. If notify
// panics, the next flush takes over.
func (s *Session) flush() {
	s.mu.Lock()
	if s.delivering {
		s.mu.Unlock()
		return
	}
	s.delivering = true
	done := false
	defer func() {
		if !done {
			s.mu.Lock()
			s.delivering = false
			s.mu.Unlock()
		}
	}()
	for {
		batch := s.pending
		s.pending = nil
		if len(batch) == 0 {
			s.delivering = false
			done = true
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, e := range batch {
			s.notify(e)
		}
		s.mu.Lock()
	}
}
