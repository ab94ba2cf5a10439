package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// RequestDiagnostics asks a kiosk for a diagnostics bundle: a signed
// "diagnostics" document on its change feed. It returns the request's id,
// which the bundle echoes.
func (s *Server) RequestDiagnostics(ctx context.Context, operator, kioskID string) (string, error) {
	k, err := s.st.Kiosk(ctx, kioskID)
	if err != nil {
		return "", err
	}
	if !k.RevokedAt.IsZero() {
		return "", fmt.Errorf("registry: kiosk %s is revoked", kioskID)
	}
	if !hasCap(k.Capabilities, wire.CapFeedRefData) {
		return "", fmt.Errorf("registry: kiosk %s did not advertise %s: it cannot be asked", kioskID, wire.CapFeedRefData)
	}
	now := s.now()
	ask := wire.DiagnosticsAsk{KioskID: kioskID, Request: "diag-" + now.Format("20060102T150405.000000"), AskedBy: operator, At: now}
	payload, err := json.Marshal(ask)
	if err != nil {
		return "", err
	}
	d, err := s.sign(ctx, wire.DocDiagnostics, payload, now.Add(24*time.Hour))
	if err != nil {
		return "", err
	}
	if _, err := s.st.AppendChange(ctx, kioskID, wire.Change{Kind: wire.ChangeReferenceData, At: now, Document: &d}); err != nil {
		return "", err
	}
	s.hub.notify(kioskID)
	s.auditCtx(ctx, operator, "diagnostics.request", kioskID, ask.Request)
	return ask.Request, nil
}

func (s *Server) handleDiagnostics(w http.ResponseWriter, r *http.Request) {
	var b wire.DiagnosticsBundle
	if !readMessage(w, r, &b) {
		return
	}
	if _, ok := s.authKiosk(w, r, b.KioskID); !ok {
		return
	}
	now := s.now()
	if err := s.st.PutDiagnostics(r.Context(), store.Diagnostics{KioskID: b.KioskID, Request: b.Request, ReceivedAt: now, Bundle: b}); err != nil {
		s.internal(w, "diagnostics", err)
		return
	}
	size := 0
	for _, f := range b.Files {
		size += len(f.Content)
	}
	s.audit(r, "kiosk:"+b.KioskID, "diagnostics.received", b.KioskID, fmt.Sprintf("%s: %d files, %d bytes", b.Request, len(b.Files), size))
	writeMessage(w, &wire.ReportAck{KioskID: b.KioskID, MessageID: b.MessageID, ReceivedAt: now})
}

// errNotAsked is returned for a document name only the registry makes.
var errNotAsked = errors.New("diagnostics requests are made per kiosk from the console")
