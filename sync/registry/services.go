package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/request"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// The registry's document key signs what it publishes to kiosks: reference
// data (the directory of professionals, …) and the list of extract signers.
// Kiosks pin its public key at enrolment (wire.EnrolResponse.DocumentKeys).

// FileDocKey is the document key's file in the data directory (0600).
const FileDocKey = "documents.key"

// loadDocKey reads the document key, creating it in a data directory made
// before the key existed.
func (s *Server) loadDocKey() error {
	path := filepath.Join(s.cfg.Dir, FileDocKey)
	k, err := readKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return gerr
		}
		if werr := writeKey(path, priv); werr != nil {
			return fmt.Errorf("registry: document key: %w", werr)
		}
		s.log.Info("document key created", "path", path)
		k = priv
	} else if err != nil {
		return fmt.Errorf("registry: document key: %w", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return fmt.Errorf("registry: document key %s is not Ed25519", path)
	}
	s.docKey = priv
	s.docKeyID = DocumentKeyID(priv.Public().(ed25519.PublicKey))
	return nil
}

// DocumentKeyID names a document key: "registry-" and the first 12 hex
// digits of its SHA-256.
func DocumentKeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "registry-" + hex.EncodeToString(sum[:6])
}

// DocumentKeys are the public keys kiosks trust for published documents,
// by key id.
func (s *Server) DocumentKeys() map[string]ed25519.PublicKey {
	return map[string]ed25519.PublicKey{s.docKeyID: s.docKey.Public().(ed25519.PublicKey)}
}

func (s *Server) documentKeysWire() map[string][]byte {
	out := map[string][]byte{}
	for id, k := range s.DocumentKeys() {
		out[id] = k
	}
	return out
}

// ErrBadDocument is returned by Publish for a payload its name's format
// refuses.
var ErrBadDocument = errors.New("registry: document refused")

// checkPayload validates a document's payload by its name.
func checkPayload(name string, payload []byte) error {
	var err error
	switch name {
	case wire.DocProfessionals:
		_, err = wire.ParseProfessionals(payload)
	case wire.DocSigners:
		err = errors.New("the signers list is made by the registry from its signing keys")
	case DocUpdate:
		err = errors.New("update announcements are made by rollouts")
	case wire.DocDiagnostics:
		err = errNotAsked
	default:
		if !json.Valid(payload) {
			err = errors.New("the payload is not JSON")
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadDocument, name, err)
	}
	return nil
}

// sign makes the next version of a document and stores it as the latest.
func (s *Server) sign(ctx context.Context, name string, payload []byte, expires time.Time) (wire.SignedDocument, error) {
	for attempt := 0; ; attempt++ {
		var version uint64 = 1
		prev, err := s.st.Document(ctx, name)
		switch {
		case err == nil:
			version = prev.Version + 1
		case !errors.Is(err, store.ErrNotFound):
			return wire.SignedDocument{}, err
		}
		d := wire.SignedDocument{Name: name, Version: version, Issued: s.now(), KeyID: s.docKeyID, Payload: payload}
		if !expires.IsZero() {
			d.Expires = expires.UTC().Truncate(time.Microsecond)
		}
		d.Sign(s.docKey)
		if err := d.Validate(); err != nil {
			return wire.SignedDocument{}, fmt.Errorf("%w: %w", ErrBadDocument, err)
		}
		err = s.st.PutDocument(ctx, d)
		if errors.Is(err, store.ErrExists) && attempt < 5 {
			continue // another registry process published meanwhile
		}
		return d, err
	}
}

// Published is what Publish did.
type Published struct {
	Document wire.SignedDocument
	Kiosks   int // feeds the document was appended to
}

// Publish signs the next version of a reference-data document and appends
// it to the change feed of every kiosk that takes reference data (revoked
// kiosks excepted). Kiosks enrolled later receive the latest version at
// enrolment.
func (s *Server) Publish(ctx context.Context, operator, name string, payload []byte, expires time.Time) (Published, error) {
	if err := checkPayload(name, payload); err != nil {
		return Published{}, err
	}
	d, err := s.sign(ctx, name, payload, expires)
	if err != nil {
		return Published{}, err
	}
	kiosks, err := s.st.Kiosks(ctx)
	if err != nil {
		return Published{Document: d}, err
	}
	n := 0
	for _, k := range kiosks {
		if !k.RevokedAt.IsZero() || !hasCap(k.Capabilities, wire.CapFeedRefData) {
			continue
		}
		if _, err := s.st.AppendChange(ctx, k.ID, wire.Change{Kind: wire.ChangeReferenceData, At: s.now(), Document: &d}); err != nil {
			return Published{Document: d, Kiosks: n}, fmt.Errorf("registry: publish %s v%d to %s: %w", name, d.Version, k.ID, err)
		}
		s.hub.notify(k.ID)
		n++
	}
	s.log.Info("document published", "name", name, "version", d.Version, "bytes", len(payload), "kiosks", n, "by", operator)
	return Published{Document: d, Kiosks: n}, s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: operator, Action: "document.publish", Subject: name,
		Detail: fmt.Sprintf("version %d, %d bytes, to %d kiosks", d.Version, len(payload), n)})
}

