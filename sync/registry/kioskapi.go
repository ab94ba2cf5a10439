package registry

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"guichet/kiosk/seal"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Handler is the registry's whole HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(wire.PathEnrol, only(http.MethodPost, s.busy(s.handleEnrol)))
	mux.Handle(wire.PathRenew, only(http.MethodPost, s.busy(s.handleRenew)))
	mux.Handle(wire.PathRequests, only(http.MethodPost, s.busy(s.handleRequests)))
	mux.Handle(wire.PathTelemetry, only(http.MethodPost, s.busy(s.handleTelemetry)))
	mux.Handle(wire.PathChanges, only(http.MethodGet, http.HandlerFunc(s.handleChanges)))
	mux.Handle(wire.PathFines, only(http.MethodPost, s.busy(s.handleFines)))
	mux.Handle(wire.PathExtract, only(http.MethodPost, s.busy(s.handleExtract)))
	mux.Handle(wire.PathDelivered, only(http.MethodPost, s.busy(s.handleDelivered)))
	mux.Handle(wire.PathProvisioned, only(http.MethodPost, s.busy(s.handleProvisioned)))
	mux.Handle(wire.PathDecommissioned, only(http.MethodPost, s.busy(s.handleDecommissioned)))
	mux.Handle(wire.PathDiagnostics, only(http.MethodPost, s.busy(s.handleDiagnostics)))
	s.clerkRoutes(mux)
	s.rolloutRoutes(mux)
	if s.cfg.UpdatesDir != "" {
		mux.Handle(PathUpdates, s.updatesHandler())
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, problem(http.StatusNotFound, wire.CodeNotFound, "no such endpoint"))
	})
	return mux
}

// only answers 405 with a problem to other methods.
func only(method string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeProblem(w, problem(http.StatusMethodNotAllowed, wire.CodeMethod, "use "+method))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// busy bounds the concurrent kiosk POSTs: past MaxInFlight the kiosk is
// told to come back after RetryAfter.
func (s *Server) busy(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.inflight <- struct{}{}:
			defer func() { <-s.inflight }()
			h(w, r)
		default:
			writeProblem(w, problem(http.StatusServiceUnavailable, wire.CodeOverloaded, "the registry is busy").WithRetryAfter(s.cfg.RetryAfter))
		}
	})
}

// readMessage checks the content type and length and decodes the body
// strictly into m, answering the problem itself when it fails.
func readMessage(w http.ResponseWriter, r *http.Request, m wire.Message) bool {
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != wire.ContentType {
		writeProblem(w, problem(http.StatusUnsupportedMediaType, wire.CodeUnsupportedMedia, "send "+wire.ContentType))
		return false
	}
	if r.ContentLength > int64(wire.MaxBody(m)) {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("the body is over %d bytes", wire.MaxBody(m))))
		return false
	}
	err := wire.ReadBody(r.Body, m)
	var p *wire.Problem
	switch {
	case err == nil:
		return true
	case errors.Is(err, wire.ErrTooLarge):
		p = problem(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, err.Error())
	case errors.Is(err, wire.ErrInvalid):
		p = problem(http.StatusUnprocessableEntity, wire.CodeInvalid, err.Error())
	case errors.Is(err, wire.ErrMalformed):
		p = problem(http.StatusBadRequest, wire.CodeMalformed, err.Error())
	default: // the connection failed or timed out mid-body
		p = problem(http.StatusBadRequest, wire.CodeMalformed, "the body could not be read")
	}
	writeProblem(w, p)
	return false
}

// authKiosk authenticates the kiosk and checks that the body names it.
func (s *Server) authKiosk(w http.ResponseWriter, r *http.Request, bodyKiosk string) (*x509.Certificate, bool) {
	id, cert, p := s.kiosk(r)
	if p != nil {
		s.log.Warn("kiosk refused", "code", p.Code, "remote", r.RemoteAddr)
		writeProblem(w, p)
		return nil, false
	}
	if bodyKiosk != id {
		s.log.Warn("kiosk identity mismatch", "certificate", id, "body", bodyKiosk, "remote", r.RemoteAddr)
		writeProblem(w, problem(http.StatusForbidden, wire.CodeIdentityMismatch, "the body names another kiosk than the certificate"))
		return nil, false
	}
	return cert, true
}

