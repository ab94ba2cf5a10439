package wire

import "time"

// Telemetry is the body of POST /v1/telemetry: what operations see of a
// kiosk on the fleet page.
type Telemetry struct {
	KioskID         string       `json:"kiosk_id"`
	MessageID       string       `json:"message_id"`
	At              time.Time    `json:"at"` // the kiosk's clock, UTC
	SoftwareVersion string       `json:"software_version"`
	CountryPack     string       `json:"country_pack"`
	PackVersion     int          `json:"pack_version"`
	Capabilities    []Capability `json:"capabilities"`
	Peripherals     []Peripheral `json:"peripherals"`
	Paper           []Paper      `json:"paper"`
	QueueDepth      int          `json:"queue_depth"`           // outbox entries not yet acknowledged
	OldestEntryAge  Duration     `json:"oldest_entry_age"`      // age of the oldest of them; 0 when empty
	FeedSince       uint64       `json:"feed_since"`            // the change feed position applied
	AuditHead       AuditHead    `json:"audit_head"`            // the audit chain's last entry
	SettingsVersion uint64       `json:"settings_version"`      // Settings.Version applied
	Uptime          Duration     `json:"uptime,omitempty"`      // since the kiosk process started
	CertNotAfter    time.Time    `json:"cert_not_after"`        // the client certificate's expiry
	Message         string       `json:"message,omitempty"`     // free text from the technician screen
	Alarms          []string     `json:"alarms,omitempty"`      // names of raised store alarms
	ServiceMode     bool         `json:"service_mode"`          // technician mode is on
	LastFeedAt      time.Time    `json:"last_feed_at,omitzero"` // last successful change-feed poll
	Update          *UpdateState `json:"update,omitempty"`      // the software updater's state, when there is one
}

func (Telemetry) maxBody() int { return MaxTelemetryBody }

// UpdateState is where the kiosk's software updater stands, for the
// console and the staged rollout.
type UpdateState struct {
	State    string   `json:"state"`              // idle, downloading, verified, staged, waiting, activated, probation, committed, rolled_back, failed
	Running  string   `json:"running"`            // the version running and committed
	Target   string   `json:"target,omitempty"`   // the version in flight
	Bytes    int64    `json:"bytes,omitempty"`    // downloaded so far
	Total    int64    `json:"total,omitempty"`    // to download
	Failed   []string `json:"failed,omitempty"`   // versions that failed here and are never installed again
	Rollback string   `json:"rollback,omitempty"` // why the last rollback happened
}

// MaxFailedVersions bounds UpdateState.Failed.
const MaxFailedVersions = 32

func (u UpdateState) validate() error {
	if !validName(u.State, MaxName) || !validText(u.Running, MaxName) || !validText(u.Target, MaxName) || !validText(u.Rollback, MaxText) {
		return invalid("update state %q, running %q, target %q or rollback reason is not valid", clip(u.State), clip(u.Running), clip(u.Target))
	}
	if u.Bytes < 0 || u.Total < 0 || (u.Total > 0 && u.Bytes > u.Total) {
		return invalid("update progress %d of %d bytes", u.Bytes, u.Total)
	}
	if len(u.Failed) > MaxFailedVersions {
		return invalid("%d failed versions, limit %d", len(u.Failed), MaxFailedVersions)
	}
	for _, v := range u.Failed {
		if !validText(v, MaxName) || v == "" {
			return invalid("failed version %q is not valid", clip(v))
		}
	}
	return nil
}

// Health is a peripheral's state.
type Health string

// The states a peripheral reports.
const (
	HealthOK       Health = "ok"
	HealthDegraded Health = "degraded" // works, needs attention
	HealthFault    Health = "fault"    // does not work
	HealthAbsent   Health = "absent"   // not connected
)

// Peripheral is one device's health.
type Peripheral struct {
	Name   string    `json:"name"` // "receipt_printer", "laser_printer", "id_scanner", "qr_scanner", "presence"
	Health Health    `json:"health"`
	Detail string    `json:"detail,omitempty"`
	Since  time.Time `json:"since"` // when it entered Health
}

// PaperLevel is a printer's paper state.
type PaperLevel string

// The paper levels.
const (
	PaperOK      PaperLevel = "ok"
	PaperLow     PaperLevel = "low"
	PaperOut     PaperLevel = "out"
	PaperUnknown PaperLevel = "unknown"
)

// Paper is one printer's paper state.
type Paper struct {
	Printer string     `json:"printer"` // a Peripheral name
	Level   PaperLevel `json:"level"`
}