// sendPublished appends the latest reference data to a newly enrolled
// kiosk's feed.
func (s *Server) sendPublished(ctx context.Context, k store.Kiosk) error {
	if !hasCap(k.Capabilities, wire.CapFeedRefData) {
		return nil
	}
	docs, err := s.st.Documents(ctx)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if d.Name == wire.DocSigners || d.Name == DocUpdate || d.Name == wire.DocDiagnostics {
			continue // the signers go with each extract, updates with rollouts, diagnostics requests to one kiosk
		}
		if _, err := s.st.AppendChange(ctx, k.ID, wire.Change{Kind: wire.ChangeReferenceData, At: s.now(), Document: &d}); err != nil {
			return err
		}
	}
	return nil
}

// signers returns the signers document for the current signing keys,
// signing a new version when the keys changed since the last one.
func (s *Server) signers(ctx context.Context) (wire.SignedDocument, error) {
	keys, err := s.st.SigningKeys(ctx)
	if err != nil {
		return wire.SignedDocument{}, err
	}
	list := make([]wire.Signer, 0, len(keys))
	for _, k := range keys {
		role := string(extract.Clerk)
		if k.Role == store.RoleProsecutor {
			role = string(extract.Prosecutor)
		}
		list = append(list, wire.Signer{KeyID: k.ID, Role: role, Court: k.Court, Public: k.Public})
	}
	payload, err := json.Marshal(list)
	if err != nil {
		return wire.SignedDocument{}, err
	}
	if prev, err := s.st.Document(ctx, wire.DocSigners); err == nil && bytes.Equal(prev.Payload, payload) && prev.KeyID == s.docKeyID {
		return prev, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return wire.SignedDocument{}, err
	}
	return s.sign(ctx, wire.DocSigners, payload, time.Time{})
}

// ImportFines records the traffic authority's fines (store.PutFines) and
// audits the import.
func (s *Server) ImportFines(ctx context.Context, operator string, fines []store.Fine) (int, error) {
	for _, f := range fines {
		if err := f.Validate(); err != nil {
			return 0, err
		}
		if f.NationalNumber != "" && !validNumber(f.NationalNumber) {
			return 0, fmt.Errorf("%w: fine %s: national number %q is not valid", wire.ErrInvalid, f.PVNumber, f.NationalNumber)
		}
	}
	n, err := s.st.PutFines(ctx, fines)
	if err != nil {
		return n, err
	}
	return n, s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: operator, Action: "fines.import", Subject: "fines",
		Detail: fmt.Sprintf("%d fines in the file, %d written (paid ones left as they are)", len(fines), n)})
}

func validNumber(s string) bool {
	q := wire.FinesQuery{KioskID: "k", MessageID: "m", NationalNumber: s}
	return q.Validate() == nil
}

// --- the kiosk API ---

func (s *Server) handleFines(w http.ResponseWriter, r *http.Request) {
	var q wire.FinesQuery
	if !readMessage(w, r, &q) {
		return
	}
	if _, ok := s.authKiosk(w, r, q.KioskID); !ok {
		return
	}
	fines, err := s.st.Fines(r.Context(), strings.ToUpper(q.NationalNumber), strings.ToUpper(q.PVNumber))
	if err != nil {
		s.internal(w, "fines", err)
		return
	}
	out := wire.FinesResponse{KioskID: q.KioskID, MessageID: q.MessageID, Fines: []wire.Fine{}}
	for i, f := range fines {
		if i == wire.MaxFines {
			break
		}
		out.Fines = append(out.Fines, f.Fine)
	}
	by := "national number"
	if q.PVNumber != "" {
		by = "PV number"
	}
	s.audit(r, "kiosk:"+q.KioskID, "fines.lookup", q.KioskID, fmt.Sprintf("by %s: %d unpaid", by, len(out.Fines)))
	writeMessage(w, &out)
}

