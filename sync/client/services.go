package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/tracking"
	"guichet/sync/wire"
)

// The online services a citizen waits for at the kiosk: the radar-fine
// lookup and the collection of a ready extract. Unlike the outbox, they are
// asked once, within the caller's deadline: a citizen does not wait for
// retries with backoff. A network failure wraps ErrUnreachable.

// Errors of the services, each wrapping the registry's problem when it
// gave one.
var (
	// ErrHolderMismatch: the card presented is not the extract holder's.
	ErrHolderMismatch = errors.New("client: the card presented is not the extract holder's")
	// ErrNotReady: no endorsed extract yet, or the request is not ready.
	ErrNotReady = errors.New("client: the extract is not ready")
	// ErrDelivered: the extract was handed over already.
	ErrDelivered = errors.New("client: the extract was handed over already")
	// ErrNotOffered: the registry did not agree to the service at
	// enrolment (an older registry).
	ErrNotOffered = errors.New("client: the registry does not offer this service")
	// ErrSignature: the extract or its signers list does not verify; it
	// must not be printed.
	ErrSignature = errors.New("client: the extract's signatures do not verify")
)

// serviceCall posts one service message, bounded by RequestTime, and maps
// the registry's problems onto the errors above.
func (c *Client) serviceCall(ctx context.Context, capability wire.Capability, path string, in, out wire.Message) error {
	id, hc := c.current()
	if !hasCapability(id.Capabilities, capability) {
		return fmt.Errorf("%w: %s was not negotiated at enrolment", ErrNotOffered, capability)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	defer cancel()
	err := call(ctx, hc, http.MethodPost, id.RegistryURL, path, nil, in, out)
	if err == nil {
		return nil
	}
	if p := problemOf(err); p != nil {
		switch p.Code {
		case wire.CodeHolderMismatch:
			return fmt.Errorf("%w: %w", ErrHolderMismatch, err)
		case wire.CodeNotReady:
			return fmt.Errorf("%w: %w", ErrNotReady, err)
		case wire.CodeDelivered:
			return fmt.Errorf("%w: %w", ErrDelivered, err)
		}
		if refusesIdentity(p.Code) {
			c.failed(err)
		}
	} else if errors.Is(err, ErrUnreachable) {
		c.failed(err)
	}
	return err
}

func hasCapability(cs []wire.Capability, want wire.Capability) bool {
	for _, c := range cs {
		if c == want {
			return true
		}
	}
	return false
}

// LookupFines asks the registry for the unpaid radar fines of a national
// number or a PV number (one is set).
func (c *Client) LookupFines(ctx context.Context, nationalNumber, pvNumber string) ([]wire.Fine, error) {
	id, _ := c.current()
	q := wire.FinesQuery{KioskID: id.KioskID, MessageID: messageID("fines"), NationalNumber: nationalNumber, PVNumber: pvNumber}
	var resp wire.FinesResponse
	if err := c.serviceCall(ctx, wire.CapFines, wire.PathFines, &q, &resp); err != nil {
		return nil, err
	}
	if resp.KioskID != q.KioskID || resp.MessageID != q.MessageID {
		return nil, fmt.Errorf("%w: fines answer for %s/%s, asked %s/%s", ErrBadAnswer, resp.KioskID, resp.MessageID, q.KioskID, q.MessageID)
	}
	return resp.Fines, nil
}

// FetchExtract asks the registry for the signed extract of a ready request
// on behalf of the holder standing at the kiosk, and verifies it before
// returning it: the signers list by a document key pinned at enrolment,
// then every signature on the extract by a signer of its role, and the
// verification URL on the pack's base. The holder is checked again here:
// the extract must name the card's national number and birth date.
func (c *Client) FetchExtract(ctx context.Context, n tracking.Number, h wire.Holder, verificationBase string) (*extract.Extract, error) {
	id, _ := c.current()
	q := wire.ExtractRequest{KioskID: id.KioskID, MessageID: messageID("extract"), Tracking: n, Holder: h}
	var resp wire.ExtractResponse
	if err := c.serviceCall(ctx, wire.CapExtractOnline, wire.PathExtract, &q, &resp); err != nil {
		return nil, err
	}
	if resp.KioskID != q.KioskID || resp.MessageID != q.MessageID || resp.Tracking != n {
		return nil, fmt.Errorf("%w: extract answer for %s/%s/%s, asked %s/%s/%s", ErrBadAnswer, resp.KioskID, resp.MessageID, resp.Tracking, q.KioskID, q.MessageID, n)
	}
	key, ok := c.documentKey(resp.Signers.KeyID)
	if !ok {
		return nil, fmt.Errorf("%w: the signers list is signed by key %q, which this kiosk does not trust", ErrSignature, resp.Signers.KeyID)
	}
	if !resp.Signers.Verify(key) {
		return nil, fmt.Errorf("%w: the signers list's signature by %s does not verify", ErrSignature, resp.Signers.KeyID)
	}
	if !resp.Signers.Expires.IsZero() && !c.clk.Now().Before(resp.Signers.Expires) {
		return nil, fmt.Errorf("%w: the signers list expired at %s", ErrSignature, resp.Signers.Expires.Format(time.RFC3339))
	}
	signers, err := wire.ParseSigners(resp.Signers.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: signers list: %w", ErrBadAnswer, err)
	}
	keys := extract.Keys{}
	for _, s := range signers {
		keys[s.KeyID] = extract.Key{Role: extract.Role(s.Role), Public: ed25519.PublicKey(s.Public)}
	}
	x, err := extract.Parse(resp.Extract)
	if err != nil {
		return nil, fmt.Errorf("%w: extract: %w", ErrBadAnswer, err)
	}
	if x.Tracking != n {
		return nil, fmt.Errorf("%w: the extract answers request %s, asked %s", ErrBadAnswer, x.Tracking, n)
	}
	if err := x.Verify(keys, verificationBase); err != nil {
		c.log.Error("extract refused: its signatures do not verify", "tracking", string(n), "err", err)
		return nil, fmt.Errorf("%w: %w", ErrSignature, err)
	}
	if x.Holder.NationalID == "" || !equalFold(x.Holder.NationalID, h.NationalNumber) || x.Holder.BirthDate != h.BirthDate {
		return nil, fmt.Errorf("%w: the extract names another holder than the card", ErrHolderMismatch)
	}
	return x, nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'a' <= x && x <= 'z' {
			x -= 'a' - 'A'
		}
		if 'a' <= y && y <= 'z' {
			y -= 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Delivered records with the registry that the extract of n was printed and
// handed over at the kiosk's time at. A replay is answered the same.
func (c *Client) Delivered(ctx context.Context, n tracking.Number, at time.Time) error {
	id, _ := c.current()
	q := wire.DeliveredRequest{KioskID: id.KioskID, MessageID: messageID("delivered"), Tracking: n, At: at.UTC().Truncate(time.Second)}
	var ack wire.DeliveredAck
	if err := c.serviceCall(ctx, wire.CapExtractOnline, wire.PathDelivered, &q, &ack); err != nil {
		if errors.Is(err, ErrDelivered) {
			return nil
		}
		return err
	}
	if ack.Tracking != n {
		return fmt.Errorf("%w: delivery acknowledged for %s, sent %s", ErrBadAnswer, ack.Tracking, n)
	}
	return nil
}

// documentKey returns a trusted document key: from the configuration (the
// image's ministry keys) or pinned at enrolment.
func (c *Client) documentKey(keyID string) (ed25519.PublicKey, bool) {
	if k, ok := c.cfg.DocumentKeys[keyID]; ok {
		return k, true
	}
	id, _ := c.current()
	k, ok := id.DocumentKeys[keyID]
	return k, ok
}

// ReportProvisioning sends the provisioning report of `guichetctl
// provision` to the registry, which keeps it in its audit.
func (c *Client) ReportProvisioning(ctx context.Context, technician string, steps []wire.ReportStep) error {
	id, hc := c.current()
	rep := wire.ProvisioningReport{KioskID: id.KioskID, MessageID: messageID("provisioned"), At: c.clk.Now().UTC().Truncate(time.Second),
		SoftwareVersion: c.cfg.SoftwareVersion, Technician: technician, Steps: steps}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	defer cancel()
	var ack wire.ReportAck
	return call(ctx, hc, http.MethodPost, id.RegistryURL, wire.PathProvisioned, nil, &rep, &ack)
}

// ReportDecommissioning tells the registry the kiosk is taken out of
// service (it revokes the kiosk's certificate), before the kiosk erases its
// keys and queue.
func (c *Client) ReportDecommissioning(ctx context.Context, reason string, queueDepth int, forced bool) error {
	id, hc := c.current()
	d := wire.Decommissioning{KioskID: id.KioskID, MessageID: messageID("decommissioned"), At: c.clk.Now().UTC().Truncate(time.Second),
		Reason: reason, QueueDepth: queueDepth, Forced: forced}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	defer cancel()
	var ack wire.ReportAck
	return call(ctx, hc, http.MethodPost, id.RegistryURL, wire.PathDecommissioned, nil, &d, &ack)
}

// SendDiagnostics posts a diagnostics bundle the registry asked for.
func (c *Client) SendDiagnostics(ctx context.Context, request string, files []wire.DiagnosticFile) error {
	id, hc := c.current()
	b := wire.DiagnosticsBundle{KioskID: id.KioskID, MessageID: messageID("diagnostics"), Request: request, At: c.clk.Now().UTC().Truncate(time.Second),
		SoftwareVersion: c.cfg.SoftwareVersion, Files: files}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	defer cancel()
	var ack wire.ReportAck
	return call(ctx, hc, http.MethodPost, id.RegistryURL, wire.PathDiagnostics, nil, &b, &ack)
}
