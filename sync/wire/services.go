package wire

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// The online services a kiosk asks the registry for while a citizen waits:
// the radar-fine lookup, and the download of a ready extract with the
// record of its delivery. Each needs the kiosk's certificate.

// MaxServiceBody bounds FinesQuery, FinesResponse, ExtractRequest,
// DeliveredRequest and DeliveredAck.
const MaxServiceBody = 64 << 10

// MaxExtractBody bounds ExtractResponse: the extract's JSON (at most 64 KiB,
// kiosk/extract.MaxJSON) in base64 and the signers document.
const MaxExtractBody = 512 << 10

// MaxFines bounds the fines of one FinesResponse.
const MaxFines = 100

// MaxNumber bounds a national number, an ID card number or a PV number.
const MaxNumber = 32

// FinesQuery is the body of POST /v1/fines: the unpaid radar fines of a
// national number or of a PV number (exactly one is set). It is a POST so
// that the national number stays out of URLs and access logs.
type FinesQuery struct {
	KioskID        string `json:"kiosk_id"`
	MessageID      string `json:"message_id"`
	NationalNumber string `json:"national_number,omitempty"`
	PVNumber       string `json:"pv_number,omitempty"` // canonical: 12345678-RF-2024
}

func (FinesQuery) maxBody() int { return MaxServiceBody }

// Validate checks the header and that exactly one number is set.
func (q FinesQuery) Validate() error {
	if err := checkHeader(q.KioskID, q.MessageID); err != nil {
		return err
	}
	if (q.NationalNumber == "") == (q.PVNumber == "") {
		return invalid("a fines query names a national number or a PV number, exactly one")
	}
	if q.NationalNumber != "" && !validName(q.NationalNumber, MaxNumber) {
		return invalid("national number %q is not valid", clip(q.NationalNumber))
	}
	if q.PVNumber != "" && !validName(q.PVNumber, MaxNumber) {
		return invalid("PV number %q is not valid", clip(q.PVNumber))
	}
	return nil
}

// Fine is one unpaid radar fine with a judgment.
type Fine struct {
	PVNumber string    `json:"pv_number"`
	Amount   int64     `json:"amount"`   // minor units of Currency
	Currency string    `json:"currency"` // ISO 4217
	Date     time.Time `json:"date"`     // the offence
	Place    string    `json:"place"`    // where the radar stands
	Court    string    `json:"court,omitempty"`
}

// Validate checks every field.
func (f Fine) Validate() error {
	if !validName(f.PVNumber, MaxNumber) {
		return invalid("fine: PV number %q is not valid", clip(f.PVNumber))
	}
	if f.Amount <= 0 || f.Amount > 1e12 {
		return invalid("fine %s: amount %d is out of range", f.PVNumber, f.Amount)
	}
	if !validCurrency(f.Currency) {
		return invalid("fine %s: currency %q is not an ISO 4217 code", f.PVNumber, clip(f.Currency))
	}
	if err := checkTime("fine date", f.Date); err != nil {
		return err
	}
	if f.Place == "" || !validText(f.Place, MaxName*2) {
		return invalid("fine %s: place %q is not valid", f.PVNumber, clip(f.Place))
	}
	if f.Court != "" && !validName(f.Court, MaxName) {
		return invalid("fine %s: court %q is not valid", f.PVNumber, clip(f.Court))
	}
	return nil
}