// extractOf finds the issued extract of a tracking number and its request.
func (s *Server) extractOf(ctx context.Context, n string) (store.IssuedExtract, store.Request, *wire.Problem, error) {
	xs, err := s.st.Extracts(ctx, store.ExtractFilter{Tracking: n})
	if err != nil {
		return store.IssuedExtract{}, store.Request{}, nil, err
	}
	if len(xs) == 0 {
		return store.IssuedExtract{}, store.Request{}, problem(http.StatusConflict, wire.CodeNotReady, "no extract has been issued for this request yet"), nil
	}
	x := xs[0]
	req, err := s.st.Request(ctx, x.KioskID, x.RequestID)
	if err != nil {
		return x, req, nil, err
	}
	switch {
	case req.State == request.Delivered:
		return x, req, problem(http.StatusConflict, wire.CodeDelivered, "the extract was handed over already"), nil
	case !x.Endorsed() || req.State != request.Ready:
		return x, req, problem(http.StatusConflict, wire.CodeNotReady, "the extract is not signed by the prosecutor yet, or the request is not ready"), nil
	}
	return x, req, nil, nil
}

// holderMatches compares the card presented with the extract's holder: the
// same national number and birth date.
func holderMatches(doc []byte, h wire.Holder) (bool, error) {
	e, err := extract.Parse(doc)
	if err != nil {
		return false, err
	}
	id := strings.ToUpper(strings.TrimSpace(e.Holder.NationalID))
	return id != "" && id == strings.ToUpper(h.NationalNumber) && e.Holder.BirthDate == h.BirthDate, nil
}

func (s *Server) handleExtract(w http.ResponseWriter, r *http.Request) {
	var q wire.ExtractRequest
	if !readMessage(w, r, &q) {
		return
	}
	if _, ok := s.authKiosk(w, r, q.KioskID); !ok {
		return
	}
	ctx, actor := r.Context(), "kiosk:"+q.KioskID
	x, _, p, err := s.extractOf(ctx, string(q.Tracking))
	if err != nil {
		s.internal(w, "extract", err)
		return
	}
	if p != nil {
		s.audit(r, actor, "extract.refused", string(q.Tracking), string(p.Code))
		writeProblem(w, p)
		return
	}
	ok, err := holderMatches(x.Document, q.Holder)
	if err != nil {
		s.internal(w, "extract", err)
		return
	}
	if !ok {
		s.log.Warn("extract asked with another holder's card", "kiosk", q.KioskID, "extract", x.Number)
		s.audit(r, actor, "extract.refused", string(q.Tracking), "the card presented is not the holder's")
		writeProblem(w, problem(http.StatusForbidden, wire.CodeHolderMismatch, "the card presented is not the extract holder's"))
		return
	}
	signers, err := s.signers(ctx)
	if err != nil {
		s.internal(w, "extract signers", err)
		return
	}
	s.audit(r, actor, "extract.fetch", string(q.Tracking), "extract "+x.Number)
	writeMessage(w, &wire.ExtractResponse{KioskID: q.KioskID, MessageID: q.MessageID, Tracking: q.Tracking, Extract: x.Document, Signers: signers})
}

func (s *Server) handleDelivered(w http.ResponseWriter, r *http.Request) {
	var q wire.DeliveredRequest
	if !readMessage(w, r, &q) {
		return
	}
	if _, ok := s.authKiosk(w, r, q.KioskID); !ok {
		return
	}
	ctx, actor := r.Context(), "kiosk:"+q.KioskID
	ack := wire.DeliveredAck{KioskID: q.KioskID, MessageID: q.MessageID, Tracking: q.Tracking, State: request.Delivered}
	x, req, p, err := s.extractOf(ctx, string(q.Tracking))
	switch {
	case err != nil:
		s.internal(w, "delivered", err)
		return
	case p != nil && p.Code == wire.CodeDelivered:
		writeMessage(w, &ack) // a replay: the delivery is recorded
		return
	case p != nil:
		writeProblem(w, p)
		return
	}
	_, _, err = s.st.SetStatus(ctx, store.StatusUpdate{KioskID: req.KioskID, RequestID: req.RequestID, To: request.Delivered, At: s.now(), Actor: actor})
	if err != nil {
		s.internal(w, "delivered", err)
		return
	}
	s.hub.notify(req.KioskID)
	s.audit(r, actor, "extract.delivered", string(q.Tracking), fmt.Sprintf("extract %s printed at %s", x.Number, q.At.Format(time.RFC3339)))
	writeMessage(w, &ack)
}

// paidFine is the part of a request's sealed payload that says a radar fine
// was paid at the kiosk (kiosk/flow's personal payload).
type paidFine struct {
	Fine *struct {
		PVNumber string `json:"pv_number"`
		Amount   int64  `json:"amount"`
	} `json:"fine"`
	Payment *struct {
		Authorisation string `json:"authorisation"`
		AtCounter     bool   `json:"at_counter"`
	} `json:"payment"`
}

