package pgstore

// schema is version 1 of the registry's tables. Every statement is
// idempotent so that several processes may run Migrate at start.
const schema = `
CREATE SEQUENCE IF NOT EXISTS kiosk_serial;

CREATE TABLE IF NOT EXISTS tokens (
	hash         bytea PRIMARY KEY,
	kiosk_id     text NOT NULL,
	court        text NOT NULL,
	country_pack text NOT NULL,
	pack_version integer NOT NULL,
	issued_by    text NOT NULL,
	issued_at    timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	used_at      timestamptz,
	used_by      text NOT NULL DEFAULT ''
);

CREATE TABLE IF NOT EXISTS kiosks (
	id               text PRIMARY KEY,
	serial           text NOT NULL UNIQUE,
	court            text NOT NULL,
	country_pack     text NOT NULL,
	pack_version     integer NOT NULL,
	software_version text NOT NULL,
	capabilities     text[] NOT NULL,
	enrolled_at      timestamptz NOT NULL,
	revoked_at       timestamptz,
	last_seen        timestamptz NOT NULL,
	telemetry        text,
	feed_head        bigint NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS certs (
	serial     text PRIMARY KEY,
	kiosk_id   text NOT NULL REFERENCES kiosks (id),
	not_before timestamptz NOT NULL,
	not_after  timestamptz NOT NULL,
	der        bytea NOT NULL,
	revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS certs_kiosk ON certs (kiosk_id);

CREATE TABLE IF NOT EXISTS requests (
	kiosk_id      text NOT NULL REFERENCES kiosks (id),
	request_id    text NOT NULL,
	tracking      text NOT NULL,
	service       text NOT NULL,
	court         text NOT NULL,
	fee           bigint NOT NULL,
	currency      text NOT NULL,
	pack_version  integer NOT NULL,
	created_at_ns bigint NOT NULL,
	sealed        bytea NOT NULL,
	body_hash     bytea NOT NULL,
	received_at   timestamptz NOT NULL,
	state         text NOT NULL,
	reason        text NOT NULL DEFAULT '',
	updated_at    timestamptz NOT NULL,
	PRIMARY KEY (kiosk_id, request_id)
);
CREATE INDEX IF NOT EXISTS requests_court ON requests (court, received_at, kiosk_id, request_id);
CREATE INDEX IF NOT EXISTS requests_time ON requests (received_at, kiosk_id, request_id);

CREATE TABLE IF NOT EXISTS feed (
	kiosk_id text NOT NULL REFERENCES kiosks (id),
	seq      bigint NOT NULL,
	change   text NOT NULL,
	PRIMARY KEY (kiosk_id, seq)
);

CREATE TABLE IF NOT EXISTS alerts (
	id         bigserial PRIMARY KEY,
	at         timestamptz NOT NULL,
	kind       text NOT NULL,
	kiosk_id   text NOT NULL,
	request_id text NOT NULL,
	detail     text NOT NULL
);

CREATE TABLE IF NOT EXISTS audit (
	id      bigserial PRIMARY KEY,
	at      timestamptz NOT NULL,
	actor   text NOT NULL,
	action  text NOT NULL,
	subject text NOT NULL,
	detail  text NOT NULL
);

CREATE TABLE IF NOT EXISTS accounts (
	name          text PRIMARY KEY,
	role          text NOT NULL,
	court         text NOT NULL,
	password_hash text NOT NULL,
	created_at    timestamptz NOT NULL,
	disabled_at   timestamptz
);

-- The web console's (sync/registry/console).
CREATE TABLE IF NOT EXISTS console_sessions (
	hash       bytea PRIMARY KEY,
	account    text NOT NULL,
	csrf       text NOT NULL,
	addr       text NOT NULL,
	created_at timestamptz NOT NULL,
	last_seen  timestamptz NOT NULL,
	expires_at timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS login_failures (
	id  bigserial PRIMARY KEY,
	key text NOT NULL,
	at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);

CREATE TABLE IF NOT EXISTS signing_keys (
	id          text PRIMARY KEY,
	account     text NOT NULL,
	role        text NOT NULL,
	court       text NOT NULL,
	name_latin  text NOT NULL,
	name_arabic text NOT NULL,
	public      bytea NOT NULL,
	sealed      bytea NOT NULL,
	created_at  timestamptz NOT NULL,
	retired_at  timestamptz
);

CREATE SEQUENCE IF NOT EXISTS extract_serial;

CREATE TABLE IF NOT EXISTS extracts (
	number      text PRIMARY KEY,
	kiosk_id    text NOT NULL,
	request_id  text NOT NULL,
	tracking    text NOT NULL,
	court       text NOT NULL,
	issued_at   timestamptz NOT NULL,
	issued_by   text NOT NULL,
	prosecutor  text NOT NULL,
	fragment    text NOT NULL,
	endorsed_at timestamptz,
	document    bytea NOT NULL,
	UNIQUE (kiosk_id, request_id)
);
CREATE INDEX IF NOT EXISTS extracts_issued ON extracts (issued_at DESC, number DESC);
CREATE INDEX IF NOT EXISTS extracts_tracking ON extracts (tracking);

CREATE TABLE IF NOT EXISTS documents (
	name     text PRIMARY KEY,
	version  bigint NOT NULL,
	document jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS fines (
	pv_number       text PRIMARY KEY,
	national_number text NOT NULL,
	fine            jsonb NOT NULL,
	offence_date    timestamptz NOT NULL,
	paid_kiosk      text,
	paid_request    text,
	paid_amount     bigint,
	paid_at         timestamptz
);
CREATE INDEX IF NOT EXISTS fines_national ON fines (national_number) WHERE paid_at IS NULL AND national_number <> '';

CREATE TABLE IF NOT EXISTS rollouts (
	id         text PRIMARY KEY,
	revision   bigint NOT NULL,
	created_at timestamptz NOT NULL,
	rollout    jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS diagnostics (
	kiosk_id    text NOT NULL,
	request     text NOT NULL,
	received_at timestamptz NOT NULL,
	bundle      jsonb NOT NULL,
	PRIMARY KEY (kiosk_id, request)
);
`
