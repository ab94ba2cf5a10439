package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// The clerks' and operators' API paths.
const (
	PathClerkRequests = "/v1/clerk/requests"      // GET ?court=&state=&after=KIOSK/ID&limit=
	PathClerkRequest  = "/v1/clerk/requests/"     // GET {kiosk}/{id}; POST {kiosk}/{id}/status
	PathAdminTokens   = "/v1/admin/tokens"        // POST TokenSpec → IssuedToken
	PathAdminKiosks   = "/v1/admin/kiosks"        // GET; POST {id}/revoke; POST {id}/settings
	PathAdminAlerts   = "/v1/admin/alerts"        // GET
	PathAdminAccounts = "/v1/admin/accounts"      // POST NewAccount
	PathAdminDocument = "/v1/admin/documents/"    // POST {name}?expires=RFC3339 with the payload → Published
	PathAdminFines    = "/v1/admin/fines"         // POST []FineRecord → {"written": N}
	maxAdminBody      = 64 << 10                  // clerk and operator bodies
	tokenAlphabet     = "34679ACDEFGHJKMNPQRTWXY" // as tracking numbers: nothing to misread
	tokenGroups       = 5                         // 5 groups of 4: 90 bits
)

func (s *Server) clerkRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+PathClerkRequests, http.HandlerFunc(s.handleList))
	mux.Handle("GET "+PathClerkRequest+"{kiosk}/{id}", http.HandlerFunc(s.handleOpen))
	mux.Handle("POST "+PathClerkRequest+"{kiosk}/{id}/status", http.HandlerFunc(s.handleStatus))
	mux.Handle("POST "+PathAdminTokens, http.HandlerFunc(s.handleIssueToken))
	mux.Handle("GET "+PathAdminKiosks, http.HandlerFunc(s.handleKiosks))
	mux.Handle("POST "+PathAdminKiosks+"/{kiosk}/revoke", http.HandlerFunc(s.handleRevoke))
	mux.Handle("POST "+PathAdminKiosks+"/{kiosk}/settings", http.HandlerFunc(s.handleSettings))
	mux.Handle("GET "+PathAdminAlerts, http.HandlerFunc(s.handleAlerts))
	mux.Handle("POST "+PathAdminAccounts, http.HandlerFunc(s.handleNewAccount))
	mux.Handle("POST "+PathAdminDocument+"{name}", http.HandlerFunc(s.handlePublishDocument))
	mux.Handle("POST "+PathAdminFines, http.HandlerFunc(s.handleImportFines))
}

// RequestView is a request as a clerk lists it: no personal data.
type RequestView struct {
	KioskID    string        `json:"kiosk_id"`
	RequestID  string        `json:"request_id"`
	Tracking   string        `json:"tracking"`
	Service    string        `json:"service"`
	Court      string        `json:"court"`
	Fee        int64         `json:"fee"`
	Currency   string        `json:"currency"`
	CreatedAt  time.Time     `json:"created_at"`
	ReceivedAt time.Time     `json:"received_at"`
	State      request.State `json:"state"`
	Reason     string        `json:"reason,omitempty"`
	UpdatedAt  time.Time     `json:"updated_at"`
}

func viewOf(r store.Request) RequestView {
	return RequestView{r.KioskID, r.RequestID, r.Tracking.String(), r.Service, r.Court, r.Fee, r.Currency, r.CreatedAt, r.ReceivedAt, r.State, r.Reason, r.UpdatedAt}
}

// OpenedRequest is a request with its personal data unsealed, for the
// clerk of its court only.
type OpenedRequest struct {
	RequestView
	Personal json.RawMessage `json:"personal,omitempty"`     // the sealed plaintext when it is JSON
	Raw      []byte          `json:"personal_raw,omitempty"` // otherwise, as bytes
}

// StatusBody is the body of POST …/status.
type StatusBody struct {
	State  request.State `json:"state"`
	Reason string        `json:"reason,omitempty"`
}

// decodeStrict reads a small JSON body, refusing unknown fields.
func decodeStrict(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	if err != nil || len(b) > maxAdminBody {
		writeProblem(w, problem(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "the body is too large"))
		return false
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, fmt.Sprintf("the body is not the expected JSON: %v", err)))
		return false
	}
	return true
}

