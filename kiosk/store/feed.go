package store

// The registry's change feed as the kiosk keeps it: the position applied
// ("since"), the signed documents received (reference data, update
// manifests), the kiosk's configuration, and the status changes walked into
// the request index. ApplyChanges writes a batch of changes and the new
// position in one transaction, so that a crash between them can neither
// skip nor repeat a change.
//
// Buckets (created on first use, copied by Compact like every bucket):
//
//	feed       since (8 bytes), applied_at (time), settings (record)
//	documents  kind "/" name → document record

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
	"guichet/kiosk/request"
)

var (
	bFeed      = []byte("feed")
	bDocuments = []byte("documents")

	kFeedSince     = []byte("since")
	kFeedAppliedAt = []byte("applied_at")
	kFeedSettings  = []byte("settings")
)

// ErrFeedGap is returned by ApplyChanges when the changes do not follow the
// position applied: applying them would skip a change.
var ErrFeedGap = errors.New("store: change feed gap")

// Alarms raised by the sync client through the store.
const (
	AlarmFeedRefused     AlarmKind = "feed_refused"     // a change was refused (bad signature, rollback, expired)
	AlarmRequestConflict AlarmKind = "request_conflict" // the registry holds another body under a request id
	AlarmRequestRejected AlarmKind = "request_rejected" // the registry refused a request for good
	AlarmFeedReset       AlarmKind = "feed_reset"       // the registry's feed is behind the kiosk's position
	AlarmSync            AlarmKind = "sync"             // anything else the sync client must report
)

// ChangeKind is what a change of the feed carries. The values are those of
// the wire protocol.
type ChangeKind string

// The kinds of change.
const (
	ChangeStatus        ChangeKind = "request_status"  // a request's state at the registry
	ChangeReferenceData ChangeKind = "reference_data"  // Document: courts, fees, professionals
	ChangeUpdate        ChangeKind = "update_manifest" // Document: a software update announced
	ChangeSettings      ChangeKind = "configuration"   // Settings: the kiosk's configuration
)

func (k ChangeKind) valid() bool {
	return k == ChangeStatus || k == ChangeReferenceData || k == ChangeUpdate || k == ChangeSettings
}

// Change is one entry of the registry's change feed, decoded and checked by
// the sync client. Exactly the fields of its Kind are set.
type Change struct {
	Seq  uint64 // strictly increasing, without gaps
	Kind ChangeKind
	At   time.Time // when the registry recorded it
	// Refused, when set, says why the kiosk does not apply the change (a
	// signature that does not verify, say): the refusal is audited, an
	// alarm is raised, and the feed moves past the change.
	Refused string

	// ChangeStatus: the request's latest state; the store walks
	// request.Path to it.
	RequestID string
	State     request.State
	Reason    string // exactly when State is rejected
	UpdatedAt time.Time

	// ChangeReferenceData and ChangeUpdate: the document, its signature
	// already verified by the caller. A version not above the one held is
	// refused (rollback), as is an expired one (freeze).
	Document *Document

	// ChangeSettings: the configuration as the registry sent it (JSON,
	// opaque to the store) and its version, which must increase.
	Settings        []byte
	SettingsVersion uint64
}

// Document is a signed document the registry published: reference data or
// an update manifest. The store keeps the signature so that it can be
// checked again.
type Document struct {
	Kind      ChangeKind `json:"kind"` // ChangeReferenceData or ChangeUpdate
	Name      string     `json:"name"` // "courts", "fees", "professionals", "update"
	Version   uint64     `json:"version"`
	Issued    time.Time  `json:"issued"`
	Expires   time.Time  `json:"expires,omitzero"`
	KeyID     string     `json:"key_id"`
	Payload   []byte     `json:"payload"`
	Signature []byte     `json:"signature"`
	Seq       uint64     `json:"seq"`      // the feed entry that brought it
	Received  time.Time  `json:"received"` // the kiosk's clock when it was applied
}

// Limits on what the feed stores.
const (
	maxDocument     = 12 << 20
	maxSettings     = 64 << 10
	maxDocumentName = 64
)

