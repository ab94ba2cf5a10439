package extract

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"guichet/kiosk/tracking"
)

// Extract is one bulletin n°3 as the registry issues and signs it. Every
// field except the signatures' Sig and VerificationURL is covered by the
// signatures (SignedBytes).
type Extract struct {
	// Number is the extract's number in the registry: 1 to 32 characters
	// of A–Z, 0–9, '-' and '/', e.g. "B3/2026/004217".
	Number string `json:"number"`
	// Tracking is the number of the request the extract answers; the
	// verification code starts with it.
	Tracking tracking.Number `json:"tracking"`
	// IssuedAt is when the clerk issued the extract, to the second.
	IssuedAt time.Time `json:"issued_at"`
	// Court is the pack's id of the court whose casier office issued the
	// extract (the court of the place of birth).
	Court string `json:"court"`
	// Holder is the person the extract is about.
	Holder Holder `json:"holder"`
	// Entries are the convictions the bulletin n°3 lists; none prints
	// "Néant".
	Entries []Entry `json:"entries"`
	// Signatures are the clerk's and the prosecutor's, in printing order.
	Signatures []Signature `json:"signatures"`
	// VerificationURL is what the extract's QR code carries: the pack's
	// extract verification base, the tracking number, '.', and the first
	// 80 bits of the clerk's signature in base32 (see VerificationURLFor).
	VerificationURL string `json:"verification_url"`
}

// Written is a text the registry writes in Latin letters and, in countries
// that write Arabic, in Arabic letters too.
type Written struct {
	Latin  string `json:"latin"`
	Arabic string `json:"arabic,omitempty"`
}

// In returns the text for a document in script ("Arab" or "Latn"): the
// Arabic form in an Arabic document when there is one, the Latin form
// otherwise (and the Arabic one when there is no Latin form).
func (w Written) In(script string) string {
	if script == "Arab" && w.Arabic != "" || w.Latin == "" {
		return w.Arabic
	}
	return w.Latin
}

// Holder is the person the extract is about, as the registry's record and
// the request name them.
type Holder struct {
	Surname    Written `json:"surname"`
	GivenNames Written `json:"given_names"`
	Father     Written `json:"father"`
	Mother     Written `json:"mother"`
	// BirthDate is YYYY-MM-DD, or YYYY alone when only the year is known.
	BirthDate   string  `json:"birth_date"`
	BirthPlace  Written `json:"birth_place"`
	Nationality Written `json:"nationality"`
	// NationalID is the national ID card number (CIN), empty when the
	// holder has none (a birth act proved the identity).
	NationalID string `json:"national_id,omitempty"`
}

// Entry is one conviction on the bulletin n°3, as the record writes it.
type Entry struct {
	Date     string  `json:"date"` // YYYY-MM-DD of the judgment
	Court    Written `json:"court"`
	Offence  Written `json:"offence"`
	Sentence Written `json:"sentence"`
}

// Role is who signs.
type Role string

// The roles of the extract's two signatures.
const (
	// Clerk is the greffier of the casier office, who issues and signs.
	Clerk Role = "clerk"
	// Prosecutor is the public prosecutor (procureur du Roi, procureur de
	// la République), who endorses.
	Prosecutor Role = "prosecutor"
)

// Signature is one Ed25519 signature over the extract's SignedBytes.
type Signature struct {
	Role Role `json:"role"`
	// Name is the signer's name as printed under the role.
	Name Written `json:"name"`
	// KeyID names the signer's key in the registry's key list (Keys): 1
	// to 64 characters of a–z, A–Z, 0–9, '.', '_' and '-'.
	KeyID string `json:"key_id"`
	// Sig is the Ed25519 signature, 64 bytes (base64 in JSON); empty until
	// signed.
	Sig []byte `json:"sig"`
}

// Fingerprint returns the first 80 bits of the signature in base32, in
// four groups of four ("MFRG GZDF MZTW Q2LK"), as printed under the
// signer's name; "" for a signature shorter than that.
func (s Signature) Fingerprint() string {
	f := fragment(s.Sig)
	if f == "" {
		return ""
	}
	return f[0:4] + " " + f[4:8] + " " + f[8:12] + " " + f[12:16]
}

