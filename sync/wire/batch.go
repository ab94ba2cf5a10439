package wire

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// RequestBatch is the body of POST /v1/requests: sealed requests from the
// kiosk's outbox, oldest first.
type RequestBatch struct {
	KioskID   string        `json:"kiosk_id"`
	MessageID string        `json:"message_id"`
	Items     []RequestItem `json:"items"`
}

func (RequestBatch) maxBody() int { return MaxBatchBody }

// Validate checks the header, the item count, each item, and that no request
// id appears twice in the batch.
func (b RequestBatch) Validate() error {
	if err := checkHeader(b.KioskID, b.MessageID); err != nil {
		return err
	}
	if len(b.Items) == 0 || len(b.Items) > MaxBatchItems {
		return invalid("%d items, want 1 to %d", len(b.Items), MaxBatchItems)
	}
	seen := make(map[string]bool, len(b.Items))
	for i, it := range b.Items {
		if err := it.Validate(); err != nil {
			return invalidItem(i, err)
		}
		if seen[it.RequestID] {
			return invalid("item %d: request id %s appears twice", i, it.RequestID)
		}
		seen[it.RequestID] = true
	}
	return nil
}

func invalidItem(i int, err error) error {
	return fmt.Errorf("%w (item %d)", err, i)
}

// RequestItem is one citizen's request as the registry receives it: the
// index the kiosk keeps in the clear (kiosk/request) and the personal data
// sealed to the registry (kiosk/seal), bound to RequestID.
type RequestItem struct {
	RequestID   string          `json:"request_id"` // idempotency key: 32 lower-case hex digits
	Tracking    tracking.Number `json:"tracking"`
	Service     string          `json:"service"`  // service id from the country pack
	Court       string          `json:"court"`    // collection court id
	Fee         int64           `json:"fee"`      // minor units of Currency
	Currency    string          `json:"currency"` // ISO 4217
	PackVersion int             `json:"pack_version"`
	CreatedAt   time.Time       `json:"created_at"` // UTC
	Sealed      []byte          `json:"sealed"`     // kiosk/seal envelope
	BodyHash    Hash            `json:"body_hash"`  // ComputeBodyHash of this item
}

// Validate checks every field and that BodyHash is the item's
// ComputeBodyHash, so a body altered in transit or by a bug is refused.
func (it RequestItem) Validate() error {
	if !ValidRequestID(it.RequestID) {
		return invalid("request id %q is not 32 lower-case hex digits", clip(it.RequestID))
	}
	if !it.Tracking.Valid() {
		return invalid("tracking number %q is not valid", clip(string(it.Tracking)))
	}
	if !validName(it.Service, MaxName) {
		return invalid("service %q is not valid", clip(it.Service))
	}
	if !validName(it.Court, MaxName) {
		return invalid("court %q is not valid", clip(it.Court))
	}
	if it.Fee < 0 {
		return invalid("negative fee %d", it.Fee)
	}
	if len(it.Currency) != 3 || !validName(it.Currency, 3) || it.Currency[0] < 'A' || it.Currency[0] > 'Z' ||
		it.Currency[1] < 'A' || it.Currency[1] > 'Z' || it.Currency[2] < 'A' || it.Currency[2] > 'Z' {
		return invalid("currency %q is not an ISO 4217 code", clip(it.Currency))
	}
	if it.PackVersion < 0 {
		return invalid("negative pack version")
	}
	if err := checkTime("created_at", it.CreatedAt); err != nil {
		return err
	}
	if len(it.Sealed) == 0 || len(it.Sealed) > MaxSealed {
		return invalid("sealed payload is %d bytes, want 1 to %d", len(it.Sealed), MaxSealed)
	}
	if it.BodyHash != it.ComputeBodyHash() {
		return invalid("body hash %s is not the hash of the body", it.BodyHash)
	}
	return nil
}

// bodyHashDomain starts the canonical encoding; a new encoding gets a new
// domain string.
const bodyHashDomain = "guichet request body v1\x00"

// CanonicalBody is the encoding the body hash is computed over:
//
//	"guichet request body v1\x00"
//	then for each of request_id, tracking, service, court, currency:
//	    uvarint(len) | bytes
//	then fee (int64), pack_version (int64), created_at (Unix nanoseconds,
//	int64), each 8 bytes big-endian,
//	then uvarint(len(sealed)) | sealed.
//
// Every field but BodyHash takes part, so two bodies with one request id
// are the same exactly when their hashes are.
func (it RequestItem) CanonicalBody() []byte {
	b := make([]byte, 0, len(bodyHashDomain)+128+len(it.Sealed))
	b = append(b, bodyHashDomain...)
	for _, s := range []string{it.RequestID, string(it.Tracking), it.Service, it.Court, it.Currency} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(it.Fee))
	b = binary.BigEndian.AppendUint64(b, uint64(int64(it.PackVersion)))
	b = binary.BigEndian.AppendUint64(b, uint64(it.CreatedAt.UnixNano()))
	b = binary.AppendUvarint(b, uint64(len(it.Sealed)))
	return append(b, it.Sealed...)
}

// ComputeBodyHash returns SHA-256 over CanonicalBody.
func (it RequestItem) ComputeBodyHash() Hash {
	return sha256.Sum256(it.CanonicalBody())
}

