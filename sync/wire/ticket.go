package wire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// An enrolment ticket is what operations hand a technician to enrol one
// kiosk: a one-time token with everything the kiosk needs to reach the
// registry safely on first contact (its address and the SHA-256 of its CA
// certificate), signed with the registry's document key, whose public half
// the kiosk's image carries. The kiosk scans it with its own QR reader and
// checks it offline before it sends anything.
//
// Its text form, what the QR code holds:
//
//	GUICHET-TICKET.1.<base64url JSON>.<base64url Ed25519 signature>
//
// The signature covers TicketDomain followed by the JSON bytes as they
// appear in the text.

// TicketPrefix starts every ticket's text.
const TicketPrefix = "GUICHET-TICKET.1."

// TicketDomain separates ticket signatures from the key's other uses.
const TicketDomain = "guichet enrolment ticket v1\x00"

// MaxTicketValidity is the longest a ticket is valid.
const MaxTicketValidity = time.Hour

// MaxTicketText bounds a ticket's text (what fits a QR code a kiosk's
// reader scans from a phone or paper at arm's length).
const MaxTicketText = 1024

// TicketSkew is how far ahead of the kiosk's clock a ticket's issue time
// may be (clocks disagree by a little).
const TicketSkew = 5 * time.Minute

// Ticket is a signed single-use enrolment ticket.
type Ticket struct {
	Registry    string    `json:"registry"` // "https://host:port"
	CA          Hash      `json:"ca"`       // SHA-256 of the registry CA certificate (DER)
	Court       string    `json:"court"`
	CountryPack string    `json:"pack"`
	PackVersion int       `json:"pack_version"`
	KioskID     string    `json:"kiosk,omitempty"` // only this kiosk may use it
	Token       string    `json:"token"`           // the one-time enrolment token
	IssuedBy    string    `json:"issued_by"`       // the operator's account
	Issued      time.Time `json:"issued"`
	Expires     time.Time `json:"expires"`
	KeyID       string    `json:"key_id"` // the document key that signs
}

// Validate checks the fields and the validity window (at most
// MaxTicketValidity).
func (t Ticket) Validate() error {
	u, err := url.Parse(t.Registry)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || len(t.Registry) > 256 {
		return invalid("ticket: registry %q is not an https://host:port address", clip(t.Registry))
	}
	if t.CA.IsZero() {
		return invalid("ticket: no CA fingerprint")
	}
	if !validName(t.Court, MaxName) || !validPackCode(t.CountryPack) || t.PackVersion < 0 {
		return invalid("ticket: court %q, pack %q or pack version %d is not valid", clip(t.Court), clip(t.CountryPack), t.PackVersion)
	}
	if t.KioskID != "" && !ValidKioskID(t.KioskID) {
		return invalid("ticket: kiosk id %q is not valid", clip(t.KioskID))
	}
	if len(t.Token) < MinTokenLen || !validName(t.Token, MaxTokenLen) {
		return invalid("ticket: the token is not %d to %d letters, digits, '-', '_' or '.'", MinTokenLen, MaxTokenLen)
	}
	if !validName(t.IssuedBy, MaxName) || !validName(t.KeyID, MaxName) {
		return invalid("ticket: issuer %q or key id %q is not valid", clip(t.IssuedBy), clip(t.KeyID))
	}
	if err := checkTime("ticket issued", t.Issued); err != nil {
		return err
	}
	if err := checkTime("ticket expires", t.Expires); err != nil {
		return err
	}
	if !t.Expires.After(t.Issued) || t.Expires.Sub(t.Issued) > MaxTicketValidity {
		return invalid("ticket: valid from %s to %s: a ticket is valid for at most %s", t.Issued.Format(time.RFC3339), t.Expires.Format(time.RFC3339), MaxTicketValidity)
	}
	return nil
}

var b64 = base64.RawURLEncoding

// Encode validates t, signs it with priv and returns its text.
func (t Ticket) Encode(priv ed25519.PrivateKey) (string, error) {
	if err := t.Validate(); err != nil {
		return "", err
	}
	body, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(priv, append([]byte(TicketDomain), body...))
	text := TicketPrefix + b64.EncodeToString(body) + "." + b64.EncodeToString(sig)
	if len(text) > MaxTicketText {
		return "", invalid("ticket: %d characters, limit %d", len(text), MaxTicketText)
	}
	return text, nil
}

// SignedTicket is a decoded ticket with what its signature covers.
type SignedTicket struct {
	Ticket
	body, sig []byte
}

// ParseTicket decodes a ticket's text strictly. It does not check the
// signature or the time (Verify does).
func ParseTicket(text string) (SignedTicket, error) {
	var st SignedTicket
	text = strings.TrimSpace(text)
	if len(text) > MaxTicketText {
		return st, fmt.Errorf("%w: ticket: %d characters, limit %d", ErrTooLarge, len(text), MaxTicketText)
	}
	rest, ok := strings.CutPrefix(text, TicketPrefix)
	if !ok {
		return st, invalid("this code is not a Guichet enrolment ticket")
	}
	b, s, ok := strings.Cut(rest, ".")
	if !ok {
		return st, fmt.Errorf("%w: ticket: no signature", ErrMalformed)
	}
	var err error
	if st.body, err = b64.DecodeString(b); err != nil {
		return st, fmt.Errorf("%w: ticket body: %w", ErrMalformed, err)
	}
	if st.sig, err = b64.DecodeString(s); err != nil || len(st.sig) != ed25519.SignatureSize {
		return st, fmt.Errorf("%w: ticket signature is not %d bytes of base64url", ErrMalformed, ed25519.SignatureSize)
	}
	dec := json.NewDecoder(bytes.NewReader(st.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st.Ticket); err != nil {
		return st, fmt.Errorf("%w: ticket: %w", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return st, fmt.Errorf("%w: ticket: trailing data", ErrMalformed)
	}
	return st, st.Ticket.Validate()
}

// Verify checks the signature by one of keys (by key id) and that now is
// within the ticket's validity, each with a sentence a technician can act
// on.
func (st SignedTicket) Verify(keys map[string]ed25519.PublicKey, now time.Time) error {
	k, ok := keys[st.KeyID]
	if !ok || len(k) != ed25519.PublicKeySize {
		return invalid("ticket: signed by key %q, which this kiosk does not trust: the ticket is from another registry, or the kiosk's trusted keys are out of date", clip(st.KeyID))
	}
	if !ed25519.Verify(k, append([]byte(TicketDomain), st.body...), st.sig) {
		return invalid("ticket: the signature does not verify: the ticket was altered or forged")
	}
	if now.Add(TicketSkew).Before(st.Issued) {
		return invalid("ticket: issued at %s but the kiosk's clock reads %s: set the kiosk's clock (or let it reach a time server) and scan again", st.Issued.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !now.Before(st.Expires) {
		return invalid("ticket: expired at %s (the kiosk's clock reads %s): ask operations for a new one", st.Expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}
