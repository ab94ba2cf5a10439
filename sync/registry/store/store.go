// Package store defines what the registry keeps and the one interface both
// storage back ends implement: sync/registry/boltstore (bbolt, embedded, the
// default) and sync/registry/pgstore (PostgreSQL, for several stateless
// registry processes over one database). storetest holds the conformance
// suite run against both.
//
// The guarantees every implementation gives, and storetest checks:
//   - a request is stored once per (kiosk, request id); a replay with the same
//     body hash is answered with the original answer (Duplicate, the first
//     reception time); another body under the same id is a Conflict, recorded
//     as an alert, and never stored over the first;
//   - each kiosk's change feed numbers its entries 1, 2, 3… without a gap,
//     even when several writers append at once;
//   - a status change and its feed entry are written together or not at all;
//   - an enrolment token is consumed once.
//
// Limits: the store holds sealed payloads as they came; it never opens them
// (the server does, with the registry's HPKE key). Listing is by court and
// state with a cursor, without full-text search.
package store

import (
	"context"
	"errors"
	"time"

	"guichet/kiosk/request"
	"guichet/sync/wire"
)

// Sentinel errors; implementations wrap them.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrExists        = errors.New("store: already exists")
	ErrTokenUnknown  = errors.New("store: unknown enrolment token")
	ErrTokenUsed     = errors.New("store: enrolment token already used")
	ErrTokenExpired  = errors.New("store: enrolment token expired")
	ErrTokenKiosk    = errors.New("store: enrolment token is for another kiosk")
	ErrKioskRevoked  = errors.New("store: kiosk revoked")
	ErrIllegalChange = request.ErrIllegalTransition
)

// Store is the registry's storage. Every method is safe for concurrent use;
// with pgstore, also from several processes.
type Store interface {
	// CreateToken records a new enrolment token (ErrExists if its hash is
	// known).
	CreateToken(ctx context.Context, t Token) error
	// Token returns the token with that hash.
	Token(ctx context.Context, hash wire.Hash) (Token, error)
	// Enrol consumes the token and, in one transaction, creates the kiosk
	// (assigning its serial) or re-enrols it (keeping its serial and feed,
	// revoking its earlier certificates), and records its certificate.
	Enrol(ctx context.Context, e Enrolment) (Kiosk, error)
	// AddCertificate records a renewed certificate of an enrolled kiosk.
	AddCertificate(ctx context.Context, c Certificate) error
	// Certificate returns the certificate with that serial (lower-case hex).
	Certificate(ctx context.Context, serial string) (Certificate, error)
	// RevokeKiosk revokes the kiosk and all its certificates.
	RevokeKiosk(ctx context.Context, kioskID string, at time.Time) error

	// Kiosk returns one kiosk; Kiosks all, ordered by id.
	Kiosk(ctx context.Context, kioskID string) (Kiosk, error)
	Kiosks(ctx context.Context) ([]Kiosk, error)
	// RecordTelemetry keeps the kiosk's latest telemetry, capabilities and
	// software version and sets its last-seen time.
	RecordTelemetry(ctx context.Context, t wire.Telemetry, at time.Time) error

	// Ingest stores a batch of items from one kiosk in one transaction and
	// answers each with Accepted, Duplicate or Conflict (never Rejected:
	// the server rejects before). A stored request starts acknowledged at
	// receivedAt. Items must be valid and their ids distinct.
	Ingest(ctx context.Context, kioskID string, items []wire.RequestItem, receivedAt time.Time) ([]wire.ItemResult, error)
	// Request returns one request with its sealed payload.
	Request(ctx context.Context, kioskID, requestID string) (Request, error)
	// Requests lists requests without their sealed payloads, oldest
	// reception first.
	Requests(ctx context.Context, f Filter) ([]Request, error)
	// SetStatus moves a request to another state if kiosk/request's state
	// machine allows it (else an error wrapping ErrIllegalChange), and
	// appends the status change to the kiosk's feed, in one transaction.
	SetStatus(ctx context.Context, u StatusUpdate) (Request, wire.Change, error)

	// AppendChange appends a change (reference data, update manifest,
	// configuration) to a kiosk's feed; Seq is assigned. ErrNotFound if the
	// kiosk is unknown.
	AppendChange(ctx context.Context, kioskID string, c wire.Change) (wire.Change, error)
	// Changes returns up to limit changes after since, in order, and the
	// feed's head (its last sequence number).
	Changes(ctx context.Context, kioskID string, since uint64, limit int) ([]wire.Change, uint64, error)

	// PutAccount creates or replaces an account; Account returns one.
	PutAccount(ctx context.Context, a Account) error
	Account(ctx context.Context, name string) (Account, error)
	// Accounts counts matter at init: the first operator is created once.
	Accounts(ctx context.Context) ([]Account, error)

	// Alerts returns the latest alerts, newest first, at most limit.
	Alerts(ctx context.Context, limit int) ([]Alert, error)
	// AddAudit appends to the registry's audit of actions; Audit returns the
	// latest, newest first.
	AddAudit(ctx context.Context, e AuditEntry) error
	Audit(ctx context.Context, limit int) ([]AuditEntry, error)

	Close() error
}

