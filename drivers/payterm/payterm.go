package payterm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"guichet/drivers"
)

// Config sets the terminal's timings.
type Config struct {
	// AckTimeout bounds the wait for the terminal's ACK of a PAY: a terminal
	// that does not acknowledge is off or unplugged.
	AckTimeout time.Duration `json:"ack_timeout"`
	// ResultTimeout bounds the wait for the citizen to pay (insert the card,
	// type the PIN, confirm on the phone).
	ResultTimeout time.Duration `json:"result_timeout"`
	// QueryTimeout bounds each QUERY and ABORT exchange.
	QueryTimeout time.Duration `json:"query_timeout"`
}

// DefaultConfig suits a card terminal with a PIN pad.
func DefaultConfig() Config {
	return Config{AckTimeout: 3 * time.Second, ResultTimeout: 120 * time.Second, QueryTimeout: 3 * time.Second}
}

// Authorisation is the terminal's answer for one payment.
type Authorisation struct {
	Ref     string
	Outcome Outcome // Approved or Declined
	Code    string  // the authorisation code, when approved
	Reason  string  // the terminal's reason, when declined ("aborted" after a time-out)
}

var (
	// ErrNoTerminal means the terminal did not acknowledge: off, unplugged or
	// not answering. Nothing was charged.
	ErrNoTerminal = errors.New("payterm: the payment terminal does not answer")
	// ErrUndetermined means the payment's fate is not known: the terminal
	// stopped answering after it acknowledged. Query the reference later;
	// never take it as paid or as unpaid.
	ErrUndetermined = errors.New("payterm: the payment's outcome is not known yet")
)

// Terminal is one payment terminal on a port. Its methods are safe for
// concurrent use; exchanges are serialised.
type Terminal struct {
	port drivers.Port
	cfg  Config
	now  func() time.Time

	mu      sync.Mutex
	lr      lineReader
	pending []string // lines read but not yet consumed (an ACK and its RESULT often come in one read)
}

// New drives the terminal on port.
func New(port drivers.Port, cfg Config) *Terminal {
	return &Terminal{port: port, cfg: cfg, now: time.Now}
}

// Pay asks the citizen to pay amount (minor units) of currency by method,
// under the reference ref. It returns the authorisation when the terminal
// answered APPROVED or DECLINED. When the citizen does not finish in
// ResultTimeout (or ctx ends), Pay asks the terminal, aborts a payment still
// pending, and returns Declined with reason "aborted" — or Approved if the
// payment went through before the abort.
func (t *Terminal) Pay(ctx context.Context, ref string, amount int64, currency, method string) (Authorisation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.send(Message{Verb: "PAY", Ref: ref, Amount: amount, Currency: currency, Method: method}); err != nil {
		return Authorisation{}, err
	}
	m, err := t.await(ctx, ref, t.cfg.AckTimeout, "ACK", "RESULT")
	if err != nil {
		if errors.Is(err, errWait) {
			return Authorisation{}, fmt.Errorf("%w (no ACK in %v)", ErrNoTerminal, t.cfg.AckTimeout)
		}
		return Authorisation{}, err
	}
	if m.Verb == "ACK" {
		m, err = t.await(ctx, ref, t.cfg.ResultTimeout, "RESULT")
	}
	if err == nil {
		if a, done := final(m); done {
			return a, nil
		}
	} else if !errors.Is(err, errWait) {
		return Authorisation{}, err
	}
	return t.settle(ref)
}

// Query asks the terminal what became of a reference: Approved or Declined,
// or ErrUndetermined when it is still pending or unknown to the terminal.
func (t *Terminal) Query(ctx context.Context, ref string) (Authorisation, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m, err := t.exchange(ctx, Message{Verb: "QUERY", Ref: ref})
	if err != nil {
		return Authorisation{}, err
	}
	if a, done := final(m); done {
		return a, nil
	}
	return Authorisation{Ref: ref}, fmt.Errorf("%w: terminal says %s", ErrUndetermined, m.Outcome)
}

// settle ends a payment whose result did not come in time: QUERY, then ABORT
// if it is still pending. It runs on a fresh context: giving up on the
// citizen must not mean giving up on knowing whether they paid.
func (t *Terminal) settle(ref string) (Authorisation, error) {
	ctx := context.Background()
	m, err := t.exchange(ctx, Message{Verb: "QUERY", Ref: ref})
	if err != nil {
		return Authorisation{Ref: ref}, fmt.Errorf("%w: %v", ErrUndetermined, err)
	}
	if a, done := final(m); done {
		return a, nil
	}
	m, err = t.exchange(ctx, Message{Verb: "ABORT", Ref: ref})
	if err != nil {
		return Authorisation{Ref: ref}, fmt.Errorf("%w: %v", ErrUndetermined, err)
	}
	if a, done := final(m); done {
		return a, nil
	}
	return Authorisation{Ref: ref}, fmt.Errorf("%w: terminal says %s after ABORT", ErrUndetermined, m.Outcome)
}

func final(m Message) (Authorisation, bool) {
	switch m.Outcome {
	case Approved:
		return Authorisation{Ref: m.Ref, Outcome: Approved, Code: m.Detail}, true
	case Declined:
		return Authorisation{Ref: m.Ref, Outcome: Declined, Reason: m.Detail}, true
	}
	return Authorisation{}, false
}

func (t *Terminal) exchange(ctx context.Context, m Message) (Message, error) {
	if err := t.send(m); err != nil {
		return Message{}, err
	}
	r, err := t.await(ctx, m.Ref, t.cfg.QueryTimeout, "RESULT")
	if errors.Is(err, errWait) {
		return Message{}, fmt.Errorf("%w (no answer to %s in %v)", ErrNoTerminal, m.Verb, t.cfg.QueryTimeout)
	}
	return r, err
}

func (t *Terminal) send(m Message) error {
	b, err := m.Encode()
	if err != nil {
		return err
	}
	if _, err := t.port.Write(b); err != nil {
		return fmt.Errorf("payterm: write %s: %w", m.Verb, err)
	}
	return nil
}

// errWait is await's time-out; callers turn it into what it means for them.
var errWait = errors.New("payterm: wait timed out")

// await reads lines until one of verbs arrives for ref (lines for other
// references, stale answers, are skipped) or the wait ends.
func (t *Terminal) await(ctx context.Context, ref string, wait time.Duration, verbs ...string) (Message, error) {
	deadline := t.now().Add(wait)
	var buf [128]byte
	for {
		for len(t.pending) > 0 {
			l := t.pending[0]
			t.pending = t.pending[1:]
			m, derr := Decode(l)
			if derr != nil {
				continue // garbage on the line: wait for a well-formed answer
			}
			if m.Verb == "ERR" {
				return Message{}, fmt.Errorf("payterm: terminal error: %s", m.Detail)
			}
			if m.Ref != ref {
				continue
			}
			for _, v := range verbs {
				if m.Verb == v {
					return m, nil
				}
			}
		}
		left := deadline.Sub(t.now())
		if left <= 0 {
			return Message{}, errWait
		}
		if err := ctx.Err(); err != nil {
			return Message{}, errWait
		}
		if err := t.port.SetReadTimeout(min(left, 200*time.Millisecond)); err != nil {
			return Message{}, fmt.Errorf("payterm: %w", err)
		}
		n, err := t.port.Read(buf[:])
		lines, _ := t.lr.feed(buf[:n])
		t.pending = append(t.pending, lines...)
		if err != nil && !drivers.IsTimeout(err) {
			return Message{}, fmt.Errorf("payterm: read: %w", err)
		}
	}
}