// AuditHead is the head of the kiosk's audit chain (kiosk/audit.Head).
// Signature, when present, is the kiosk key's signature (Ed25519 or ECDSA,
// the key of its client certificate) over AuditHeadSignedBytes.
type AuditHead struct {
	Seq       uint64 `json:"seq"`
	Hash      Hash   `json:"hash"`
	Signature []byte `json:"signature,omitempty"`
}

// AuditHeadSignedBytes is what an AuditHead signature covers: a domain
// string, the kiosk id, the sequence and the hash.
func AuditHeadSignedBytes(kioskID string, h AuditHead) []byte {
	b := []byte("guichet audit head v1\x00")
	b = appendString(b, kioskID)
	b = appendUint64(b, h.Seq)
	return append(b, h.Hash[:]...)
}

// MaxPeripherals bounds the peripherals and paper entries of a Telemetry.
const MaxPeripherals = 32

// Validate checks the header and every field's range.
func (t Telemetry) Validate() error {
	if err := checkHeader(t.KioskID, t.MessageID); err != nil {
		return err
	}
	if err := checkTime("at", t.At); err != nil {
		return err
	}
	if !validText(t.SoftwareVersion, MaxName) || t.SoftwareVersion == "" {
		return invalid("software version %q is not valid", clip(t.SoftwareVersion))
	}
	if !validPackCode(t.CountryPack) || t.PackVersion < 0 {
		return invalid("country pack %q version %d is not valid", clip(t.CountryPack), t.PackVersion)
	}
	if err := checkCapabilities(t.Capabilities); err != nil {
		return err
	}
	if len(t.Peripherals) > MaxPeripherals || len(t.Paper) > MaxPeripherals || len(t.Alarms) > MaxPeripherals {
		return invalid("more than %d peripherals, paper entries or alarms", MaxPeripherals)
	}
	for _, p := range t.Peripherals {
		if !validName(p.Name, MaxName) || !validText(p.Detail, MaxText) {
			return invalid("peripheral %q is not valid", clip(p.Name))
		}
		switch p.Health {
		case HealthOK, HealthDegraded, HealthFault, HealthAbsent:
		default:
			return invalid("peripheral %s health %q is unknown", p.Name, clip(string(p.Health)))
		}
		if err := checkTime("peripheral since", p.Since); err != nil {
			return err
		}
	}
	for _, p := range t.Paper {
		if !validName(p.Printer, MaxName) {
			return invalid("paper printer %q is not valid", clip(p.Printer))
		}
		switch p.Level {
		case PaperOK, PaperLow, PaperOut, PaperUnknown:
		default:
			return invalid("paper level %q is unknown", clip(string(p.Level)))
		}
	}
	for _, a := range t.Alarms {
		if !validName(a, MaxName) {
			return invalid("alarm %q is not valid", clip(a))
		}
	}
	if t.QueueDepth < 0 {
		return invalid("negative queue depth")
	}
	if t.Update != nil {
		if err := t.Update.validate(); err != nil {
			return err
		}
	}
	if t.OldestEntryAge < 0 || t.Uptime < 0 || (t.QueueDepth == 0 && t.OldestEntryAge != 0) {
		return invalid("oldest entry age %s with queue depth %d", t.OldestEntryAge.Std(), t.QueueDepth)
	}
	if len(t.AuditHead.Signature) > 128 {
		return invalid("audit head signature is %d bytes", len(t.AuditHead.Signature))
	}
	if err := checkTime("cert_not_after", t.CertNotAfter); err != nil {
		return err
	}
	if !t.LastFeedAt.IsZero() {
		if err := checkTime("last_feed_at", t.LastFeedAt); err != nil {
			return err
		}
	}
	if !validText(t.Message, MaxText) {
		return invalid("message is not valid text")
	}
	return nil
}

// TelemetryAck answers a Telemetry.
type TelemetryAck struct {
	KioskID      string       `json:"kiosk_id"`
	MessageID    string       `json:"message_id"` // the telemetry's
	ServerTime   time.Time    `json:"server_time"`
	Capabilities []Capability `json:"capabilities"` // negotiated again: the kiosk may have been updated
	FeedHead     uint64       `json:"feed_head"`    // the kiosk's last change sequence at the registry
}

func (TelemetryAck) maxBody() int { return MaxTelemetryBody }

// Validate checks every field.
func (a TelemetryAck) Validate() error {
	if err := checkHeader(a.KioskID, a.MessageID); err != nil {
		return err
	}
	if err := checkTime("server_time", a.ServerTime); err != nil {
		return err
	}
	return checkCapabilities(a.Capabilities)
}