func validCurrency(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// FinesResponse answers a FinesQuery: the unpaid fines, oldest first; none
// is an empty list, not an error.
type FinesResponse struct {
	KioskID   string `json:"kiosk_id"`
	MessageID string `json:"message_id"`
	Fines     []Fine `json:"fines"`
}

func (FinesResponse) maxBody() int { return MaxServiceBody }

// Validate checks the header and every fine.
func (r FinesResponse) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if r.Fines == nil {
		return invalid("fines is missing")
	}
	if len(r.Fines) > MaxFines {
		return invalid("%d fines, limit %d", len(r.Fines), MaxFines)
	}
	for _, f := range r.Fines {
		if err := f.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Holder is who presents themself to collect an extract, as read from the
// ID card at the kiosk. The registry compares it with the extract's holder.
type Holder struct {
	NationalNumber string `json:"national_number"`
	DocumentNumber string `json:"document_number,omitempty"`
	BirthDate      string `json:"birth_date"` // 2006-01-02
}

func (h Holder) validate() error {
	if !validName(h.NationalNumber, MaxNumber) {
		return invalid("holder: national number %q is not valid", clip(h.NationalNumber))
	}
	if h.DocumentNumber != "" && !validName(h.DocumentNumber, MaxNumber) {
		return invalid("holder: document number %q is not valid", clip(h.DocumentNumber))
	}
	if _, err := time.Parse(time.DateOnly, h.BirthDate); err != nil {
		return invalid("holder: birth date %q is not YYYY-MM-DD", clip(h.BirthDate))
	}
	return nil
}

// ExtractRequest is the body of POST /v1/extract: the kiosk asks for the
// signed extract of a ready request on behalf of the holder standing at it.
type ExtractRequest struct {
	KioskID   string          `json:"kiosk_id"`
	MessageID string          `json:"message_id"`
	Tracking  tracking.Number `json:"tracking"`
	Holder    Holder          `json:"holder"`
}

func (ExtractRequest) maxBody() int { return MaxServiceBody }

// Validate checks the header, the tracking number and the holder.
func (r ExtractRequest) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if !r.Tracking.Valid() {
		return invalid("tracking number %q is not valid", clip(string(r.Tracking)))
	}
	return r.Holder.validate()
}

// MaxExtractJSON bounds ExtractResponse.Extract (kiosk/extract.MaxJSON).
const MaxExtractJSON = 64 << 10

// ExtractResponse carries the extract's JSON (kiosk/extract), with the
// clerk's and prosecutor's signatures, and the signers document that lists
// their public keys, signed by a document key the kiosk pinned at
// enrolment. The kiosk verifies both before it prints.
type ExtractResponse struct {
	KioskID   string          `json:"kiosk_id"`
	MessageID string          `json:"message_id"`
	Tracking  tracking.Number `json:"tracking"`
	Extract   []byte          `json:"extract"`
	Signers   SignedDocument  `json:"signers"`
}

func (ExtractResponse) maxBody() int { return MaxExtractBody }

// Validate checks the shape; the signatures need the pinned keys.
func (r ExtractResponse) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if !r.Tracking.Valid() {
		return invalid("tracking number %q is not valid", clip(string(r.Tracking)))
	}
	if len(r.Extract) == 0 || len(r.Extract) > MaxExtractJSON || !json.Valid(r.Extract) {
		return invalid("extract is not 1 to %d bytes of JSON", MaxExtractJSON)
	}
	if r.Signers.Name != DocSigners {
		return invalid("signers document is named %q, want %q", clip(r.Signers.Name), DocSigners)
	}
	return r.Signers.Validate()
}

// DeliveredRequest is the body of POST /v1/delivered: the kiosk printed the
// extract of Tracking and handed it over. A replay is answered the same.
type DeliveredRequest struct {
	KioskID   string          `json:"kiosk_id"`
	MessageID string          `json:"message_id"`
	Tracking  tracking.Number `json:"tracking"`
	At        time.Time       `json:"at"` // the kiosk's clock when it printed
}

func (DeliveredRequest) maxBody() int { return MaxServiceBody }

// Validate checks the header, the tracking number and the time.
func (r DeliveredRequest) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if !r.Tracking.Valid() {
		return invalid("tracking number %q is not valid", clip(string(r.Tracking)))
	}
	return checkTime("at", r.At)
}

// DeliveredAck confirms a delivery: the request is now delivered.
type DeliveredAck struct {
	KioskID   string          `json:"kiosk_id"`
	MessageID string          `json:"message_id"`
	Tracking  tracking.Number `json:"tracking"`
	State     request.State   `json:"state"`
}

func (DeliveredAck) maxBody() int { return MaxServiceBody }

// Validate checks the header and that the state is delivered.
func (a DeliveredAck) Validate() error {
	if err := checkHeader(a.KioskID, a.MessageID); err != nil {
		return err
	}
	if !a.Tracking.Valid() {
		return invalid("tracking number %q is not valid", clip(string(a.Tracking)))
	}
	if a.State != request.Delivered {
		return invalid("delivery acknowledged in state %q", clip(string(a.State)))
	}
	return nil
}

// The names of the signed documents the registry publishes.
const (
	DocProfessionals = "professionals" // the directory of justice professionals (Professionals)
	DocSigners       = "signers"       // the clerks' and prosecutors' extract keys (Signers)
)

// MaxDocumentKeys bounds the document keys given at enrolment.
const MaxDocumentKeys = 8

func checkDocumentKeys(keys map[string][]byte) error {
	if len(keys) > MaxDocumentKeys {
		return invalid("%d document keys, limit %d", len(keys), MaxDocumentKeys)
	}
	for id, k := range keys {
		if !validName(id, MaxName) {
			return invalid("document key id %q is not valid", clip(id))
		}
		if len(k) != ed25519.PublicKeySize {
			return invalid("document key %s is %d bytes, want %d", id, len(k), ed25519.PublicKeySize)
		}
	}
	return nil
}

