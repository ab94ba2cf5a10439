package payterm

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Outcome is what the terminal says of a payment.
type Outcome string

const (
	Approved Outcome = "APPROVED"
	Declined Outcome = "DECLINED"
	Pending  Outcome = "PENDING"
	Unknown  Outcome = "UNKNOWN"
)

// Message is one line of the protocol.
type Message struct {
	Verb     string // PAY, ACK, RESULT, QUERY, ABORT, ERR
	Ref      string
	Amount   int64   // PAY
	Currency string  // PAY
	Method   string  // PAY
	Outcome  Outcome // RESULT
	Detail   string  // RESULT: authorisation code or decline reason; ERR: reason
}

// MaxLine bounds a line; anything longer is garbage.
const MaxLine = 256

var (
	refPattern    = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	tokenPattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	errBadMessage = errors.New("payterm: bad message")
)

// Encode renders a message as one line with its CR LF.
func (m Message) Encode() ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	var s string
	switch m.Verb {
	case "PAY":
		s = fmt.Sprintf("PAY %s %d %s %s", m.Ref, m.Amount, m.Currency, m.Method)
	case "ACK", "QUERY", "ABORT":
		s = m.Verb + " " + m.Ref
	case "RESULT":
		s = "RESULT " + m.Ref + " " + string(m.Outcome)
		if m.Detail != "" {
			s += " " + m.Detail
		}
	case "ERR":
		s = "ERR " + m.Detail
	}
	return []byte(s + "\r\n"), nil
}

// Decode parses one line (without its CR LF). It is strict: an unknown verb,
// a missing or extra field, a bad reference or amount is an error.
func Decode(line string) (Message, error) {
	if len(line) > MaxLine {
		return Message{}, fmt.Errorf("%w: line of %d bytes", errBadMessage, len(line))
	}
	f := strings.Split(line, " ")
	m := Message{Verb: f[0]}
	bad := func(why string) (Message, error) {
		return Message{}, fmt.Errorf("%w: %s: %q", errBadMessage, why, clip(line))
	}
	switch m.Verb {
	case "PAY":
		if len(f) != 5 {
			return bad("PAY takes 4 fields")
		}
		amount, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || amount <= 0 || f[2][0] == '+' || (len(f[2]) > 1 && f[2][0] == '0') {
			return bad("amount")
		}
		m.Ref, m.Amount, m.Currency, m.Method = f[1], amount, f[3], f[4]
	case "ACK", "QUERY", "ABORT":
		if len(f) != 2 {
			return bad(m.Verb + " takes 1 field")
		}
		m.Ref = f[1]
	case "RESULT":
		if len(f) < 3 || len(f) > 4 {
			return bad("RESULT takes 2 or 3 fields")
		}
		m.Ref, m.Outcome = f[1], Outcome(f[2])
		if len(f) == 4 {
			m.Detail = f[3]
		}
	case "ERR":
		if len(f) != 2 {
			return bad("ERR takes 1 field")
		}
		m.Detail = f[1]
	default:
		return bad("unknown verb")
	}
	if err := m.check(); err != nil {
		return Message{}, err
	}
	return m, nil
}

func (m Message) check() error {
	bad := func(why string) error { return fmt.Errorf("%w: %s %s", errBadMessage, m.Verb, why) }
	if m.Verb != "ERR" && !refPattern.MatchString(m.Ref) {
		return bad("reference")
	}
	switch m.Verb {
	case "PAY":
		if m.Amount <= 0 {
			return bad("amount")
		}
		if len(m.Currency) != 3 || strings.ToUpper(m.Currency) != m.Currency || !tokenPattern.MatchString(m.Currency) {
			return bad("currency")
		}
		if !tokenPattern.MatchString(m.Method) {
			return bad("method")
		}
	case "ACK", "QUERY", "ABORT":
	case "RESULT":
		switch m.Outcome {
		case Approved, Declined:
			if !tokenPattern.MatchString(m.Detail) {
				return bad("detail")
			}
		case Pending, Unknown:
			if m.Detail != "" {
				return bad("detail")
			}
		default:
			return bad("outcome")
		}
	case "ERR":
		if !tokenPattern.MatchString(m.Detail) {
			return bad("reason")
		}
	default:
		return bad("verb")
	}
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// lineReader splits a byte stream into lines, dropping CR, refusing lines
// longer than MaxLine (the rest of such a line is skipped).
type lineReader struct {
	buf  []byte
	skip bool
}

// feed adds bytes and returns the complete lines they finish.
func (r *lineReader) feed(b []byte) (lines []string, overlong int) {
	for _, c := range b {
		switch {
		case c == '\n':
			if r.skip {
				overlong++
			} else {
				lines = append(lines, string(r.buf))
			}
			r.buf, r.skip = r.buf[:0], false
		case c == '\r':
		case r.skip:
		case len(r.buf) >= MaxLine:
			r.skip, r.buf = true, r.buf[:0]
		default:
			r.buf = append(r.buf, c)
		}
	}
	return lines, overlong
}