func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleClerk, store.RoleOperator, store.RoleViewer)
	if !ok {
		return
	}
	q := r.URL.Query()
	f := store.Filter{Court: q.Get("court"), State: request.State(q.Get("state"))}
	if a.Role == store.RoleClerk {
		if f.Court != "" && f.Court != a.Court {
			writeProblem(w, problem(http.StatusForbidden, wire.CodeForbidden, "a clerk sees the requests of their own court"))
			return
		}
		f.Court = a.Court
	}
	if f.State != "" && !f.State.Valid() {
		writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, "unknown state"))
		return
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, "limit is 1 to 1000"))
			return
		}
		f.Limit = n
	}
	if after := q.Get("after"); after != "" {
		kiosk, id, _ := strings.Cut(after, "/")
		prev, err := s.st.Request(r.Context(), kiosk, id)
		if err != nil {
			writeProblem(w, problem(http.StatusBadRequest, wire.CodeMalformed, "after names no request"))
			return
		}
		prev.Sealed = nil
		f.After = &prev
	}
	rs, err := s.st.Requests(r.Context(), f)
	if err != nil {
		s.internal(w, "list", err)
		return
	}
	out := make([]RequestView, 0, len(rs))
	for _, x := range rs {
		out = append(out, viewOf(x))
	}
	writeJSON(w, http.StatusOK, out)
}

// ErrNotYourCourt is returned when a clerk reaches for another court's
// request.
var ErrNotYourCourt = errors.New("registry: the request belongs to another court")

// Open returns a request of the clerk's court with its personal data
// unsealed, and audits the opening.
func (s *Server) Open(ctx context.Context, clerk store.Account, kioskID, requestID string) (OpenedRequest, error) {
	r, err := s.st.Request(ctx, kioskID, requestID)
	if err != nil {
		return OpenedRequest{}, err
	}
	if clerk.Role != store.RoleClerk || r.Court != clerk.Court {
		return OpenedRequest{}, ErrNotYourCourt
	}
	pt, err := seal.Open(s.hpke, r.RequestID, r.Sealed)
	if err != nil {
		return OpenedRequest{}, fmt.Errorf("registry: open %s/%s: %w", kioskID, requestID, err)
	}
	if err := s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: clerk.Name, Action: "request.open", Subject: kioskID + "/" + requestID}); err != nil {
		return OpenedRequest{}, err
	}
	o := OpenedRequest{RequestView: viewOf(r)}
	if json.Valid(pt) {
		o.Personal = pt
	} else {
		o.Raw = pt
	}
	return o, nil
}

// SetStatus moves a request of the clerk's court on (in_processing, ready,
// rejected with a reason) and wakes the kiosk's long-poll.
func (s *Server) SetStatus(ctx context.Context, clerk store.Account, kioskID, requestID string, to request.State, reason string) (store.Request, error) {
	r, err := s.st.Request(ctx, kioskID, requestID)
	if err != nil {
		return store.Request{}, err
	}
	if clerk.Role != store.RoleClerk || r.Court != clerk.Court {
		return store.Request{}, ErrNotYourCourt
	}
	if to != request.InProcessing && to != request.Ready && to != request.Rejected {
		return store.Request{}, fmt.Errorf("%w: a clerk moves a request to in_processing, ready or rejected", store.ErrIllegalChange)
	}
	if len(reason) > wire.MaxText {
		return store.Request{}, fmt.Errorf("%w: the reason is over %d bytes", store.ErrIllegalChange, wire.MaxText)
	}
	updated, _, err := s.st.SetStatus(ctx, store.StatusUpdate{KioskID: kioskID, RequestID: requestID, To: to, Reason: reason, At: s.now(), Actor: clerk.Name})
	if err != nil {
		return store.Request{}, err
	}
	s.hub.notify(kioskID)
	return updated, nil
}

func (s *Server) handleOpen(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleClerk)
	if !ok {
		return
	}
	o, err := s.Open(r.Context(), a, r.PathValue("kiosk"), r.PathValue("id"))
	if !s.clerkError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleClerk)
	if !ok {
		return
	}
	var body StatusBody
	if !decodeStrict(w, r, &body) {
		return
	}
	updated, err := s.SetStatus(r.Context(), a, r.PathValue("kiosk"), r.PathValue("id"), body.State, body.Reason)
	if !s.clerkError(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, viewOf(updated))
}