// FragmentLen is the length of the signature fragment in a verification
// code (kiosk/scan.SignatureLen): 80 bits in base32.
const FragmentLen = 16

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// fragment is the first 80 bits of sig in base32, or "".
func fragment(sig []byte) string {
	if len(sig) < 10 {
		return ""
	}
	return b32.EncodeToString(sig[:10])
}

// Limits of what Validate accepts.
const (
	MaxText       = 200 // bytes of one text field
	MaxEntries    = 50
	MaxSignatures = 4
)

var (
	numberRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9/-]{0,31}$`)
	keyIDRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
	courtRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	natIDRE  = regexp.MustCompile(`^[A-Z0-9]{1,20}$`)
)

// ErrInvalid is wrapped by every Validate error.
var ErrInvalid = errors.New("invalid extract")

// Validate checks that e is well formed: every field present and in its
// form, text valid UTF-8 without control characters, IssuedAt a whole
// second, one clerk's and one prosecutor's signature with distinct key ids.
// It does not check the signatures themselves (Verify does).
func (e *Extract) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	if !numberRE.MatchString(e.Number) {
		bad("number %q: want 1 to 32 characters of A-Z, 0-9, '-' and '/'", e.Number)
	}
	if !e.Tracking.Valid() {
		bad("tracking %q: not a valid tracking number", string(e.Tracking))
	}
	if e.IssuedAt.IsZero() || e.IssuedAt.Nanosecond() != 0 {
		bad("issued_at %v: want a time to the second", e.IssuedAt)
	}
	if !courtRE.MatchString(e.Court) {
		bad("court %q: not a court id", e.Court)
	}
	h := e.Holder
	for _, f := range []struct {
		name     string
		w        Written
		required bool
	}{
		{"holder.surname", h.Surname, true},
		{"holder.given_names", h.GivenNames, true},
		{"holder.father", h.Father, false},
		{"holder.mother", h.Mother, false},
		{"holder.birth_place", h.BirthPlace, true},
		{"holder.nationality", h.Nationality, true},
	} {
		checkWritten(bad, f.name, f.w, f.required)
	}
	if !validDate(h.BirthDate, true) {
		bad("holder.birth_date %q: want YYYY-MM-DD or YYYY", h.BirthDate)
	}
	if h.NationalID != "" && !natIDRE.MatchString(h.NationalID) {
		bad("holder.national_id %q: want 1 to 20 characters of A-Z and 0-9", h.NationalID)
	}
	if len(e.Entries) > MaxEntries {
		bad("entries: %d, at most %d", len(e.Entries), MaxEntries)
	}
	for i, en := range e.Entries {
		p := fmt.Sprintf("entries[%d]", i)
		if !validDate(en.Date, false) {
			bad("%s.date %q: want YYYY-MM-DD", p, en.Date)
		}
		checkWritten(bad, p+".court", en.Court, true)
		checkWritten(bad, p+".offence", en.Offence, true)
		checkWritten(bad, p+".sentence", en.Sentence, true)
	}
	if len(e.Signatures) > MaxSignatures {
		bad("signatures: %d, at most %d", len(e.Signatures), MaxSignatures)
	}
	roles := map[Role]int{}
	keys := map[string]bool{}
	for i, s := range e.Signatures {
		p := fmt.Sprintf("signatures[%d]", i)
		switch s.Role {
		case Clerk, Prosecutor:
			roles[s.Role]++
		default:
			bad("%s.role %q: want %q or %q", p, s.Role, Clerk, Prosecutor)
		}
		checkWritten(bad, p+".name", s.Name, true)
		if !keyIDRE.MatchString(s.KeyID) {
			bad("%s.key_id %q: want 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'", p, s.KeyID)
		} else if keys[s.KeyID] {
			bad("%s.key_id %q: used by another signature", p, s.KeyID)
		}
		keys[s.KeyID] = true
		if len(s.Sig) != 0 && len(s.Sig) != ed25519.SignatureSize {
			bad("%s.sig: %d bytes, want %d", p, len(s.Sig), ed25519.SignatureSize)
		}
	}
	for _, r := range []Role{Clerk, Prosecutor} {
		if roles[r] != 1 {
			bad("signatures: %d of role %s, want exactly 1", roles[r], r)
		}
	}
	if len(e.VerificationURL) > MaxText {
		bad("verification_url: longer than %d bytes", MaxText)
	}
	if len(errs) > 0 {
		return fmt.Errorf("extract: %w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

func checkWritten(bad func(string, ...any), name string, w Written, required bool) {
	checkText(bad, name+".latin", w.Latin, false)
	checkText(bad, name+".arabic", w.Arabic, false)
	if required && w.Latin == "" && w.Arabic == "" {
		bad("%s: missing", name)
	}
}

func checkText(bad func(string, ...any), name, s string, required bool) {
	switch {
	case s == "" && required:
		bad("%s: missing", name)
	case len(s) > MaxText:
		bad("%s: longer than %d bytes", name, MaxText)
	case !utf8.ValidString(s):
		bad("%s: not UTF-8", name)
	case strings.TrimSpace(s) != s:
		bad("%s %q: leading or trailing space", name, s)
	default:
		for _, r := range s {
			// Controls, and format characters such as the bidi controls
			// that would let a record display other than it reads.
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) && r != '\u200c' && r != '\u200d' {
				bad("%s: control or format character %U", name, r)
				return
			}
		}
	}
}

// validDate accepts YYYY-MM-DD (a real date) and, when yearOnly, YYYY.
func validDate(s string, yearOnly bool) bool {
	if yearOnly && len(s) == 4 {
		_, err := time.Parse("2006", s)
		return err == nil
	}
	_, err := time.Parse(time.DateOnly, s)
	return err == nil && len(s) == len(time.DateOnly)
}

// signedMagic starts SignedBytes: it names what is signed and its version,
// so that a signature over an extract never verifies as anything else.
const signedMagic = "GUICHET-EXTRACT-B3\x00\x01"

// SignedBytes returns the canonical bytes every signature of e covers. The
// registry signs them and the kiosk verifies them; both build them with
// this function, so they agree byte for byte.
//
// Format (version 1), after the 20 bytes "GUICHET-EXTRACT-B3" 0x00 0x01:
//
//	number, tracking, issued at, court,
//	holder: surname (latin, arabic), given names (latin, arabic),
//	        father (latin, arabic), mother (latin, arabic), birth date,
//	        birth place (latin, arabic), nationality (latin, arabic),
//	        national id,
//	entries: count, then each: date, court (latin, arabic),
//	         offence (latin, arabic), sentence (latin, arabic),
//	signers: count, then each in order: role, name (latin, arabic), key id.
//
// A string is a uvarint byte length then the UTF-8 bytes; a count is a
// uvarint; the time is a zig-zag varint of Unix seconds. The signers'
// names and key ids are covered, their Sig values and VerificationURL are
// not: each signer signs the same bytes, which name every signer.
//
// It refuses an extract that fails Validate.
func (e *Extract) SignedBytes() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 512)
	b = append(b, signedMagic...)
	b = appendString(b, e.Number)
	b = appendString(b, string(e.Tracking))
	b = binary.AppendVarint(b, e.IssuedAt.Unix())
	b = appendString(b, e.Court)
	h := e.Holder
	for _, w := range []Written{h.Surname, h.GivenNames, h.Father, h.Mother} {
		b = appendWritten(b, w)
	}
	b = appendString(b, h.BirthDate)
	b = appendWritten(b, h.BirthPlace)
	b = appendWritten(b, h.Nationality)
	b = appendString(b, h.NationalID)
	b = binary.AppendUvarint(b, uint64(len(e.Entries)))
	for _, en := range e.Entries {
		b = appendString(b, en.Date)
		b = appendWritten(b, en.Court)
		b = appendWritten(b, en.Offence)
		b = appendWritten(b, en.Sentence)
	}
	b = binary.AppendUvarint(b, uint64(len(e.Signatures)))
	for _, s := range e.Signatures {
		b = appendString(b, string(s.Role))
		b = appendWritten(b, s.Name)
		b = appendString(b, s.KeyID)
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendWritten(b []byte, w Written) []byte {
	return appendString(appendString(b, w.Latin), w.Arabic)
}
