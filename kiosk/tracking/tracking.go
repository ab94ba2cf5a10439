package tracking

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Alphabet is the set of characters a tracking number is written with, in
// value order: the digits and capitals that cannot be mistaken for one another
// on a thermal receipt or on a keypad. Its size, 23, is prime, which is what
// makes the check character catch every single substitution and every swap.
const Alphabet = "34679ACDEFGHJKMNPQRTWXY"

const (
	base = 23 // len(Alphabet), prime

	// Len is the number of characters of a canonical number, check included.
	Len = 12

	prefixLen  = 3 // kiosk prefix
	dayLen     = 3 // issue day, modulo dayPeriod
	counterLen = 5 // per-kiosk, per-day counter started at a random offset
	payloadLen = prefixLen + dayLen + counterLen

	prefixSpace  = base * base * base               // 12,167
	dayPeriod    = base * base * base               // 12,167 days, about 33 years
	counterSpace = base * base * base * base * base // 6,436,343
	groupLen     = 4                                // K7MX-4HQ9-XR3T
	checkInverse = 2                                // 12·2 ≡ 1 (mod 23): inverse of the check weight
)

// Epoch is day zero of the day component.
var Epoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// Sentinel errors returned (wrapped, with detail) by Parse and ParseQRPayload.
var (
	ErrLength    = errors.New("tracking: wrong length")
	ErrCharacter = errors.New("tracking: character not used in tracking numbers")
	ErrCheck     = errors.New("tracking: check character wrong")
	ErrQRBase    = errors.New("tracking: QR code is not a receipt of this service")
)

// value maps an upper-case byte to its value in Alphabet, or -1.
var value = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < base; i++ {
		v[Alphabet[i]] = int8(i)
	}
	return v
}()

// Number is a tracking number in canonical form: Len upper-case characters of
// Alphabet, no separators, the last one the check character.
type Number string

// String returns the number grouped for printing and reading aloud:
// "K7MX-4HQ9-XR3T". A Number that is not canonical is returned unchanged.
func (n Number) String() string {
	if len(n) != Len {
		return string(n)
	}
	s := string(n)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12]
}

// Valid reports whether n is canonical and its check character is right.
func (n Number) Valid() bool {
	if len(n) != Len {
		return false
	}
	for i := 0; i < Len; i++ {
		if value[n[i]] < 0 {
			return false
		}
	}
	return checksum(string(n)) == 0
}

// KioskPrefix returns the first characters of n, which name the kiosk that
// issued it (see KioskPrefix the function). It is "" for an invalid n.
func (n Number) KioskPrefix() string {
	if !n.Valid() {
		return ""
	}
	return string(n[:prefixLen])
}

// MarshalText returns the canonical form, so that JSON carries "K7MX4HQ9XR3T".
func (n Number) MarshalText() ([]byte, error) {
	if n != "" && !n.Valid() {
		return nil, fmt.Errorf("tracking: marshal %q: not a valid tracking number", string(n))
	}
	return []byte(n), nil
}

// UnmarshalText parses text with Parse; empty text gives the zero Number.
func (n *Number) UnmarshalText(text []byte) error {
	if len(text) == 0 {
		*n = ""
		return nil
	}
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*n = p
	return nil
}

// weight of position i (0-based) is i+1: distinct and non-zero modulo 23 for
// every one of the Len positions.
func checksum(s string) int {
	sum := 0
	for i := 0; i < len(s); i++ {
		sum += (i + 1) * int(value[s[i]])
	}
	return sum % base
}

// checkChar returns the character that makes the weighted sum of payload+c
// zero modulo 23.
func checkChar(payload string) byte {
	s := checksum(payload) // weights 1..11
	c := (base - s) * checkInverse % base
	return Alphabet[c]
}

// Parse reads a number typed by a citizen or read from a receipt. It accepts
// lower case, Arabic-Indic digits (٣ is 3: the same digit in another script,
// not a guess), and ignores spaces and dashes (any Unicode space or dash). It
// accepts nothing else: a character outside Alphabet is never "corrected" (an
// O is not silently taken for a 0, which is not in the alphabet either), it is
// refused with its position so the screen can point at it. Positions count
// from 1 and count only the characters of the number, not the separators.
//
// Errors wrap ErrCharacter, ErrLength or ErrCheck (checked in that order) and
// are of type *Error.
func Parse(s string) (Number, error) {
	var buf [Len]byte
	n := 0
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) {
			continue
		}
		n++
		c := fold(r)
		if c == 0 {
			return "", &Error{Err: ErrCharacter, Input: clip(s), Pos: n, Char: r}
		}
		if n <= Len {
			buf[n-1] = c
		}
	}
	if n != Len {
		return "", &Error{Err: ErrLength, Input: clip(s), Got: n}
	}
	if checksum(string(buf[:])) != 0 {
		return "", &Error{Err: ErrCheck, Input: clip(s)}
	}
	return Number(buf[:]), nil
}

