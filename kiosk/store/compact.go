package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
)

// compactSuffix names the copy a compaction builds next to the database.
const compactSuffix = ".compact"

// compactTxSize bounds one transaction of the copy.
const compactTxSize = 16 << 20

// Compact rewrites the database with only its live data, which shrinks the
// file and removes the bytes of deleted values (acknowledged sealed
// payloads) that bbolt keeps in free pages. Writes wait while it runs; reads
// continue until the final swap. Call it when the kiosk is idle.
//
// The copy is built in NAME.compact, fsynced, renamed over NAME, and the
// directory fsynced: a crash at any point leaves either the old or the new
// complete file (Open removes a leftover copy).
func (s *Store) Compact(ctx context.Context) error {
	return s.enqueue(ctx, &op{compact: true, done: make(chan error, 1)})
}

// compact runs on the writer goroutine, so no write is in flight.
func (s *Store) compact() error {
	started := time.Now()
	tmp := s.path + compactSuffix
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: compact: %w", err)
	}
	before := fileSize(s.path)
	var residue uint64
	if err := s.db.View(func(tx *bolt.Tx) (err error) {
		residue, err = getUint64(bucket(tx, bMeta).Get(kResidue))
		return err
	}); err != nil {
		return fmt.Errorf("store: compact: %w", err)
	}

	if err := s.buildCopy(tmp, residue); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: compact: %w", s.writeError(err))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Close(); err != nil {
		s.log.Error("store: compact: closing the old file", "err", err)
	}
	s.db = nil
	swapErr := os.Rename(tmp, s.path)
	if swapErr == nil {
		swapErr = syncDir(filepath.Dir(s.path))
	} else {
		os.Remove(tmp)
	}
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.opts.LockTimeout})
	if err != nil {
		// The file at path is complete (old or new) but cannot be reopened
		// now; every later call fails with ErrClosed until the next Open.
		s.raise(Alarm{Kind: AlarmCorrupt, Message: fmt.Sprintf("reopening after compaction failed: %v", err)})
		return fmt.Errorf("store: compact: reopen: %w", err)
	}
	s.db = db
	if swapErr != nil {
		return fmt.Errorf("store: compact: %w", swapErr)
	}
	s.log.Info("store: compacted", "before", before, "after", fileSize(s.path),
		"purged", residue, "took", time.Since(started).Round(time.Millisecond))
	return nil
}

// buildCopy writes the live data into tmp, records the compaction in the
// copy's audit chain, and makes the copy durable.
func (s *Store) buildCopy(tmp string, residue uint64) error {
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{NoSync: true, NoGrowSync: true, Timeout: s.opts.LockTimeout})
	if err != nil {
		return err
	}
	if err := bolt.Compact(dst, s.db, compactTxSize); err != nil {
		dst.Close()
		return err
	}
	err = dst.Update(func(tx *bolt.Tx) error {
		if err := bucket(tx, bMeta).Put(kResidue, seqKey(0)); err != nil {
			return err
		}
		_, err := appendAudit(tx, s.now(), audit.System, "store.compacted", filepath.Base(s.path), fmt.Sprintf("purged=%d", residue))
		return err
	})
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