func (d Document) validate() error {
	switch {
	case d.Kind != ChangeReferenceData && d.Kind != ChangeUpdate:
		return fmt.Errorf("store: document kind %q", d.Kind)
	case !validDocName(d.Name) || !validDocName(d.KeyID):
		return fmt.Errorf("store: document name %q or key id %q is not valid", clip(d.Name), clip(d.KeyID))
	case d.Version == 0:
		return fmt.Errorf("store: document %s version 0", d.Name)
	case !validTime(d.Issued) || (!d.Expires.IsZero() && !validTime(d.Expires)):
		return fmt.Errorf("store: document %s times out of range", d.Name)
	case len(d.Payload) == 0 || len(d.Payload) > maxDocument:
		return fmt.Errorf("store: document %s payload is %d bytes", d.Name, len(d.Payload))
	case len(d.Signature) == 0 || len(d.Signature) > 128:
		return fmt.Errorf("store: document %s signature is %d bytes", d.Name, len(d.Signature))
	}
	return nil
}

// validDocName: [A-Za-z0-9][A-Za-z0-9._-]{0,63}, as the wire's names.
func validDocName(s string) bool {
	if s == "" || len(s) > maxDocumentName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case (c == '-' || c == '_' || c == '.') && i > 0:
		default:
			return false
		}
	}
	return true
}

// documentVersion is the record layout version of a stored document.
const documentVersion = 1

type documentRecord struct {
	V int `json:"v"`
	Document
}

func encodeDocument(d Document) ([]byte, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	d.Issued, d.Expires, d.Received = d.Issued.UTC(), d.Expires.UTC(), d.Received.UTC()
	return json.Marshal(documentRecord{V: documentVersion, Document: d})
}

// decodeDocument decodes a stored document strictly: its layout version, no
// unknown field, no trailing data, and the document's invariants.
func decodeDocument(b []byte) (Document, error) {
	if len(b) > 2*maxDocument {
		return Document{}, fmt.Errorf("store: document record is %d bytes", len(b))
	}
	var r documentRecord
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Document{}, fmt.Errorf("store: document record: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Document{}, errors.New("store: document record: trailing data")
	}
	if r.V != documentVersion {
		return Document{}, fmt.Errorf("store: document record version %d, want %d", r.V, documentVersion)
	}
	if err := r.Document.validate(); err != nil {
		return Document{}, err
	}
	if !validTime(r.Received) || r.Seq == 0 {
		return Document{}, fmt.Errorf("store: document %s: no feed position or reception time", r.Name)
	}
	return r.Document, nil
}

func documentKey(kind ChangeKind, name string) []byte { return []byte(string(kind) + "/" + name) }

// FeedState is the change feed as applied.
type FeedState struct {
	Since           uint64    // the last change applied; 0 before the first
	AppliedAt       time.Time // when the last batch was applied; zero before
	SettingsVersion uint64    // the configuration's version; 0 for none received
	Settings        []byte    // the configuration as received (JSON); nil for none
}

// Feed returns the change feed's state.
func (s *Store) Feed() (FeedState, error) {
	var st FeedState
	err := s.view(func(tx *bolt.Tx) (err error) {
		st, err = readFeed(tx)
		return err
	})
	if err != nil {
		return FeedState{}, fmt.Errorf("store: feed: %w", err)
	}
	return st, nil
}

func readFeed(tx *bolt.Tx) (FeedState, error) {
	var st FeedState
	b := tx.Bucket(bFeed)
	if b == nil {
		return st, nil
	}
	var err error
	if st.Since, err = getUint64(b.Get(kFeedSince)); err != nil {
		return st, err
	}
	if v := b.Get(kFeedAppliedAt); v != nil {
		n, err := getUint64(v)
		if err != nil {
			return st, err
		}
		st.AppliedAt = time.Unix(0, int64(n)).UTC()
	}
	if v := b.Get(kFeedSettings); v != nil {
		if len(v) < 8 || len(v) > 8+maxSettings {
			return st, fmt.Errorf("store: settings record is %d bytes", len(v))
		}
		st.SettingsVersion = binary.BigEndian.Uint64(v)
		st.Settings = bytes.Clone(v[8:])
	}
	return st, nil
}

// Document returns the latest document of that kind and name, or
// ErrNotFound.
func (s *Store) Document(kind ChangeKind, name string) (Document, error) {
	var d Document
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bDocuments)
		var v []byte
		if b != nil {
			v = b.Get(documentKey(kind, name))
		}
		if v == nil {
			return fmt.Errorf("%w: document %s/%s", ErrNotFound, kind, name)
		}
		var err error
		d, err = decodeDocument(v)
		return err
	})
	return d, err
}

