package wire

import "time"

// A kiosk reports to the registry what its technician did: the
// provisioning report after `guichetctl provision` (each step of the
// self-test, passed or not), and its decommissioning, after which the
// registry refuses its certificate.

// Paths of the technician's reports.
const (
	PathProvisioned    = "/v1/provisioned"    // POST ProvisioningReport → ReportAck
	PathDecommissioned = "/v1/decommissioned" // POST Decommissioning → ReportAck
)

// MaxReportSteps bounds a provisioning report's steps.
const MaxReportSteps = 64

// ReportStep is one step of a provisioning run.
type ReportStep struct {
	Name   string `json:"name"` // "enrol", "pack", "idscan", "qrscan", "receipt", "gpio", "leds", …
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"` // what was seen, or what failed and how to fix it
}

// ProvisioningReport is the body of POST /v1/provisioned.
type ProvisioningReport struct {
	KioskID         string       `json:"kiosk_id"`
	MessageID       string       `json:"message_id"`
	At              time.Time    `json:"at"`
	SoftwareVersion string       `json:"software_version"`
	Technician      string       `json:"technician,omitempty"` // who ran it, as they typed their name
	Steps           []ReportStep `json:"steps"`
}

func (ProvisioningReport) maxBody() int { return MaxServiceBody }

// Passed reports whether every step passed.
func (r ProvisioningReport) Passed() bool {
	for _, s := range r.Steps {
		if !s.OK {
			return false
		}
	}
	return len(r.Steps) > 0
}

// Validate checks the header, the time and every step.
func (r ProvisioningReport) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if err := checkTime("at", r.At); err != nil {
		return err
	}
	if r.SoftwareVersion == "" || !validText(r.SoftwareVersion, MaxName) || !validText(r.Technician, MaxName) {
		return invalid("software version %q or technician %q is not valid", clip(r.SoftwareVersion), clip(r.Technician))
	}
	if len(r.Steps) == 0 || len(r.Steps) > MaxReportSteps {
		return invalid("%d steps, want 1 to %d", len(r.Steps), MaxReportSteps)
	}
	for i, s := range r.Steps {
		if !validName(s.Name, MaxName) || !validText(s.Detail, MaxText) {
			return invalid("step %d: name %q or detail is not valid", i, clip(s.Name))
		}
	}
	return nil
}

// Decommissioning is the body of POST /v1/decommissioned: the kiosk is
// being taken out of service; its keys and queue are erased right after
// the registry acknowledges.
type Decommissioning struct {
	KioskID    string    `json:"kiosk_id"`
	MessageID  string    `json:"message_id"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason"`
	QueueDepth int       `json:"queue_depth"` // requests not yet acknowledged, lost with the queue
	Forced     bool      `json:"forced"`      // erased although QueueDepth > 0
}

func (Decommissioning) maxBody() int { return MaxServiceBody }

// Validate checks the header, the time, the reason and the queue rule.
func (d Decommissioning) Validate() error {
	if err := checkHeader(d.KioskID, d.MessageID); err != nil {
		return err
	}
	if err := checkTime("at", d.At); err != nil {
		return err
	}
	if d.Reason == "" || !validText(d.Reason, MaxText) {
		return invalid("a decommissioning needs a reason")
	}
	if d.QueueDepth < 0 || (d.QueueDepth > 0 && !d.Forced) {
		return invalid("queue depth %d without force: send the queue first", d.QueueDepth)
	}
	return nil
}

// ReportAck acknowledges a report.
type ReportAck struct {
	KioskID    string    `json:"kiosk_id"`
	MessageID  string    `json:"message_id"`
	ReceivedAt time.Time `json:"received_at"`
}

func (ReportAck) maxBody() int { return MaxServiceBody }

// Validate checks the header and the time.
func (a ReportAck) Validate() error {
	if err := checkHeader(a.KioskID, a.MessageID); err != nil {
		return err
	}
	return checkTime("received_at", a.ReceivedAt)
}
