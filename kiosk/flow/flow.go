package flow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/session"
)

// Config is the flow's policy; zero fields take the defaults below.
type Config struct {
	// Session is the idle-timeout policy (session.DefaultConfig).
	Session session.Config
	// PaymentTimeout bounds one payment on the terminal or phone (3 min).
	PaymentTimeout time.Duration
	// LookupTimeout bounds a registry or directory call (20 s).
	LookupTimeout time.Duration
	// SubmitTimeout bounds Store.Submit (15 s).
	SubmitTimeout time.Duration
	// PrintTimeout bounds a receipt or an extract print (60 s).
	PrintTimeout time.Duration
	// DoneDelay is how long the last screen of a journey (accepted, an
	// error after the session ended) stays before the attract screen (45 s).
	DoneDelay time.Duration
	// ChoicesPerPage and RowsPerPage size the paged lists (8 and 4): no
	// drag-scrolling on the kiosk.
	ChoicesPerPage int
	RowsPerPage    int
	// KioskCourt is the pack court id where the kiosk stands: the court of
	// requests whose form has no collection court.
	KioskCourt string
	// TechnicianPINHash is HashPIN's output; empty disables technician mode.
	TechnicianPINHash string
	// Speech turns spoken guidance on at the start of every session.
	Speech bool
	// Location is the time zone dates are shown in (time.Local).
	Location *time.Location
}

func (c Config) withDefaults() Config {
	if c.Session == (session.Config{}) {
		c.Session = session.DefaultConfig()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PaymentTimeout, 3*time.Minute)
	def(&c.LookupTimeout, 20*time.Second)
	def(&c.SubmitTimeout, 15*time.Second)
	def(&c.PrintTimeout, 60*time.Second)
	def(&c.DoneDelay, 45*time.Second)
	if c.ChoicesPerPage <= 0 {
		c.ChoicesPerPage = 8
	}
	if c.RowsPerPage <= 0 {
		c.RowsPerPage = 4
	}
	if c.Location == nil {
		c.Location = time.Local
	}
	return c
}

// Deps are the flow's collaborators. Pack and Store are required; a nil
// service makes the journeys that need it say "service unavailable".
type Deps struct {
	Pack       *pack.Pack
	Store      Store
	Payments   PaymentProvider
	Receipts   ReceiptPrinter
	Fines      FineLookup
	Directory  Directory
	Tracker    Tracker
	Extracts   ExtractFetcher
	Documents  DocumentPrinter
	Technician Technician
	Speaker    Speaker // nil: silent
	Clock      clock.Clock
	Logger     *slog.Logger
	Rand       io.Reader // request ids (crypto/rand)
	// Changed is called, never with the flow's lock held, after the screen
	// changed; the UI's bridge re-renders with fyne.Do(… Screen() …). It
	// must not block.
	Changed func()
	// Go runs blocking work (payments, submissions, lookups, prints);
	// nil means a new goroutine. Tests may run it inline.
	Go func(func())
}

// CardFailure is why the ID card reader could not give a card (the reasons
// of drivers/idscan.ReadFailed).
type CardFailure string

// The card failures.
const (
	CardPlaceFlat  CardFailure = "place_flat"
	CardUnreadable CardFailure = "unreadable"
	CardExpired    CardFailure = "expired"
	CardNotIDCard  CardFailure = "not_id_card"
)

// Card is what the ID card's MRZ says, converted by the main from
// drivers/mrz.MRZ. It is personal data: never log it.
type Card struct {
	DocumentCode   string
	IssuingState   string
	DocumentNumber string
	NationalNumber string // "" when the card carries none the pack reads
	Surname        string
	GivenNames     string // parts separated by spaces
	BirthDate      string // 2006-01-02; "" when unknown
	ExpiryDate     string // 2006-01-02
	Sex            string
	Nationality    string
	// ChecksOK is mrz.MRZ.Valid: every check digit verified.
	ChecksOK bool
}

// cardValue returns the card value a form field's CardField names
// (form.CardFields).
func (c Card) cardValue(name string) string {
	switch name {
	case "surname":
		return c.Surname
	case "given_names":
		return c.GivenNames
	case "birth_date":
		return c.BirthDate
	case "expiry_date":
		return c.ExpiryDate
	case "document_number":
		return c.DocumentNumber
	case "national_number":
		return c.NationalNumber
	case "sex":
		return c.Sex
	case "nationality":
		return c.Nationality
	}
	return ""
}

func (c Card) mrzFields() map[string]string {
	m := map[string]string{}
	for _, name := range form.CardFields {
		if v := c.cardValue(name); v != "" {
			m[name] = v
		}
	}
	if c.IssuingState != "" {
		m["issuing_state"] = c.IssuingState
	}
	return m
}