// Token is a one-time enrolment token, kept as the SHA-256 of its text.
type Token struct {
	Hash        wire.Hash
	KioskID     string // if set, only this kiosk may use it
	Court       string
	CountryPack string
	PackVersion int
	IssuedBy    string // the operator account
	IssuedAt    time.Time
	ExpiresAt   time.Time
	UsedAt      time.Time // zero until used
	UsedBy      string    // the kiosk that used it
}

// Enrolment is what Enrol records.
type Enrolment struct {
	TokenHash       wire.Hash
	KioskID         string
	SoftwareVersion string
	Capabilities    []wire.Capability
	Certificate     Certificate
	At              time.Time
}

// Certificate is a client certificate the registry issued.
type Certificate struct {
	Serial    string // lower-case hex
	KioskID   string
	NotBefore time.Time
	NotAfter  time.Time
	DER       []byte
	RevokedAt time.Time // zero unless revoked
}

// Kiosk is an enrolled kiosk.
type Kiosk struct {
	ID              string
	Serial          string // "MA-000042"
	Court           string
	CountryPack     string
	PackVersion     int
	SoftwareVersion string
	Capabilities    []wire.Capability
	EnrolledAt      time.Time
	RevokedAt       time.Time       // zero unless revoked
	LastSeen        time.Time       // last telemetry or batch
	Telemetry       *wire.Telemetry // the latest, nil before the first
	FeedHead        uint64
}

// Request is a citizen's request as the registry holds it.
type Request struct {
	KioskID string
	wire.RequestItem
	ReceivedAt time.Time
	State      request.State
	Reason     string
	UpdatedAt  time.Time
}

// Filter selects requests for Requests. Zero fields select everything.
type Filter struct {
	Court string
	State request.State
	// After continues a listing after the request with this reception time,
	// kiosk id and request id (the last of the previous page).
	After *Request
	Limit int // 0 means 100; at most 1000
}

// StatusUpdate is a clerk's decision on a request.
type StatusUpdate struct {
	KioskID   string
	RequestID string
	To        request.State
	Reason    string // exactly when To is rejected
	At        time.Time
	Actor     string // the account, for the audit
}

// Role is what an account may do.
type Role string

// The roles.
const (
	RoleOperator Role = "operator" // the fleet, tokens, accounts
	RoleClerk    Role = "clerk"    // one court's requests
	RoleViewer   Role = "viewer"   // read only
)

// Account is a person who signs in to the registry.
type Account struct {
	Name         string
	Role         Role
	Court        string // a clerk's court
	PasswordHash string // PHC string ("$argon2id$v=19$m=…,t=…,p=…$salt$hash")
	CreatedAt    time.Time
	DisabledAt   time.Time
}

// Alert is something operations must look at.
type Alert struct {
	ID        uint64
	At        time.Time
	Kind      string // "conflict", …
	KioskID   string
	RequestID string
	Detail    string
}

// AlertConflict is the Kind of the alert Ingest raises for a conflict.
const AlertConflict = "conflict"

// AuditEntry is one action at the registry.
type AuditEntry struct {
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Detail  string
}

// PageSize returns f.Limit bounded to 1..1000 (100 by default).
func (f Filter) PageSize() int {
	switch {
	case f.Limit <= 0:
		return 100
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}
