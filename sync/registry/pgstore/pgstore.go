package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Store is a store.Store over a PostgreSQL connection pool.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (a postgres:// URL or
// key=value string, as pgx reads them) and migrates its schema.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Migrate creates the schema if it is missing. Several processes may call
// it at once: an advisory lock serialises them.
func (s *Store) Migrate(ctx context.Context) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(7245001)"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs f in a read-committed transaction, retrying on a serialisation
// failure or deadlock (which a retry resolves).
func (s *Store) tx(ctx context.Context, f func(tx pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, f)
		var pe *pgconn.PgError
		if attempt < 5 && errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") {
			continue
		}
		return wrap(err)
	}
}

// wrap maps database errors onto the store's sentinels.
func wrap(err error) error {
	var pe *pgconn.PgError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	case errors.As(err, &pe) && pe.Code == "23505":
		return fmt.Errorf("%w: %s", store.ErrExists, pe.Detail)
	case errors.As(err, &pe) && pe.Code == "23503":
		return fmt.Errorf("%w: %s", store.ErrNotFound, pe.Detail)
	}
	var se interface{ SQLState() string }
	if errors.As(err, &se) {
		return fmt.Errorf("pgstore: %w", err)
	}
	return err
}

func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// null returns nil for a zero time, so that it is stored as NULL.
func null(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return us(t)
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// --- tokens, enrolment, certificates ---

func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO tokens (hash, kiosk_id, court, country_pack, pack_version, issued_by, issued_at, expires_at, used_at, used_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			t.Hash[:], t.KioskID, t.Court, t.CountryPack, t.PackVersion, t.IssuedBy, us(t.IssuedAt), us(t.ExpiresAt), null(t.UsedAt), t.UsedBy)
		return err
	})
}

const tokenColumns = `hash, kiosk_id, court, country_pack, pack_version, issued_by, issued_at, expires_at, used_at, used_by`

func scanToken(row pgx.Row) (store.Token, error) {
	var t store.Token
	var hash []byte
	var issued, expires time.Time
	var used *time.Time
	err := row.Scan(&hash, &t.KioskID, &t.Court, &t.CountryPack, &t.PackVersion, &t.IssuedBy, &issued, &expires, &used, &t.UsedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, store.ErrTokenUnknown
	}
	if err != nil {
		return t, err
	}
	copy(t.Hash[:], hash)
	t.IssuedAt, t.ExpiresAt, t.UsedAt = issued.UTC(), expires.UTC(), utc(used)
	return t, nil
}

func (s *Store) Token(ctx context.Context, hash wire.Hash) (store.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash[:]))
	if errors.Is(err, store.ErrTokenUnknown) {
		return t, err
	}
	return t, wrap(err)
}

func (s *Store) Enrol(ctx context.Context, e store.Enrolment) (store.Kiosk, error) {
	var k store.Kiosk
	at := us(e.At)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		t, err := scanToken(tx.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1 FOR UPDATE`, e.TokenHash[:]))
		if err != nil {
			return err
		}
		if err := store.CheckToken(t, e.KioskID, e.At); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE tokens SET used_at = $2, used_by = $3 WHERE hash = $1`, e.TokenHash[:], at, e.KioskID); err != nil {
			return err
		}
		caps := capsText(e.Capabilities)
		k, err = scanKiosk(tx.QueryRow(ctx, `SELECT `+kioskColumns+` FROM kiosks WHERE id = $1 FOR UPDATE`, e.KioskID))
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			var n int64
			if err := tx.QueryRow(ctx, `SELECT nextval('kiosk_serial')`).Scan(&n); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO kiosks (id, serial, court, country_pack, pack_version, software_version, capabilities, enrolled_at, last_seen)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
				e.KioskID, store.FormatSerial(t.CountryPack, uint64(n)), t.Court, t.CountryPack, t.PackVersion, e.SoftwareVersion, caps, at)
		case err != nil:
			return err
		default:
			if _, err := tx.Exec(ctx, `UPDATE certs SET revoked_at = $2 WHERE kiosk_id = $1 AND revoked_at IS NULL`, e.KioskID, at); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `UPDATE kiosks SET court = $2, country_pack = $3, pack_version = $4, software_version = $5, capabilities = $6,
				enrolled_at = $7, last_seen = $7, revoked_at = NULL WHERE id = $1`,
				e.KioskID, t.Court, t.CountryPack, t.PackVersion, e.SoftwareVersion, caps, at)
		}
		if err != nil {
			return err
		}
		if err := insertCert(ctx, tx, e.Certificate); err != nil {
			return err
		}
		k, err = scanKiosk(tx.QueryRow(ctx, `SELECT `+kioskColumns+` FROM kiosks WHERE id = $1`, e.KioskID))
		return err
	})
	return k, err
}

