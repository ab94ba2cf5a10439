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
//   - an enrolment token is consumed once;
//   - a request has at most one issued extract, and an extract is endorsed
//     once, even when several endorsements race;
//   - the web console's sessions, failed sign-ins and signing keys are
//     shared by every registry process over the same store;
//   - a published document's version only increases;
//   - a radar fine is paid once: a second request paying it is refused,
//     and a new file from the traffic authority does not unpay it.
//
// Limits: the store holds sealed payloads as they came; it never opens them
// (the server does, with the registry's HPKE key). Listing is by court and
// state with a cursor, without full-text search.
package store

import (
	"context"
	"errors"
	"strings"
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

	// The web console's sessions (sync/registry/console), kept in the
	// store so that several registry processes share them.
	//
	// CreateSession records a new session (ErrExists if its hash is
	// known); Session returns one (ErrNotFound); TouchSession sets its
	// LastSeen (ErrNotFound); DeleteSession removes it (nil if absent);
	// PurgeSessions removes the sessions that ended by ExpiresAt <= now or
	// were idle since before idleBefore, and says how many.
	CreateSession(ctx context.Context, s ConsoleSession) error
	Session(ctx context.Context, hash wire.Hash) (ConsoleSession, error)
	TouchSession(ctx context.Context, hash wire.Hash, at time.Time) error
	DeleteSession(ctx context.Context, hash wire.Hash) error
	PurgeSessions(ctx context.Context, now, idleBefore time.Time) (int, error)

	// Failed sign-ins, counted per key ("account:NAME", "addr:IP") to
	// throttle guessing. LoginFailures returns the times of key's failures
	// at or after since, oldest first; ClearLoginFailures forgets key's;
	// PurgeLoginFailures forgets every failure before before.
	AddLoginFailure(ctx context.Context, key string, at time.Time) error
	LoginFailures(ctx context.Context, key string, since time.Time) ([]time.Time, error)
	ClearLoginFailures(ctx context.Context, key string) error
	PurgeLoginFailures(ctx context.Context, before time.Time) (int, error)

	// Signing keys of clerks and prosecutors for the bulletin n°3.
	// PutSigningKey records a new key (ErrExists if its id is known);
	// SigningKey returns one; SigningKeys returns all, retired ones
	// included (extracts they signed still verify), ordered by id;
	// RetireSigningKey marks one retired (ErrNotFound).
	PutSigningKey(ctx context.Context, k SigningKey) error
	SigningKey(ctx context.Context, id string) (SigningKey, error)
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	RetireSigningKey(ctx context.Context, id string, at time.Time) error

	// Issued bulletin n°3 extracts. NextExtractSerial returns a number
	// never returned before (1, 2, 3… without reuse, gaps allowed);
	// PutExtract records a new extract (ErrExists if its number is known
	// or its request already has one); Endorse records the prosecutor's
	// endorsement of an extract not yet endorsed (ErrExists if it is,
	// ErrNotFound) with the document now carrying both signatures;
	// Extract and ExtractOf return one by number or by request;
	// Extracts lists, newest issue first.
	NextExtractSerial(ctx context.Context) (uint64, error)
	PutExtract(ctx context.Context, x IssuedExtract) error
	Endorse(ctx context.Context, number string, document []byte, at time.Time) (IssuedExtract, error)
	Extract(ctx context.Context, number string) (IssuedExtract, error)
	ExtractOf(ctx context.Context, kioskID, requestID string) (IssuedExtract, error)
	Extracts(ctx context.Context, f ExtractFilter) ([]IssuedExtract, error)

	// Published documents (reference data, the extract signers).
	// PutDocument records d as the latest of its name (ErrExists unless its
	// version is above the latest's); Document returns the latest of a
	// name (ErrNotFound); Documents the latest of every name, by name.
	PutDocument(ctx context.Context, d wire.SignedDocument) error
	Document(ctx context.Context, name string) (wire.SignedDocument, error)
	Documents(ctx context.Context) ([]wire.SignedDocument, error)

	// Radar fines. PutFines records fines from the traffic authority's
	// file, replacing an unpaid one with the same PV number and leaving a
	// paid one as it is; it returns how many it wrote. Fines returns the
	// unpaid fines of a national number or a PV number (one set), oldest
	// offence first. PayFine marks a fine paid by a kiosk request:
	// ErrNotFound for an unknown PV number, ErrExists if another request
	// paid it; the same request again changes nothing.
	PutFines(ctx context.Context, fines []Fine) (int, error)
	Fines(ctx context.Context, nationalNumber, pvNumber string) ([]Fine, error)
	PayFine(ctx context.Context, pv string, p FinePayment) (Fine, error)

	// Staged rollouts of software releases. PutRollout writes r if the
	// stored one's revision is r.Revision-1 (0: a new rollout), and
	// ErrStale otherwise, so that registry processes racing to advance a
	// rollout advance it once; Rollout returns one (ErrNotFound); Rollouts
	// lists them, newest first.
	PutRollout(ctx context.Context, r Rollout) error
	Rollout(ctx context.Context, id string) (Rollout, error)
	Rollouts(ctx context.Context) ([]Rollout, error)

	// Diagnostics bundles kiosks sent. PutDiagnostics records one (a
	// second with the same kiosk and request replaces it); Diagnostics
	// returns a kiosk's, newest first, at most limit.
	PutDiagnostics(ctx context.Context, d Diagnostics) error
	Diagnostics(ctx context.Context, kioskID string, limit int) ([]Diagnostics, error)

	Close() error
}

