package ipp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"guichet/drivers"
)

// PrinterState is the printer-state attribute (RFC 8011, 5.4.11).
type PrinterState int

// The printer states.
const (
	Idle       PrinterState = 3
	Processing PrinterState = 4
	Stopped    PrinterState = 5
)

func (s PrinterState) String() string {
	switch s {
	case Idle:
		return "idle"
	case Processing:
		return "processing"
	case Stopped:
		return "stopped"
	}
	return fmt.Sprintf("printer-state(%d)", int(s))
}

// JobState is the job-state attribute (RFC 8011, 5.3.7).
type JobState int

// The job states.
const (
	JobPending           JobState = 3
	JobPendingHeld       JobState = 4
	JobProcessing        JobState = 5
	JobProcessingStopped JobState = 6
	JobCanceled          JobState = 7
	JobAborted           JobState = 8
	JobCompleted         JobState = 9
)

func (s JobState) String() string {
	switch s {
	case JobPending:
		return "pending"
	case JobPendingHeld:
		return "pending-held"
	case JobProcessing:
		return "processing"
	case JobProcessingStopped:
		return "processing-stopped"
	case JobCanceled:
		return "canceled"
	case JobAborted:
		return "aborted"
	case JobCompleted:
		return "completed"
	}
	return fmt.Sprintf("job-state(%d)", int(s))
}

// Terminal reports whether the job will not change any more.
func (s JobState) Terminal() bool { return s >= JobCanceled }

// Severity is the suffix of a printer-state-reasons keyword.
type Severity string

// The severities (RFC 8011, 5.4.12): a keyword without a suffix is an
// error.
const (
	Report  Severity = "report"
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Condition is what a printer-state-reasons keyword says, without its
// severity, in the words the kiosk acts on.
type Condition string

// The conditions the kiosk knows; any other keyword is kept as it came
// (Reason.Keyword) with Condition Other.
const (
	MediaEmpty   Condition = "media-empty"  // out of paper
	MediaLow     Condition = "media-low"    // paper running low
	MediaNeeded  Condition = "media-needed" // a tray to fill or paper to load
	MediaJam     Condition = "media-jam"    // paper jammed
	TonerEmpty   Condition = "toner-empty"  // out of toner (marker-supply-empty too)
	TonerLow     Condition = "toner-low"    // toner running low (marker-supply-low too)
	DoorOpen     Condition = "door-open"    // a door or cover is open
	InputTrayOut Condition = "input-tray-missing"
	OutputFull   Condition = "output-area-full"
	Offline      Condition = "offline" // the device does not answer
	Paused       Condition = "paused"  // stopped by a technician or a fault
	Connecting   Condition = "connecting-to-device"
	Shutdown     Condition = "shutdown"
	Other        Condition = "other"
)

// conditions maps keywords (without severity) to conditions; several
// keywords mean the same thing to the kiosk.
var conditions = map[string]Condition{
	"media-empty":               MediaEmpty,
	"media-low":                 MediaLow,
	"media-needed":              MediaNeeded,
	"media-jam":                 MediaJam,
	"toner-empty":               TonerEmpty,
	"marker-supply-empty":       TonerEmpty,
	"toner-low":                 TonerLow,
	"marker-supply-low":         TonerLow,
	"door-open":                 DoorOpen,
	"cover-open":                DoorOpen,
	"interlock-open":            DoorOpen,
	"input-tray-missing":        InputTrayOut,
	"output-area-full":          OutputFull,
	"output-area-almost-full":   OutputFull,
	"offline":                   Offline,
	"timed-out":                 Offline,
	"paused":                    Paused,
	"moving-to-paused":          Paused,
	"connecting-to-device":      Connecting,
	"shutdown":                  Shutdown,
	"cups-remote-not-accepting": Offline,
}

// Reason is one printer-state-reasons value, decoded.
type Reason struct {
	Keyword   string // as received, with its suffix: "media-empty-error"
	Condition Condition
	Severity  Severity
}

// DecodeReasons decodes printer-state-reasons values: the severity suffix
// is split off (none means error), vendor prefixes ("com.example-") are
// kept in Keyword, "none" and empty values are dropped, and a keyword seen
// twice is kept once. The order is the printer's.
func DecodeReasons(values []string) []Reason {
	var out []Reason
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" || v == "none" || len(v) > 255 {
			continue
		}
		if slices.ContainsFunc(out, func(r Reason) bool { return r.Keyword == v }) {
			continue
		}
		base, sev := v, Error
		for _, s := range []Severity{Report, Warning, Error} {
			if b, ok := strings.CutSuffix(v, "-"+string(s)); ok {
				base, sev = b, s
				break
			}
		}
		c, ok := conditions[base]
		if !ok {
			c = Other
		}
		out = append(out, Reason{Keyword: v, Condition: c, Severity: sev})
	}
	return out
}

