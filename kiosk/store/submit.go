package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
	"guichet/kiosk/request"
	"guichet/kiosk/seal"
)

// Submit stores a citizen's request and its personal data durably and queues
// it for the registry. req is a draft (state Draft or empty) with a valid ID;
// a missing tracking number is drawn from the store's generator (drawing
// again on a collision), a missing KioskID or CreatedAt is filled in.
// personal is sealed to the registry key before anything is written.
//
// In one transaction it writes the request index, the sealed personal data,
// the outbox entry and an audit entry, and it returns the queued request
// only after that transaction is on disk. Submitting again a request id
// that is already stored with the same service, court, fee, currency and
// (if given) tracking number returns the stored request and writes nothing:
// a retried submission is accepted once. A different request under a used
// id or tracking number is ErrConflict.
//
// It returns ErrQueueFull when MaxSize is reached, ErrNoSpace when the disk
// is full, ErrNoRegistryKey before enrolment.
func (s *Store) Submit(ctx context.Context, req request.Request, personal []byte) (request.Request, error) {
	if s.opts.ReadOnly {
		return request.Request{}, ErrReadOnly
	}
	key := s.key.Load()
	if key == nil {
		return request.Request{}, ErrNoRegistryKey
	}
	now := s.now()
	draft := req
	if draft.State == "" {
		draft.State = request.Draft
	}
	if draft.State != request.Draft {
		return request.Request{}, fmt.Errorf("store: submit %s: state %s, want a draft", req.ID, draft.State)
	}
	if draft.KioskID == "" {
		draft.KioskID = s.opts.KioskID
	}
	if draft.CreatedAt.IsZero() {
		draft.CreatedAt = now
	}
	if draft.UpdatedAt.IsZero() {
		draft.UpdatedAt = draft.CreatedAt
	}
	if err := draft.Validate(); err != nil {
		return request.Request{}, fmt.Errorf("store: submit: %w", err)
	}
	sealed, err := seal.Seal(key, draft.ID, personal)
	if err != nil {
		return request.Request{}, fmt.Errorf("store: submit %s: %w", draft.ID, err)
	}
	// Everything but the tracking number is known: encode what can fail now.
	need := int64(len(sealed)) + 4*1024

	var stored request.Request
	err = s.write(ctx, func(tx *bolt.Tx) error {
		stored = request.Request{}
		reqs := bucket(tx, bRequests)
		if v := reqs.Get([]byte(draft.ID)); v != nil {
			var old request.Request
			if err := old.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("store: submit %s: stored request: %w", draft.ID, err)
			}
			if !sameSubmission(old, draft) {
				return fmt.Errorf("%w: request id %s already used for another request", ErrConflict, draft.ID)
			}
			stored = old
			return nil
		}
		if err := s.checkRoom(tx, need); err != nil {
			return err
		}

		r := draft
		idx := bucket(tx, bTracking)
		if r.Tracking == "" {
			// After a restart the generator's counter may start inside the
			// range an earlier run used today; it then walks out of it.
			for i := 0; ; i++ {
				if i == maxTrackingDraws {
					return fmt.Errorf("store: submit: no free tracking number after %d draws", maxTrackingDraws)
				}
				if n := s.gen.Next(); idx.Get([]byte(n)) == nil {
					r.Tracking = n
					break
				}
			}
		} else if idx.Get([]byte(r.Tracking)) != nil {
			return fmt.Errorf("%w: tracking number %s already used", ErrConflict, r.Tracking)
		}
		if err := r.MoveTo(request.Queued, now, ""); err != nil {
			return fmt.Errorf("store: submit: %w", err)
		}
		rb, err := r.MarshalBinary()
		if err != nil {
			return fmt.Errorf("store: submit: %w", err)
		}
		ob := bucket(tx, bOutbox)
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		rec, err := outboxRecord{
			RequestID:      r.ID,
			IdempotencyKey: r.ID,
			BodyHash:       sha256.Sum256(sealed),
			QueuedAt:       now,
		}.MarshalBinary()
		if err != nil {
			return err
		}
		id := []byte(r.ID)
		for _, put := range []struct {
			b    []byte
			k, v []byte
		}{
			{bRequests, id, rb},
			{bTracking, []byte(r.Tracking), id},
			{bSealed, id, sealed},
			{bOutbox, seqKey(seq), rec},
			{bOutboxByID, id, seqKey(seq)},
		} {
			if err := bucket(tx, put.b).Put(put.k, put.v); err != nil {
				return fmt.Errorf("store: submit %s: %s: %w", r.ID, put.b, err)
			}
		}
		detail := fmt.Sprintf("tracking=%s service=%s court=%s fee=%d %s", r.Tracking, r.Service, r.Court, r.Fee, r.Currency)
		if _, err := appendAudit(tx, now, audit.Citizen, "request.queued", r.ID, clip(detail)); err != nil {
			return err
		}
		// Return what a later lookup returns (UTC times, no monotonic clock).
		return stored.UnmarshalBinary(rb)
	})
	if err != nil {
		if errors.Is(err, ErrQueueFull) && !s.limited.Swap(true) {
			s.raise(Alarm{Kind: AlarmQueueFull, Message: ErrQueueFull.Error()})
		}
		return request.Request{}, err
	}
	s.limited.Store(false)
	return stored, nil
}

// maxTrackingDraws bounds the walk out of numbers already issued: more than
// any kiosk issues in a day.
const maxTrackingDraws = 1 << 20

// sameSubmission reports whether draft repeats the submission of old.
func sameSubmission(old, draft request.Request) bool {
	return old.Service == draft.Service && old.Court == draft.Court &&
		old.Fee == draft.Fee && old.Currency == draft.Currency &&
		old.PackVersion == draft.PackVersion &&
		(draft.Tracking == "" || draft.Tracking == old.Tracking)
}

// checkRoom refuses a write of about need bytes beyond MaxSize of live data.
func (s *Store) checkRoom(tx *bolt.Tx, need int64) error {
	if s.opts.MaxSize < 0 {
		return nil
	}
	if inUse(tx)+need > s.opts.MaxSize {
		return ErrQueueFull
	}
	return nil
}

// inUse is the high-water mark of the file minus its free pages, as of the
// last write transaction.
func inUse(tx *bolt.Tx) int64 {
	st := tx.DB().Stats()
	return tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(tx.DB().Info().PageSize)
}
