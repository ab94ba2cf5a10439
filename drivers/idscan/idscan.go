package idscan

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"guichet/drivers"
	"guichet/drivers/mrz"
)

// Config is the scanner's part of the kiosk configuration. In JSON the
// durations are Go duration strings:
//
//	{"framing": {"terminator": "\r", "stx_etx": false},
//	 "inter_char_timeout": "300ms", "duplicate_window": "5s"}
type Config struct {
	Framing Framing `json:"framing"`
	// InterCharTimeout: a read in progress is given up (and reported as
	// place_flat when it looked like an MRZ) when no byte comes for this
	// long. Readers send an MRZ in one burst, so a few hundred ms suffice.
	InterCharTimeout time.Duration `json:"inter_char_timeout"`
	// DuplicateWindow: the same card read again before this much time has
	// passed since it was last read gives no event; readers repeat a card
	// left on the glass. Zero turns suppression off.
	DuplicateWindow time.Duration `json:"duplicate_window"`
}

// DefaultConfig suits the common readers: any line terminator, no STX/ETX,
// 300 ms inter-character timeout, 5 s duplicate window.
func DefaultConfig() Config {
	return Config{InterCharTimeout: 300 * time.Millisecond, DuplicateWindow: 5 * time.Second}
}

type configJSON struct {
	Framing          Framing `json:"framing"`
	InterCharTimeout string  `json:"inter_char_timeout"`
	DuplicateWindow  string  `json:"duplicate_window"`
}

// MarshalJSON writes the durations as strings ("300ms").
func (c Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(configJSON{c.Framing, c.InterCharTimeout.String(), c.DuplicateWindow.String()})
}

// UnmarshalJSON reads the durations as strings and checks the result; a
// missing duration keeps DefaultConfig's.
func (c *Config) UnmarshalJSON(b []byte) error {
	var j configJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("idscan: config: %w", err)
	}
	out := DefaultConfig()
	out.Framing = j.Framing
	for _, f := range []struct {
		name string
		s    string
		d    *time.Duration
	}{
		{"inter_char_timeout", j.InterCharTimeout, &out.InterCharTimeout},
		{"duplicate_window", j.DuplicateWindow, &out.DuplicateWindow},
	} {
		if f.s == "" {
			continue
		}
		d, err := time.ParseDuration(f.s)
		if err != nil {
			return fmt.Errorf("idscan: config: %s: %w", f.name, err)
		}
		*f.d = d
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*c = out
	return nil
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	if err := c.Framing.Validate(); err != nil {
		return err
	}
	if c.InterCharTimeout <= 0 {
		return fmt.Errorf("idscan: config: inter_char_timeout %v must be positive", c.InterCharTimeout)
	}
	if c.DuplicateWindow < 0 {
		return fmt.Errorf("idscan: config: duplicate_window %v is negative", c.DuplicateWindow)
	}
	return nil
}

// Option tunes a Reader.
type Option func(*Reader)

// WithEvents sets the function that receives the events, on Run's
// goroutine; it must not block (the UI bridge hands them to fyne.Do).
func WithEvents(f func(Event)) Option { return func(r *Reader) { r.emit = f } }

// WithClock sets the clock: today's date for expiry and two-digit years,
// and the time of each byte for the inter-character timeout and the
// duplicate window. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(r *Reader) { r.now = now } }

// WithMRZOptions sets how MRZs are parsed (the country pack's national
// number location); its Now is replaced by the Reader's clock.
func WithMRZOptions(o mrz.Options) Option { return func(r *Reader) { r.mrzOpts = o } }

// WithLogger sets where the Reader logs what it discards and why, never the
// MRZ itself. The default discards.
func WithLogger(l *slog.Logger) Option { return func(r *Reader) { r.log = l } }

// Reader is the ID-card scanner's driver on one port.
type Reader struct {
	port    drivers.Port
	cfg     Config
	emit    func(Event)
	now     func() time.Time
	mrzOpts mrz.Options
	log     *slog.Logger
	asm     *Assembler
	// seen maps a hash of each recent card's MRZ (never the MRZ itself) to
	// when it was last read, for the duplicate window.
	seen map[[sha256.Size]byte]time.Time
}

