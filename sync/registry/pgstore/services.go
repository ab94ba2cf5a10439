package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// --- published documents ---

func (s *Store) PutDocument(ctx context.Context, d wire.SignedDocument) error {
	d.Issued, d.Expires = d.Issued.UTC(), d.Expires.UTC()
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO documents (name, version, document) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document
		WHERE documents.version < EXCLUDED.version`, d.Name, int64(d.Version), raw)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: document %s version %d is not above the one held", store.ErrExists, d.Name, d.Version)
	}
	return nil
}

func (s *Store) Document(ctx context.Context, name string) (wire.SignedDocument, error) {
	var raw []byte
	if err := s.pool.QueryRow(ctx, `SELECT document FROM documents WHERE name = $1`, name).Scan(&raw); err != nil {
		return wire.SignedDocument{}, wrap(err)
	}
	var d wire.SignedDocument
	return d, json.Unmarshal(raw, &d)
}

func (s *Store) Documents(ctx context.Context) ([]wire.SignedDocument, error) {
	rows, err := s.pool.Query(ctx, `SELECT document FROM documents ORDER BY name`)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (wire.SignedDocument, error) {
		var raw []byte
		var d wire.SignedDocument
		if err := r.Scan(&raw); err != nil {
			return d, err
		}
		return d, json.Unmarshal(raw, &d)
	})
	return out, wrap(err)
}

// --- radar fines ---

func (s *Store) PutFines(ctx context.Context, fines []store.Fine) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		for _, f := range fines {
			f.Date, f.Paid = f.Date.UTC(), nil
			raw, err := json.Marshal(f.Fine)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO fines (pv_number, national_number, fine, offence_date) VALUES ($1, $2, $3, $4)
				ON CONFLICT (pv_number) DO UPDATE SET national_number = EXCLUDED.national_number, fine = EXCLUDED.fine, offence_date = EXCLUDED.offence_date
				WHERE fines.paid_at IS NULL`, f.PVNumber, f.NationalNumber, raw, us(f.Date))
			if err != nil {
				return err
			}
			n += int(tag.RowsAffected())
		}
		return nil
	})
	return n, err
}

const fineColumns = `national_number, fine, paid_kiosk, paid_request, paid_amount, paid_at`

func scanFine(r pgx.Row) (store.Fine, error) {
	var f store.Fine
	var raw []byte
	var kiosk, req *string
	var amount *int64
	var at *time.Time
	if err := r.Scan(&f.NationalNumber, &raw, &kiosk, &req, &amount, &at); err != nil {
		return f, err
	}
	if err := json.Unmarshal(raw, &f.Fine); err != nil {
		return f, err
	}
	if at != nil {
		f.Paid = &store.FinePayment{KioskID: *kiosk, RequestID: *req, Amount: *amount, At: at.UTC()}
	}
	return f, nil
}

func (s *Store) Fines(ctx context.Context, nationalNumber, pvNumber string) ([]store.Fine, error) {
	q := `SELECT ` + fineColumns + ` FROM fines WHERE paid_at IS NULL AND `
	arg := pvNumber
	if pvNumber != "" {
		q += `pv_number = $1`
	} else {
		q += `national_number = $1 AND national_number <> ''`
		arg = nationalNumber
	}
	rows, err := s.pool.Query(ctx, q+` ORDER BY offence_date, pv_number`, arg)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Fine, error) { return scanFine(r) })
	return out, wrap(err)
}

func (s *Store) PayFine(ctx context.Context, pv string, p store.FinePayment) (store.Fine, error) {
	var f store.Fine
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		f, err = scanFine(tx.QueryRow(ctx, `SELECT `+fineColumns+` FROM fines WHERE pv_number = $1 FOR UPDATE`, pv))
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: fine %s", store.ErrNotFound, pv)
		}
		if err != nil {
			return err
		}
		if f.Paid != nil {
			if f.Paid.KioskID == p.KioskID && f.Paid.RequestID == p.RequestID {
				return nil
			}
			return fmt.Errorf("%w: fine %s was paid by request %s/%s", store.ErrExists, pv, f.Paid.KioskID, f.Paid.RequestID)
		}
		p.At = us(p.At)
		if _, err := tx.Exec(ctx, `UPDATE fines SET paid_kiosk = $2, paid_request = $3, paid_amount = $4, paid_at = $5 WHERE pv_number = $1`,
			pv, p.KioskID, p.RequestID, p.Amount, p.At); err != nil {
			return err
		}
		f.Paid = &p
		return nil
	})
	return f, err
}

// --- rollouts ---

func (s *Store) PutRollout(ctx context.Context, r store.Rollout) error {
	if r.Revision == 0 {
		return fmt.Errorf("%w: rollout %s written at revision 0", store.ErrStale, r.ID)
	}
	r.CreatedAt, r.UpdatedAt, r.Deadline = us(r.CreatedAt), us(r.UpdatedAt), r.Deadline.UTC()
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var tag pgconn.CommandTag
	if r.Revision == 1 {
		tag, err = s.pool.Exec(ctx, `INSERT INTO rollouts (id, revision, created_at, rollout) VALUES ($1, 1, $2, $3) ON CONFLICT (id) DO NOTHING`, r.ID, r.CreatedAt, raw)
	} else {
		tag, err = s.pool.Exec(ctx, `UPDATE rollouts SET revision = $2, rollout = $3 WHERE id = $1 AND revision = $4`, r.ID, int64(r.Revision), raw, int64(r.Revision-1))
	}
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: rollout %s was written by someone else", store.ErrStale, r.ID)
	}
	return nil
}

func (s *Store) Rollout(ctx context.Context, id string) (store.Rollout, error) {
	var raw []byte
	if err := s.pool.QueryRow(ctx, `SELECT rollout FROM rollouts WHERE id = $1`, id).Scan(&raw); err != nil {
		return store.Rollout{}, wrap(err)
	}
	var r store.Rollout
	return r, json.Unmarshal(raw, &r)
}

func (s *Store) Rollouts(ctx context.Context) ([]store.Rollout, error) {
	rows, err := s.pool.Query(ctx, `SELECT rollout FROM rollouts ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Rollout, error) {
		var raw []byte
		var ro store.Rollout
		if err := r.Scan(&raw); err != nil {
			return ro, err
		}
		return ro, json.Unmarshal(raw, &ro)
	})
	return out, wrap(err)
}

// --- diagnostics ---

func (s *Store) PutDiagnostics(ctx context.Context, d store.Diagnostics) error {
	raw, err := json.Marshal(d.Bundle)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO diagnostics (kiosk_id, request, received_at, bundle) VALUES ($1, $2, $3, $4)
		ON CONFLICT (kiosk_id, request) DO UPDATE SET received_at = EXCLUDED.received_at, bundle = EXCLUDED.bundle`, d.KioskID, d.Request, us(d.ReceivedAt), raw)
	return wrap(err)
}

func (s *Store) Diagnostics(ctx context.Context, kioskID string, limit int) ([]store.Diagnostics, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, `SELECT request, received_at, bundle FROM diagnostics WHERE kiosk_id = $1 ORDER BY received_at DESC, request LIMIT $2`, kioskID, limit)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Diagnostics, error) {
		d := store.Diagnostics{KioskID: kioskID}
		var raw []byte
		if err := r.Scan(&d.Request, &d.ReceivedAt, &raw); err != nil {
			return d, err
		}
		d.ReceivedAt = d.ReceivedAt.UTC()
		return d, json.Unmarshal(raw, &d.Bundle)
	})
	return out, wrap(err)
}
