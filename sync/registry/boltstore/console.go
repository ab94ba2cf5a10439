package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// The web console's records: sessions, failed sign-ins, signing keys and
// issued extracts.

// --- sessions ---

func (s *Store) CreateSession(ctx context.Context, cs store.ConsoleSession) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions)
		if b.Get(cs.Hash[:]) != nil {
			return fmt.Errorf("%w: session", store.ErrExists)
		}
		return put(b, cs.Hash[:], normSession(cs))
	})
}

func normSession(cs store.ConsoleSession) store.ConsoleSession {
	cs.CreatedAt, cs.LastSeen, cs.ExpiresAt = cs.CreatedAt.UTC(), cs.LastSeen.UTC(), cs.ExpiresAt.UTC()
	return cs
}

func (s *Store) Session(ctx context.Context, hash wire.Hash) (store.ConsoleSession, error) {
	var cs store.ConsoleSession
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		cs, err = get[store.ConsoleSession](tx.Bucket(bSessions), hash[:], "session")
		return err
	})
	return cs, err
}

func (s *Store) TouchSession(ctx context.Context, hash wire.Hash, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSessions)
		cs, err := get[store.ConsoleSession](b, hash[:], "session")
		if err != nil {
			return err
		}
		cs.LastSeen = at.UTC()
		return put(b, hash[:], cs)
	})
}

func (s *Store) DeleteSession(ctx context.Context, hash wire.Hash) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return tx.Bucket(bSessions).Delete(hash[:]) })
}

func (s *Store) PurgeSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bSessions)
		var dead [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var cs store.ConsoleSession
			if err := json.Unmarshal(v, &cs); err != nil {
				return fmt.Errorf("boltstore: session: %w", err)
			}
			if !cs.ExpiresAt.After(now) || cs.LastSeen.Before(idleBefore) {
				dead = append(dead, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// --- failed sign-ins ---

// failureKey is key, 0, the time in Unix nanoseconds and a sequence, so
// that a key's failures sort by time and two at the same instant both count.
func failureKey(key string, at time.Time, seq uint64) []byte {
	b := append([]byte(key), 0)
	b = binary.BigEndian.AppendUint64(b, uint64(at.UnixNano()))
	return binary.BigEndian.AppendUint64(b, seq)
}

func (s *Store) AddLoginFailure(ctx context.Context, key string, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bLoginFailures)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(failureKey(key, at, seq), nil)
	})
}

func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	var out []time.Time
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		prefix := append([]byte(key), 0)
		c := tx.Bucket(bLoginFailures).Cursor()
		for k, _ := c.Seek(failureKey(key, since, 0)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			if len(k) != len(prefix)+16 {
				continue
			}
			out = append(out, time.Unix(0, int64(binary.BigEndian.Uint64(k[len(prefix):]))).UTC())
		}
		return nil
	})
	return out, err
}

func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		prefix := append([]byte(key), 0)
		c := tx.Bucket(bLoginFailures).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if len(k) != len(prefix)+16 {
				break // a longer key sharing the prefix: none of key's are left
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) PurgeLoginFailures(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bLoginFailures)
		var dead [][]byte
		err := b.ForEach(func(k, _ []byte) error {
			if len(k) < 16 {
				return nil
			}
			at := int64(binary.BigEndian.Uint64(k[len(k)-16:]))
			if at < before.UnixNano() {
				dead = append(dead, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range dead {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(dead)
		return nil
	})
	return n, err
}

// --- signing keys ---

func (s *Store) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSigningKeys)
		if b.Get([]byte(k.ID)) != nil {
			return fmt.Errorf("%w: signing key %s", store.ErrExists, k.ID)
		}
		k.CreatedAt, k.RetiredAt = k.CreatedAt.UTC(), k.RetiredAt.UTC()
		return put(b, []byte(k.ID), k)
	})
}

func (s *Store) SigningKey(ctx context.Context, id string) (store.SigningKey, error) {
	var k store.SigningKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		k, err = get[store.SigningKey](tx.Bucket(bSigningKeys), []byte(id), "signing key")
		return err
	})
	return k, err
}

func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	var out []store.SigningKey
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = all[store.SigningKey](tx.Bucket(bSigningKeys), "signing key")
		return err
	})
	return out, err
}

