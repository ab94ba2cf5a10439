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

	"guichet/kiosk/request"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

var (
	bMeta       = []byte("meta")
	bTokens     = []byte("tokens")
	bKiosks     = []byte("kiosks")
	bCerts      = []byte("certs")
	bKioskCerts = []byte("kiosk_certs")
	bRequests   = []byte("requests")
	bSealed     = []byte("sealed")
	bByCourt    = []byte("by_court")
	bByTime     = []byte("by_time")
	bFeed       = []byte("feed")
	bAlerts     = []byte("alerts")
	bAudit      = []byte("audit")
	bAccounts   = []byte("accounts")

	// The web console's.
	bSessions       = []byte("console_sessions")
	bLoginFailures  = []byte("login_failures")
	bSigningKeys    = []byte("signing_keys")
	bExtracts       = []byte("extracts")
	bExtractRequest = []byte("extract_by_request")
	bExtractOrder   = []byte("extract_by_issue")

	// Published documents and radar fines.
	bDocuments       = []byte("documents")
	bFines           = []byte("fines")
	bFinesByNational = []byte("fines_by_national")
	bRollouts        = []byte("rollouts")
	bDiagnostics     = []byte("diagnostics")

	allBuckets = [][]byte{bMeta, bTokens, bKiosks, bCerts, bKioskCerts, bRequests, bSealed, bByCourt, bByTime, bFeed, bAlerts, bAudit, bAccounts,
		bSessions, bLoginFailures, bSigningKeys, bExtracts, bExtractRequest, bExtractOrder, bDocuments, bFines, bFinesByNational, bRollouts, bDiagnostics}

	keySerial = []byte("kiosk_serial")
)

// Store is a store.Store in one bbolt file.
type Store struct {
	db *bolt.DB
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database at path.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

// DB is the underlying database, for consistency checks in tests.
func (s *Store) DB() *bolt.DB { return s.db }

func (s *Store) view(ctx context.Context, f func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(f)
}

func (s *Store) update(ctx context.Context, f func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(f)
}

func get[T any](b *bolt.Bucket, key []byte, what string) (T, error) {
	var v T
	raw := b.Get(key)
	if raw == nil {
		return v, fmt.Errorf("%w: %s %q", store.ErrNotFound, what, key)
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("boltstore: %s %q: %w", what, key, err)
	}
	return v, nil
}

// all decodes every value of a bucket, in key order.
func all[T any](b *bolt.Bucket, what string) ([]T, error) {
	var out []T
	err := b.ForEach(func(key, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("boltstore: %s %q: %w", what, key, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func put(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("boltstore: encode: %w", err)
	}
	return b.Put(key, raw)
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func join(parts ...[]byte) []byte { return bytes.Join(parts, []byte{0}) }

// --- tokens, enrolment, certificates ---

func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bTokens)
		if b.Get(t.Hash[:]) != nil {
			return fmt.Errorf("%w: token %s", store.ErrExists, t.Hash)
		}
		return put(b, t.Hash[:], t)
	})
}

func (s *Store) Token(ctx context.Context, hash wire.Hash) (store.Token, error) {
	var t store.Token
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		t, err = get[store.Token](tx.Bucket(bTokens), hash[:], "token")
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrTokenUnknown
		}
		return err
	})
	return t, err
}

func (s *Store) Enrol(ctx context.Context, e store.Enrolment) (store.Kiosk, error) {
	var k store.Kiosk
	err := s.update(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bTokens)
		t, err := get[store.Token](tb, e.TokenHash[:], "token")
		if errors.Is(err, store.ErrNotFound) {
			return store.ErrTokenUnknown
		} else if err != nil {
			return err
		}
		if err := store.CheckToken(t, e.KioskID, e.At); err != nil {
			return err
		}
		t.UsedAt, t.UsedBy = e.At.UTC(), e.KioskID
		if err := put(tb, e.TokenHash[:], t); err != nil {
			return err
		}
		kb := tx.Bucket(bKiosks)
		k, err = get[store.Kiosk](kb, []byte(e.KioskID), "kiosk")
		switch {
		case errors.Is(err, store.ErrNotFound):
			n, err := tx.Bucket(bMeta).NextSequence()
			if err != nil {
				return err
			}
			k = store.Kiosk{ID: e.KioskID, Serial: store.FormatSerial(t.CountryPack, n)}
		case err != nil:
			return err
		default:
			if err := revokeCerts(tx, e.KioskID, e.At); err != nil {
				return err
			}
		}
		k.Court, k.CountryPack, k.PackVersion = t.Court, t.CountryPack, t.PackVersion
		k.SoftwareVersion, k.Capabilities = e.SoftwareVersion, e.Capabilities
		k.EnrolledAt, k.RevokedAt, k.LastSeen = e.At.UTC(), time.Time{}, e.At.UTC()
		if err := put(kb, []byte(k.ID), k); err != nil {
			return err
		}
		return putCert(tx, e.Certificate)
	})
	return k, err
}

