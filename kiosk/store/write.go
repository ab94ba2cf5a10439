package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
)

// maxBatch bounds how many queued writes share one transaction.
const maxBatch = 256

// op is one write queued for the writer goroutine. fn runs inside a write
// transaction and may run more than once (when another op in its batch
// fails, the batch is retried without it): it must have no effect outside
// tx except through state it fully resets on each run.
type op struct {
	fn      func(tx *bolt.Tx) error
	compact bool // run a compaction instead of fn
	done    chan error
}

// write queues fn and waits for its transaction to commit. ctx is honoured
// only until the write is queued: after that the outcome is always awaited,
// so that a caller never reports failure for a write that committed.
func (s *Store) write(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	return s.enqueue(ctx, &op{fn: fn, done: make(chan error, 1)})
}

func (s *Store) enqueue(ctx context.Context, o *op) error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	select {
	case s.ops <- o:
	case <-s.closing:
		return ErrClosed
	case <-ctx.Done():
		return fmt.Errorf("store: %w", ctx.Err())
	}
	return <-o.done
}

// writer serialises every write: it takes all writes queued at the moment,
// runs them in one transaction, and repeats. A lone write waits for nothing.
func (s *Store) writer() {
	defer s.writerW.Done()
	for {
		var first *op
		select {
		case first = <-s.ops:
		case <-s.closing:
			return
		}
		if first.compact {
			first.done <- s.compact()
			continue
		}
		batch := []*op{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case o := <-s.ops:
				if o.compact {
					s.runBatch(batch)
					batch = nil
					o.done <- s.compact()
					break drain
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		s.runBatch(batch)
	}
}

// runBatch commits ops in one transaction. If one op fails, the transaction
// is rolled back, the others are retried without it, and it then runs alone
// so that its error is its own.
func (s *Store) runBatch(batch []*op) {
	var solo []*op
	for len(batch) > 0 {
		failed := -1
		err := s.db.Update(func(tx *bolt.Tx) error {
			for i, o := range batch {
				if err := o.fn(tx); err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed >= 0 && len(batch) > 1 {
			solo = append(solo, batch[failed])
			batch = append(batch[:failed:failed], batch[failed+1:]...)
			continue
		}
		err = s.writeError(err)
		for _, o := range batch {
			o.done <- err
		}
		break
	}
	for _, o := range solo {
		s.runBatch([]*op{o})
	}
}

// writeError classifies a failed write: a lack of space becomes ErrNoSpace
// (and an alarm) whether bbolt kept the errno or only its text.
func (s *Store) writeError(err error) error {
	if err == nil || !isNoSpace(err) {
		return err
	}
	s.raise(Alarm{Kind: AlarmNoSpace, Message: err.Error()})
	return fmt.Errorf("%w: %v", ErrNoSpace, err)
}

func isNoSpace(err error) bool {
	for _, e := range []syscall.Errno{syscall.ENOSPC, syscall.EDQUOT, syscall.EFBIG} {
		if errors.Is(err, e) || strings.Contains(err.Error(), e.Error()) {
			return true
		}
	}
	return false
}

// appendAudit adds an entry to the chain inside tx.
func appendAudit(tx *bolt.Tx, at time.Time, actor audit.Actor, action, subject, detail string) (audit.Entry, error) {
	meta := bucket(tx, bMeta)
	var head audit.Head
	if b := meta.Get(kAuditHead); b != nil {
		if err := head.UnmarshalBinary(b); err != nil {
			return audit.Entry{}, fmt.Errorf("store: %w", err)
		}
	}
	e, err := head.Next(at, actor, action, subject, detail)
	if err != nil {
		return audit.Entry{}, fmt.Errorf("store: %w", err)
	}
	v, err := e.MarshalBinary()
	if err != nil {
		return audit.Entry{}, fmt.Errorf("store: %w", err)
	}
	if err := bucket(tx, bAudit).Put(seqKey(e.Seq), v); err != nil {
		return audit.Entry{}, fmt.Errorf("store: audit: %w", err)
	}
	hb, _ := e.Head().MarshalBinary()
	if err := meta.Put(kAuditHead, hb); err != nil {
		return audit.Entry{}, fmt.Errorf("store: audit head: %w", err)
	}
	return e, nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

// getUint64 reads an 8-byte counter from meta (0 if absent).
func getUint64(b []byte) (uint64, error) {
	switch len(b) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(b), nil
	}
	return 0, fmt.Errorf("store: counter is %d bytes, want 8", len(b))
}

// addResidue counts n more sealed payloads deleted since the last compaction.
func addResidue(tx *bolt.Tx, n uint64) error {
	meta := bucket(tx, bMeta)
	r, err := getUint64(meta.Get(kResidue))
	if err != nil {
		return err
	}
	return meta.Put(kResidue, seqKey(r+n))
}
