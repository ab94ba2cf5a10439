package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// --- published documents ---

func (s *Store) PutDocument(ctx context.Context, d wire.SignedDocument) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bDocuments)
		if prev, err := get[wire.SignedDocument](b, []byte(d.Name), "document"); err == nil && prev.Version >= d.Version {
			return fmt.Errorf("%w: document %s version %d (holding %d)", store.ErrExists, d.Name, d.Version, prev.Version)
		}
		d.Issued, d.Expires = d.Issued.UTC(), d.Expires.UTC()
		return put(b, []byte(d.Name), d)
	})
}

func (s *Store) Document(ctx context.Context, name string) (wire.SignedDocument, error) {
	var d wire.SignedDocument
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		d, err = get[wire.SignedDocument](tx.Bucket(bDocuments), []byte(name), "document")
		return err
	})
	return d, err
}

func (s *Store) Documents(ctx context.Context) ([]wire.SignedDocument, error) {
	var out []wire.SignedDocument
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = all[wire.SignedDocument](tx.Bucket(bDocuments), "document")
		return err
	})
	return out, err
}

// --- radar fines ---

func (s *Store) PutFines(ctx context.Context, fines []store.Fine) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		b, idx := tx.Bucket(bFines), tx.Bucket(bFinesByNational)
		for _, f := range fines {
			key := []byte(f.PVNumber)
			if prev, err := get[store.Fine](b, key, "fine"); err == nil {
				if prev.Paid != nil {
					continue
				}
				if err := idx.Delete(join([]byte(prev.NationalNumber), key)); err != nil {
					return err
				}
			}
			f.Date, f.Paid = f.Date.UTC(), nil
			if err := put(b, key, f); err != nil {
				return err
			}
			if f.NationalNumber != "" {
				if err := idx.Put(join([]byte(f.NationalNumber), key), nil); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	return n, err
}

func (s *Store) Fines(ctx context.Context, nationalNumber, pvNumber string) ([]store.Fine, error) {
	var out []store.Fine
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		b := tx.Bucket(bFines)
		var keys [][]byte
		if pvNumber != "" {
			keys = append(keys, []byte(pvNumber))
		} else if nationalNumber != "" {
			prefix := append([]byte(nationalNumber), 0)
			c := tx.Bucket(bFinesByNational).Cursor()
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
				keys = append(keys, bytes.Clone(k[len(prefix):]))
			}
		}
		for _, k := range keys {
			f, err := get[store.Fine](b, k, "fine")
			if err != nil {
				if pvNumber != "" {
					return nil // an unknown PV number has no unpaid fine
				}
				return err
			}
			if f.Paid == nil {
				out = append(out, f)
			}
		}
		return nil
	})
	slices.SortStableFunc(out, store.CompareFines)
	return out, err
}

func (s *Store) PayFine(ctx context.Context, pv string, p store.FinePayment) (store.Fine, error) {
	var f store.Fine
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bFines)
		var err error
		if f, err = get[store.Fine](b, []byte(pv), "fine"); err != nil {
			return err
		}
		if f.Paid != nil {
			if f.Paid.KioskID == p.KioskID && f.Paid.RequestID == p.RequestID {
				return nil
			}
			return fmt.Errorf("%w: fine %s was paid by request %s/%s", store.ErrExists, pv, f.Paid.KioskID, f.Paid.RequestID)
		}
		p.At = p.At.UTC()
		f.Paid = &p
		return put(b, []byte(pv), f)
	})
	return f, err
}

// --- rollouts ---

func (s *Store) PutRollout(ctx context.Context, r store.Rollout) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bRollouts)
		var held uint64
		if prev, err := get[store.Rollout](b, []byte(r.ID), "rollout"); err == nil {
			held = prev.Revision
		}
		if held != r.Revision-1 || r.Revision == 0 {
			return fmt.Errorf("%w: rollout %s at revision %d, written as %d", store.ErrStale, r.ID, held, r.Revision)
		}
		r.CreatedAt, r.UpdatedAt, r.Deadline = r.CreatedAt.UTC(), r.UpdatedAt.UTC(), r.Deadline.UTC()
		return put(b, []byte(r.ID), r)
	})
}

func (s *Store) Rollout(ctx context.Context, id string) (store.Rollout, error) {
	var r store.Rollout
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		r, err = get[store.Rollout](tx.Bucket(bRollouts), []byte(id), "rollout")
		return err
	})
	return r, err
}

func (s *Store) Rollouts(ctx context.Context) ([]store.Rollout, error) {
	var out []store.Rollout
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = all[store.Rollout](tx.Bucket(bRollouts), "rollout")
		return err
	})
	slices.SortStableFunc(out, func(a, b store.Rollout) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, err
}

// --- diagnostics ---

func (s *Store) PutDiagnostics(ctx context.Context, d store.Diagnostics) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		d.ReceivedAt = d.ReceivedAt.UTC()
		return put(tx.Bucket(bDiagnostics), join([]byte(d.KioskID), []byte(d.Request)), d)
	})
}

func (s *Store) Diagnostics(ctx context.Context, kioskID string, limit int) ([]store.Diagnostics, error) {
	var out []store.Diagnostics
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		prefix := append([]byte(kioskID), 0)
		c := tx.Bucket(bDiagnostics).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var d store.Diagnostics
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("boltstore: diagnostics %q: %w", k, err)
			}
			out = append(out, d)
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b store.Diagnostics) int { return b.ReceivedAt.Compare(a.ReceivedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