// Marker is one supply the printer reports (marker-names, marker-levels).
type Marker struct {
	Name  string
	Level int // percent, or -1 unknown, -2 unknown but not empty, -3 not empty
}

// Status is a printer's state as the UI, the technician screen and
// telemetry see it.
type Status struct {
	Queue         string
	State         PrinterState
	Reasons       []Reason
	Message       string // printer-state-message, as the printer words it
	AcceptingJobs bool
	QueuedJobs    int
	Markers       []Marker
	At            time.Time // when the kiosk read it
}

// Has reports whether the printer reports c at any severity.
func (s Status) Has(c Condition) bool {
	return slices.ContainsFunc(s.Reasons, func(r Reason) bool { return r.Condition == c })
}

// Faults returns the reasons of error severity: those that stop printing.
func (s Status) Faults() []Reason {
	var out []Reason
	for _, r := range s.Reasons {
		if r.Severity == Error {
			out = append(out, r)
		}
	}
	return out
}

// Ready reports whether a job sent now would print: the printer accepts
// jobs, is not stopped and reports no error.
func (s Status) Ready() bool {
	return s.AcceptingJobs && s.State != Stopped && len(s.Faults()) == 0
}

// Health turns the status into the device health every driver reports:
// connected when ready (with warnings as the reason), failed otherwise,
// with a reason a technician can act on.
func (s Status) Health(device, path string, since time.Time) drivers.Health {
	h := drivers.Health{Device: device, Path: path, State: drivers.Connected, Since: since}
	var words []string
	for _, r := range s.Reasons {
		if r.Condition == Paused && len(s.Reasons) > 1 {
			continue // paused because of another reason: say that one
		}
		if r.Condition == Other {
			words = append(words, r.Keyword)
			continue
		}
		words = append(words, r.Condition.Message("en"))
	}
	if !s.AcceptingJobs {
		words = append(words, "the queue refuses jobs (cupsaccept "+s.Queue+" to reopen it)")
	}
	if s.State == Stopped && len(s.Reasons) == 0 {
		words = append(words, "stopped")
	}
	if s.Message != "" && !s.Ready() {
		words = append(words, "printer says: "+s.Message)
	}
	h.Reason = strings.Join(words, "; ")
	if !s.Ready() {
		h.State = drivers.Failed
	}
	return h
}

var messages = map[Condition]map[string]string{
	MediaEmpty:   {"en": "out of paper: load paper", "fr": "plus de papier : remettez du papier"},
	MediaLow:     {"en": "paper low", "fr": "papier bientôt épuisé"},
	MediaNeeded:  {"en": "paper needed in a tray", "fr": "papier à charger dans un bac"},
	MediaJam:     {"en": "paper jam: open the printer and remove the paper", "fr": "bourrage : ouvrez l'imprimante et retirez le papier"},
	TonerEmpty:   {"en": "out of toner: replace the cartridge", "fr": "plus de toner : remplacez la cartouche"},
	TonerLow:     {"en": "toner low", "fr": "toner bientôt épuisé"},
	DoorOpen:     {"en": "a door or cover is open: close it", "fr": "une porte ou un capot est ouvert : fermez-le"},
	InputTrayOut: {"en": "paper tray missing", "fr": "bac à papier absent"},
	OutputFull:   {"en": "output tray full: empty it", "fr": "bac de sortie plein : videz-le"},
	Offline:      {"en": "printer offline: check its power and cable", "fr": "imprimante hors ligne : vérifiez l'alimentation et le câble"},
	Paused:       {"en": "queue paused (cupsenable to resume)", "fr": "file suspendue (cupsenable pour reprendre)"},
	Connecting:   {"en": "connecting to the printer", "fr": "connexion à l'imprimante"},
	Shutdown:     {"en": "printer shutting down", "fr": "imprimante en cours d'arrêt"},
	Other:        {"en": "other printer condition", "fr": "autre état de l'imprimante"},
}

// Message returns a technician's sentence for c in lang ("en" or "fr";
// English otherwise). The citizen's screens use the country pack's words.
func (c Condition) Message(lang string) string {
	m, ok := messages[c]
	if !ok {
		m = messages[Other]
	}
	if s, ok := m[lang]; ok {
		return s
	}
	return m["en"]
}