func (s *Server) handleEnrol(w http.ResponseWriter, r *http.Request) {
	var req wire.EnrolRequest
	if !readMessage(w, r, &req) {
		return
	}
	ctx := r.Context()
	now := s.now()
	csr, _ := wire.ParseCSR(req.CSR) // Validate parsed it already
	th := wire.Hash(sha256.Sum256([]byte(req.Token)))
	serial := enrolmentSerial(th, csr.RawSubjectPublicKeyInfo)
	tok, err := s.st.Token(ctx, th)
	if err != nil {
		s.enrolRefused(w, req, err)
		return
	}
	var cert store.Certificate
	var k store.Kiosk
	if prev, perr := s.st.Certificate(ctx, serialHex(serial)); perr == nil && tok.UsedBy == req.KioskID && prev.KioskID == req.KioskID {
		// A retry of an enrolment whose answer was lost: same token, same key.
		cert = prev
		if k, err = s.st.Kiosk(ctx, req.KioskID); err != nil {
			s.internal(w, "enrol", err)
			return
		}
	} else {
		cert, err = s.ca.issueKiosk(csr, req.KioskID, serial, now, s.cfg.CertLifetime)
		if err != nil {
			s.internal(w, "enrol", err)
			return
		}
		k, err = s.st.Enrol(ctx, store.Enrolment{
			TokenHash: th, KioskID: req.KioskID, SoftwareVersion: req.SoftwareVersion,
			Capabilities: req.Capabilities, Certificate: cert, At: now,
		})
		if err != nil {
			s.enrolRefused(w, req, err)
			return
		}
		if err := s.sendPublished(ctx, k); err != nil {
			s.log.Error("reference data not queued for the new kiosk", "kiosk", req.KioskID, "err", err)
		}
		s.audit(r, "kiosk:"+req.KioskID, "kiosk.enrol", req.KioskID, "serial "+k.Serial+", token issued by "+tok.IssuedBy)
		s.log.Info("kiosk enrolled", "kiosk", req.KioskID, "serial", k.Serial, "court", k.Court, "token_issued_by", tok.IssuedBy)
	}
	writeMessage(w, &wire.EnrolResponse{
		KioskID: k.ID, Serial: k.Serial, Certificate: certPEM(cert.DER), NotAfter: cert.NotAfter,
		RegistryCA: s.ca.pem, RegistryKey: s.hpkePub, Court: k.Court, CountryPack: k.CountryPack, PackVersion: k.PackVersion,
		Capabilities: wire.Negotiate(wire.RegistryCapabilities, req.Capabilities), Configuration: s.cfg.Settings, ServerTime: now,
		DocumentKeys: s.documentKeysWire(),
	})
}

func (s *Server) enrolRefused(w http.ResponseWriter, req wire.EnrolRequest, err error) {
	code := wire.CodeTokenInvalid
	switch {
	case errors.Is(err, store.ErrTokenUsed):
		code = wire.CodeTokenUsed
	case errors.Is(err, store.ErrTokenExpired):
		code = wire.CodeTokenExpired
	case errors.Is(err, store.ErrTokenUnknown), errors.Is(err, store.ErrTokenKiosk):
	default:
		s.internal(w, "enrol", err)
		return
	}
	s.log.Warn("enrolment refused", "kiosk", req.KioskID, "code", code)
	writeProblem(w, problem(http.StatusForbidden, code, "the enrolment token cannot be used: ask operations for a new one"))
}

func (s *Server) handleRenew(w http.ResponseWriter, r *http.Request) {
	var req wire.RenewRequest
	if !readMessage(w, r, &req) {
		return
	}
	if _, ok := s.authKiosk(w, r, req.KioskID); !ok {
		return
	}
	csr, _ := wire.ParseCSR(req.CSR)
	serial, err := randomSerial()
	if err != nil {
		s.internal(w, "renew", err)
		return
	}
	cert, err := s.ca.issueKiosk(csr, req.KioskID, serial, s.now(), s.cfg.CertLifetime)
	if err == nil {
		err = s.st.AddCertificate(r.Context(), cert)
	}
	if errors.Is(err, store.ErrKioskRevoked) {
		writeProblem(w, problem(http.StatusUnauthorized, wire.CodeCertRevoked, "the kiosk is revoked"))
		return
	}
	if err != nil {
		s.internal(w, "renew", err)
		return
	}
	writeMessage(w, &wire.RenewResponse{KioskID: req.KioskID, Certificate: certPEM(cert.DER), NotAfter: cert.NotAfter})
}

func (s *Server) handleRequests(w http.ResponseWriter, r *http.Request) {
	var batch wire.RequestBatch
	if !readMessage(w, r, &batch) {
		return
	}
	if _, ok := s.authKiosk(w, r, batch.KioskID); !ok {
		return
	}
	results := make([]wire.ItemResult, len(batch.Items))
	var valid []wire.RequestItem
	var where []int
	var opened [][]byte
	defer func() {
		for _, pt := range opened {
			clear(pt)
		}
	}()
	for i, it := range batch.Items {
		pt, res, ok := s.checkSealed(it)
		if !ok {
			results[i] = res
			s.log.Warn("request rejected", "kiosk", batch.KioskID, "request", it.RequestID, "code", res.Code)
			continue
		}
		valid = append(valid, it)
		where = append(where, i)
		opened = append(opened, pt)
	}
	if len(valid) > 0 {
		stored, err := s.st.Ingest(r.Context(), batch.KioskID, valid, s.now())
		if err != nil {
			s.internal(w, "ingest", err)
			return
		}
		for j, res := range stored {
			results[where[j]] = res
			switch res.Outcome {
			case wire.Conflict:
				s.log.Error("request id conflict: another body under a stored request id", "kiosk", batch.KioskID, "request", res.RequestID)
			case wire.Accepted:
				s.recordFinePayment(r.Context(), batch.KioskID, valid[j], opened[j])
			}
		}
	}
	writeMessage(w, &wire.BatchResponse{KioskID: batch.KioskID, MessageID: batch.MessageID, Results: results})
}

