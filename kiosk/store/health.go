package store

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
)

// Health is what the kiosk reports about its store (telemetry, technician
// screen).
type Health struct {
	QueueDepth int           // submissions not yet acknowledged
	Oldest     time.Time     // when the oldest of them was queued; zero if none
	OldestAge  time.Duration // how long it has waited
	FileSize   int64         // the database file on disk
	InUse      int64         // live data, in bytes (file high-water mark minus free pages)
	MaxSize    int64         // the limit on InUse; negative for none
	Limited    bool          // Submit refuses new requests (ErrQueueFull)
	Residue    int           // sealed payloads deleted since the last compaction: compact when idle
	AuditHead  audit.Head
	Alarms     int
}

// minSubmit is the room a small submission needs (see Submit).
const minSubmit = 4*1024 + 512

// Health reports the store's state.
func (s *Store) Health() (Health, error) {
	h := Health{MaxSize: s.opts.MaxSize, Alarms: len(s.Alarms())}
	now := s.now()
	err := s.view(func(tx *bolt.Tx) error {
		ob := bucket(tx, bOutbox)
		h.QueueDepth = ob.Stats().KeyN
		if k, v := ob.Cursor().First(); k != nil {
			rec, err := decodeOutbox(v)
			if err != nil {
				return err
			}
			h.Oldest = rec.QueuedAt
			h.OldestAge = max(now.Sub(rec.QueuedAt), 0)
		}
		h.InUse = inUse(tx)
		meta := bucket(tx, bMeta)
		r, err := getUint64(meta.Get(kResidue))
		if err != nil {
			return err
		}
		h.Residue = int(r)
		if b := meta.Get(kAuditHead); b != nil {
			if err := h.AuditHead.UnmarshalBinary(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Health{}, fmt.Errorf("store: health: %w", err)
	}
	if fi, err := os.Stat(s.path); err == nil {
		h.FileSize = fi.Size()
	}
	h.Limited = s.opts.MaxSize >= 0 && h.InUse+minSubmit > s.opts.MaxSize
	return h, nil
}
