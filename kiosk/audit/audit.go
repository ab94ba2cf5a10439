package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Version is the entry encoding version.
const Version = 1

// Limits on an entry's text fields, in bytes.
const (
	MaxAction  = 64
	MaxSubject = 256
	MaxDetail  = 1024
)

// hashDomain prefixes the hashed bytes so that an entry hash cannot be
// confused with any other SHA-256 in the system.
const hashDomain = "guichet/audit v1\x00"

// Hash is a SHA-256 entry hash.
type Hash [sha256.Size]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is the genesis (all-zero) hash.
func (h Hash) IsZero() bool { return h == Hash{} }

// Actor is the kind of party behind an entry.
type Actor uint8

// The actors. Their numeric values are part of the encoding.
const (
	System     Actor = 1 // the kiosk itself (start-up, store maintenance, alarms)
	Citizen    Actor = 2 // a citizen at the touchscreen
	Technician Actor = 3 // a technician in technician mode
	Registry   Actor = 4 // the central registry, through the sync client
)

var actorNames = map[Actor]string{System: "system", Citizen: "citizen", Technician: "technician", Registry: "registry"}

func (a Actor) String() string {
	if n, ok := actorNames[a]; ok {
		return n
	}
	return fmt.Sprintf("actor(%d)", uint8(a))
}

// Valid reports whether a is one of the defined actors.
func (a Actor) Valid() bool { _, ok := actorNames[a]; return ok }

// ParseActor returns the actor named s ("technician", ...).
func ParseActor(s string) (Actor, error) {
	for a, n := range actorNames {
		if n == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("audit: unknown actor %q", s)
}

// Entry is one link of the chain.
type Entry struct {
	Seq     uint64
	Time    time.Time // UTC, nanosecond precision
	Actor   Actor
	Action  string // e.g. "request.submitted", "technician.login"
	Subject string // a request id, a tracking number, a device name
	Detail  string // short, never personal data
	Prev    Hash   // Hash of entry Seq-1; zero for entry 1
	Hash    Hash   // ComputeHash() when the entry was written
}

// Head identifies the end of a chain: the last entry's sequence number and
// hash. The zero Head is the empty chain.
type Head struct {
	Seq  uint64
	Hash Hash
}

func (h Head) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

// headLen is the length of an encoded Head.
const headLen = 8 + sha256.Size

// MarshalBinary encodes the head as seq (8 bytes big-endian) then hash.
func (h Head) MarshalBinary() ([]byte, error) {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, headLen), h.Seq)
	return append(b, h.Hash[:]...), nil
}

// UnmarshalBinary decodes a head written by MarshalBinary.
func (h *Head) UnmarshalBinary(b []byte) error {
	if len(b) != headLen {
		return fmt.Errorf("audit: head is %d bytes, want %d", len(b), headLen)
	}
	seq := binary.BigEndian.Uint64(b)
	var hash Hash
	copy(hash[:], b[8:])
	if (seq == 0) != hash.IsZero() {
		return fmt.Errorf("audit: head %d with hash %s is inconsistent", seq, hash)
	}
	h.Seq, h.Hash = seq, hash
	return nil
}

// Next returns the entry that follows h, with its hash computed. It refuses
// fields the encoding cannot hold.
func (h Head) Next(at time.Time, actor Actor, action, subject, detail string) (Entry, error) {
	e := Entry{
		Seq:     h.Seq + 1,
		Time:    at.UTC().Round(0),
		Actor:   actor,
		Action:  action,
		Subject: subject,
		Detail:  detail,
		Prev:    h.Hash,
	}
	if h.Seq == 0 && !h.Hash.IsZero() {
		return Entry{}, errors.New("audit: head at sequence 0 with a non-zero hash")
	}
	if err := e.validate(); err != nil {
		return Entry{}, err
	}
	e.Hash = e.ComputeHash()
	return e, nil
}

// Head returns the head of a chain ending with e.
func (e Entry) Head() Head { return Head{Seq: e.Seq, Hash: e.Hash} }