func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bSigningKeys)
		k, err := get[store.SigningKey](b, []byte(id), "signing key")
		if err != nil {
			return err
		}
		if k.RetiredAt.IsZero() {
			k.RetiredAt = at.UTC()
		}
		return put(b, []byte(id), k)
	})
}

// --- extracts ---

var keyExtractSerial = []byte("extract_serial")

func (s *Store) NextExtractSerial(ctx context.Context) (uint64, error) {
	var n uint64
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bMeta)
		if raw := b.Get(keyExtractSerial); len(raw) == 8 {
			n = binary.BigEndian.Uint64(raw)
		}
		n++
		return b.Put(keyExtractSerial, u64(n))
	})
	return n, err
}

func extractOrderKey(x store.IssuedExtract) []byte {
	return append(u64(uint64(x.IssuedAt.UnixNano())), x.Number...)
}

func (s *Store) PutExtract(ctx context.Context, x store.IssuedExtract) error {
	x.IssuedAt, x.EndorsedAt = x.IssuedAt.UTC(), x.EndorsedAt.UTC()
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bExtracts)
		if b.Get([]byte(x.Number)) != nil {
			return fmt.Errorf("%w: extract %s", store.ErrExists, x.Number)
		}
		rb := tx.Bucket(bExtractRequest)
		rk := requestKey(x.KioskID, x.RequestID)
		if n := rb.Get(rk); n != nil {
			return fmt.Errorf("%w: request %s/%s already has extract %s", store.ErrExists, x.KioskID, x.RequestID, n)
		}
		if err := rb.Put(rk, []byte(x.Number)); err != nil {
			return err
		}
		if err := tx.Bucket(bExtractOrder).Put(extractOrderKey(x), nil); err != nil {
			return err
		}
		return put(b, []byte(x.Number), x)
	})
}

func (s *Store) Endorse(ctx context.Context, number string, document []byte, at time.Time) (store.IssuedExtract, error) {
	var x store.IssuedExtract
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bExtracts)
		var err error
		x, err = get[store.IssuedExtract](b, []byte(number), "extract")
		if err != nil {
			return err
		}
		if x.Endorsed() {
			return fmt.Errorf("%w: extract %s was endorsed on %s", store.ErrExists, number, x.EndorsedAt.Format(time.RFC3339))
		}
		x.EndorsedAt, x.Document = at.UTC(), bytes.Clone(document)
		return put(b, []byte(number), x)
	})
	if err != nil {
		return store.IssuedExtract{}, err
	}
	return x, nil
}

func (s *Store) Extract(ctx context.Context, number string) (store.IssuedExtract, error) {
	var x store.IssuedExtract
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		x, err = get[store.IssuedExtract](tx.Bucket(bExtracts), []byte(number), "extract")
		return err
	})
	return x, err
}

func (s *Store) ExtractOf(ctx context.Context, kioskID, requestID string) (store.IssuedExtract, error) {
	var x store.IssuedExtract
	err := s.view(ctx, func(tx *bolt.Tx) error {
		n := tx.Bucket(bExtractRequest).Get(requestKey(kioskID, requestID))
		if n == nil {
			return fmt.Errorf("%w: no extract for request %s/%s", store.ErrNotFound, kioskID, requestID)
		}
		var err error
		x, err = get[store.IssuedExtract](tx.Bucket(bExtracts), n, "extract")
		return err
	})
	return x, err
}

func (s *Store) Extracts(ctx context.Context, f store.ExtractFilter) ([]store.IssuedExtract, error) {
	var out []store.IssuedExtract
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		xb := tx.Bucket(bExtracts)
		c := tx.Bucket(bExtractOrder).Cursor()
		for k, _ := c.Last(); k != nil && len(out) < f.PageSize(); k, _ = c.Prev() {
			x, err := get[store.IssuedExtract](xb, k[8:], "extract")
			if errors.Is(err, store.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			if (f.Court != "" && x.Court != f.Court) || (f.Tracking != "" && x.Tracking != f.Tracking) ||
				(f.Prosecutor != "" && x.Prosecutor != f.Prosecutor) || (f.Pending && x.Endorsed()) {
				continue
			}
			out = append(out, x)
		}
		return nil
	})
	return out, err
}
