package update

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// FileKind is what a file of a release is for.
type FileKind string

// The kinds of file in a release. Exactly one binary per release.
const (
	KindBinary FileKind = "binary" // the kiosk program, installed as <release>/guichet
	KindConfig FileKind = "config" // configuration, installed under its own name
	KindData   FileKind = "data"   // reference data, installed under its own name
	KindImage  FileKind = "image"  // a whole OS image (RAUC bundle), installed into the inactive slot
)

// BinaryName is the name of the kiosk program inside a release directory.
const BinaryName = "guichet"

// Limits of what a release may carry.
const (
	MaxFileSize     = 512 << 20 // one target file
	MaxFiles        = 32        // files in one release
	maxCustom       = 4 << 10   // a target's custom metadata
	maxHealthReport = 16 << 10
	maxSessionState = 16 << 10
)

var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ReleaseMeta is the custom metadata Guichet puts on every target of a
// release in targets.json, under the key "guichet". It is signed with the
// targets key like the hashes and lengths beside it.
type ReleaseMeta struct {
	Release        Version   `json:"release"`          // the release this file belongs to
	MinUpgradeFrom Version   `json:"min_upgrade_from"` // the oldest committed version that may install it; zero: any
	Kind           FileKind  `json:"kind"`
	Name           string    `json:"name"`                 // installed as <release dir>/<name>
	Issued         time.Time `json:"issued"`               // when the release was signed: a trusted lower bound of time
	ActivateBy     time.Time `json:"activate_by,omitzero"` // hard deadline: past it, activate outside the maintenance window
	Notes          string    `json:"notes,omitempty"`      // shown to technicians
}

type customEnvelope struct {
	Guichet *ReleaseMeta `json:"guichet"`
}

// Validate checks a decoded ReleaseMeta.
func (m ReleaseMeta) Validate() error {
	switch {
	case m.Release.IsZero():
		return fmt.Errorf("update: release metadata without a release version")
	case !m.MinUpgradeFrom.IsZero() && m.MinUpgradeFrom.Compare(m.Release) >= 0:
		return fmt.Errorf("update: release %s can only upgrade from %s or later, which is not below it", m.Release, m.MinUpgradeFrom)
	case m.Kind != KindBinary && m.Kind != KindConfig && m.Kind != KindData && m.Kind != KindImage:
		return fmt.Errorf("update: file kind %q is not binary, config, data or image", clip(string(m.Kind)))
	case !fileNameRE.MatchString(m.Name):
		return fmt.Errorf("update: file name %q is not a plain name ([A-Za-z0-9._-], at most 64)", clip(m.Name))
	case m.Kind == KindBinary && m.Name != BinaryName:
		return fmt.Errorf("update: the binary must be named %q, not %q", BinaryName, clip(m.Name))
	case m.Kind != KindBinary && m.Name == BinaryName:
		return fmt.Errorf("update: only the binary may be named %q", BinaryName)
	case m.Issued.IsZero() || m.Issued.Year() < 2000 || m.Issued.Year() > 9999:
		return fmt.Errorf("update: release issue time %v is out of range", m.Issued)
	case !m.ActivateBy.IsZero() && (m.ActivateBy.Year() < 2000 || m.ActivateBy.Year() > 9999):
		return fmt.Errorf("update: activation deadline %v is out of range", m.ActivateBy)
	case len(m.Notes) > 1024:
		return fmt.Errorf("update: release notes are %d bytes, limit 1024", len(m.Notes))
	}
	return nil
}

// EncodeCustom returns the custom JSON of a target carrying m.
func EncodeCustom(m ReleaseMeta) (json.RawMessage, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(customEnvelope{Guichet: &m})
	return b, err
}

// DecodeCustom reads a target's custom JSON strictly: unknown fields and
// trailing data are refused, and the result is validated.
func DecodeCustom(raw []byte) (ReleaseMeta, error) {
	var env customEnvelope
	if len(raw) == 0 {
		return ReleaseMeta{}, fmt.Errorf("update: target has no custom metadata")
	}
	if len(raw) > maxCustom {
		return ReleaseMeta{}, fmt.Errorf("update: target custom metadata is %d bytes, limit %d", len(raw), maxCustom)
	}
	if err := decodeStrict(raw, &env); err != nil {
		return ReleaseMeta{}, fmt.Errorf("update: target custom metadata: %w", err)
	}
	if env.Guichet == nil {
		return ReleaseMeta{}, fmt.Errorf(`update: target custom metadata has no "guichet" object`)
	}
	return *env.Guichet, env.Guichet.Validate()
}

func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); err == nil {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// HealthReport is what the kiosk writes, atomically (temporary file,
// fsync, rename), to <data>/health/<version>.json once it has started: the
// probation of a new release passes when a report for that version says
// every check passed, written after the release was activated.
type HealthReport struct {
	Version                      Version   `json:"version"`
	PID                          int       `json:"pid"`
	WrittenAt                    time.Time `json:"written_at"`
	HomeScreenRendered           bool      `json:"home_screen_rendered"`
	PeripheralsAnswered          bool      `json:"peripherals_answered"`
	StoreOpened                  bool      `json:"store_opened"`
	RegistryReachedOrQueueIntact bool      `json:"registry_reached_or_queue_intact"`
	Detail                       string    `json:"detail,omitempty"` // what failed, in the kiosk's words
}

// DecodeHealthReport reads a health report strictly.
func DecodeHealthReport(raw []byte) (HealthReport, error) {
	var h HealthReport
	if len(raw) > maxHealthReport {
		return h, fmt.Errorf("update: health report is %d bytes, limit %d", len(raw), maxHealthReport)
	}
	if err := decodeStrict(raw, &h); err != nil {
		return h, fmt.Errorf("update: health report: %w", err)
	}
	if h.Version.IsZero() {
		return h, fmt.Errorf("update: health report without a version")
	}
	if len(h.Detail) > 2048 {
		return h, fmt.Errorf("update: health report detail is %d bytes, limit 2048", len(h.Detail))
	}
	return h, nil
}

// Failure returns why the report fails probation, or "" when it passes.
func (h HealthReport) Failure() string {
	var why []string
	if !h.HomeScreenRendered {
		why = append(why, "home screen not rendered")
	}
	if !h.PeripheralsAnswered {
		why = append(why, "peripherals did not answer")
	}
	if !h.StoreOpened {
		why = append(why, "store did not open")
	}
	if !h.RegistryReachedOrQueueIntact {
		why = append(why, "registry not reached and queue not intact")
	}
	if len(why) == 0 {
		return ""
	}
	s := why[0]
	for _, w := range why[1:] {
		s += ", " + w
	}
	if h.Detail != "" {
		s += " (" + h.Detail + ")"
	}
	return s
}

// WriteHealthReport writes h to <healthDir>/<version>.json atomically; the
// kiosk calls it (or writes the same JSON itself).
func WriteHealthReport(healthDir string, h HealthReport) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return writeFileAtomic(healthPath(healthDir, h.Version), b, 0o644)
}

func healthPath(dir string, v Version) string { return dir + "/" + v.String() + ".json" }