// minTime and maxTime bound what int64 nanoseconds since 1970 can hold.
var (
	minTime = time.Unix(0, 0).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

func (e Entry) validate() error {
	if e.Seq == 0 {
		return errors.New("audit: sequence 0 (the chain starts at 1)")
	}
	if e.Time.Before(minTime) || e.Time.After(maxTime) {
		return fmt.Errorf("audit: entry %d: time %v out of range", e.Seq, e.Time)
	}
	if !e.Actor.Valid() {
		return fmt.Errorf("audit: entry %d: unknown actor %d", e.Seq, uint8(e.Actor))
	}
	if err := validAction(e.Action); err != nil {
		return fmt.Errorf("audit: entry %d: %w", e.Seq, err)
	}
	if err := validText("subject", e.Subject, MaxSubject); err != nil {
		return fmt.Errorf("audit: entry %d: %w", e.Seq, err)
	}
	if err := validText("detail", e.Detail, MaxDetail); err != nil {
		return fmt.Errorf("audit: entry %d: %w", e.Seq, err)
	}
	return nil
}

// validAction accepts lower-case dotted names: "request.acknowledged".
func validAction(s string) error {
	if s == "" {
		return errors.New("empty action")
	}
	if len(s) > MaxAction {
		return fmt.Errorf("action is %d bytes, limit %d", len(s), MaxAction)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("action %q: character %q not allowed", s, c)
		}
	}
	return nil
}

// validText accepts UTF-8 without control characters.
func validText(field, s string, limit int) error {
	if len(s) > limit {
		return fmt.Errorf("%s is %d bytes, limit %d", field, len(s), limit)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%s contains control character %U", field, r)
		}
	}
	return nil
}

// body appends the hashed part of the encoding (everything but Hash).
func (e Entry) body(b []byte) []byte {
	b = append(b, Version)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.UnixNano()))
	b = append(b, byte(e.Actor))
	b = append(b, byte(len(e.Action)))
	b = append(b, e.Action...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Subject)))
	b = append(b, e.Subject...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Detail)))
	b = append(b, e.Detail...)
	return append(b, e.Prev[:]...)
}

// ComputeHash returns the hash e should carry given its other fields.
func (e Entry) ComputeHash() Hash {
	h := sha256.New()
	h.Write([]byte(hashDomain))
	h.Write(e.body(make([]byte, 0, 128+len(e.Subject)+len(e.Detail))))
	var out Hash
	h.Sum(out[:0])
	return out
}

// MarshalBinary returns the canonical encoding:
//
//	version (1) | seq (8) | time ns (8) | actor (1) | len (1) action |
//	len (2) subject | len (2) detail | prev (32) | hash (32)
//
// with big-endian integers. The stored Hash is written as is, so an entry
// edited without rehashing round-trips and Check can name it.
func (e Entry) MarshalBinary() ([]byte, error) {
	if err := e.validate(); err != nil {
		return nil, err
	}
	b := e.body(make([]byte, 0, 128+len(e.Subject)+len(e.Detail)))
	return append(b, e.Hash[:]...), nil
}

// UnmarshalBinary decodes an entry strictly (see Decode).
func (e *Entry) UnmarshalBinary(b []byte) error {
	d, err := Decode(b)
	if err != nil {
		return err
	}
	*e = d
	return nil
}

// Decode decodes one entry. It refuses an unknown version, a bad length,
// trailing bytes, an unknown actor and any field Next would refuse; it does
// not check the hash (Check does, to say what was tampered with).
func Decode(b []byte) (Entry, error) {
	var e Entry
	r := reader{b: b}
	if v := r.byte(); r.err == nil && v != Version {
		return e, fmt.Errorf("audit: entry version %d, want %d", v, Version)
	}
	e.Seq = r.uint64()
	e.Time = time.Unix(0, int64(r.uint64())).UTC()
	e.Actor = Actor(r.byte())
	e.Action = string(r.bytes(int(r.byte())))
	e.Subject = string(r.bytes(int(r.uint16())))
	e.Detail = string(r.bytes(int(r.uint16())))
	copy(e.Prev[:], r.bytes(len(e.Prev)))
	copy(e.Hash[:], r.bytes(len(e.Hash)))
	if r.err != nil {
		return Entry{}, fmt.Errorf("audit: entry: %w", r.err)
	}
	if len(r.b) != 0 {
		return Entry{}, fmt.Errorf("audit: entry %d: %d trailing bytes", e.Seq, len(r.b))
	}
	if err := e.validate(); err != nil {
		return Entry{}, err
	}
	return e, nil
}

var errShort = errors.New("truncated")

// reader consumes a byte slice; the first error sticks.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.err = errShort
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) byte() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) uint16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}