func putCert(tx *bolt.Tx, c store.Certificate) error {
	cb := tx.Bucket(bCerts)
	if cb.Get([]byte(c.Serial)) != nil {
		return fmt.Errorf("%w: certificate %s", store.ErrExists, c.Serial)
	}
	if err := put(cb, []byte(c.Serial), c); err != nil {
		return err
	}
	return tx.Bucket(bKioskCerts).Put(join([]byte(c.KioskID), []byte(c.Serial)), nil)
}

func revokeCerts(tx *bolt.Tx, kioskID string, at time.Time) error {
	cb := tx.Bucket(bCerts)
	prefix := append([]byte(kioskID), 0)
	c := tx.Bucket(bKioskCerts).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		serial := k[len(prefix):]
		cert, err := get[store.Certificate](cb, serial, "certificate")
		if err != nil {
			return err
		}
		if cert.RevokedAt.IsZero() {
			cert.RevokedAt = at.UTC()
			if err := put(cb, serial, cert); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Store) AddCertificate(ctx context.Context, c store.Certificate) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		k, err := get[store.Kiosk](tx.Bucket(bKiosks), []byte(c.KioskID), "kiosk")
		if err != nil {
			return err
		}
		if !k.RevokedAt.IsZero() {
			return fmt.Errorf("%w: %s", store.ErrKioskRevoked, k.ID)
		}
		return putCert(tx, c)
	})
}

func (s *Store) Certificate(ctx context.Context, serial string) (store.Certificate, error) {
	var c store.Certificate
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		c, err = get[store.Certificate](tx.Bucket(bCerts), []byte(serial), "certificate")
		return err
	})
	return c, err
}

func (s *Store) RevokeKiosk(ctx context.Context, kioskID string, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		kb := tx.Bucket(bKiosks)
		k, err := get[store.Kiosk](kb, []byte(kioskID), "kiosk")
		if err != nil {
			return err
		}
		if k.RevokedAt.IsZero() {
			k.RevokedAt = at.UTC()
			if err := put(kb, []byte(kioskID), k); err != nil {
				return err
			}
		}
		return revokeCerts(tx, kioskID, at)
	})
}

// --- kiosks ---

func (s *Store) Kiosk(ctx context.Context, kioskID string) (store.Kiosk, error) {
	var k store.Kiosk
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		k, err = get[store.Kiosk](tx.Bucket(bKiosks), []byte(kioskID), "kiosk")
		return err
	})
	return k, err
}

func (s *Store) Kiosks(ctx context.Context) ([]store.Kiosk, error) {
	var out []store.Kiosk
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = all[store.Kiosk](tx.Bucket(bKiosks), "kiosk")
		return err
	})
	return out, err
}

func (s *Store) RecordTelemetry(ctx context.Context, t wire.Telemetry, at time.Time) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		kb := tx.Bucket(bKiosks)
		k, err := get[store.Kiosk](kb, []byte(t.KioskID), "kiosk")
		if err != nil {
			return err
		}
		k.Telemetry, k.LastSeen = &t, at.UTC()
		k.Capabilities, k.SoftwareVersion = t.Capabilities, t.SoftwareVersion
		return put(kb, []byte(k.ID), k)
	})
}

// --- requests ---

// record is a stored request without its sealed payload.
type record struct {
	KioskID    string
	Item       wire.RequestItem
	ReceivedAt time.Time
	State      request.State
	Reason     string
	UpdatedAt  time.Time
}

func toRecord(r store.Request) record {
	it := r.RequestItem
	it.Sealed = nil
	return record{r.KioskID, it, r.ReceivedAt, r.State, r.Reason, r.UpdatedAt}
}

func (rec record) request() store.Request {
	return store.Request{KioskID: rec.KioskID, RequestItem: rec.Item, ReceivedAt: rec.ReceivedAt, State: rec.State, Reason: rec.Reason, UpdatedAt: rec.UpdatedAt}
}

