package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
	"guichet/kiosk/request"
)

// OutboxEntry is one submission waiting for the registry's acknowledgement.
type OutboxEntry struct {
	Seq            uint64 // position in the outbox: lower is older
	RequestID      string
	IdempotencyKey string // the registry deduplicates on it; for a submission, the request id
	Request        request.Request
	Sealed         []byte            // the seal envelope, opened only by the registry
	BodyHash       [sha256.Size]byte // SHA-256 of Sealed, fixed at submission
	Attempts       int               // how many times MarkSent counted a send
	QueuedAt       time.Time
	LastAttempt    time.Time // zero before the first attempt
}

// PendingOutbox returns up to limit entries (all if limit <= 0), oldest
// first. An entry stays pending until acknowledged, however often it was
// sent: the registry deduplicates by idempotency key.
func (s *Store) PendingOutbox(limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.view(func(tx *bolt.Tx) error {
		out = nil
		reqs, sealed := bucket(tx, bRequests), bucket(tx, bSealed)
		c := bucket(tx, bOutbox).Cursor()
		for k, v := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			rec, err := decodeOutbox(v)
			if err != nil {
				return fmt.Errorf("outbox %x: %w", k, err)
			}
			e := OutboxEntry{
				Seq:            seqOf(k),
				RequestID:      rec.RequestID,
				IdempotencyKey: rec.IdempotencyKey,
				BodyHash:       rec.BodyHash,
				Attempts:       int(rec.Attempts),
				QueuedAt:       rec.QueuedAt,
				LastAttempt:    rec.LastAttempt,
			}
			if err := e.Request.UnmarshalBinary(reqs.Get([]byte(rec.RequestID))); err != nil {
				return fmt.Errorf("outbox %x: request %s: %w", k, rec.RequestID, err)
			}
			sb := sealed.Get([]byte(rec.RequestID))
			if sb == nil {
				return fmt.Errorf("outbox %x: no sealed payload for %s", k, rec.RequestID)
			}
			e.Sealed = append([]byte(nil), sb...)
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

func seqOf(k []byte) uint64 {
	v, _ := getUint64(k)
	return v
}

// MarkSent records a send attempt for each id: the attempt count grows and
// a queued request becomes sent (an audited state change). Ids without a
// pending outbox entry are reported as ErrNotFound; the others are recorded.
func (s *Store) MarkSent(ctx context.Context, ids ...string) error {
	now := s.now()
	var missing []error
	err := s.write(ctx, func(tx *bolt.Tx) error {
		missing = nil
		for _, id := range ids {
			seqK := bucket(tx, bOutboxByID).Get([]byte(id))
			if seqK == nil {
				missing = append(missing, fmt.Errorf("%w: no pending outbox entry for %q", ErrNotFound, id))
				continue
			}
			ob := bucket(tx, bOutbox)
			rec, err := decodeOutbox(ob.Get(seqK))
			if err != nil {
				return err
			}
			rec.Attempts++
			rec.LastAttempt = now
			v, err := rec.MarshalBinary()
			if err != nil {
				return err
			}
			if err := ob.Put(append([]byte(nil), seqK...), v); err != nil {
				return err
			}
			r, err := getRequest(tx, id)
			if err != nil {
				return err
			}
			if r.State == request.Queued {
				if err := moveAndRecord(tx, &r, request.Sent, now, now, "", audit.System, "request.sent", fmt.Sprintf("attempt=%d", rec.Attempts)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(missing...)
}

// Acknowledge records that the registry holds each request: the request
// becomes acknowledged (through sent if the send was never recorded), and its
// sealed payload and outbox entry are deleted in the same transaction. A
// request already acknowledged or further along is left as it is, so a
// repeated acknowledgement is harmless. Unknown ids are ErrNotFound.
func (s *Store) Acknowledge(ctx context.Context, ids ...string) error {
	now := s.now()
	var missing []error
	err := s.write(ctx, func(tx *bolt.Tx) error {
		missing = nil
		for _, id := range ids {
			r, err := getRequest(tx, id)
			if errors.Is(err, ErrNotFound) {
				missing = append(missing, err)
				continue
			}
			if err != nil {
				return err
			}
			if pending(r.State) {
				steps, err := request.Path(r.State, request.Acknowledged)
				if err != nil {
					return fmt.Errorf("store: acknowledge %s: %w", id, err)
				}
				for _, st := range steps {
					action := "request." + string(st)
					if err := moveAndRecord(tx, &r, st, now, now, "", audit.Registry, action, ""); err != nil {
						return err
					}
				}
			}
			if err := purge(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(missing...)
}

// ApplyStatus applies a status reported by the registry at time at. The
// request walks the legal steps from its current state to state
// (request.Path), each recorded in the audit chain; a status it cannot reach
// is an error wrapping request.ErrIllegalTransition and changes nothing. The
// current state again is a no-op. reason is required for Rejected only. Once
// the registry has the request (any state past sent, or cancelled), its
// sealed payload and outbox entry are deleted.
func (s *Store) ApplyStatus(ctx context.Context, id string, state request.State, reason string, at time.Time) error {
	if !state.Valid() {
		return fmt.Errorf("store: apply status %s: unknown state %q", id, state)
	}
	now := s.now()
	return s.write(ctx, func(tx *bolt.Tx) error {
		r, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		if r.State == state {
			return nil
		}
		steps, err := request.Path(r.State, state)
		if err != nil {
			return fmt.Errorf("store: apply status to %s: %w", id, err)
		}
		for _, st := range steps {
			why, detail := "", "at="+at.UTC().Format(time.RFC3339)
			if st == request.Rejected {
				why, detail = reason, detail+" reason="+reason
			}
			if err := moveAndRecord(tx, &r, st, at, now, why, audit.Registry, "request."+string(st), clip(detail)); err != nil {
				return err
			}
		}
		if !pending(r.State) {
			return purge(tx, id)
		}
		return nil
	})
}

func getRequest(tx *bolt.Tx, id string) (request.Request, error) {
	var r request.Request
	v := bucket(tx, bRequests).Get([]byte(id))
	if v == nil {
		return r, fmt.Errorf("%w: request %q", ErrNotFound, id)
	}
	if err := r.UnmarshalBinary(v); err != nil {
		return r, fmt.Errorf("store: request %s: %w", id, err)
	}
	return r, nil
}

// moveAndRecord changes r's state as of at, stores it and audits the change
// at recorded (the kiosk's clock).
func moveAndRecord(tx *bolt.Tx, r *request.Request, to request.State, at, recorded time.Time, reason string, actor audit.Actor, action, detail string) error {
	from := r.State
	if err := r.MoveTo(to, at, reason); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	v, err := r.MarshalBinary()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := bucket(tx, bRequests).Put([]byte(r.ID), v); err != nil {
		return fmt.Errorf("store: request %s: %w", r.ID, err)
	}
	if detail == "" {
		detail = fmt.Sprintf("from=%s", from)
	} else {
		detail = fmt.Sprintf("from=%s %s", from, detail)
	}
	_, err = appendAudit(tx, recorded, actor, action, r.ID, detail)
	return err
}

// purge deletes the sealed payload and the outbox entry of id, if any, and
// counts the residue compaction must clear.
func purge(tx *bolt.Tx, id string) error {
	k := []byte(id)
	byID := bucket(tx, bOutboxByID)
	if seqK := byID.Get(k); seqK != nil {
		if err := bucket(tx, bOutbox).Delete(append([]byte(nil), seqK...)); err != nil {
			return err
		}
		if err := byID.Delete(k); err != nil {
			return err
		}
	}
	sealed := bucket(tx, bSealed)
	if sealed.Get(k) == nil {
		return nil
	}
	if err := sealed.Delete(k); err != nil {
		return err
	}
	return addResidue(tx, 1)
}