// NewRequestItem builds the item for a stored request and its sealed
// payload, with its body hash. CreatedAt is converted to UTC.
func NewRequestItem(r request.Request, sealed []byte) RequestItem {
	it := RequestItem{
		RequestID:   r.ID,
		Tracking:    r.Tracking,
		Service:     r.Service,
		Court:       r.Court,
		Fee:         r.Fee,
		Currency:    r.Currency,
		PackVersion: r.PackVersion,
		CreatedAt:   r.CreatedAt.UTC(),
		Sealed:      sealed,
	}
	it.BodyHash = it.ComputeBodyHash()
	return it
}

// Outcome is the registry's answer for one item.
type Outcome string

// The four outcomes. Accepted and Duplicate both mean "the registry has
// it": the kiosk marks the request acknowledged and deletes the sealed
// payload. Conflict and Rejected are final too: resending will not change
// them; the kiosk stops sending the item and raises an alarm.
const (
	Accepted  Outcome = "accepted"  // stored now
	Duplicate Outcome = "duplicate" // stored before with the same body hash; the original answer
	Conflict  Outcome = "conflict"  // another body was stored under this request id; nothing stored
	Rejected  Outcome = "rejected"  // refused; Reason says why; nothing stored
)

func (o Outcome) valid() bool {
	return o == Accepted || o == Duplicate || o == Conflict || o == Rejected
}

// Stored reports whether the registry holds the request (accepted or
// duplicate), so the kiosk may delete its sealed payload.
func (o Outcome) Stored() bool { return o == Accepted || o == Duplicate }

// Rejection codes of ItemResult.Code.
const (
	RejectUnsealable = "unsealable"    // the sealed payload does not open for this request id
	RejectWrongKey   = "wrong_key"     // sealed to a key the registry does not hold
	RejectCourt      = "unknown_court" // the collection court is not one the registry knows
	RejectService    = "unknown_service"
	RejectConflict   = "conflict" // Code of every Conflict
)

// ItemResult is the answer for one RequestItem, in the batch's order.
type ItemResult struct {
	RequestID string  `json:"request_id"`
	Outcome   Outcome `json:"outcome"`
	// BodyHash is the hash of the body the registry holds under RequestID:
	// the item's own for Accepted and Duplicate, the first one's for
	// Conflict; zero for Rejected.
	BodyHash Hash `json:"body_hash"`
	// ReceivedAt is when the registry first stored the request (Accepted,
	// Duplicate, Conflict); zero for Rejected.
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// State is the request's state at the registry (acknowledged or later)
	// for Accepted and Duplicate; empty otherwise.
	State  request.State `json:"state,omitempty"`
	Code   string        `json:"code,omitempty"`   // machine-readable, for Conflict and Rejected
	Reason string        `json:"reason,omitempty"` // human-readable, for Conflict and Rejected
}

// Validate checks that the fields present are those the outcome calls for.
func (r ItemResult) Validate() error {
	if !ValidRequestID(r.RequestID) {
		return invalid("request id %q is not valid", clip(r.RequestID))
	}
	if !r.Outcome.valid() {
		return invalid("outcome %q is not one of accepted, duplicate, conflict, rejected", clip(string(r.Outcome)))
	}
	if !validText(r.Reason, MaxText) || (r.Code != "" && !validName(r.Code, MaxName)) {
		return invalid("reason or code is not valid text")
	}
	switch r.Outcome {
	case Accepted, Duplicate:
		if r.BodyHash.IsZero() {
			return invalid("%s without a body hash", r.Outcome)
		}
		if err := checkTime("received_at", r.ReceivedAt); err != nil {
			return err
		}
		if !r.State.Valid() || r.State == request.Draft || r.State == request.Queued || r.State == request.Sent {
			return invalid("%s in state %q", r.Outcome, string(r.State))
		}
		if r.Code != "" || r.Reason != "" {
			return invalid("%s with a code or reason", r.Outcome)
		}
	case Conflict:
		if r.BodyHash.IsZero() || r.Code != RejectConflict || r.Reason == "" || r.State != "" {
			return invalid("conflict needs the original body hash, code %q, a reason and no state", RejectConflict)
		}
		if err := checkTime("received_at", r.ReceivedAt); err != nil {
			return err
		}
	case Rejected:
		if !r.BodyHash.IsZero() || !r.ReceivedAt.IsZero() || r.State != "" || r.Code == "" || r.Reason == "" {
			return invalid("rejected needs a code and a reason, and no hash, time or state")
		}
	}
	return nil
}

// BatchResponse answers a RequestBatch with one result per item, in order.
type BatchResponse struct {
	KioskID   string       `json:"kiosk_id"`
	MessageID string       `json:"message_id"` // the batch's
	Results   []ItemResult `json:"results"`
}

func (BatchResponse) maxBody() int { return 1 << 20 }

// Validate checks the header and each result.
func (r BatchResponse) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if len(r.Results) == 0 || len(r.Results) > MaxBatchItems {
		return invalid("%d results, want 1 to %d", len(r.Results), MaxBatchItems)
	}
	for i, res := range r.Results {
		if err := res.Validate(); err != nil {
			return invalidItem(i, err)
		}
	}
	return nil
}

// Matches reports whether r answers b: the same kiosk and message, and one
// result per item with the same request ids in the same order.
func (r BatchResponse) Matches(b RequestBatch) bool {
	if r.KioskID != b.KioskID || r.MessageID != b.MessageID || len(r.Results) != len(b.Items) {
		return false
	}
	for i := range r.Results {
		if r.Results[i].RequestID != b.Items[i].RequestID {
			return false
		}
	}
	return true
}

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

func appendUint64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }
