package wire

import (
	"crypto/ed25519"
	"net/url"
	"strconv"
	"strings"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// ChangesQuery is the query of GET /v1/changes: the kiosk asks for the
// changes after Since, waiting up to Wait for one to appear.
type ChangesQuery struct {
	KioskID string
	Since   uint64        // the last sequence number applied; 0 at first
	Wait    time.Duration // long-poll: 0 answers at once; at most MaxWait; whole seconds
	Limit   int           // at most this many changes; 0 means the registry's choice
}

// Values encodes q as URL query values (kiosk, since, wait in seconds,
// limit).
func (q ChangesQuery) Values() url.Values {
	v := url.Values{}
	v.Set("kiosk", q.KioskID)
	v.Set("since", strconv.FormatUint(q.Since, 10))
	if q.Wait > 0 {
		v.Set("wait", strconv.FormatInt(int64(q.Wait/time.Second), 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// ParseChangesQuery decodes a raw query string strictly: kiosk and since are
// required, wait and limit optional, each at most once, nothing else.
func ParseChangesQuery(raw string) (ChangesQuery, error) {
	var q ChangesQuery
	if len(raw) > 512 {
		return q, invalid("query is %d bytes, limit 512", len(raw))
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return q, invalid("query: %v", err)
	}
	for k, vals := range v {
		switch k {
		case "kiosk", "since", "wait", "limit":
		default:
			return q, invalid("unknown query parameter %q", clip(k))
		}
		if len(vals) != 1 {
			return q, invalid("query parameter %q given %d times", k, len(vals))
		}
	}
	q.KioskID = v.Get("kiosk")
	if !ValidKioskID(q.KioskID) {
		return q, invalid("kiosk %q is not a kiosk id", clip(q.KioskID))
	}
	if !v.Has("since") {
		return q, invalid("since is missing")
	}
	if q.Since, err = parseUint(v.Get("since"), 1<<63-1); err != nil {
		return q, invalid("since: %v", err)
	}
	if v.Has("wait") {
		w, err := parseUint(v.Get("wait"), uint64(MaxWait/time.Second))
		if err != nil {
			return q, invalid("wait: %v", err)
		}
		q.Wait = time.Duration(w) * time.Second
	}
	if v.Has("limit") {
		l, err := parseUint(v.Get("limit"), MaxChangesPerResponse)
		if err != nil || l == 0 {
			return q, invalid("limit %q is not 1 to %d", clip(v.Get("limit")), MaxChangesPerResponse)
		}
		q.Limit = int(l)
	}
	return q, nil
}

// parseUint accepts plain decimal digits, no sign, no leading zero.
func parseUint(s string, max uint64) (uint64, error) {
	if s == "" || len(s) > 20 || (len(s) > 1 && s[0] == '0') {
		return 0, invalid("%q is not a decimal number", clip(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, invalid("%q is not a decimal number", clip(s))
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > max {
		return 0, invalid("%q is over %d", clip(s), max)
	}
	return n, nil
}

// ChangeKind is what a change carries.
type ChangeKind string

// The kinds of change, each with its field of Change and the capability a
// kiosk advertises to receive it.
const (
	ChangeRequestStatus  ChangeKind = "request_status"  // Status; CapFeedStatus
	ChangeReferenceData  ChangeKind = "reference_data"  // Document; CapFeedRefData
	ChangeUpdateManifest ChangeKind = "update_manifest" // Document; CapFeedUpdate
	ChangeConfiguration  ChangeKind = "configuration"   // Settings; CapFeedConfig
)

// Capability returns the capability a kiosk advertises to receive k.
func (k ChangeKind) Capability() Capability {
	switch k {
	case ChangeRequestStatus:
		return CapFeedStatus
	case ChangeReferenceData:
		return CapFeedRefData
	case ChangeUpdateManifest:
		return CapFeedUpdate
	case ChangeConfiguration:
		return CapFeedConfig
	}
	return ""
}

// Change is one entry of a kiosk's change feed. Exactly the field of its
// kind is set.
type Change struct {
	Seq      uint64          `json:"seq"` // strictly increasing per kiosk, from 1, without gaps
	Kind     ChangeKind      `json:"kind"`
	At       time.Time       `json:"at"` // when the registry recorded it
	Status   *StatusChange   `json:"status,omitempty"`
	Document *SignedDocument `json:"document,omitempty"`
	Settings *Settings       `json:"settings,omitempty"`
}

// Validate checks the sequence number, the kind and its one payload.
func (c Change) Validate() error {
	if c.Seq == 0 {
		return invalid("change sequence 0")
	}
	if err := checkTime("at", c.At); err != nil {
		return err
	}
	n := 0
	if c.Status != nil {
		n++
	}
	if c.Document != nil {
		n++
	}
	if c.Settings != nil {
		n++
	}
	if n != 1 {
		return invalid("change %d has %d payloads, want 1", c.Seq, n)
	}
	switch c.Kind {
	case ChangeRequestStatus:
		if c.Status == nil {
			return invalid("change %d: request_status without status", c.Seq)
		}
		return c.Status.Validate()
	case ChangeReferenceData, ChangeUpdateManifest:
		if c.Document == nil {
			return invalid("change %d: %s without document", c.Seq, c.Kind)
		}
		return c.Document.Validate()
	case ChangeConfiguration:
		if c.Settings == nil {
			return invalid("change %d: configuration without settings", c.Seq)
		}
		return c.Settings.Validate()
	}
	return invalid("change %d: unknown kind %q", c.Seq, clip(string(c.Kind)))
}

// StatusChange tells the kiosk where one of its requests stands now. The
// registry sends the latest state only; the kiosk walks request.Path to it.
type StatusChange struct {
	RequestID string          `json:"request_id"`
	Tracking  tracking.Number `json:"tracking"`
	State     request.State   `json:"state"`
	Reason    string          `json:"reason,omitempty"` // exactly when State is rejected
	UpdatedAt time.Time       `json:"updated_at"`
}

// Validate checks the fields and the reason rule of kiosk/request.
func (s StatusChange) Validate() error {
	if !ValidRequestID(s.RequestID) {
		return invalid("status: request id %q is not valid", clip(s.RequestID))
	}
	if !s.Tracking.Valid() {
		return invalid("status: tracking number %q is not valid", clip(string(s.Tracking)))
	}
	switch s.State {
	case request.Acknowledged, request.InProcessing, request.Ready, request.Delivered, request.Rejected, request.Cancelled:
	default:
		return invalid("status: state %q is not one the registry reports", clip(string(s.State)))
	}
	if (s.State == request.Rejected) != (s.Reason != "") || !validText(s.Reason, MaxText) {
		return invalid("status: reason %q in state %s", clip(s.Reason), s.State)
	}
	return checkTime("updated_at", s.UpdatedAt)
}

// MaxDocument bounds a signed document's payload.
const MaxDocument = 12 << 20

// SignedDocument is reference data (courts, fees, the directory of
// professionals) or an update manifest, signed with Ed25519 by a ministry
// key the kiosk trusts from its country pack or image. The kiosk verifies
// Signature over SignedBytes and refuses a Version not above the one it has
// (rollback and freeze protection are the kiosk's, not the wire's).
type SignedDocument struct {
	Name      string    `json:"name"`    // "courts", "fees", "professionals", "update"
	Version   uint64    `json:"version"` // increases with every publication of Name
	Issued    time.Time `json:"issued"`
	Expires   time.Time `json:"expires,omitzero"` // freeze protection: refuse after this
	KeyID     string    `json:"key_id"`           // which ministry key signed
	Payload   []byte    `json:"payload"`          // the document, its format named by Name
	Signature []byte    `json:"signature"`        // Ed25519 over SignedBytes
}

// Validate checks the shape; it cannot check the signature, which needs the
// trusted key (Verify).
func (d SignedDocument) Validate() error {
	if !validName(d.Name, MaxName) || !validName(d.KeyID, MaxName) {
		return invalid("document name %q or key id %q is not valid", clip(d.Name), clip(d.KeyID))
	}
	if d.Version == 0 {
		return invalid("document %s version 0", d.Name)
	}
	if err := checkTime("issued", d.Issued); err != nil {
		return err
	}
	if !d.Expires.IsZero() {
		if err := checkTime("expires", d.Expires); err != nil {
			return err
		}
	}
	if len(d.Payload) == 0 || len(d.Payload) > MaxDocument {
		return invalid("document %s payload is %d bytes, want 1 to %d", d.Name, len(d.Payload), MaxDocument)
	}
	if len(d.Signature) != ed25519.SignatureSize {
		return invalid("document %s signature is %d bytes, want %d", d.Name, len(d.Signature), ed25519.SignatureSize)
	}
	return nil
}

// SignedBytes is what the signature covers: a domain string, then name,
// key id, version, issued and expires (Unix nanoseconds, 0 for none), then
// the payload, with the same length-prefixed layout as CanonicalBody.
func (d SignedDocument) SignedBytes() []byte {
	b := make([]byte, 0, 64+len(d.Payload))
	b = append(b, "guichet signed document v1\x00"...)
	b = appendString(b, d.Name)
	b = appendString(b, d.KeyID)
	b = appendUint64(b, d.Version)
	b = appendUint64(b, uint64(d.Issued.UnixNano()))
	var exp int64
	if !d.Expires.IsZero() {
		exp = d.Expires.UnixNano()
	}
	b = appendUint64(b, uint64(exp))
	b = appendString(b, string(d.Payload))
	return b
}

// Sign fills Signature with priv's signature over SignedBytes.
func (d *SignedDocument) Sign(priv ed25519.PrivateKey) {
	d.Signature = ed25519.Sign(priv, d.SignedBytes())
}

// Verify reports whether Signature is pub's over SignedBytes.
func (d SignedDocument) Verify(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, d.SignedBytes(), d.Signature)
}

// Settings is a kiosk's configuration as the registry sets it. A zero field
// means "keep the kiosk's default"; Version increases with every change.
type Settings struct {
	Version           uint64   `json:"version"`
	TelemetryInterval Duration `json:"telemetry_interval,omitempty"` // how often to send Telemetry
	FeedWait          Duration `json:"feed_wait,omitempty"`          // long-poll wait to ask for
	BatchMaxItems     int      `json:"batch_max_items,omitempty"`    // items per RequestBatch
	Court             string   `json:"court,omitempty"`              // the kiosk was moved to another court
	PackVersion       int      `json:"pack_version,omitempty"`       // the country pack version to expect
	Message           string   `json:"message,omitempty"`            // a notice for the technician screen
	// What the kiosk applies at its next start, and keeps only if it then
	// passes its health check (otherwise it goes back to the settings it
	// had and never tries these again).
	MaintenanceWindow string   `json:"maintenance_window,omitempty"`  // "HH:MM-HH:MM", local time: when updates may be activated
	IdleTimeout       Duration `json:"idle_timeout,omitempty"`        // a citizen's session without a touch: 45 s to 10 min
	PrinterProfile    string   `json:"printer_profile,omitempty"`     // the receipt printer: "80mm" or "58mm"
	TechnicianPINHash string   `json:"technician_pin_hash,omitempty"` // guichetctl pin-hash's output
}

// ParseWindow reads a maintenance window "HH:MM-HH:MM" (End before Start
// spans midnight) as minutes after midnight.
func ParseWindow(w string) (start, end int, err error) {
	a, b, ok := strings.Cut(w, "-")
	hm := func(s string) (int, bool) {
		t, err := time.Parse("15:04", s)
		return t.Hour()*60 + t.Minute(), err == nil && len(s) == 5
	}
	s, ok1 := hm(a)
	e, ok2 := hm(b)
	if !ok || !ok1 || !ok2 || s == e {
		return 0, 0, invalid("maintenance window %q is not HH:MM-HH:MM", clip(w))
	}
	return s, e, nil
}

// Validate checks the ranges.
func (s Settings) Validate() error {
	if s.TelemetryInterval != 0 && (s.TelemetryInterval.Std() < 10*time.Second || s.TelemetryInterval.Std() > 24*time.Hour) {
		return invalid("telemetry interval %s is not 10s to 24h", s.TelemetryInterval.Std())
	}
	if s.TelemetryInterval < 0 || s.FeedWait < 0 || s.FeedWait.Std() > MaxWait {
		return invalid("feed wait %s is over %s", s.FeedWait.Std(), MaxWait)
	}
	if s.BatchMaxItems < 0 || s.BatchMaxItems > MaxBatchItems {
		return invalid("batch max items %d is not 0 to %d", s.BatchMaxItems, MaxBatchItems)
	}
	if s.Court != "" && !validName(s.Court, MaxName) {
		return invalid("court %q is not valid", clip(s.Court))
	}
	if s.PackVersion < 0 {
		return invalid("negative pack version")
	}
	if !validText(s.Message, MaxText) {
		return invalid("message is not valid text")
	}
	if s.MaintenanceWindow != "" {
		if _, _, err := ParseWindow(s.MaintenanceWindow); err != nil {
			return err
		}
	}
	if s.IdleTimeout != 0 && (s.IdleTimeout.Std() < 45*time.Second || s.IdleTimeout.Std() > 10*time.Minute) {
		return invalid("idle timeout %s is not 45s to 10m", s.IdleTimeout.Std())
	}
	if s.PrinterProfile != "" && s.PrinterProfile != "80mm" && s.PrinterProfile != "58mm" {
		return invalid("printer profile %q is not 80mm or 58mm", clip(s.PrinterProfile))
	}
	if s.TechnicianPINHash != "" && (!strings.HasPrefix(s.TechnicianPINHash, "pbkdf2-sha256$") || !validText(s.TechnicianPINHash, 256)) {
		return invalid("technician PIN hash is not a pbkdf2-sha256 hash (guichetctl pin-hash)")
	}
	return nil
}

// ChangesResponse answers GET /v1/changes with the changes after the
// query's Since, in order. An empty Changes after a long-poll means nothing
// happened; the kiosk asks again with the same Since.
type ChangesResponse struct {
	KioskID string   `json:"kiosk_id"`
	Since   uint64   `json:"since"`   // the query's
	Changes []Change `json:"changes"` // Seq = Since+1, Since+2, …
	Next    uint64   `json:"next"`    // the Since of the next query: the last Seq, or Since
	More    bool     `json:"more"`    // more changes wait: ask again at once
}

func (ChangesResponse) maxBody() int { return MaxChangesBody }

// Validate checks that the changes follow Since without a gap and that
// Next is the last one's sequence.
func (r ChangesResponse) Validate() error {
	if !ValidKioskID(r.KioskID) {
		return invalid("kiosk id %q is not valid", clip(r.KioskID))
	}
	if len(r.Changes) > MaxChangesPerResponse {
		return invalid("%d changes, limit %d", len(r.Changes), MaxChangesPerResponse)
	}
	want := r.Since
	for _, c := range r.Changes {
		if err := c.Validate(); err != nil {
			return err
		}
		want++
		if c.Seq != want {
			return invalid("change sequence %d, want %d", c.Seq, want)
		}
	}
	if r.Next != want {
		return invalid("next %d, want %d", r.Next, want)
	}
	if r.More && len(r.Changes) == 0 {
		return invalid("more without changes")
	}
	return nil
}

func appendString(b []byte, s string) []byte {
	b = appendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
