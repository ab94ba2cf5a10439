// Package paytermsim emulates a payment terminal on the far side of a
// pseudo-terminal, speaking drivers/payterm's ECR protocol, for tests and for
// guichet-devsim. It approves, declines or never answers (the citizen walked
// away) on command, and like a real terminal it remembers every reference, so
// a repeated PAY never charges twice.
//
// The terminal is reachable at a stable path, a symbolic link the Sim owns
// (as /dev/guichet/payterm would be on a kiosk).
package paytermsim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"guichet/drivers/payterm"
	"guichet/drivers/serialport/serialtest"
)

// Mode is what the emulated citizen does with the next payments.
type Mode string

const (
	Approve Mode = "approve" // pays
	Decline Mode = "decline" // the card is refused
	Stall   Mode = "timeout" // never finishes: the payment stays pending until aborted
)

// Options configure the emulator.
type Options struct {
	Name  string        // the link's name in the directory; "payterm" when empty
	Delay time.Duration // how long the citizen takes before the result
}

// Sim is one emulated terminal.
type Sim struct {
	link string
	pty  *serialtest.PTY
	opts Options

	mu      sync.Mutex
	mode    Mode
	reason  string
	results map[string]payterm.Message // by reference
	charged map[string]int64           // approved amounts, by reference
	serial  int
	done    chan struct{}
}

// New starts a terminal in dir, approving payments.
func New(dir string, opts Options) (*Sim, error) {
	if opts.Name == "" {
		opts.Name = "payterm"
	}
	p, err := serialtest.Open()
	if err != nil {
		return nil, fmt.Errorf("paytermsim: %w", err)
	}
	s := &Sim{
		link: filepath.Join(dir, opts.Name), pty: p, opts: opts, mode: Approve,
		results: map[string]payterm.Message{}, charged: map[string]int64{}, done: make(chan struct{}),
	}
	if err := serialtest.Link(s.link, p.Path); err != nil {
		p.Close()
		return nil, fmt.Errorf("paytermsim: %w", err)
	}
	go s.serve()
	return s, nil
}

// Path is the stable path the kiosk opens.
func (s *Sim) Path() string { return s.link }

// SetMode says what the next payments do; reason is the decline reason.
func (s *Sim) SetMode(m Mode, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode, s.reason = m, reason
}

// Charged reports the amount approved under a reference (0 when none): a
// test checks that a retried payment was charged once.
func (s *Sim) Charged(ref string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.charged[ref]
}

// Exec runs a devsim command: "approve", "decline [reason]", "timeout",
// "status".
func (s *Sim) Exec(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", errors.New("paytermsim: empty command")
	}
	switch f[0] {
	case "approve":
		s.SetMode(Approve, "")
	case "decline":
		reason := "card_refused"
		if len(f) > 1 {
			reason = f[1]
		}
		s.SetMode(Decline, reason)
	case "timeout":
		s.SetMode(Stall, "")
	case "status":
	default:
		return "", fmt.Errorf("paytermsim: unknown command %q (approve, decline [reason], timeout, status)", f[0])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("payterm %s: mode %s, %d payments seen", s.link, s.mode, len(s.results)), nil
}

// Close unplugs the terminal and removes its link.
func (s *Sim) Close() error {
	err := os.Remove(s.link)
	s.pty.Close()
	<-s.done
	return err
}

func (s *Sim) serve() {
	defer close(s.done)
	var lr lineSplitter
	buf := make([]byte, 256)
	for {
		n, err := s.pty.Far.Read(buf)
		for _, l := range lr.feed(buf[:n]) {
			for _, out := range s.answer(l) {
				b, _ := out.Encode()
				if _, err := s.pty.Far.Write(b); err != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// answer is the terminal's logic for one line from the host.
func (s *Sim) answer(line string) []payterm.Message {
	m, err := payterm.Decode(line)
	if err != nil {
		return []payterm.Message{{Verb: "ERR", Detail: "bad_message"}}
	}
	if s.opts.Delay > 0 && m.Verb == "PAY" {
		time.Sleep(s.opts.Delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch m.Verb {
	case "PAY":
		ack := payterm.Message{Verb: "ACK", Ref: m.Ref}
		if r, ok := s.results[m.Ref]; ok {
			if r.Outcome == payterm.Pending {
				return []payterm.Message{ack}
			}
			return []payterm.Message{ack, r}
		}
		r := payterm.Message{Verb: "RESULT", Ref: m.Ref}
		switch s.mode {
		case Approve:
			s.serial++
			r.Outcome, r.Detail = payterm.Approved, fmt.Sprintf("A%06d", s.serial)
			s.charged[m.Ref] = m.Amount
		case Decline:
			r.Outcome, r.Detail = payterm.Declined, s.reason
		case Stall:
			r.Outcome = payterm.Pending
			s.results[m.Ref] = r
			return []payterm.Message{ack}
		}
		s.results[m.Ref] = r
		return []payterm.Message{ack, r}
	case "QUERY":
		if r, ok := s.results[m.Ref]; ok {
			return []payterm.Message{r}
		}
		return []payterm.Message{{Verb: "RESULT", Ref: m.Ref, Outcome: payterm.Unknown}}
	case "ABORT":
		r, ok := s.results[m.Ref]
		if !ok {
			return []payterm.Message{{Verb: "RESULT", Ref: m.Ref, Outcome: payterm.Unknown}}
		}
		if r.Outcome == payterm.Pending {
			r = payterm.Message{Verb: "RESULT", Ref: m.Ref, Outcome: payterm.Declined, Detail: "aborted"}
			s.results[m.Ref] = r
		}
		return []payterm.Message{r}
	}
	return []payterm.Message{{Verb: "ERR", Detail: "unexpected_" + strings.ToLower(m.Verb)}}
}

// lineSplitter cuts the host's byte stream into lines (CR dropped).
type lineSplitter struct{ buf []byte }

func (l *lineSplitter) feed(b []byte) []string {
	var out []string
	for _, c := range b {
		switch c {
		case '\n':
			out = append(out, string(l.buf))
			l.buf = l.buf[:0]
		case '\r':
		default:
			if len(l.buf) < payterm.MaxLine {
				l.buf = append(l.buf, c)
			}
		}
	}
	return out
}