// recordFinePayment marks the fine a newly stored request paid, if it paid
// one at the kiosk (a payment "at the counter" is recorded by the counter).
func (s *Server) recordFinePayment(ctx context.Context, kioskID string, it wire.RequestItem, plaintext []byte) {
	var p paidFine
	if json.Unmarshal(plaintext, &p) != nil || p.Fine == nil || p.Payment == nil || p.Payment.AtCounter || p.Payment.Authorisation == "" {
		return
	}
	pv := strings.ToUpper(p.Fine.PVNumber)
	_, err := s.st.PayFine(ctx, pv, store.FinePayment{KioskID: kioskID, RequestID: it.RequestID, Amount: p.Fine.Amount, At: s.now()})
	switch {
	case err == nil:
		s.log.Info("fine paid", "kiosk", kioskID, "request", it.RequestID)
	case errors.Is(err, store.ErrExists):
		// Paid twice: the second payment must be refunded by a clerk.
		s.log.Error("fine paid twice", "kiosk", kioskID, "request", it.RequestID, "err", err)
		s.auditCtx(ctx, "kiosk:"+kioskID, "fine.paid_twice", kioskID+"/"+it.RequestID, err.Error())
	default:
		s.log.Error("fine payment not recorded", "kiosk", kioskID, "request", it.RequestID, "err", err)
		s.auditCtx(ctx, "kiosk:"+kioskID, "fine.unrecorded", kioskID+"/"+it.RequestID, err.Error())
	}
}

func (s *Server) auditCtx(ctx context.Context, actor, action, subject, detail string) {
	if err := s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: actor, Action: action, Subject: subject, Detail: detail}); err != nil {
		s.log.Error("audit", "err", err, "action", action)
	}
}

// --- the operators' API ---

// MaxPublishBody bounds a document posted to PathAdminDocument.
const MaxPublishBody = wire.MaxDocument

func (s *Server) handlePublishDocument(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	var expires time.Time
	if v := r.URL.Query().Get("expires"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil || !t.After(s.now()) {
			writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, "expires must be a future RFC 3339 time"))
			return
		}
		expires = t
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxPublishBody+1))
	if err != nil || len(payload) > MaxPublishBody {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("a document is at most %d bytes", MaxPublishBody)))
		return
	}
	name := r.PathValue("name")
	if !wire.ValidKioskID(name) { // the same shape: letters, digits, '-', '_', '.'
		writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, "the document name is not valid"))
		return
	}
	pub, err := s.Publish(r.Context(), a.Name, name, payload, expires)
	switch {
	case errors.Is(err, ErrBadDocument):
		writeProblem(w, problem(http.StatusUnprocessableEntity, wire.CodeInvalid, err.Error()))
	case err != nil:
		s.internal(w, "publish", err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"name": pub.Document.Name, "version": pub.Document.Version, "key_id": pub.Document.KeyID, "kiosks": pub.Kiosks})
	}
}

// FineRecord is one fine of the traffic authority's file, as posted to
// PathAdminFines.
type FineRecord struct {
	PVNumber       string    `json:"pv_number"`
	NationalNumber string    `json:"national_number"`
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	Date           time.Time `json:"date"`
	Place          string    `json:"place"`
	Court          string    `json:"court"`
}

// Fine converts r, upper-casing the numbers.
func (r FineRecord) Fine() store.Fine {
	return store.Fine{
		Fine:           wire.Fine{PVNumber: strings.ToUpper(r.PVNumber), Amount: r.Amount, Currency: r.Currency, Date: r.Date.UTC(), Place: r.Place, Court: r.Court},
		NationalNumber: strings.ToUpper(r.NationalNumber),
	}
}

// maxFinesBody bounds a posted fines file (about 20,000 fines).
const maxFinesBody = 4 << 20

func (s *Server) handleImportFines(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxFinesBody+1))
	if err != nil || len(b) > maxFinesBody {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, fmt.Sprintf("a fines file is at most %d bytes; split it", maxFinesBody)))
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var recs []FineRecord
	if err := dec.Decode(&recs); err != nil || dec.More() {
		writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, fmt.Sprintf("the body is not a JSON list of fines: %v", err)))
		return
	}
	fines := make([]store.Fine, len(recs))
	for i, rec := range recs {
		fines[i] = rec.Fine()
	}
	n, err := s.ImportFines(r.Context(), a.Name, fines)
	switch {
	case errors.Is(err, wire.ErrInvalid):
		writeProblem(w, problem(http.StatusUnprocessableEntity, wire.CodeInvalid, err.Error()))
	case err != nil:
		s.internal(w, "fines import", err)
	default:
		writeJSON(w, http.StatusOK, map[string]int{"received": len(recs), "written": n})
	}
}
