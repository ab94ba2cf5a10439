package registry

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"time"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// TicketSpec is what an operator asks an enrolment ticket for.
type TicketSpec struct {
	Court       string
	CountryPack string
	PackVersion int
	KioskID     string        // only this kiosk may use it; "" any
	ValidFor    time.Duration // at most wire.MaxTicketValidity; default that
}

// IssuedTicket is a new ticket: its text (what the QR code holds), shown
// once and never stored; only its token's hash is kept.
type IssuedTicket struct {
	Text   string
	Ticket wire.Ticket
}

// IssueTicket issues a signed single-use enrolment ticket for a court: a
// one-time token valid at most an hour, with the registry's public address
// and its CA's fingerprint, signed with the document key kiosks' images
// trust. The registry records which operator issued it, and the
// enrolment that uses it names that operator.
func (s *Server) IssueTicket(ctx context.Context, operator string, spec TicketSpec) (IssuedTicket, error) {
	if spec.ValidFor <= 0 {
		spec.ValidFor = wire.MaxTicketValidity
	}
	if spec.ValidFor > wire.MaxTicketValidity {
		return IssuedTicket{}, fmt.Errorf("registry: ticket: valid for %s, at most %s", spec.ValidFor, wire.MaxTicketValidity)
	}
	tok, err := s.IssueToken(ctx, operator, TokenSpec{Court: spec.Court, CountryPack: spec.CountryPack, PackVersion: spec.PackVersion,
		KioskID: spec.KioskID, ValidFor: wire.Duration(spec.ValidFor)})
	if err != nil {
		return IssuedTicket{}, err
	}
	t := wire.Ticket{
		Registry: s.PublicURL(), CA: wire.Hash(sha256.Sum256(s.ca.cert.Raw)), Court: spec.Court, CountryPack: spec.CountryPack,
		PackVersion: spec.PackVersion, KioskID: spec.KioskID, Token: tok.Token, IssuedBy: operator,
		Issued: tok.ExpiresAt.Add(-spec.ValidFor), Expires: tok.ExpiresAt, KeyID: s.docKeyID,
	}
	text, err := t.Encode(s.docKey)
	if err != nil {
		return IssuedTicket{}, fmt.Errorf("registry: ticket: %w", err)
	}
	if err := s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: operator, Action: "ticket.issue", Subject: spec.Court,
		Detail: fmt.Sprintf("kiosk %q, expires %s", spec.KioskID, t.Expires.Format(time.RFC3339))}); err != nil {
		return IssuedTicket{}, err
	}
	return IssuedTicket{Text: text, Ticket: t}, nil
}

// PublicURL is the address kiosks reach the registry at: Config.PublicURL,
// or https:// and the listening address.
func (s *Server) PublicURL() string {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL
	}
	if a := s.Addr(); a != "" {
		return "https://" + a
	}
	return "https://" + s.cfg.Addr
}

// handleProvisioned records a kiosk's provisioning report in the audit:
// who ran it, and every step with what was seen.
func (s *Server) handleProvisioned(w http.ResponseWriter, r *http.Request) {
	var rep wire.ProvisioningReport
	if !readMessage(w, r, &rep) {
		return
	}
	if _, ok := s.authKiosk(w, r, rep.KioskID); !ok {
		return
	}
	var b strings.Builder
	passed := 0
	for _, st := range rep.Steps {
		mark := "FAIL"
		if st.OK {
			mark, passed = "ok", passed+1
		}
		fmt.Fprintf(&b, "%s %s: %s; ", mark, st.Name, st.Detail)
	}
	action := "kiosk.provisioned"
	if !rep.Passed() {
		action = "kiosk.provisioning_failed"
	}
	summary := fmt.Sprintf("%d of %d steps passed (software %s, technician %q): %s", passed, len(rep.Steps), rep.SoftwareVersion, rep.Technician, b.String())
	s.audit(r, "kiosk:"+rep.KioskID, action, rep.KioskID, summary)
	s.log.Info("provisioning report", "kiosk", rep.KioskID, "passed", passed, "steps", len(rep.Steps))
	writeMessage(w, &wire.ReportAck{KioskID: rep.KioskID, MessageID: rep.MessageID, ReceivedAt: s.now()})
}

// handleDecommissioned revokes a kiosk taken out of service at its own
// request, and audits what it lost.
func (s *Server) handleDecommissioned(w http.ResponseWriter, r *http.Request) {
	var d wire.Decommissioning
	if !readMessage(w, r, &d) {
		return
	}
	if _, ok := s.authKiosk(w, r, d.KioskID); !ok {
		return
	}
	now := s.now()
	if err := s.st.RevokeKiosk(r.Context(), d.KioskID, now); err != nil {
		s.internal(w, "decommission", err)
		return
	}
	detail := fmt.Sprintf("reason %q; queue erased with %d requests not sent", d.Reason, d.QueueDepth)
	if d.Forced {
		detail += " (forced)"
	}
	s.audit(r, "kiosk:"+d.KioskID, "kiosk.decommissioned", d.KioskID, detail)
	s.log.Warn("kiosk decommissioned", "kiosk", d.KioskID, "queue_lost", d.QueueDepth, "forced", d.Forced)
	s.hub.notify(d.KioskID)
	writeMessage(w, &wire.ReportAck{KioskID: d.KioskID, MessageID: d.MessageID, ReceivedAt: now})
}