// Documents returns the latest document of every kind and name, ordered by
// kind and name.
func (s *Store) Documents() ([]Document, error) {
	var out []Document
	err := s.view(func(tx *bolt.Tx) error {
		out = nil
		b := tx.Bucket(bDocuments)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			d, err := decodeDocument(v)
			if err != nil {
				return fmt.Errorf("document %s: %w", k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return out, nil
}

// Outcome says what ApplyChanges did with one change.
type Outcome struct {
	Seq     uint64
	Kind    ChangeKind
	Applied bool   // the change took effect
	Why     string // why not, when it did not
}

// ApplyChanges applies changes (the feed entries after the position held,
// in order) and moves the position to next, in one transaction. Changes at
// or below the position are skipped, so that a batch applied twice (two
// pollers, a retried call) is applied once; a first unapplied change that
// does not follow the position is ErrFeedGap and writes nothing. next must
// be the last change's Seq, or the position itself when changes is empty.
//
// A change that cannot take effect does not stop the feed: a status for an
// unknown request or one the state machine cannot reach, a document not
// newer than the one held (rollback) or expired (freeze), settings not
// newer than those held, or a change the caller Refused, is recorded in the
// audit chain and skipped; refusals also raise AlarmFeedRefused. Each
// applied status step is an audit entry of its own (as ApplyStatus), and
// every call that moves the position appends one "feed.applied" entry
// naming the range, so the audit chain shows each change applied once.
func (s *Store) ApplyChanges(ctx context.Context, next uint64, changes []Change) ([]Outcome, error) {
	for i, c := range changes {
		if err := c.check(); err != nil {
			return nil, err
		}
		if i > 0 && c.Seq != changes[i-1].Seq+1 {
			return nil, fmt.Errorf("%w: change %d follows %d", ErrFeedGap, c.Seq, changes[i-1].Seq)
		}
	}
	if len(changes) > 0 && next != changes[len(changes)-1].Seq {
		return nil, fmt.Errorf("store: apply changes: next %d is not the last change %d", next, changes[len(changes)-1].Seq)
	}
	now := s.now()
	var outcomes []Outcome
	err := s.write(ctx, func(tx *bolt.Tx) error {
		outcomes = nil
		st, err := readFeed(tx)
		if err != nil {
			return err
		}
		if next <= st.Since {
			return nil // applied already
		}
		todo := changes
		for len(todo) > 0 && todo[0].Seq <= st.Since {
			todo = todo[1:]
		}
		if len(todo) == 0 || todo[0].Seq != st.Since+1 {
			return fmt.Errorf("%w: position %d, next change %d", ErrFeedGap, st.Since, firstSeq(todo, next))
		}
		fb, err := tx.CreateBucketIfNotExists(bFeed)
		if err != nil {
			return err
		}
		docs, err := tx.CreateBucketIfNotExists(bDocuments)
		if err != nil {
			return err
		}
		for _, c := range todo {
			o := Outcome{Seq: c.Seq, Kind: c.Kind}
			why, err := applyOne(tx, fb, docs, c, now)
			if err != nil {
				return err
			}
			o.Applied, o.Why = why == "", why
			outcomes = append(outcomes, o)
		}
		if err := fb.Put(kFeedSince, seqKey(next)); err != nil {
			return err
		}
		if err := fb.Put(kFeedAppliedAt, seqKey(uint64(now.UnixNano()))); err != nil {
			return err
		}
		_, err = appendAudit(tx, now, audit.Registry, "feed.applied", fmt.Sprintf("%d-%d", todo[0].Seq, next),
			fmt.Sprintf("changes=%d", len(todo)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: apply changes: %w", err)
	}
	for _, o := range outcomes {
		if !o.Applied && o.refusal() {
			s.raise(Alarm{Time: now, Kind: AlarmFeedRefused, Message: fmt.Sprintf("change %d (%s) refused: %s", o.Seq, o.Kind, o.Why)})
		}
	}
	return outcomes, nil
}

// refusal tells a refused change (an alarm) from one that is merely moot.
func (o Outcome) refusal() bool {
	return o.Kind != ChangeStatus
}

func firstSeq(cs []Change, next uint64) uint64 {
	if len(cs) > 0 {
		return cs[0].Seq
	}
	return next
}

// check validates a change before its transaction.
func (c Change) check() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("store: change %d: %s", c.Seq, fmt.Sprintf(format, a...))
	}
	if c.Seq == 0 {
		return bad("sequence 0")
	}
	if !c.Kind.valid() {
		return bad("unknown kind %q", c.Kind)
	}
	if c.Refused != "" {
		return nil
	}
	switch c.Kind {
	case ChangeStatus:
		if !validHexID(c.RequestID) || !c.State.Valid() || c.UpdatedAt.IsZero() {
			return bad("status needs a request id, a state and a time")
		}
		if (c.State == request.Rejected) != (c.Reason != "") {
			return bad("reason %q in state %s", clip(c.Reason), c.State)
		}
	case ChangeReferenceData, ChangeUpdate:
		if c.Document == nil || c.Document.Kind != c.Kind {
			return bad("%s without a document of its kind", c.Kind)
		}
		if err := c.Document.validate(); err != nil {
			return bad("%v", err)
		}
	case ChangeSettings:
		if c.SettingsVersion == 0 || len(c.Settings) == 0 || len(c.Settings) > maxSettings {
			return bad("settings need a version and 1 to %d bytes", maxSettings)
		}
	}
	return nil
}

// applyOne applies one change inside tx and returns why it did not take
// effect ("" when it did). An error aborts the whole transaction.
func applyOne(tx *bolt.Tx, fb, docs *bolt.Bucket, c Change, now time.Time) (string, error) {
	subject := fmt.Sprintf("%d", c.Seq)
	skip := func(action, why string) (string, error) {
		_, err := appendAudit(tx, now, audit.Registry, action, subject, clip(string(c.Kind)+": "+why))
		return why, err
	}
	if c.Refused != "" {
		return skip("feed.refused", c.Refused)
	}
	switch c.Kind {
	case ChangeStatus:
		r, err := getRequest(tx, c.RequestID)
		if errors.Is(err, ErrNotFound) {
			return skip("feed.status_unknown", "no request "+c.RequestID)
		}
		if err != nil {
			return "", err
		}
		if r.State == c.State {
			return "", nil
		}
		steps, err := request.Path(r.State, c.State)
		if err != nil {
			return skip("feed.status_refused", fmt.Sprintf("request %s is %s, cannot become %s", c.RequestID, r.State, c.State))
		}
		for _, st := range steps {
			why, detail := "", "seq="+subject+" at="+c.UpdatedAt.UTC().Format(time.RFC3339)
			if st == request.Rejected {
				why, detail = c.Reason, detail+" reason="+c.Reason
			}
			if err := moveAndRecord(tx, &r, st, c.UpdatedAt, now, why, audit.Registry, "request."+string(st), clip(detail)); err != nil {
				return "", err
			}
		}
		if !pending(r.State) {
			return "", purge(tx, r.ID)
		}
		return "", nil

	case ChangeReferenceData, ChangeUpdate:
		d := *c.Document
		key := documentKey(c.Kind, d.Name)
		if v := docs.Get(key); v != nil {
			held, err := decodeDocument(v)
			if err != nil {
				return "", fmt.Errorf("stored document %s: %w", key, err)
			}
			if d.Version <= held.Version {
				return skip("feed.document_refused", fmt.Sprintf("%s version %d is not above %d held (rollback)", d.Name, d.Version, held.Version))
			}
		}
		if !d.Expires.IsZero() && !now.Before(d.Expires) {
			return skip("feed.document_refused", fmt.Sprintf("%s version %d expired at %s (freeze)", d.Name, d.Version, d.Expires.UTC().Format(time.RFC3339)))
		}
		d.Seq, d.Received = c.Seq, now
		v, err := encodeDocument(d)
		if err != nil {
			return "", err
		}
		if err := docs.Put(key, v); err != nil {
			return "", err
		}
		_, err = appendAudit(tx, now, audit.Registry, "feed."+string(c.Kind), d.Name, fmt.Sprintf("seq=%d version=%d key=%s", c.Seq, d.Version, d.KeyID))
		return "", err

	case ChangeSettings:
		st, err := readFeed(tx)
		if err != nil {
			return "", err
		}
		if c.SettingsVersion <= st.SettingsVersion {
			return skip("feed.settings_refused", fmt.Sprintf("version %d is not above %d held", c.SettingsVersion, st.SettingsVersion))
		}
		v := binary.BigEndian.AppendUint64(nil, c.SettingsVersion)
		if err := fb.Put(kFeedSettings, append(v, c.Settings...)); err != nil {
			return "", err
		}
		_, err = appendAudit(tx, now, audit.Registry, "feed.configuration", subject, fmt.Sprintf("version=%d", c.SettingsVersion))
		return "", err
	}
	return "", fmt.Errorf("unknown change kind %q", c.Kind)
}

// ResetFeed moves the feed's position back to since (0 to read the feed
// again from its start) when the registry's feed is behind the kiosk's
// position, which happens only if the registry lost changes (a restore from
// backup). The reset is audited and raises AlarmFeedReset; the documents and
// settings held stay, so replayed older versions are refused as rollbacks.
func (s *Store) ResetFeed(ctx context.Context, since uint64, why string) error {
	now := s.now()
	var from uint64
	err := s.write(ctx, func(tx *bolt.Tx) error {
		st, err := readFeed(tx)
		if err != nil {
			return err
		}
		from = st.Since
		if since >= from {
			return nil
		}
		fb, err := tx.CreateBucketIfNotExists(bFeed)
		if err != nil {
			return err
		}
		if err := fb.Put(kFeedSince, seqKey(since)); err != nil {
			return err
		}
		_, err = appendAudit(tx, now, audit.Registry, "feed.reset", fmt.Sprintf("%d", since), clip(fmt.Sprintf("from=%d %s", from, why)))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: reset feed: %w", err)
	}
	if since < from {
		s.raise(Alarm{Time: now, Kind: AlarmFeedReset, Message: fmt.Sprintf("change feed reset from %d to %d: %s", from, since, why)})
	}
	return nil
}

// RefuseRequest records the registry's final refusal of a queued request
// (kind AlarmRequestRejected) or a conflict under its id (kind
// AlarmRequestConflict): in one transaction the request becomes rejected
// with the reason (through sent if needed), its sealed payload and outbox
// entry are deleted, and an alarm entry is appended to the audit chain; the
// alarm is then raised. The sync client never sends it again. A request no
// longer pending is left as it is (the alarm is still recorded).
func (s *Store) RefuseRequest(ctx context.Context, id string, kind AlarmKind, reason string, at time.Time) error {
	if kind != AlarmRequestRejected && kind != AlarmRequestConflict {
		return fmt.Errorf("store: refuse request %s: alarm kind %q", id, kind)
	}
	if reason == "" {
		return fmt.Errorf("store: refuse request %s: a reason is required", id)
	}
	now := s.now()
	reason = clip(reason)
	err := s.write(ctx, func(tx *bolt.Tx) error {
		r, err := getRequest(tx, id)
		if err != nil {
			return err
		}
		if pending(r.State) {
			steps, err := request.Path(r.State, request.Rejected)
			if err != nil {
				return fmt.Errorf("store: refuse %s: %w", id, err)
			}
			for _, st := range steps {
				why := ""
				if st == request.Rejected {
					why = reason
				}
				if err := moveAndRecord(tx, &r, st, at, now, why, audit.Registry, "request."+string(st), clip(string(kind)+": "+reason)); err != nil {
					return err
				}
			}
			if err := purge(tx, id); err != nil {
				return err
			}
		}
		_, err = appendAudit(tx, now, audit.System, "store.alarm."+string(kind), id, reason)
		return err
	})
	if err != nil {
		return err
	}
	s.raise(Alarm{Time: now, Kind: kind, Message: fmt.Sprintf("request %s: %s", id, reason)})
	return nil
}

// RaiseAlarm raises an alarm and records it in the audit chain, for what
// the sync client must bring to operations' attention (a certificate the
// registry refuses, a corrupted outbox entry).
func (s *Store) RaiseAlarm(ctx context.Context, kind AlarmKind, subject, message string) error {
	now := s.now()
	if !slices.Contains([]AlarmKind{AlarmSync, AlarmFeedRefused, AlarmFeedReset, AlarmRequestConflict, AlarmRequestRejected}, kind) {
		return fmt.Errorf("store: raise alarm: kind %q is not the sync client's", kind)
	}
	if _, err := (audit.Head{}).Next(now, audit.System, "store.alarm."+string(kind), subject, clip(message)); err != nil {
		return fmt.Errorf("store: raise alarm: %w", err)
	}
	err := s.write(ctx, func(tx *bolt.Tx) error {
		_, err := appendAudit(tx, now, audit.System, "store.alarm."+string(kind), subject, clip(message))
		return err
	})
	if err != nil {
		return err
	}
	s.raise(Alarm{Time: now, Kind: kind, Message: message})
	return nil
}
