package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// outboxRecord is what the outbox bucket stores for one pending submission;
// the sealed payload lives in its own bucket so that Acknowledge can drop it.
//
// Encoding, version 1 (big-endian):
//
//	version (1) | len (1) request id | len (1) idempotency key |
//	body hash (32) | attempts (4) | queued at, ns since 1970 (8) |
//	last attempt, ns since 1970, 0 = never (8)
//
// Ids are 32 lower-case hex digits. Attempts is zero exactly when the last
// attempt is. Nothing may follow.
type outboxRecord struct {
	RequestID      string
	IdempotencyKey string
	BodyHash       [sha256.Size]byte
	Attempts       uint32
	QueuedAt       time.Time
	LastAttempt    time.Time // zero if never attempted
}

const outboxVersion = 1

func validHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// validTime accepts what fits the encoding with room to spare: after 1970,
// before 2200.
func validTime(t time.Time) bool {
	return t.After(time.Unix(0, 0)) && t.Before(time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC))
}

func (r outboxRecord) validate() error {
	switch {
	case !validHexID(r.RequestID):
		return fmt.Errorf("store: outbox: request id %q is not 32 lower-case hex digits", r.RequestID)
	case !validHexID(r.IdempotencyKey):
		return fmt.Errorf("store: outbox: idempotency key %q is not 32 lower-case hex digits", r.IdempotencyKey)
	case !validTime(r.QueuedAt):
		return fmt.Errorf("store: outbox: queued time %v out of range", r.QueuedAt)
	case r.LastAttempt.IsZero() != (r.Attempts == 0):
		return fmt.Errorf("store: outbox: %d attempts with last attempt %v", r.Attempts, r.LastAttempt)
	case !r.LastAttempt.IsZero() && !validTime(r.LastAttempt):
		return fmt.Errorf("store: outbox: last attempt %v out of range", r.LastAttempt)
	}
	return nil
}

func (r outboxRecord) MarshalBinary() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 1+1+32+1+32+32+4+8+8)
	b = append(b, outboxVersion)
	b = append(b, byte(len(r.RequestID)))
	b = append(b, r.RequestID...)
	b = append(b, byte(len(r.IdempotencyKey)))
	b = append(b, r.IdempotencyKey...)
	b = append(b, r.BodyHash[:]...)
	b = binary.BigEndian.AppendUint32(b, r.Attempts)
	b = binary.BigEndian.AppendUint64(b, uint64(r.QueuedAt.UnixNano()))
	var last int64
	if !r.LastAttempt.IsZero() {
		last = r.LastAttempt.UnixNano()
	}
	return binary.BigEndian.AppendUint64(b, uint64(last)), nil
}

var errTruncated = errors.New("truncated")

// decodeOutbox decodes an outbox record strictly.
func decodeOutbox(b []byte) (outboxRecord, error) {
	var r outboxRecord
	take := func(n int) []byte {
		if n > len(b) {
			b = nil
			return nil
		}
		out := b[:n]
		b = b[n:]
		return out
	}
	v := take(1)
	if v == nil {
		return r, fmt.Errorf("store: outbox: %w", errTruncated)
	}
	if v[0] != outboxVersion {
		return r, fmt.Errorf("store: outbox: version %d, want %d", v[0], outboxVersion)
	}
	str := func() (string, bool) {
		l := take(1)
		if l == nil {
			return "", false
		}
		s := take(int(l[0]))
		return string(s), s != nil
	}
	var ok1, ok2 bool
	r.RequestID, ok1 = str()
	r.IdempotencyKey, ok2 = str()
	hash := take(sha256.Size)
	attempts := take(4)
	queued := take(8)
	last := take(8)
	if !ok1 || !ok2 || hash == nil || attempts == nil || queued == nil || last == nil {
		return outboxRecord{}, fmt.Errorf("store: outbox: %w", errTruncated)
	}
	if len(b) != 0 {
		return outboxRecord{}, fmt.Errorf("store: outbox: %d trailing bytes", len(b))
	}
	copy(r.BodyHash[:], hash)
	r.Attempts = binary.BigEndian.Uint32(attempts)
	r.QueuedAt = time.Unix(0, int64(binary.BigEndian.Uint64(queued))).UTC()
	if l := int64(binary.BigEndian.Uint64(last)); l != 0 {
		r.LastAttempt = time.Unix(0, l).UTC()
	}
	if err := r.validate(); err != nil {
		return outboxRecord{}, err
	}
	return r, nil
}
