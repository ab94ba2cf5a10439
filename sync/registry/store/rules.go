package store

import (
	"fmt"
	"strings"
	"time"

	"guichet/kiosk/request"
	"guichet/sync/wire"
)

// The rules below are shared by the implementations so that both answer
// alike; storetest checks the answers.

// Accepted is the result for an item stored now.
func Accepted(it wire.RequestItem, receivedAt time.Time) wire.ItemResult {
	return wire.ItemResult{RequestID: it.RequestID, Outcome: wire.Accepted, BodyHash: it.BodyHash, ReceivedAt: receivedAt.UTC(), State: request.Acknowledged}
}

// Replay is the result for an item whose request id is already stored as
// existing: Duplicate with the original answer if the body hashes agree,
// Conflict naming the first body's hash otherwise.
func Replay(existing Request, it wire.RequestItem) wire.ItemResult {
	if existing.BodyHash == it.BodyHash {
		return wire.ItemResult{RequestID: it.RequestID, Outcome: wire.Duplicate, BodyHash: existing.BodyHash, ReceivedAt: existing.ReceivedAt.UTC(), State: existing.State}
	}
	return wire.ItemResult{
		RequestID: it.RequestID, Outcome: wire.Conflict, BodyHash: existing.BodyHash, ReceivedAt: existing.ReceivedAt.UTC(),
		Code: wire.RejectConflict, Reason: "another body was stored under this request id on " + existing.ReceivedAt.UTC().Format(time.RFC3339),
	}
}

// ConflictAlert is the alert a Conflict raises.
func ConflictAlert(kioskID string, existing Request, it wire.RequestItem, at time.Time) Alert {
	return Alert{
		At: at.UTC(), Kind: AlertConflict, KioskID: kioskID, RequestID: it.RequestID,
		Detail: fmt.Sprintf("request %s from kiosk %s: body %s received, %s stored on %s", it.RequestID, kioskID, it.BodyHash, existing.BodyHash, existing.ReceivedAt.UTC().Format(time.RFC3339)),
	}
}

// Apply moves r as u asks, or returns why not: the state machine of
// kiosk/request (wrapping ErrIllegalChange) and its reason rule.
func Apply(r *Request, u StatusUpdate) error {
	if err := request.Transition(r.State, u.To); err != nil {
		return fmt.Errorf("store: request %s: %w", r.RequestID, err)
	}
	if (u.To == request.Rejected) != (strings.TrimSpace(u.Reason) != "") {
		return fmt.Errorf("store: request %s: a reason is given exactly for a rejection", r.RequestID)
	}
	if u.At.IsZero() {
		return fmt.Errorf("store: request %s: no time given", r.RequestID)
	}
	r.State, r.Reason, r.UpdatedAt = u.To, u.Reason, u.At.UTC()
	return nil
}

// StatusChange is the feed entry telling the kiosk where r stands; Seq is
// set by the caller.
func StatusChange(r Request) wire.Change {
	return wire.Change{Kind: wire.ChangeRequestStatus, At: r.UpdatedAt.UTC(), Status: &wire.StatusChange{
		RequestID: r.RequestID, Tracking: r.Tracking, State: r.State, Reason: r.Reason, UpdatedAt: r.UpdatedAt.UTC(),
	}}
}

// FormatSerial is a kiosk's registry serial: the country pack in capitals
// and the n-th enrolment of the registry, "MA-000042".
func FormatSerial(pack string, n uint64) string {
	return fmt.Sprintf("%s-%06d", strings.ToUpper(pack), n)
}

// CheckToken returns why t cannot enrol kioskID at at, or nil.
func CheckToken(t Token, kioskID string, at time.Time) error {
	switch {
	case !t.UsedAt.IsZero():
		return fmt.Errorf("%w (by %s on %s)", ErrTokenUsed, t.UsedBy, t.UsedAt.UTC().Format(time.RFC3339))
	case !at.Before(t.ExpiresAt):
		return fmt.Errorf("%w on %s", ErrTokenExpired, t.ExpiresAt.UTC().Format(time.RFC3339))
	case t.KioskID != "" && t.KioskID != kioskID:
		return ErrTokenKiosk
	}
	return nil
}