// clerkError answers err's problem and reports whether there was none.
func (s *Server) clerkError(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, problem(http.StatusNotFound, wire.CodeNotFound, "no such request"))
	case errors.Is(err, ErrNotYourCourt):
		writeProblem(w, problem(http.StatusForbidden, wire.CodeForbidden, err.Error()))
	case errors.Is(err, store.ErrIllegalChange), strings.Contains(err.Error(), "reason"):
		writeProblem(w, problem(http.StatusConflict, wire.CodeState, err.Error()))
	default:
		s.internal(w, "clerk", err)
	}
	return false
}

// TokenSpec is what an operator asks an enrolment token for.
type TokenSpec struct {
	Court       string        `json:"court"`
	CountryPack string        `json:"country_pack"`
	PackVersion int           `json:"pack_version"`
	KioskID     string        `json:"kiosk_id,omitempty"`  // only this kiosk may use it
	ValidFor    wire.Duration `json:"valid_for,omitempty"` // default Config.TokenLifetime
}

// IssuedToken is a new token: its text is shown once and never stored.
type IssuedToken struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// IssueToken creates a one-time enrolment token issued by the operator.
func (s *Server) IssueToken(ctx context.Context, operator string, spec TokenSpec) (IssuedToken, error) {
	if spec.Court == "" || len(spec.Court) > wire.MaxName || len(spec.CountryPack) != 2 || spec.PackVersion < 0 ||
		(spec.KioskID != "" && !wire.ValidKioskID(spec.KioskID)) || spec.ValidFor < 0 || spec.ValidFor.Std() > 30*24*time.Hour {
		return IssuedToken{}, fmt.Errorf("registry: token: court, two-letter country pack, pack version, kiosk id or validity (at most 30 days) not valid")
	}
	text, err := newTokenText()
	if err != nil {
		return IssuedToken{}, err
	}
	valid := spec.ValidFor.Std()
	if valid == 0 {
		valid = s.cfg.TokenLifetime
	}
	now := s.now()
	t := store.Token{Hash: sha256.Sum256([]byte(text)), KioskID: spec.KioskID, Court: spec.Court, CountryPack: spec.CountryPack,
		PackVersion: spec.PackVersion, IssuedBy: operator, IssuedAt: now, ExpiresAt: now.Add(valid)}
	if err := s.st.CreateToken(ctx, t); err != nil {
		return IssuedToken{}, err
	}
	if err := s.st.AddAudit(ctx, store.AuditEntry{At: now, Actor: operator, Action: "token.issue", Subject: spec.Court, Detail: "expires " + t.ExpiresAt.Format(time.RFC3339)}); err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{Token: text, ExpiresAt: t.ExpiresAt}, nil
}

// newTokenText is "XXXX-XXXX-XXXX-XXXX-XXXX" from an alphabet without
// look-alikes, easy to type on a kiosk's technician screen.
func newTokenText() (string, error) {
	b := make([]byte, tokenGroups*4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	var sb strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(tokenAlphabet[int(c)%len(tokenAlphabet)])
	}
	return sb.String(), nil
}

func (s *Server) handleIssueToken(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	var spec TokenSpec
	if !decodeStrict(w, r, &spec) {
		return
	}
	tok, err := s.IssueToken(r.Context(), a.Name, spec)
	if err != nil {
		writeProblem(w, problem(http.StatusUnprocessableEntity, wire.CodeInvalid, err.Error()))
		return
	}
	writeJSON(w, http.StatusCreated, tok)
}

func (s *Server) handleKiosks(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.person(w, r, store.RoleOperator, store.RoleViewer); !ok {
		return
	}
	ks, err := s.st.Kiosks(r.Context())
	if err != nil {
		s.internal(w, "kiosks", err)
		return
	}
	writeJSON(w, http.StatusOK, ks)
}

func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	id := r.PathValue("kiosk")
	if err := s.st.RevokeKiosk(r.Context(), id, s.now()); errors.Is(err, store.ErrNotFound) {
		writeProblem(w, problem(http.StatusNotFound, wire.CodeNotFound, "no such kiosk"))
		return
	} else if err != nil {
		s.internal(w, "revoke", err)
		return
	}
	s.audit(r, a.Name, "kiosk.revoke", id, "")
	s.hub.notify(id)
	w.WriteHeader(http.StatusNoContent)
}

