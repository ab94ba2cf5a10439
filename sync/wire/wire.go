package wire

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is the protocol version; it is the first element of every path.
const Version = 1

// The registry's endpoints.
const (
	PathEnrol     = "/v1/enrol"     // POST EnrolRequest → EnrolResponse
	PathRenew     = "/v1/renew"     // POST RenewRequest → RenewResponse (current certificate required)
	PathRequests  = "/v1/requests"  // POST RequestBatch → BatchResponse
	PathChanges   = "/v1/changes"   // GET ?kiosk=…&since=N&wait=S → ChangesResponse
	PathTelemetry = "/v1/telemetry" // POST Telemetry → TelemetryAck
	PathFines     = "/v1/fines"     // POST FinesQuery → FinesResponse
	PathExtract   = "/v1/extract"   // POST ExtractRequest → ExtractResponse
	PathDelivered = "/v1/delivered" // POST DeliveredRequest → DeliveredAck
)

// Content types.
const (
	ContentType        = "application/json"
	ProblemContentType = "application/problem+json"
)

// Size caps. A body over its cap is refused whole (ErrTooLarge) before it is
// decoded.
const (
	// MaxSealed bounds one sealed payload: seal.MaxPlaintext (4 MiB) plus
	// the envelope's 75 bytes of overhead, rounded up.
	MaxSealed = 4<<20 + 128
	// MaxBatchItems bounds the items of one RequestBatch.
	MaxBatchItems = 100
	// MaxBatchBody bounds an encoded RequestBatch. A kiosk whose backlog has
	// large scanned documents sends fewer items per batch; one item of
	// MaxSealed always fits (base64 grows it by a third).
	MaxBatchBody = 8 << 20
	// MaxEnrolBody bounds EnrolRequest, RenewRequest and their responses.
	MaxEnrolBody = 64 << 10
	// MaxTelemetryBody bounds Telemetry and TelemetryAck.
	MaxTelemetryBody = 64 << 10
	// MaxChangesBody bounds a ChangesResponse (reference data such as the
	// directory of professionals travels in it).
	MaxChangesBody = 16 << 20
	// MaxChangesPerResponse bounds the changes of one ChangesResponse.
	MaxChangesPerResponse = 500
	// MaxProblemBody bounds a Problem.
	MaxProblemBody = 16 << 10
	// MaxWait is the longest long-poll a kiosk may ask for.
	MaxWait = 60 * time.Second
)

// Sentinel errors wrapped by the decoders, so a server can answer 413 or 400
// and a client can tell a broken peer from a broken network.
var (
	ErrTooLarge  = errors.New("wire: body too large")
	ErrMalformed = errors.New("wire: malformed body")
	ErrInvalid   = errors.New("wire: invalid message")
)

// Message is implemented by every body type of this package.
type Message interface {
	// Validate checks the message's invariants; decoding calls it.
	Validate() error
	// maxBody is the message's size cap in bytes.
	maxBody() int
}

// MaxBody returns m's size cap in bytes.
func MaxBody(m Message) int { return m.maxBody() }

// Marshal validates m and encodes it as JSON.
func Marshal(m Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal %T: %w", m, err)
	}
	if len(b) > m.maxBody() {
		return nil, fmt.Errorf("%w: %T is %d bytes, limit %d", ErrTooLarge, m, len(b), m.maxBody())
	}
	return b, nil
}

// Unmarshal decodes data into m strictly: the size cap, no unknown field, no
// trailing data, and m.Validate. m must be a pointer to a message type. On
// error m may be partly filled; do not use it.
func Unmarshal(data []byte, m Message) error {
	if len(data) > m.maxBody() {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), m.maxBody())
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(m); err != nil {
		return fmt.Errorf("%w: %T: %w", ErrMalformed, m, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: %T: trailing data", ErrMalformed, m)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	return nil
}

// ReadBody reads at most m's size cap from r and decodes it with Unmarshal.
// A longer body is ErrTooLarge, without reading past the cap plus one byte.
func ReadBody(r io.Reader, m Message) error {
	b, err := io.ReadAll(io.LimitReader(r, int64(m.maxBody())+1))
	if err != nil {
		return fmt.Errorf("wire: read %T: %w", m, err)
	}
	if len(b) > m.maxBody() {
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, m.maxBody())
	}
	return Unmarshal(b, m)
}

