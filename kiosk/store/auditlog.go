package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
)

// RecordAudit appends an entry to the audit chain: a technician's action, a
// device event, anything that must be accountable. detail must not carry
// personal data.
func (s *Store) RecordAudit(ctx context.Context, actor audit.Actor, action, subject, detail string) (audit.Entry, error) {
	at := s.now()
	// Refuse bad fields here rather than inside the shared transaction.
	if _, err := (audit.Head{}).Next(at, actor, action, subject, detail); err != nil {
		return audit.Entry{}, fmt.Errorf("store: %w", err)
	}
	var e audit.Entry
	err := s.write(ctx, func(tx *bolt.Tx) (err error) {
		e, err = appendAudit(tx, at, actor, action, subject, detail)
		return err
	})
	return e, err
}

// AuditHead returns the head of the chain as recorded in the metadata.
func (s *Store) AuditHead() (audit.Head, error) {
	var h audit.Head
	err := s.view(func(tx *bolt.Tx) error {
		if b := bucket(tx, bMeta).Get(kAuditHead); b != nil {
			return h.UnmarshalBinary(b)
		}
		return nil
	})
	if err != nil {
		return audit.Head{}, fmt.Errorf("store: audit head: %w", err)
	}
	return h, nil
}

// AuditEntries returns the whole chain in storage order. An entry that does
// not decode is an error; AuditReport reports it as a problem instead.
func (s *Store) AuditEntries() ([]audit.Entry, error) {
	var out []audit.Entry
	err := s.view(func(tx *bolt.Tx) error {
		out = out[:0]
		return bucket(tx, bAudit).ForEach(func(k, v []byte) error {
			e, err := audit.Decode(v)
			if err != nil {
				return fmt.Errorf("store: audit key %x: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	return out, err
}

// AuditReport verifies the chain against the head recorded in the metadata
// (which catches a cut tail). Entries that do not decode are reported as
// edited; the error is only for a database that cannot be read.
func (s *Store) AuditReport() (audit.Report, error) {
	var r audit.Report
	err := s.view(func(tx *bolt.Tx) error {
		var anchor audit.Head
		if b := bucket(tx, bMeta).Get(kAuditHead); b != nil {
			if err := anchor.UnmarshalBinary(b); err != nil {
				return err
			}
		}
		var entries []audit.Entry
		var undecodable []audit.Problem
		err := bucket(tx, bAudit).ForEach(func(k, v []byte) error {
			e, err := audit.Decode(v)
			if err != nil {
				var seq uint64
				if len(k) == 8 {
					seq = binary.BigEndian.Uint64(k)
				}
				undecodable = append(undecodable, audit.Problem{Seq: seq, Last: seq, Kind: audit.Edited, Reason: "cannot be decoded: " + err.Error()})
				return nil
			}
			entries = append(entries, e)
			return nil
		})
		if err != nil {
			return err
		}
		r = audit.CheckAgainst(entries, anchor)
		r.Entries += len(undecodable)
		if len(undecodable) > 0 {
			// An undecodable entry also shows as a gap: say it once.
			gone := make(map[uint64]bool)
			for _, p := range undecodable {
				gone[p.Seq] = true
			}
			kept := undecodable
			for _, p := range r.Problems {
				if p.Kind == audit.Deleted && allGone(gone, p.Seq, p.Last) {
					continue
				}
				kept = append(kept, p)
			}
			r.Problems = kept
			slices.SortStableFunc(r.Problems, func(a, b audit.Problem) int { return cmp.Compare(a.Seq, b.Seq) })
		}
		return nil
	})
	if err != nil {
		return audit.Report{}, fmt.Errorf("store: audit: %w", err)
	}
	return r, nil
}

func allGone(gone map[uint64]bool, first, last uint64) bool {
	for q := first; q <= last; q++ {
		if !gone[q] {
			return false
		}
	}
	return true
}