// PublishSettings appends a configuration change to a kiosk's feed, if
// the kiosk advertised it understands them.
func (s *Server) PublishSettings(ctx context.Context, operator, kioskID string, set wire.Settings) (wire.Change, error) {
	k, err := s.st.Kiosk(ctx, kioskID)
	if err != nil {
		return wire.Change{}, err
	}
	if !hasCap(k.Capabilities, wire.CapFeedConfig) {
		return wire.Change{}, fmt.Errorf("registry: kiosk %s did not advertise %s", kioskID, wire.CapFeedConfig)
	}
	ch, err := s.st.AppendChange(ctx, kioskID, wire.Change{Kind: wire.ChangeConfiguration, At: s.now(), Settings: &set})
	if err != nil {
		return wire.Change{}, err
	}
	s.hub.notify(kioskID)
	return ch, s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: operator, Action: "kiosk.settings", Subject: kioskID, Detail: fmt.Sprintf("version %d", set.Version)})
}

func hasCap(cs []wire.Capability, c wire.Capability) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	var set wire.Settings
	if !decodeStrict(w, r, &set) {
		return
	}
	if err := set.Validate(); err != nil {
		writeProblem(w, problem(http.StatusUnprocessableEntity, wire.CodeInvalid, err.Error()))
		return
	}
	ch, err := s.PublishSettings(r.Context(), a.Name, r.PathValue("kiosk"), set)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeProblem(w, problem(http.StatusNotFound, wire.CodeNotFound, "no such kiosk"))
	case err != nil && strings.Contains(err.Error(), "advertise"):
		writeProblem(w, problem(http.StatusConflict, wire.CodeState, err.Error()))
	case err != nil:
		s.internal(w, "settings", err)
	default:
		writeJSON(w, http.StatusOK, ch)
	}
}

func (s *Server) handleAlerts(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.person(w, r, store.RoleOperator, store.RoleViewer); !ok {
		return
	}
	as, err := s.st.Alerts(r.Context(), 200)
	if err != nil {
		s.internal(w, "alerts", err)
		return
	}
	writeJSON(w, http.StatusOK, as)
}

// NewAccount is the body of POST /v1/admin/accounts.
type NewAccount struct {
	Name     string     `json:"name"`
	Role     store.Role `json:"role"`
	Court    string     `json:"court,omitempty"` // required for a clerk
	Password string     `json:"password"`
}

// CreateAccount adds an account with a hashed password.
func (s *Server) CreateAccount(ctx context.Context, by string, n NewAccount) error {
	if !wire.ValidKioskID(n.Name) {
		return fmt.Errorf("registry: account name %q: letters, digits, '.', '-', '_'", n.Name)
	}
	switch n.Role {
	case store.RoleOperator, store.RoleViewer:
	case store.RoleClerk:
		if n.Court == "" {
			return errors.New("registry: a clerk account needs a court")
		}
	default:
		return fmt.Errorf("registry: unknown role %q", n.Role)
	}
	if _, err := s.st.Account(ctx, n.Name); err == nil {
		return fmt.Errorf("%w: account %s", store.ErrExists, n.Name)
	}
	hash, err := HashPassword(n.Password)
	if err != nil {
		return err
	}
	if err := s.st.PutAccount(ctx, store.Account{Name: n.Name, Role: n.Role, Court: n.Court, PasswordHash: hash, CreatedAt: s.now()}); err != nil {
		return err
	}
	return s.st.AddAudit(ctx, store.AuditEntry{At: s.now(), Actor: by, Action: "account.create", Subject: n.Name, Detail: string(n.Role)})
}

func (s *Server) handleNewAccount(w http.ResponseWriter, r *http.Request) {
	a, ok := s.person(w, r, store.RoleOperator)
	if !ok {
		return
	}
	var n NewAccount
	if !decodeStrict(w, r, &n) {
		return
	}
	if err := s.CreateAccount(r.Context(), a.Name, n); err != nil {
		writeProblem(w, problem(http.StatusUnprocessableEntity, wire.CodeInvalid, err.Error()))
		return
	}
	w.WriteHeader(http.StatusCreated)
}