// fold returns the Alphabet character r stands for, or 0.
func fold(r rune) byte {
	switch {
	case '٠' <= r && r <= '٩': // Arabic-Indic digits
		r = '0' + (r - '٠')
	case '۰' <= r && r <= '۹': // Extended Arabic-Indic digits
		r = '0' + (r - '۰')
	case 'a' <= r && r <= 'z':
		r -= 'a' - 'A'
	}
	if r >= utf8.RuneSelf || value[r] < 0 {
		return 0
	}
	return byte(r)
}

// clip keeps error messages short whatever was pasted.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Error is the detailed error of Parse. Err is one of the sentinels.
type Error struct {
	Err   error  // ErrLength, ErrCharacter or ErrCheck
	Input string // what was parsed
	Pos   int    // ErrCharacter: 1-based position among the number's characters
	Char  rune   // ErrCharacter: the refused character
	Got   int    // ErrLength: how many characters there were
}

func (e *Error) Error() string {
	switch e.Err {
	case ErrCharacter:
		return fmt.Sprintf("%v: %q at position %d of %q", e.Err, e.Char, e.Pos, e.Input)
	case ErrLength:
		return fmt.Sprintf("%v: %q has %d characters, want %d", e.Err, e.Input, e.Got, Len)
	case ErrCheck:
		return fmt.Sprintf("%v: %q has a mistyped or swapped character", e.Err, e.Input)
	}
	return fmt.Sprintf("%v: %q", e.Err, e.Input)
}

func (e *Error) Unwrap() error { return e.Err }

// QRPayload returns what the receipt's QR code carries: base (from the
// country pack, e.g. "https://suivi.justice.ma/t/") followed by the canonical
// number.
func (n Number) QRPayload(base string) string { return base + string(n) }

// ParseQRPayload reads back a QR payload made by QRPayload. The base is
// compared without regard to case (a QR encoder may upper-case a URL to use
// the denser alphanumeric mode) and surrounding white space, which scanners
// often append, is ignored. A payload that does not start with base wraps
// ErrQRBase; the rest is parsed by Parse.
func ParseQRPayload(base, payload string) (Number, error) {
	p := strings.TrimSpace(payload)
	if len(p) < len(base) || !strings.EqualFold(p[:len(base)], base) {
		return "", fmt.Errorf("%w: %q does not start with %q", ErrQRBase, payload, base)
	}
	return Parse(p[len(base):])
}

// KioskPrefix returns the three characters that start every number issued by
// the kiosk kioskID: the kiosk id hashed (SHA-256) onto 23³ values. Two
// kiosks may share a prefix; the day and counter parts keep their numbers
// apart (see the package documentation for the bound).
func KioskPrefix(kioskID string) string {
	h := sha256.Sum256([]byte("guichet tracking prefix\x00" + kioskID))
	return encode(binary.BigEndian.Uint64(h[:8])%prefixSpace, prefixLen)
}

// encode writes v in base 23 on exactly n characters, most significant first.
func encode(v uint64, n int) string {
	b := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		b[i] = Alphabet[v%base]
		v /= base
	}
	return string(b)
}

// Generator issues tracking numbers for one kiosk. It is safe for concurrent
// use. Within one Generator numbers never repeat (up to 6.4 million a day);
// across Generators and kiosks they are unique with the probability given in
// the package documentation.
type Generator struct {
	prefix string
	now    func() time.Time
	rand   io.Reader

	mu      sync.Mutex
	started bool
	day     int64  // logical day: never goes back, even if the clock does
	offset  uint64 // random start of today's counter
	count   uint64 // numbers issued today
}

// NewGenerator returns a Generator for kioskID. now is the kiosk's clock
// (time.Now if nil) and rand its source of randomness (crypto/rand if nil).
func NewGenerator(kioskID string, now func() time.Time, rand io.Reader) *Generator {
	if now == nil {
		now = time.Now
	}
	if rand == nil {
		rand = cryptoRand
	}
	return &Generator{prefix: KioskPrefix(kioskID), now: now, rand: rand}
}

var cryptoRand = rand.Reader

// Next returns a new tracking number. It panics if the random source fails,
// which crypto/rand never does.
func (g *Generator) Next() Number {
	today := dayOf(g.now())
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.started || today > g.day || g.count == counterSpace {
		if g.started && today <= g.day {
			today = g.day + 1 // today's counter is exhausted: borrow tomorrow's
		}
		g.started = true
		g.day = today
		g.offset = g.random(counterSpace)
		g.count = 0
	}
	counter := (g.offset + g.count) % counterSpace
	g.count++
	day := uint64(((g.day % dayPeriod) + dayPeriod) % dayPeriod)
	payload := g.prefix + encode(day, dayLen) + encode(counter, counterLen)
	return Number(payload + string(checkChar(payload)))
}

func (g *Generator) random(n uint64) uint64 {
	var b [8]byte
	if _, err := io.ReadFull(g.rand, b[:]); err != nil {
		panic(fmt.Sprintf("tracking: random source failed: %v", err))
	}
	return binary.BigEndian.Uint64(b[:]) % n // bias below 2⁻⁴⁰: immaterial
}

// dayOf returns the whole days from Epoch to t, in UTC, rounding down.
func dayOf(t time.Time) int64 {
	s := t.Unix() - Epoch.Unix()
	days := s / 86400
	if s < 0 && s%86400 != 0 {
		days--
	}
	return days
}