// invalid returns an error wrapping ErrInvalid.
func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Hash is a SHA-256 digest, lower-case hex in JSON.
type Hash [32]byte

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// IsZero reports whether h is all zeros (no hash).
func (h Hash) IsZero() bool { return h == Hash{} }

// MarshalText writes 64 lower-case hex digits.
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText accepts exactly 64 lower-case hex digits.
func (h *Hash) UnmarshalText(text []byte) error {
	if len(text) != 64 || !isLowerHex(string(text)) {
		return fmt.Errorf("wire: hash %q is not 64 lower-case hex digits", clip(string(text)))
	}
	_, err := hex.Decode(h[:], text)
	return err
}

// Duration is a time.Duration written as Go duration text ("30s", "1m30s").
type Duration time.Duration

// MarshalText writes time.Duration's text form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses time.ParseDuration's input and refuses negatives.
func (d *Duration) UnmarshalText(text []byte) error {
	if len(text) > 32 {
		return fmt.Errorf("wire: duration %q too long", clip(string(text)))
	}
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("wire: duration: %w", err)
	}
	if v < 0 {
		return fmt.Errorf("wire: negative duration %s", v)
	}
	*d = Duration(v)
	return nil
}

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Identifier limits.
const (
	MaxKioskID   = 64
	MaxMessageID = 64
	MaxText      = 512 // free text: reasons, details, versions
	MaxName      = 64  // short names: service, court, capability, peripheral
)

// ValidKioskID reports whether id is a kiosk id: 1 to 64 characters from
// letters, digits, '-', '_' and '.', starting with a letter or digit. It is
// the certificate's common name and the path of its URI SAN.
func ValidKioskID(id string) bool { return validName(id, MaxKioskID) }

// ValidMessageID reports whether id is a message id: 1 to 64 characters
// from letters, digits, '-', '_' and '.'.
func ValidMessageID(id string) bool { return validName(id, MaxMessageID) }

// ValidRequestID reports whether id is a request id (the idempotency key of
// kiosk/request): 32 lower-case hex digits.
func ValidRequestID(id string) bool { return len(id) == 32 && isLowerHex(id) }

// validName: [A-Za-z0-9][A-Za-z0-9._-]{0,max-1}.
func validName(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '-' || c == '_' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validText: valid UTF-8, no control characters but tab and newline, at most
// max bytes.
func validText(s string, max int) bool {
	if len(s) > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return false
		}
	}
	return true
}

// Text makes s a text the wire accepts in a field of at most max bytes:
// invalid UTF-8 and control characters (but tab and newline) replaced,
// then cut on a character boundary.
func Text(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	for len(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// header is the pair every body a kiosk sends starts with.
func checkHeader(kioskID, messageID string) error {
	if !ValidKioskID(kioskID) {
		return invalid("kiosk id %q is not valid", clip(kioskID))
	}
	if !ValidMessageID(messageID) {
		return invalid("message id %q is not valid", clip(messageID))
	}
	return nil
}

// clip shortens a string quoted in an error.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// checkTime refuses a zero time and one that is not UTC, so that every
// encoding of a time in the protocol is the same string.
func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return invalid("%s is missing", field)
	}
	if t.Location() != time.UTC {
		return invalid("%s %s is not in UTC", field, t)
	}
	if t.Year() < 2000 || t.Year() > 2200 {
		return invalid("%s %s is out of range", field, t)
	}
	return nil
}