// Flow is the kiosk's citizen journey and technician mode. Its methods are
// safe for concurrent use: the UI, the device bridge and timers call them.
type Flow struct {
	cfg  Config
	deps Deps
	p    *pack.Pack
	clk  clock.Clock
	log  *slog.Logger

	mu      sync.Mutex
	st      state
	screen  Screen
	seq     uint64
	spoken  string // what was last said, so a repaint does not repeat it
	sessGen uint64
	closed  bool
}

// New builds the flow for a pack and shows the attract screen.
func New(cfg Config, deps Deps) (*Flow, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Session.Validate(); err != nil {
		return nil, fmt.Errorf("flow: %w", err)
	}
	if deps.Pack == nil {
		return nil, errors.New("flow: no country pack")
	}
	if deps.Store == nil {
		return nil, errors.New("flow: no store")
	}
	if cfg.TechnicianPINHash != "" {
		if _, err := parsePINHash(cfg.TechnicianPINHash); err != nil {
			return nil, err
		}
	}
	if cfg.KioskCourt != "" {
		if _, ok := deps.Pack.Court(cfg.KioskCourt); !ok {
			return nil, fmt.Errorf("flow: kiosk court %q is not in pack %s", cfg.KioskCourt, deps.Pack.Code)
		}
	}
	if deps.Clock == nil {
		deps.Clock = clock.System
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Rand == nil {
		deps.Rand = rand.Reader
	}
	if deps.Go == nil {
		deps.Go = func(f func()) { go f() }
	}
	f := &Flow{cfg: cfg, deps: deps, p: deps.Pack, clk: deps.Clock, log: deps.Logger}
	f.st = newState(f)
	f.mu.Lock()
	f.screen = f.render()
	f.mu.Unlock()
	return f, nil
}

// Screen returns the current view-model.
func (f *Flow) Screen() Screen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.screen
}

// Close ends any session (wiping it) and stops the flow's timers.
func (f *Flow) Close() {
	f.update(func(fx *effects) {
		f.endSession(fx, false)
		f.closed = true
	})
}

// effects are what an update does once the lock is released.
type effects struct {
	jobs    []func()
	touch   bool
	extend  bool
	wipe    *session.Session
	timers  []func()
	changed bool
}

func (fx *effects) job(j func()) { fx.jobs = append(fx.jobs, j) }

// update runs fn under the lock, re-renders, then runs the effects.
func (f *Flow) update(fn func(fx *effects)) {
	fx := &effects{changed: true}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	fn(fx)
	var say, lang string
	if fx.changed {
		f.seq++
		f.screen = f.render()
		say, lang = f.speechLocked()
	}
	sess := f.st.sess
	speaker := f.deps.Speaker
	f.mu.Unlock()

	if fx.wipe != nil {
		fx.wipe.Wipe()
		if speaker != nil {
			speaker.Stop()
		}
	}
	if sess != nil {
		if fx.extend {
			_ = sess.Extend()
		} else if fx.touch {
			sess.Touch()
		}
	}
	if say != "" && speaker != nil {
		speaker.Say(lang, say)
	}
	for _, t := range fx.timers {
		t()
	}
	if fx.changed && f.deps.Changed != nil {
		f.deps.Changed()
	}
	for _, j := range fx.jobs {
		f.deps.Go(j)
	}
}

// speechLocked returns what to say for the screen just rendered, once.
func (f *Flow) speechLocked() (string, string) {
	s := f.screen
	if !s.Access.Speech || s.Lang == "" {
		return "", ""
	}
	text := s.Title
	for _, l := range s.Lines {
		if l.Role == RoleError || l.Role == RoleBody || l.Role == RoleEmphasis {
			text += ". " + l.Text
			break
		}
	}
	if s.Field != nil && s.Field.Error != "" {
		text += ". " + s.Field.Error
	} else if s.Field != nil && s.Field.Label != "" {
		text += ". " + s.Field.Label
	}
	if s.Countdown != nil {
		text = s.Countdown.Text
	}
	text = stripIsolates(text)
	if text == f.spoken {
		return "", ""
	}
	f.spoken = text
	return text, s.Lang
}

// Intents.

// Presence is the presence sensor: someone stands in front of the kiosk.
// It wakes the attract screen.
func (f *Flow) Presence() {
	f.update(func(fx *effects) {
		if f.st.kind == KindAttract {
			f.wake(fx)
		}
	})
}

// Tap is a tap on the button with that id (Button.ID).
func (f *Flow) Tap(id string) {
	f.update(func(fx *effects) { f.tap(fx, id) })
}

