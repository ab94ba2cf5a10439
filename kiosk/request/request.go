package request

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"guichet/kiosk/tracking"
)

// Request is the index entry of one citizen's request: what the kiosk keeps
// in the clear. It holds no personal data; that is sealed to the registry
// separately and keyed by ID.
type Request struct {
	ID           string          `json:"id"`       // idempotency key: 128 random bits, lower-case hex
	Tracking     tracking.Number `json:"tracking"` // printed on the receipt; empty only while Draft
	Service      string          `json:"service"`  // service id from the country pack
	Court        string          `json:"court"`    // collection court id from the country pack
	Fee          int64           `json:"fee"`      // in the currency's minor unit
	Currency     string          `json:"currency"` // ISO 4217, e.g. "MAD", "XOF"
	State        State           `json:"state"`
	RejectReason string          `json:"reject_reason,omitempty"` // set exactly when State is Rejected
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	KioskID      string          `json:"kiosk_id"`
	PackVersion  int             `json:"pack_version"` // country pack the fee and service came from
}

// ErrInvalid is wrapped by Validate, MarshalBinary and UnmarshalBinary when a
// request breaks one of its invariants.
var ErrInvalid = errors.New("request: invalid")

// NewID returns a fresh idempotency key: 16 bytes from r (crypto/rand if
// nil) in lower-case hex.
func NewID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("request: new id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// MoveTo changes the request's state to to at time at, if Transition allows
// it. reason is required when to is Rejected and must be empty otherwise. On
// error the request is unchanged.
func (r *Request) MoveTo(to State, at time.Time, reason string) error {
	if err := Transition(r.State, to); err != nil {
		return fmt.Errorf("%w (request %s)", err, r.ID)
	}
	switch {
	case to == Rejected && reason == "":
		return fmt.Errorf("request: reject %s: a reason is required", r.ID)
	case to != Rejected && reason != "":
		return fmt.Errorf("request: move %s to %s: a reason is only given for a rejection", r.ID, to)
	case at.IsZero():
		return fmt.Errorf("request: move %s to %s: no time given", r.ID, to)
	case to != Draft && to != Cancelled && r.Tracking == "":
		return fmt.Errorf("request: move %s to %s: no tracking number", r.ID, to)
	}
	r.State = to
	r.RejectReason = reason
	r.UpdatedAt = at
	return nil
}

// Validate checks the invariants every stored request keeps: a well-formed
// ID, a known state, a valid tracking number (absent only while Draft or
// Cancelled from Draft), a reason exactly when rejected, a non-negative fee,
// an ISO 4217 currency code and valid UTF-8 text.
func (r *Request) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	if !validID(r.ID) {
		return bad("id %q is not 32 lower-case hex digits", r.ID)
	}
	if !r.State.Valid() {
		return bad("unknown state %q", string(r.State))
	}
	if r.Tracking != "" && !r.Tracking.Valid() {
		return bad("tracking number %q is not valid", string(r.Tracking))
	}
	if r.Tracking == "" && r.State != Draft && r.State != Cancelled {
		return bad("no tracking number in state %s", r.State)
	}
	if (r.State == Rejected) != (r.RejectReason != "") {
		return bad("reject reason %q in state %s", r.RejectReason, r.State)
	}
	if r.Fee < 0 {
		return bad("negative fee %d", r.Fee)
	}
	if r.Currency != "" && !validCurrency(r.Currency) {
		return bad("currency %q is not an ISO 4217 code", r.Currency)
	}
	if r.PackVersion < 0 {
		return bad("negative pack version %d", r.PackVersion)
	}
	for _, f := range []struct{ name, v string }{
		{"service", r.Service}, {"court", r.Court}, {"reject reason", r.RejectReason}, {"kiosk id", r.KioskID},
	} {
		if !utf8.ValidString(f.v) {
			return bad("%s is not valid UTF-8", f.name)
		}
	}
	return nil
}

func validID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}
