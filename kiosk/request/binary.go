package request

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"guichet/kiosk/tracking"
)

// formatV1 is the first byte of every encoding made by MarshalBinary.
//
// Version 1, after the version byte, in this order:
//
//	id            16 bytes (the hex ID decoded)
//	state         1 byte, stateCode
//	tracking      string
//	service       string
//	court         string
//	fee           uvarint
//	currency      string
//	reject reason string
//	created at    time
//	updated at    time
//	kiosk id      string
//	pack version  uvarint
//
// A string is a uvarint length and that many bytes of UTF-8; a time is a
// zig-zag varint of Unix seconds and a uvarint of nanoseconds (< 1e9), in
// UTC. Varints are minimal. Nothing may follow. The encoding is canonical:
// decoding then encoding gives back the same bytes.
const formatV1 = 1

// stateCode numbers the states in the binary format. Codes are forever.
var stateCode = map[State]byte{
	Draft: 1, Queued: 2, Sent: 3, Acknowledged: 4, InProcessing: 5,
	Ready: 6, Delivered: 7, Rejected: 8, Cancelled: 9,
}

var codeState = func() map[byte]State {
	m := make(map[byte]State, len(stateCode))
	for s, c := range stateCode {
		m[c] = s
	}
	return m
}()

// MarshalBinary encodes r for the store in the current format. It refuses a
// request that fails Validate.
func (r Request) MarshalBinary() ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("request: marshal: %w", err)
	}
	b := make([]byte, 0, 96+len(r.Service)+len(r.Court)+len(r.RejectReason)+len(r.KioskID))
	b = append(b, formatV1)
	id, _ := hex.DecodeString(r.ID) // Validate checked it
	b = append(b, id...)
	b = append(b, stateCode[r.State])
	b = appendString(b, string(r.Tracking))
	b = appendString(b, r.Service)
	b = appendString(b, r.Court)
	b = binary.AppendUvarint(b, uint64(r.Fee))
	b = appendString(b, r.Currency)
	b = appendString(b, r.RejectReason)
	b = appendTime(b, r.CreatedAt)
	b = appendTime(b, r.UpdatedAt)
	b = appendString(b, r.KioskID)
	b = binary.AppendUvarint(b, uint64(r.PackVersion))
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary made. It refuses an unknown
// format version, a truncated or non-canonical encoding, trailing bytes and
// a request that fails Validate; on error r is unchanged.
func (r *Request) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	if len(data) == 0 {
		return fmt.Errorf("request: unmarshal: empty")
	}
	if v := data[0]; v != formatV1 {
		return fmt.Errorf("request: unmarshal: unknown format version %d", v)
	}
	d.off = 1
	var q Request
	id := d.bytes(16, "id")
	q.ID = hex.EncodeToString(id)
	code := d.bytes(1, "state")
	if d.err == nil {
		s, ok := codeState[code[0]]
		if !ok {
			d.fail("state", fmt.Errorf("unknown state code %d", code[0]))
		}
		q.State = s
	}
	q.Tracking = tracking.Number(d.string("tracking"))
	q.Service = d.string("service")
	q.Court = d.string("court")
	fee := d.uvarint("fee")
	if fee > 1<<63-1 {
		d.fail("fee", fmt.Errorf("%d out of range", fee))
	}
	q.Fee = int64(fee)
	q.Currency = d.string("currency")
	q.RejectReason = d.string("reject reason")
	q.CreatedAt = d.time("created at")
	q.UpdatedAt = d.time("updated at")
	q.KioskID = d.string("kiosk id")
	pv := d.uvarint("pack version")
	if pv > uint64(maxInt) {
		d.fail("pack version", fmt.Errorf("%d out of range", pv))
	}
	q.PackVersion = int(pv)
	if d.err == nil && d.off != len(data) {
		d.err = fmt.Errorf("%d trailing bytes", len(data)-d.off)
	}
	if d.err != nil {
		return fmt.Errorf("request: unmarshal: %w", d.err)
	}
	if err := q.Validate(); err != nil {
		return fmt.Errorf("request: unmarshal: %w", err)
	}
	*r = q
	return nil
}

const maxInt = int(^uint(0) >> 1)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

// decoder reads fields in order and remembers the first error.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(field string, err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%s at byte %d: %w", field, d.off, err)
	}
}

func (d *decoder) bytes(n int, field string) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b)-d.off < n {
		d.fail(field, fmt.Errorf("truncated"))
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) uvarint(field string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if !d.varintOK(field, n, n > 0 && n == len(binary.AppendUvarint(nil, v))) {
		return 0
	}
	return v
}

func (d *decoder) varint(field string) int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if !d.varintOK(field, n, n > 0 && n == len(binary.AppendVarint(nil, v))) {
		return 0
	}
	return v
}

// varintOK checks what binary.(U)varint read: n bytes, minimal when the
// value re-encodes to as many. It consumes them, or records the failure.
func (d *decoder) varintOK(field string, n int, minimal bool) bool {
	switch {
	case n == 0:
		d.fail(field, fmt.Errorf("truncated"))
		return false
	case n < 0:
		d.fail(field, fmt.Errorf("varint overflows 64 bits"))
		return false
	case !minimal:
		d.fail(field, fmt.Errorf("varint not minimal"))
		return false
	}
	d.off += n
	return true
}

func (d *decoder) string(field string) string {
	n := d.uvarint(field)
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)-d.off) {
		d.fail(field, fmt.Errorf("length %d past the end", n))
		return ""
	}
	return string(d.bytes(int(n), field))
}

func (d *decoder) time(field string) time.Time {
	sec := d.varint(field)
	nsec := d.uvarint(field)
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= 1e9 {
		d.fail(field, fmt.Errorf("nanoseconds %d out of range", nsec))
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if t.Unix() != sec {
		d.fail(field, fmt.Errorf("seconds %d out of range", sec))
		return time.Time{}
	}
	return t
}