func insertCert(ctx context.Context, tx pgx.Tx, c store.Certificate) error {
	_, err := tx.Exec(ctx, `INSERT INTO certs (serial, kiosk_id, not_before, not_after, der, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.Serial, c.KioskID, us(c.NotBefore), us(c.NotAfter), c.DER, null(c.RevokedAt))
	return err
}

func (s *Store) AddCertificate(ctx context.Context, c store.Certificate) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		var revoked *time.Time
		if err := tx.QueryRow(ctx, `SELECT revoked_at FROM kiosks WHERE id = $1 FOR SHARE`, c.KioskID).Scan(&revoked); err != nil {
			return err
		}
		if revoked != nil {
			return fmt.Errorf("%w: %s", store.ErrKioskRevoked, c.KioskID)
		}
		return insertCert(ctx, tx, c)
	})
}

func (s *Store) Certificate(ctx context.Context, serial string) (store.Certificate, error) {
	var c store.Certificate
	var nb, na time.Time
	var revoked *time.Time
	err := s.pool.QueryRow(ctx, `SELECT serial, kiosk_id, not_before, not_after, der, revoked_at FROM certs WHERE serial = $1`, serial).
		Scan(&c.Serial, &c.KioskID, &nb, &na, &c.DER, &revoked)
	c.NotBefore, c.NotAfter, c.RevokedAt = nb.UTC(), na.UTC(), utc(revoked)
	return c, wrap(err)
}

func (s *Store) RevokeKiosk(ctx context.Context, kioskID string, at time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE kiosks SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, kioskID, us(at))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: kiosk %q", store.ErrNotFound, kioskID)
		}
		_, err = tx.Exec(ctx, `UPDATE certs SET revoked_at = $2 WHERE kiosk_id = $1 AND revoked_at IS NULL`, kioskID, us(at))
		return err
	})
}

// --- kiosks ---

const kioskColumns = `id, serial, court, country_pack, pack_version, software_version, capabilities, enrolled_at, revoked_at, last_seen, telemetry, feed_head`

func scanKiosk(row pgx.Row) (store.Kiosk, error) {
	var k store.Kiosk
	var caps []string
	var enrolled, seen time.Time
	var revoked *time.Time
	var tel *string
	var head int64
	if err := row.Scan(&k.ID, &k.Serial, &k.Court, &k.CountryPack, &k.PackVersion, &k.SoftwareVersion, &caps, &enrolled, &revoked, &seen, &tel, &head); err != nil {
		return k, err
	}
	for _, c := range caps {
		k.Capabilities = append(k.Capabilities, wire.Capability(c))
	}
	k.EnrolledAt, k.RevokedAt, k.LastSeen, k.FeedHead = enrolled.UTC(), utc(revoked), seen.UTC(), uint64(head)
	if tel != nil {
		k.Telemetry = new(wire.Telemetry)
		if err := json.Unmarshal([]byte(*tel), k.Telemetry); err != nil {
			return k, fmt.Errorf("pgstore: kiosk %s telemetry: %w", k.ID, err)
		}
	}
	return k, nil
}

func capsText(cs []wire.Capability) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, string(c))
	}
	return out
}

func (s *Store) Kiosk(ctx context.Context, kioskID string) (store.Kiosk, error) {
	k, err := scanKiosk(s.pool.QueryRow(ctx, `SELECT `+kioskColumns+` FROM kiosks WHERE id = $1`, kioskID))
	return k, wrap(err)
}

func (s *Store) Kiosks(ctx context.Context) ([]store.Kiosk, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+kioskColumns+` FROM kiosks ORDER BY id`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []store.Kiosk
	for rows.Next() {
		k, err := scanKiosk(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, k)
	}
	return out, wrap(rows.Err())
}

func (s *Store) RecordTelemetry(ctx context.Context, t wire.Telemetry, at time.Time) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("pgstore: telemetry: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE kiosks SET telemetry = $2, last_seen = $3, capabilities = $4, software_version = $5 WHERE id = $1`,
		t.KioskID, string(raw), us(at), capsText(t.Capabilities), t.SoftwareVersion)
	if err != nil {
		return wrap(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: kiosk %q", store.ErrNotFound, t.KioskID)
	}
	return nil
}

// --- requests ---

func (s *Store) Ingest(ctx context.Context, kioskID string, items []wire.RequestItem, receivedAt time.Time) ([]wire.ItemResult, error) {
	receivedAt = us(receivedAt)
	n := len(items)
	ids, trk, svc, court, cur := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	fee, created := make([]int64, n), make([]int64, n)
	pack := make([]int32, n)
	sealed, hash := make([][]byte, n), make([][]byte, n)
	for i, it := range items {
		ids[i], trk[i], svc[i], court[i], cur[i] = it.RequestID, string(it.Tracking), it.Service, it.Court, it.Currency
		fee[i], created[i], pack[i] = it.Fee, it.CreatedAt.UnixNano(), int32(it.PackVersion)
		sealed[i], hash[i] = it.Sealed, it.BodyHash[:]
	}
	var out []wire.ItemResult
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The kiosk's row lock serialises its batches across processes.
		tag, err := tx.Exec(ctx, `UPDATE kiosks SET last_seen = $2 WHERE id = $1`, kioskID, receivedAt)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: kiosk %q", store.ErrNotFound, kioskID)
		}
		rows, err := tx.Query(ctx, `INSERT INTO requests (kiosk_id, request_id, tracking, service, court, fee, currency, pack_version,
				created_at_ns, sealed, body_hash, received_at, state, updated_at)
			SELECT $1, u.id, u.trk, u.svc, u.court, u.fee, u.cur, u.pack, u.created, u.sealed, u.hash, $12, $13, $12
			FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::integer[], $9::bigint[], $10::bytea[], $11::bytea[])
				AS u(id, trk, svc, court, fee, cur, pack, created, sealed, hash)
			ON CONFLICT (kiosk_id, request_id) DO NOTHING
			RETURNING request_id`,
			kioskID, ids, trk, svc, court, fee, cur, pack, created, sealed, hash, receivedAt, string(request.Acknowledged))
		if err != nil {
			return err
		}
		inserted, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		fresh := make(map[string]bool, len(inserted))
		for _, id := range inserted {
			fresh[id] = true
		}
		existing := map[string]store.Request{}
		if len(inserted) < n {
			var replayed []string
			for _, id := range ids {
				if !fresh[id] {
					replayed = append(replayed, id)
				}
			}
			rows, err := tx.Query(ctx, `SELECT request_id, body_hash, received_at, state FROM requests WHERE kiosk_id = $1 AND request_id = ANY($2)`, kioskID, replayed)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r store.Request
				var h []byte
				var state string
				if err := rows.Scan(&r.RequestID, &h, &r.ReceivedAt, &state); err != nil {
					rows.Close()
					return err
				}
				copy(r.BodyHash[:], h)
				r.ReceivedAt, r.State = r.ReceivedAt.UTC(), request.State(state)
				existing[r.RequestID] = r
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		out = make([]wire.ItemResult, 0, n)
		for _, it := range items {
			if fresh[it.RequestID] {
				out = append(out, store.Accepted(it, receivedAt))
				continue
			}
			prev, ok := existing[it.RequestID]
			if !ok {
				return fmt.Errorf("pgstore: request %s neither inserted nor found", it.RequestID)
			}
			res := store.Replay(prev, it)
			if res.Outcome == wire.Conflict {
				if err := addAlert(ctx, tx, store.ConflictAlert(kioskID, prev, it, receivedAt)); err != nil {
					return err
				}
			}
			out = append(out, res)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

const requestColumns = `kiosk_id, request_id, tracking, service, court, fee, currency, pack_version, created_at_ns, body_hash, received_at, state, reason, updated_at`

func scanRequest(row pgx.Row, withSealed bool) (store.Request, error) {
	var r store.Request
	var trk, state string
	var created int64
	var hash []byte
	dest := []any{&r.KioskID, &r.RequestID, &trk, &r.Service, &r.Court, &r.Fee, &r.Currency, &r.PackVersion, &created, &hash, &r.ReceivedAt, &state, &r.Reason, &r.UpdatedAt}
	if withSealed {
		dest = append(dest, &r.Sealed)
	}
	if err := row.Scan(dest...); err != nil {
		return r, err
	}
	r.Tracking, r.State = tracking.Number(trk), request.State(state)
	r.CreatedAt = time.Unix(0, created).UTC()
	copy(r.BodyHash[:], hash)
	r.ReceivedAt, r.UpdatedAt = r.ReceivedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

func (s *Store) Request(ctx context.Context, kioskID, requestID string) (store.Request, error) {
	r, err := scanRequest(s.pool.QueryRow(ctx, `SELECT `+requestColumns+`, sealed FROM requests WHERE kiosk_id = $1 AND request_id = $2`, kioskID, requestID), true)
	return r, wrap(err)
}

func (s *Store) Requests(ctx context.Context, f store.Filter) ([]store.Request, error) {
	q := `SELECT ` + requestColumns + ` FROM requests WHERE ($1 = '' OR court = $1) AND ($2 = '' OR state = $2) AND ($4 = '' OR service = $4)`
	args := []any{f.Court, string(f.State), 0, f.Service}
	if f.After != nil {
		q += ` AND (received_at, kiosk_id, request_id) > ($5, $6, $7)`
		args = append(args, us(f.After.ReceivedAt), f.After.KioskID, f.After.RequestID)
	}
	q += ` ORDER BY received_at, kiosk_id, request_id LIMIT $3`
	args[2] = f.PageSize()
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []store.Request
	for rows.Next() {
		r, err := scanRequest(rows, false)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, r)
	}
	return out, wrap(rows.Err())
}

func (s *Store) SetStatus(ctx context.Context, u store.StatusUpdate) (store.Request, wire.Change, error) {
	u.At = us(u.At)
	var r store.Request
	var ch wire.Change
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		r, err = scanRequest(tx.QueryRow(ctx, `SELECT `+requestColumns+` FROM requests WHERE kiosk_id = $1 AND request_id = $2 FOR UPDATE`, u.KioskID, u.RequestID), false)
		if err != nil {
			return err
		}
		if err := store.Apply(&r, u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE requests SET state = $3, reason = $4, updated_at = $5 WHERE kiosk_id = $1 AND request_id = $2`,
			u.KioskID, u.RequestID, string(r.State), r.Reason, r.UpdatedAt); err != nil {
			return err
		}
		ch, err = appendChange(ctx, tx, u.KioskID, store.StatusChange(r))
		if err != nil {
			return err
		}
		return addAudit(ctx, tx, store.AuditEntry{At: u.At, Actor: u.Actor, Action: "request." + string(u.To), Subject: u.KioskID + "/" + u.RequestID, Detail: u.Reason})
	})
	if err != nil {
		return store.Request{}, wire.Change{}, err
	}
	return r, ch, nil
}

// --- feed ---

func appendChange(ctx context.Context, tx pgx.Tx, kioskID string, c wire.Change) (wire.Change, error) {
	c.At = us(c.At)
	c.Seq = 1 // validated with a placeholder; the real one comes from the row
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("pgstore: change for %s: %w", kioskID, err)
	}
	var head int64
	if err := tx.QueryRow(ctx, `UPDATE kiosks SET feed_head = feed_head + 1 WHERE id = $1 RETURNING feed_head`, kioskID).Scan(&head); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return c, fmt.Errorf("%w: kiosk %q", store.ErrNotFound, kioskID)
		}
		return c, err
	}
	c.Seq = uint64(head)
	raw, err := json.Marshal(c)
	if err != nil {
		return c, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO feed (kiosk_id, seq, change) VALUES ($1, $2, $3)`, kioskID, head, string(raw))
	return c, err
}

func (s *Store) AppendChange(ctx context.Context, kioskID string, c wire.Change) (wire.Change, error) {
	var out wire.Change
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = appendChange(ctx, tx, kioskID, c)
		return err
	})
	return out, err
}

func (s *Store) Changes(ctx context.Context, kioskID string, since uint64, limit int) ([]wire.Change, uint64, error) {
	var out []wire.Change
	var head int64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		out = nil
		if err := tx.QueryRow(ctx, `SELECT feed_head FROM kiosks WHERE id = $1`, kioskID).Scan(&head); err != nil {
			return err
		}
		if limit <= 0 || since >= uint64(head) {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT change FROM feed WHERE kiosk_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, kioskID, int64(since), limit)
		if err != nil {
			return err
		}
		raws, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, raw := range raws {
			var c wire.Change
			if err := json.Unmarshal([]byte(raw), &c); err != nil {
				return fmt.Errorf("pgstore: feed of %s: %w", kioskID, err)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, 0, wrap(err)
	}
	return out, uint64(head), nil
}

// --- accounts, alerts, audit ---

func (s *Store) PutAccount(ctx context.Context, a store.Account) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO accounts (name, role, court, password_hash, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET role = $2, court = $3, password_hash = $4, created_at = $5, disabled_at = $6`,
		a.Name, string(a.Role), a.Court, a.PasswordHash, us(a.CreatedAt), null(a.DisabledAt))
	return wrap(err)
}

const accountColumns = `name, role, court, password_hash, created_at, disabled_at`

func scanAccount(row pgx.Row) (store.Account, error) {
	var a store.Account
	var role string
	var disabled *time.Time
	if err := row.Scan(&a.Name, &role, &a.Court, &a.PasswordHash, &a.CreatedAt, &disabled); err != nil {
		return a, err
	}
	a.Role, a.CreatedAt, a.DisabledAt = store.Role(role), a.CreatedAt.UTC(), utc(disabled)
	return a, nil
}

func (s *Store) Account(ctx context.Context, name string) (store.Account, error) {
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = $1`, name))
	return a, wrap(err)
}