func requestKey(kioskID, requestID string) []byte { return join([]byte(kioskID), []byte(requestID)) }

func timeKey(r store.Request) []byte {
	return append(u64(uint64(r.ReceivedAt.UnixNano())), requestKey(r.KioskID, r.RequestID)...)
}

func courtKey(r store.Request) []byte {
	return append(append([]byte(r.Court), 0), timeKey(r)...)
}

func (s *Store) Ingest(ctx context.Context, kioskID string, items []wire.RequestItem, receivedAt time.Time) ([]wire.ItemResult, error) {
	receivedAt = receivedAt.UTC()
	var out []wire.ItemResult
	err := s.update(ctx, func(tx *bolt.Tx) error {
		out = make([]wire.ItemResult, 0, len(items))
		rb := tx.Bucket(bRequests)
		kb := tx.Bucket(bKiosks)
		k, err := get[store.Kiosk](kb, []byte(kioskID), "kiosk")
		if err != nil {
			return err
		}
		for _, it := range items {
			key := requestKey(kioskID, it.RequestID)
			if raw := rb.Get(key); raw != nil {
				var rec record
				if err := json.Unmarshal(raw, &rec); err != nil {
					return fmt.Errorf("boltstore: request %q: %w", key, err)
				}
				res := store.Replay(rec.request(), it)
				if res.Outcome == wire.Conflict {
					if err := addAlert(tx, store.ConflictAlert(kioskID, rec.request(), it, receivedAt)); err != nil {
						return err
					}
				}
				out = append(out, res)
				continue
			}
			r := store.Request{KioskID: kioskID, RequestItem: it, ReceivedAt: receivedAt, State: request.Acknowledged, UpdatedAt: receivedAt}
			r.CreatedAt = r.CreatedAt.UTC()
			if err := put(rb, key, toRecord(r)); err != nil {
				return err
			}
			if err := tx.Bucket(bSealed).Put(key, it.Sealed); err != nil {
				return err
			}
			if err := tx.Bucket(bByCourt).Put(courtKey(r), nil); err != nil {
				return err
			}
			if err := tx.Bucket(bByTime).Put(timeKey(r), nil); err != nil {
				return err
			}
			out = append(out, store.Accepted(it, receivedAt))
		}
		k.LastSeen = receivedAt
		return put(kb, []byte(kioskID), k)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Store) Request(ctx context.Context, kioskID, requestID string) (store.Request, error) {
	var r store.Request
	err := s.view(ctx, func(tx *bolt.Tx) error {
		key := requestKey(kioskID, requestID)
		rec, err := get[record](tx.Bucket(bRequests), key, "request")
		if err != nil {
			return err
		}
		r = rec.request()
		r.Sealed = bytes.Clone(tx.Bucket(bSealed).Get(key))
		return nil
	})
	return r, err
}

func (s *Store) Requests(ctx context.Context, f store.Filter) ([]store.Request, error) {
	var out []store.Request
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		index, prefix := tx.Bucket(bByTime), []byte(nil)
		if f.Court != "" {
			index, prefix = tx.Bucket(bByCourt), append([]byte(f.Court), 0)
		}
		start := prefix
		if f.After != nil {
			start = append(bytes.Clone(prefix), timeKey(*f.After)...)
		}
		rb := tx.Bucket(bRequests)
		c := index.Cursor()
		for k, _ := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix) && len(out) < f.PageSize(); k, _ = c.Next() {
			if f.After != nil && bytes.Equal(k, start) {
				continue
			}
			key := k[len(prefix)+8:]
			rec, err := get[record](rb, key, "request")
			if err != nil {
				return err
			}
			if (f.State != "" && rec.State != f.State) || (f.Service != "" && rec.Item.Service != f.Service) {
				continue
			}
			out = append(out, rec.request())
		}
		return nil
	})
	return out, err
}

