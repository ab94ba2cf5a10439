package wire

import "time"

// Diagnostics: operations ask a kiosk for a diagnostics bundle by
// publishing a "diagnostics" document to its change feed (DiagnosticsAsk);
// the kiosk answers with POST /v1/diagnostics: its recent log, its
// peripherals' history, its store's and updater's state — never personal
// data.

// PathDiagnostics is where a kiosk posts a bundle.
const PathDiagnostics = "/v1/diagnostics" // POST DiagnosticsBundle → ReportAck

// DocDiagnostics names the signed request document.
const DocDiagnostics = "diagnostics"

// DiagnosticsAsk is the payload of a "diagnostics" document.
type DiagnosticsAsk struct {
	KioskID string    `json:"kiosk_id"` // the kiosk asked; others ignore it
	Request string    `json:"request"`  // echoed in the bundle
	AskedBy string    `json:"asked_by"`
	At      time.Time `json:"at"`
}

// Limits of a bundle.
const (
	MaxDiagnosticsBody  = 4 << 20
	MaxDiagnosticsFiles = 16
)

// DiagnosticFile is one file of a bundle: text.
type DiagnosticFile struct {
	Name    string `json:"name"` // "log.txt", "peripherals.txt", …
	Content string `json:"content"`
}

// DiagnosticsBundle is the body of POST /v1/diagnostics.
type DiagnosticsBundle struct {
	KioskID         string           `json:"kiosk_id"`
	MessageID       string           `json:"message_id"`
	Request         string           `json:"request"`
	At              time.Time        `json:"at"`
	SoftwareVersion string           `json:"software_version"`
	Files           []DiagnosticFile `json:"files"`
}

func (DiagnosticsBundle) maxBody() int { return MaxDiagnosticsBody }

// Validate checks the header, the request, the time and the files.
func (b DiagnosticsBundle) Validate() error {
	if err := checkHeader(b.KioskID, b.MessageID); err != nil {
		return err
	}
	if !validName(b.Request, MaxName) {
		return invalid("diagnostics request %q is not valid", clip(b.Request))
	}
	if err := checkTime("at", b.At); err != nil {
		return err
	}
	if b.SoftwareVersion == "" || !validText(b.SoftwareVersion, MaxName) {
		return invalid("software version %q is not valid", clip(b.SoftwareVersion))
	}
	if len(b.Files) == 0 || len(b.Files) > MaxDiagnosticsFiles {
		return invalid("%d files, want 1 to %d", len(b.Files), MaxDiagnosticsFiles)
	}
	seen := map[string]bool{}
	for _, f := range b.Files {
		if !validName(f.Name, MaxName) || seen[f.Name] {
			return invalid("file name %q is not valid or repeated", clip(f.Name))
		}
		seen[f.Name] = true
		if !validText(f.Content, MaxDiagnosticsBody) {
			return invalid("file %s is not text", f.Name)
		}
	}
	return nil
}