// Diagnostics is a bundle a kiosk sent on request.
type Diagnostics struct {
	KioskID    string
	Request    string
	ReceivedAt time.Time
	Bundle     wire.DiagnosticsBundle
}

// ErrStale is returned by PutRollout when another writer got there first.
var ErrStale = errors.New("store: stale revision")

// Rollout is a staged rollout of one release to the fleet: the stages in
// order (a pilot list of kiosks, then percentages of the fleet), where it
// stands, and which kiosks were offered the release.
type Rollout struct {
	ID       string // "1.4.2-20261122T1810"
	Version  string
	Revision uint64 // increases with every write
	Stages   []RolloutStage
	Stage    int          // the stage in progress (index into Stages)
	State    RolloutState // running, paused, halted, aborted, done
	Reason   string       // why it halted or was aborted
	// FailureThreshold halts the rollout when the failed share of a
	// stage's kiosks that finished reaches it (0.05: 5 %).
	FailureThreshold float64
	Deadline         time.Time // activate even outside the maintenance window after this (security releases); zero: none
	CreatedBy        string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	// Offered maps each kiosk offered the release to its stage.
	Offered map[string]int
}

// RolloutStage is one stage: the pilot kiosks named, or a share of the
// fleet (cumulative: 10 then 100 means a tenth, then everyone).
type RolloutStage struct {
	Name    string
	Kiosks  []string
	Percent int
}

// RolloutState is where a rollout stands.
type RolloutState string

// The rollout states.
const (
	RolloutRunning RolloutState = "running"
	RolloutPaused  RolloutState = "paused"
	RolloutHalted  RolloutState = "halted" // by itself: too many failures in a stage
	RolloutAborted RolloutState = "aborted"
	RolloutDone    RolloutState = "done"
)

// Fine is a radar fine with a judgment, as the traffic authority sends it.
type Fine struct {
	wire.Fine
	NationalNumber string // the offender's; empty when unknown (a foreign plate)
	Paid           *FinePayment
}

// CompareFines orders fines by offence date, then PV number.
func CompareFines(a, b Fine) int {
	if c := a.Date.Compare(b.Date); c != 0 {
		return c
	}
	return strings.Compare(a.PVNumber, b.PVNumber)
}

// FinePayment is who paid a fine, and when.
type FinePayment struct {
	KioskID   string
	RequestID string
	Amount    int64
	At        time.Time
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
	Court   string
	State   request.State
	Service string // a pack's service id: "bulletin3"
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
	// RoleProsecutor is a court's public prosecutor (procureur), who
	// endorses the extracts the court's clerks issue.
	RoleProsecutor Role = "prosecutor"
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

// ConsoleSession is a person signed in to the web console. The cookie
// carries a random secret; the store keeps only its SHA-256.
type ConsoleSession struct {
	Hash      wire.Hash
	Account   string
	CSRF      string // the per-session token every form of the session carries
	Addr      string // the client's address at sign-in
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // the session ends then, however active
}

// SigningKey is a clerk's or prosecutor's Ed25519 key for the bulletin
// n°3. The private key is stored encrypted by the console.
type SigningKey struct {
	ID         string // the key id the extract names (kiosk/extract.Signature.KeyID)
	Account    string
	Role       Role // RoleClerk or RoleProsecutor
	Court      string
	NameLatin  string // the signer's name as printed under the signature
	NameArabic string
	Public     []byte // 32 bytes
	Sealed     []byte // the private key, encrypted
	CreatedAt  time.Time
	RetiredAt  time.Time // zero while in use
}

// IssuedExtract is a bulletin n°3 the registry issued: signed by the
// clerk at issue, then endorsed by the prosecutor.
type IssuedExtract struct {
	Number     string // "B3/2026/000042"
	KioskID    string
	RequestID  string
	Tracking   string
	Court      string
	IssuedAt   time.Time
	IssuedBy   string    // the clerk's account
	Prosecutor string    // the prosecutor's account named to endorse
	Fragment   string    // the verification code's signature fragment
	EndorsedAt time.Time // zero until endorsed
	// Document is the extract's JSON (kiosk/extract) with the signatures
	// made so far. It holds personal data: only the court's clerk and
	// prosecutor see it whole.
	Document []byte
}

// Endorsed reports whether the prosecutor endorsed x.
func (x IssuedExtract) Endorsed() bool { return !x.EndorsedAt.IsZero() }

// ExtractFilter selects extracts for Extracts. Zero fields select
// everything.
type ExtractFilter struct {
	Court      string
	Tracking   string
	Prosecutor string
	Pending    bool // only those awaiting endorsement
	Limit      int  // 0 means 100; at most 1000
}

// PageSize returns f.Limit bounded to 1..1000 (100 by default).
func (f ExtractFilter) PageSize() int { return Filter{Limit: f.Limit}.PageSize() }