func (s *Store) SetStatus(ctx context.Context, u store.StatusUpdate) (store.Request, wire.Change, error) {
	var r store.Request
	var ch wire.Change
	err := s.update(ctx, func(tx *bolt.Tx) error {
		key := requestKey(u.KioskID, u.RequestID)
		rec, err := get[record](tx.Bucket(bRequests), key, "request")
		if err != nil {
			return err
		}
		r = rec.request()
		if err := store.Apply(&r, u); err != nil {
			return err
		}
		if err := put(tx.Bucket(bRequests), key, toRecord(r)); err != nil {
			return err
		}
		ch, err = appendChange(tx, u.KioskID, store.StatusChange(r))
		if err != nil {
			return err
		}
		return addAudit(tx, store.AuditEntry{At: u.At.UTC(), Actor: u.Actor, Action: "request." + string(u.To), Subject: u.KioskID + "/" + u.RequestID, Detail: u.Reason})
	})
	if err != nil {
		return store.Request{}, wire.Change{}, err
	}
	return r, ch, nil
}

// --- feed ---

func appendChange(tx *bolt.Tx, kioskID string, c wire.Change) (wire.Change, error) {
	kb := tx.Bucket(bKiosks)
	k, err := get[store.Kiosk](kb, []byte(kioskID), "kiosk")
	if err != nil {
		return c, err
	}
	k.FeedHead++
	c.Seq = k.FeedHead
	c.At = c.At.UTC()
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("boltstore: change for %s: %w", kioskID, err)
	}
	if err := put(kb, []byte(kioskID), k); err != nil {
		return c, err
	}
	return c, put(tx.Bucket(bFeed), append(append([]byte(kioskID), 0), u64(c.Seq)...), c)
}

func (s *Store) AppendChange(ctx context.Context, kioskID string, c wire.Change) (wire.Change, error) {
	var out wire.Change
	err := s.update(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = appendChange(tx, kioskID, c)
		return err
	})
	return out, err
}

func (s *Store) Changes(ctx context.Context, kioskID string, since uint64, limit int) ([]wire.Change, uint64, error) {
	var out []wire.Change
	var head uint64
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		k, err := get[store.Kiosk](tx.Bucket(bKiosks), []byte(kioskID), "kiosk")
		if err != nil {
			return err
		}
		head = k.FeedHead
		prefix := append([]byte(kioskID), 0)
		c := tx.Bucket(bFeed).Cursor()
		for key, v := c.Seek(append(bytes.Clone(prefix), u64(since+1)...)); key != nil && bytes.HasPrefix(key, prefix) && len(out) < limit; key, v = c.Next() {
			var ch wire.Change
			if err := json.Unmarshal(v, &ch); err != nil {
				return fmt.Errorf("boltstore: feed %q: %w", key, err)
			}
			out = append(out, ch)
		}
		return nil
	})
	return out, head, err
}

// --- accounts, alerts, audit ---

func (s *Store) PutAccount(ctx context.Context, a store.Account) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return put(tx.Bucket(bAccounts), []byte(a.Name), a) })
}

func (s *Store) Account(ctx context.Context, name string) (store.Account, error) {
	var a store.Account
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		a, err = get[store.Account](tx.Bucket(bAccounts), []byte(name), "account")
		return err
	})
	return a, err
}

func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	var out []store.Account
	err := s.view(ctx, func(tx *bolt.Tx) error {
		out = nil
		return tx.Bucket(bAccounts).ForEach(func(k, v []byte) error {
			var a store.Account
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			out = append(out, a)
			return nil
		})
	})
	return out, err
}

func addAlert(tx *bolt.Tx, a store.Alert) error {
	b := tx.Bucket(bAlerts)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	a.ID = id
	return put(b, u64(id), a)
}

func addAudit(tx *bolt.Tx, e store.AuditEntry) error {
	b := tx.Bucket(bAudit)
	id, err := b.NextSequence()
	if err != nil {
		return err
	}
	return put(b, u64(id), e)
}

func latest[T any](tx *bolt.Tx, bucket []byte, limit int) ([]T, error) {
	var out []T
	c := tx.Bucket(bucket).Cursor()
	for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
		var x T
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, fmt.Errorf("boltstore: %s %x: %w", bucket, k, err)
		}
		out = append(out, x)
	}
	return out, nil
}

func (s *Store) Alerts(ctx context.Context, limit int) ([]store.Alert, error) {
	var out []store.Alert
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = latest[store.Alert](tx, bAlerts, limit)
		return err
	})
	return out, err
}

func (s *Store) AddAudit(ctx context.Context, e store.AuditEntry) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return addAudit(tx, e) })
}

func (s *Store) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	var out []store.AuditEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = latest[store.AuditEntry](tx, bAudit, limit)
		return err
	})
	return out, err
}

// Check runs bbolt's consistency check over the whole file.
func (s *Store) Check() error {
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return errors.Join(errs...)
	})
}