// checkSealed refuses an item whose sealed payload the registry cannot
// open for its request id: sealed to another key, or altered. It returns
// the opened plaintext, which the caller clears once it is done.
func (s *Server) checkSealed(it wire.RequestItem) ([]byte, wire.ItemResult, bool) {
	reject := func(code, reason string) ([]byte, wire.ItemResult, bool) {
		return nil, wire.ItemResult{RequestID: it.RequestID, Outcome: wire.Rejected, Code: code, Reason: reason}, false
	}
	env, err := seal.ParseEnvelope(it.Sealed)
	if err != nil {
		return reject(wire.RejectUnsealable, "the sealed payload is not a sealed envelope")
	}
	if env.KeyID != s.hpke.Public().ID() {
		return reject(wire.RejectWrongKey, "the payload is sealed to key "+env.KeyID.String()+", not this registry's")
	}
	pt, err := seal.Open(s.hpke, it.RequestID, it.Sealed)
	if err != nil {
		return reject(wire.RejectUnsealable, "the sealed payload does not open for this request id")
	}
	return pt, wire.ItemResult{}, true
}

func (s *Server) handleChanges(w http.ResponseWriter, r *http.Request) {
	q, err := wire.ParseChangesQuery(r.URL.RawQuery)
	if err != nil {
		writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, err.Error()))
		return
	}
	if _, ok := s.authKiosk(w, r, q.KioskID); !ok {
		return
	}
	select {
	case s.waiters <- struct{}{}:
		defer func() { <-s.waiters }()
	default:
		writeProblem(w, problem(http.StatusServiceUnavailable, wire.CodeOverloaded, "too many kiosks waiting").WithRetryAfter(s.cfg.RetryAfter))
		return
	}
	limit := q.Limit
	if limit == 0 {
		limit = 100
	}
	wait := q.Wait
	if !queryHas(r, "wait") {
		wait = s.cfg.DefaultWait
	}
	ctx := r.Context()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	poll := time.NewTicker(s.cfg.PollInterval)
	defer poll.Stop()
	for {
		woken := s.hub.watch(q.KioskID)
		changes, head, err := s.st.Changes(ctx, q.KioskID, q.Since, limit)
		if err != nil {
			s.internal(w, "changes", err)
			return
		}
		if q.Since > head {
			writeProblem(w, problem(http.StatusUnprocessableEntity, wire.CodeInvalid, fmt.Sprintf("since %d is past the feed's head %d", q.Since, head)))
			return
		}
		if len(changes) > 0 || wait == 0 {
			next := q.Since
			if len(changes) > 0 {
				next = changes[len(changes)-1].Seq
			}
			writeMessage(w, &wire.ChangesResponse{KioskID: q.KioskID, Since: q.Since, Changes: nonNil(changes), Next: next, More: next < head})
			return
		}
		select {
		case <-woken:
		case <-poll.C:
		case <-deadline.C:
			wait = 0
		case <-s.hub.closed:
			wait = 0
		case <-ctx.Done():
			return
		}
	}
}

func nonNil(c []wire.Change) []wire.Change {
	if c == nil {
		return []wire.Change{}
	}
	return c
}

func queryHas(r *http.Request, key string) bool { return r.URL.Query().Has(key) }

func (s *Server) handleTelemetry(w http.ResponseWriter, r *http.Request) {
	var t wire.Telemetry
	if !readMessage(w, r, &t) {
		return
	}
	if _, ok := s.authKiosk(w, r, t.KioskID); !ok {
		return
	}
	now := s.now()
	if err := s.st.RecordTelemetry(r.Context(), t, now); err != nil {
		s.internal(w, "telemetry", err)
		return
	}
	k, err := s.st.Kiosk(r.Context(), t.KioskID)
	if err != nil {
		s.internal(w, "telemetry", err)
		return
	}
	writeMessage(w, &wire.TelemetryAck{KioskID: t.KioskID, MessageID: t.MessageID, ServerTime: now,
		Capabilities: wire.Negotiate(wire.RegistryCapabilities, t.Capabilities), FeedHead: k.FeedHead})
}

// internal logs err (never personal data: errors name ids only) and
// answers 500.
func (s *Server) internal(w http.ResponseWriter, what string, err error) {
	s.log.Error("registry "+what, "err", err)
	writeProblem(w, problem(http.StatusInternalServerError, wire.CodeInternal, "").WithRetryAfter(s.cfg.RetryAfter))
}

func (s *Server) audit(r *http.Request, actor, action, subject, detail string) {
	if err := s.st.AddAudit(r.Context(), store.AuditEntry{At: s.now(), Actor: actor, Action: action, Subject: subject, Detail: detail}); err != nil {
		s.log.Error("audit", "err", err, "action", action)
	}
}