// New returns the driver for the scanner on port. The configuration is
// checked by Run.
func New(port drivers.Port, cfg Config, opts ...Option) *Reader {
	r := &Reader{port: port, cfg: cfg, now: time.Now, seen: map[[sha256.Size]byte]time.Time{}}
	for _, o := range opts {
		o(r)
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.mrzOpts.Now = r.now
	r.asm = NewAssembler(cfg.Framing, cfg.InterCharTimeout)
	return r
}

// Stats returns what the framing layer has seen so far. Call it only after
// Run has returned or from the event function.
func (r *Reader) Stats() Stats { return r.asm.Stats() }

// poll is the longest the driver waits in one Read, so that it notices ctx
// and the end of a cut read in good time.
const poll = 100 * time.Millisecond

// Run reads the port until ctx is done (returning ctx.Err()) or the port
// fails (returning its error, wrapped): the Supervisor then reopens it.
func (r *Reader) Run(ctx context.Context) error {
	if err := r.cfg.Validate(); err != nil {
		return err
	}
	if r.emit == nil {
		return errors.New("idscan: no event function (WithEvents)")
	}
	if err := r.port.SetReadTimeout(min(poll, r.cfg.InterCharTimeout)); err != nil {
		return fmt.Errorf("idscan: %w", err)
	}
	buf := make([]byte, 512)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.port.Read(buf)
		if n > 0 {
			for _, c := range r.asm.Feed(buf[:n], r.now()) {
				r.handle(c)
			}
		}
		switch {
		case err == nil:
		case drivers.IsTimeout(err):
			for _, c := range r.asm.Expire(r.now()) {
				r.handle(c)
			}
		case ctx.Err() != nil:
			return ctx.Err()
		default:
			return fmt.Errorf("idscan: %w", err)
		}
	}
}

// handle turns a candidate into an event.
func (r *Reader) handle(c Candidate) {
	if c.Partial {
		r.fail(ReasonPlaceFlat, nil, c.At)
		return
	}
	if r.duplicate(c) {
		r.log.Debug("idscan: same card again within the duplicate window; ignored")
		return
	}
	m, err := mrz.Parse(c.Lines, r.mrzOpts)
	if err != nil { // shaped lines always parse; only a bad country pack pattern gets here
		r.log.Error("idscan: parse", "err", err)
		r.fail(ReasonUnreadable, nil, c.At)
		return
	}
	var fields []string
	for _, e := range m.Errors {
		fields = append(fields, e.Field+":"+string(e.Code))
	}
	switch {
	case m.HasError(mrz.FieldDocumentCode):
		r.fail(ReasonUnreadable, fields, c.At) // cannot even tell what it is
	case !identityDocument(m):
		r.fail(ReasonNotIDCard, nil, c.At)
	case !m.Valid:
		r.fail(ReasonUnreadable, fields, c.At)
	case m.Expired(r.now()):
		r.fail(ReasonExpired, []string{mrz.FieldExpiryDate}, c.At)
	default:
		r.log.Info("idscan: card read", "format", string(m.Format))
		r.emit(CardRead{MRZ: m, At: c.At})
	}
}

func (r *Reader) fail(reason Reason, fields []string, at time.Time) {
	r.log.Info("idscan: read failed", "reason", string(reason), "fields", strings.Join(fields, ","))
	r.emit(ReadFailed{Reason: reason, Message: reason.Message("en"), Fields: fields, At: at})
}

// identityDocument reports whether m is a document the kiosk takes as proof
// of identity: an identity card (TD1 or TD2, codes A, C, I) or a passport
// (TD3, code P); not a visa.
func identityDocument(m *mrz.MRZ) bool {
	if m.Format == mrz.MRVA || m.Format == mrz.MRVB || m.DocumentCode == "" {
		return false
	}
	switch m.DocumentCode[0] {
	case 'A', 'C', 'I':
		return m.Format == mrz.TD1 || m.Format == mrz.TD2
	case 'P':
		return m.Format == mrz.TD3
	}
	return false
}

// duplicate reports whether c's card was read within the duplicate window,
// and records it as read now.
func (r *Reader) duplicate(c Candidate) bool {
	w := r.cfg.DuplicateWindow
	if w <= 0 {
		return false
	}
	for k, t := range r.seen {
		if c.At.Sub(t) >= w {
			delete(r.seen, k)
		}
	}
	key := sha256.Sum256([]byte(strings.Join(c.Lines, "\n")))
	_, dup := r.seen[key]
	r.seen[key] = c.At
	return dup
}