func (s *Store) Accounts(ctx context.Context) ([]store.Account, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY name`)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []store.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, wrap(err)
		}
		out = append(out, a)
	}
	return out, wrap(rows.Err())
}

func addAlert(ctx context.Context, tx pgx.Tx, a store.Alert) error {
	_, err := tx.Exec(ctx, `INSERT INTO alerts (at, kind, kiosk_id, request_id, detail) VALUES ($1, $2, $3, $4, $5)`, us(a.At), a.Kind, a.KioskID, a.RequestID, a.Detail)
	return err
}

func addAudit(ctx context.Context, tx pgx.Tx, e store.AuditEntry) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)`, us(e.At), e.Actor, e.Action, e.Subject, e.Detail)
	return err
}

func (s *Store) Alerts(ctx context.Context, limit int) ([]store.Alert, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, at, kind, kiosk_id, request_id, detail FROM alerts ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []store.Alert
	for rows.Next() {
		var a store.Alert
		var id int64
		if err := rows.Scan(&id, &a.At, &a.Kind, &a.KioskID, &a.RequestID, &a.Detail); err != nil {
			return nil, wrap(err)
		}
		a.ID, a.At = uint64(id), a.At.UTC()
		out = append(out, a)
	}
	return out, wrap(rows.Err())
}

func (s *Store) AddAudit(ctx context.Context, e store.AuditEntry) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return addAudit(ctx, tx, e) })
}

func (s *Store) Audit(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT at, actor, action, subject, detail FROM audit ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, wrap(err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		if err := rows.Scan(&e.At, &e.Actor, &e.Action, &e.Subject, &e.Detail); err != nil {
			return nil, wrap(err)
		}
		e.At = e.At.UTC()
		out = append(out, e)
	}
	return out, wrap(rows.Err())
}