// Type appends text, typed on the on-screen keyboard, to the field with
// that id (the field on screen; anything else is ignored).
func (f *Flow) Type(field, text string) {
	f.update(func(fx *effects) { f.typeText(fx, field, text) })
}

// CardRead is a card read by the ID card reader.
func (f *Flow) CardRead(c Card) {
	f.update(func(fx *effects) { f.cardRead(fx, c) })
}

// CardFailed is a read the ID card reader could not complete.
func (f *Flow) CardFailed(reason CardFailure) {
	f.update(func(fx *effects) { f.cardFailed(fx, reason) })
}

// Scanned is a code read by the QR reader (a receipt, a PV, an extract).
func (f *Flow) Scanned(payload string) {
	f.update(func(fx *effects) { f.scanned(fx, payload) })
}

// ScanFailed is a read the QR reader could not complete; reason is one of
// kiosk/scan's message keys (scan.Messages), as drivers/qrscan reports it.
func (f *Flow) ScanFailed(reason string) {
	f.update(func(fx *effects) { f.scanFailed(fx, reason) })
}

// ServiceKey is the technician's key switch (GPIO): turned on, the kiosk
// wipes any citizen session and asks for the PIN; turned off, it leaves
// technician mode.
func (f *Flow) ServiceKey(on bool) {
	f.update(func(fx *effects) { f.serviceKey(fx, on) })
}

// SetConnectivity updates the status strip's registry link.
func (f *Flow) SetConnectivity(c Connectivity) {
	f.update(func(fx *effects) { f.st.conn = c })
}

// SetPaused pauses the kiosk for a software update being activated: the
// attract screen says it is back in a moment and no session starts until
// it is resumed. A session in progress is never interrupted (the updater
// activates only when none is).
func (f *Flow) SetPaused(on bool) {
	f.update(func(fx *effects) { f.st.paused = on })
}

// SetPrinter updates the status strip's receipt printer state.
func (f *Flow) SetPrinter(s PrinterState) {
	f.update(func(fx *effects) { f.st.printer = s })
}

// Sessions.

// startSession begins a citizen's session; the lock is held.
func (f *Flow) startSession(fx *effects) {
	f.endSession(fx, false)
	f.sessGen++
	gen := f.sessGen
	s, err := session.New(f.cfg.Session, f.clk, func(e session.Event) { f.sessionEvent(gen, e) })
	if err != nil { // the config was validated in New
		f.log.Error("flow: session", "err", err)
		return
	}
	f.st.sess = s
	f.st.access = Access{Speech: f.cfg.Speech}
}

// endSession wipes the session and forgets the journey; the lock is held.
func (f *Flow) endSession(fx *effects, expired bool) {
	if f.st.sess != nil {
		fx.wipe = f.st.sess
		f.st.sess = nil
	}
	f.st.countdown = nil
	f.st.resetJourney()
	f.st.access = Access{}
	f.st.lang = ""
	f.st.ended = expired
	f.st.epoch++
	f.spoken = ""
	f.stopDoneTimer()
}

func (f *Flow) sessionEvent(gen uint64, e session.Event) {
	f.update(func(fx *effects) {
		if gen != f.sessGen || f.st.sess == nil {
			fx.changed = false
			return
		}
		switch e.Kind {
		case session.EventWarning, session.EventCountdown:
			if f.st.busy {
				// A payment or submission is in progress: the citizen is
				// at the terminal, not idle.
				fx.extend = true
				return
			}
			f.st.countdown = &e
		case session.EventExtended:
			f.st.countdown = nil
		case session.EventExpired:
			f.st.sess = nil // already wiped by the session
			f.endSession(fx, true)
			f.st.kind = KindAttract
			f.log.Info("flow: session expired; personal data wiped")
		}
	})
}

// The done timer returns to the attract screen after the last screen of a
// journey.

func (f *Flow) armDoneTimer() {
	f.stopDoneTimer()
	epoch := f.st.epoch
	f.st.doneTimer = f.clk.AfterFunc(f.cfg.DoneDelay, func() {
		f.update(func(fx *effects) {
			if f.st.epoch != epoch {
				return
			}
			f.finish(fx)
		})
	})
}

func (f *Flow) stopDoneTimer() {
	if f.st.doneTimer != nil {
		f.st.doneTimer.Stop()
		f.st.doneTimer = nil
	}
}

// finish ends the journey and shows the attract screen.
func (f *Flow) finish(fx *effects) {
	f.endSession(fx, false)
	f.st.kind = KindAttract
}

// ctx gives a blocking call its deadline.
func (f *Flow) ctx(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// now is the flow clock's time.
func (f *Flow) now() time.Time { return f.clk.Now() }