// Signer is one public key that signs extracts, as listed in the signers
// document.
type Signer struct {
	KeyID  string `json:"key_id"`
	Role   string `json:"role"` // "clerk" or "prosecutor" (kiosk/extract.Role)
	Court  string `json:"court"`
	Public []byte `json:"public"` // 32 bytes
}

// MaxSigners bounds the signers document.
const MaxSigners = 10000

// ParseSigners decodes the payload of a signers document strictly.
func ParseSigners(payload []byte) ([]Signer, error) {
	var out []Signer
	if err := decodeList(payload, &out, MaxSigners, "signers"); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for i, s := range out {
		switch {
		case !validName(s.KeyID, MaxName):
			return nil, invalid("signers[%d]: key id %q is not valid", i, clip(s.KeyID))
		case seen[s.KeyID]:
			return nil, invalid("signers[%d]: key id %s listed twice", i, s.KeyID)
		case s.Role != "clerk" && s.Role != "prosecutor":
			return nil, invalid("signers[%d]: role %q is not clerk or prosecutor", i, clip(s.Role))
		case !validName(s.Court, MaxName):
			return nil, invalid("signers[%d]: court %q is not valid", i, clip(s.Court))
		case len(s.Public) != ed25519.PublicKeySize:
			return nil, invalid("signers[%d]: public key is %d bytes, want %d", i, len(s.Public), ed25519.PublicKeySize)
		}
		seen[s.KeyID] = true
	}
	return out, nil
}

// Professional is one entry of the directory of justice professionals.
type Professional struct {
	NameLatin    string    `json:"name_latin"`
	NameArabic   string    `json:"name_arabic,omitempty"`
	Profession   string    `json:"profession"` // the pack's choice value: lawyer, notary, adoul, bailiff…
	Registration string    `json:"registration"`
	City         string    `json:"city"` // the pack's city id
	Address      string    `json:"address"`
	Phone        string    `json:"phone,omitempty"`
	Languages    []string  `json:"languages,omitempty"` // ISO 639-1
	Status       string    `json:"status"`              // active, suspended, struck_off
	UpdatedAt    time.Time `json:"updated_at"`
}

// MaxProfessionals bounds the directory.
const MaxProfessionals = 50000

// ParseProfessionals decodes the payload of a professionals document
// strictly: every entry complete, statuses and languages known.
func ParseProfessionals(payload []byte) ([]Professional, error) {
	var out []Professional
	if err := decodeList(payload, &out, MaxProfessionals, "professionals"); err != nil {
		return nil, err
	}
	for i, p := range out {
		bad := func(what string, v any) error {
			return invalid("professionals[%d] (%s): %s %q is not valid", i, clip(p.NameLatin), what, clip(fmt.Sprint(v)))
		}
		switch {
		case p.NameLatin == "" || !validText(p.NameLatin, 128):
			return nil, bad("name_latin", p.NameLatin)
		case !validText(p.NameArabic, 128):
			return nil, bad("name_arabic", p.NameArabic)
		case !validName(p.Profession, MaxName):
			return nil, bad("profession", p.Profession)
		case p.Registration == "" || !validText(p.Registration, 128):
			return nil, bad("registration", p.Registration)
		case !validName(p.City, MaxName):
			return nil, bad("city", p.City)
		case p.Address == "" || !validText(p.Address, 256):
			return nil, bad("address", p.Address)
		case !validText(p.Phone, 32):
			return nil, bad("phone", p.Phone)
		case p.Status != "active" && p.Status != "suspended" && p.Status != "struck_off":
			return nil, bad("status", p.Status)
		case len(p.Languages) > 8:
			return nil, bad("languages", len(p.Languages))
		}
		for _, l := range p.Languages {
			if len(l) != 2 && len(l) != 3 || !validName(l, 3) {
				return nil, bad("language", l)
			}
		}
		if err := checkTime(fmt.Sprintf("professionals[%d].updated_at", i), p.UpdatedAt); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// decodeList decodes a JSON array strictly (unknown fields refused, no
// trailing data) and bounds its length.
func decodeList[T any](payload []byte, out *[]T, max int, what string) error {
	if len(payload) > MaxDocument {
		return fmt.Errorf("%w: %s: %d bytes, limit %d", ErrTooLarge, what, len(payload), MaxDocument)
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrMalformed, what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: %s: trailing data", ErrMalformed, what)
	}
	if *out == nil {
		return invalid("%s: not a list", what)
	}
	if len(*out) > max {
		return invalid("%s: %d entries, limit %d", what, len(*out), max)
	}
	return nil
}
