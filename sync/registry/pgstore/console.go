package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// The web console's records: sessions, failed sign-ins, signing keys and
// issued extracts.

// --- sessions ---

func (s *Store) CreateSession(ctx context.Context, cs store.ConsoleSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO console_sessions (hash, account, csrf, addr, created_at, last_seen, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		cs.Hash[:], cs.Account, cs.CSRF, cs.Addr, us(cs.CreatedAt), us(cs.LastSeen), us(cs.ExpiresAt))
	return wrap(err)
}

func (s *Store) Session(ctx context.Context, hash wire.Hash) (store.ConsoleSession, error) {
	var cs store.ConsoleSession
	var h []byte
	err := s.pool.QueryRow(ctx, `SELECT hash, account, csrf, addr, created_at, last_seen, expires_at FROM console_sessions WHERE hash = $1`, hash[:]).
		Scan(&h, &cs.Account, &cs.CSRF, &cs.Addr, &cs.CreatedAt, &cs.LastSeen, &cs.ExpiresAt)
	if err != nil {
		return store.ConsoleSession{}, wrap(err)
	}
	copy(cs.Hash[:], h)
	cs.CreatedAt, cs.LastSeen, cs.ExpiresAt = cs.CreatedAt.UTC(), cs.LastSeen.UTC(), cs.ExpiresAt.UTC()
	return cs, nil
}

func (s *Store) TouchSession(ctx context.Context, hash wire.Hash, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE console_sessions SET last_seen = $2 WHERE hash = $1`, hash[:], us(at))
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: session", store.ErrNotFound)
	}
	return nil
}

func (s *Store) DeleteSession(ctx context.Context, hash wire.Hash) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE hash = $1`, hash[:])
	return wrap(err)
}

func (s *Store) PurgeSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen < $2`, us(now), us(idleBefore))
	if err != nil {
		return 0, wrap(err)
	}
	return int(tag.RowsAffected()), nil
}

// --- failed sign-ins ---

func (s *Store) AddLoginFailure(ctx context.Context, key string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO login_failures (key, at) VALUES ($1, $2)`, key, us(at))
	return wrap(err)
}

func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT at FROM login_failures WHERE key = $1 AND at >= $2 ORDER BY at, id`, key, us(since))
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (time.Time, error) {
		var t time.Time
		err := r.Scan(&t)
		return t.UTC(), err
	})
	return out, wrap(err)
}

func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return wrap(err)
}

func (s *Store) PurgeLoginFailures(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE at < $1`, us(before))
	if err != nil {
		return 0, wrap(err)
	}
	return int(tag.RowsAffected()), nil
}

// --- signing keys ---

const signingKeyColumns = `id, account, role, court, name_latin, name_arabic, public, sealed, created_at, retired_at`

func scanSigningKey(row pgx.Row) (store.SigningKey, error) {
	var k store.SigningKey
	var role string
	var retired *time.Time
	if err := row.Scan(&k.ID, &k.Account, &role, &k.Court, &k.NameLatin, &k.NameArabic, &k.Public, &k.Sealed, &k.CreatedAt, &retired); err != nil {
		return k, err
	}
	k.Role, k.CreatedAt, k.RetiredAt = store.Role(role), k.CreatedAt.UTC(), utc(retired)
	return k, nil
}

func (s *Store) PutSigningKey(ctx context.Context, k store.SigningKey) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO signing_keys (`+signingKeyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.ID, k.Account, string(k.Role), k.Court, k.NameLatin, k.NameArabic, k.Public, k.Sealed, us(k.CreatedAt), null(k.RetiredAt))
	return wrap(err)
}

func (s *Store) SigningKey(ctx context.Context, id string) (store.SigningKey, error) {
	k, err := scanSigningKey(s.pool.QueryRow(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys WHERE id = $1`, id))
	return k, wrap(err)
}

func (s *Store) SigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+signingKeyColumns+` FROM signing_keys ORDER BY id`)
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SigningKey, error) { return scanSigningKey(r) })
	return out, wrap(err)
}

func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE signing_keys SET retired_at = COALESCE(retired_at, $2) WHERE id = $1`, id, us(at))
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: signing key %q", store.ErrNotFound, id)
	}
	return nil
}

// --- extracts ---

const extractColumns = `number, kiosk_id, request_id, tracking, court, issued_at, issued_by, prosecutor, fragment, endorsed_at, document`

func scanExtract(row pgx.Row) (store.IssuedExtract, error) {
	var x store.IssuedExtract
	var endorsed *time.Time
	if err := row.Scan(&x.Number, &x.KioskID, &x.RequestID, &x.Tracking, &x.Court, &x.IssuedAt, &x.IssuedBy, &x.Prosecutor, &x.Fragment, &endorsed, &x.Document); err != nil {
		return x, err
	}
	x.IssuedAt, x.EndorsedAt = x.IssuedAt.UTC(), utc(endorsed)
	return x, nil
}

func (s *Store) NextExtractSerial(ctx context.Context) (uint64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT nextval('extract_serial')`).Scan(&n); err != nil {
		return 0, wrap(err)
	}
	return uint64(n), nil
}

func (s *Store) PutExtract(ctx context.Context, x store.IssuedExtract) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO extracts (`+extractColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		x.Number, x.KioskID, x.RequestID, x.Tracking, x.Court, us(x.IssuedAt), x.IssuedBy, x.Prosecutor, x.Fragment, null(x.EndorsedAt), x.Document)
	return wrap(err)
}

func (s *Store) Endorse(ctx context.Context, number string, document []byte, at time.Time) (store.IssuedExtract, error) {
	var x store.IssuedExtract
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		x, err = scanExtract(tx.QueryRow(ctx, `SELECT `+extractColumns+` FROM extracts WHERE number = $1 FOR UPDATE`, number))
		if err != nil {
			return err
		}
		if x.Endorsed() {
			return fmt.Errorf("%w: extract %s was endorsed on %s", store.ErrExists, number, x.EndorsedAt.Format(time.RFC3339))
		}
		x.EndorsedAt, x.Document = us(at), document
		_, err = tx.Exec(ctx, `UPDATE extracts SET endorsed_at = $2, document = $3 WHERE number = $1`, number, x.EndorsedAt, document)
		return err
	})
	if err != nil {
		return store.IssuedExtract{}, err
	}
	return x, nil
}

func (s *Store) Extract(ctx context.Context, number string) (store.IssuedExtract, error) {
	x, err := scanExtract(s.pool.QueryRow(ctx, `SELECT `+extractColumns+` FROM extracts WHERE number = $1`, number))
	return x, wrap(err)
}

func (s *Store) ExtractOf(ctx context.Context, kioskID, requestID string) (store.IssuedExtract, error) {
	x, err := scanExtract(s.pool.QueryRow(ctx, `SELECT `+extractColumns+` FROM extracts WHERE kiosk_id = $1 AND request_id = $2`, kioskID, requestID))
	return x, wrap(err)
}

func (s *Store) Extracts(ctx context.Context, f store.ExtractFilter) ([]store.IssuedExtract, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+extractColumns+` FROM extracts
		WHERE ($1 = '' OR court = $1) AND ($2 = '' OR tracking = $2) AND ($3 = '' OR prosecutor = $3) AND (NOT $4 OR endorsed_at IS NULL)
		ORDER BY issued_at DESC, number DESC LIMIT $5`, f.Court, f.Tracking, f.Prosecutor, f.Pending, f.PageSize())
	if err != nil {
		return nil, wrap(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.IssuedExtract, error) { return scanExtract(r) })
	return out, wrap(err)
}
