package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"guichet/drivers/pdfdoc"
	"guichet/kiosk/extract"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/sync/registry"
	"guichet/sync/registry/store"
)

const requestPage = 50

// requestsData is the request list.
type requestsData struct {
	Rows                  []store.Request
	State, Service, Court string
	States                []request.State
	Services, Courts      []courtOption
	Next                  string // the query of the next page, "" on the last
	CourtFixed            bool   // a clerk sees their own court only
	ClerkCourt            string
}

func (c *Console) handleRequests(w http.ResponseWriter, r *http.Request, v visit) {
	ctx, q := r.Context(), r.URL.Query()
	d := requestsData{State: q.Get("state"), Service: q.Get("service"), Court: q.Get("court"), Services: c.services(), Courts: c.courts(),
		States: []request.State{request.Acknowledged, request.InProcessing, request.Ready, request.Delivered, request.Rejected, request.Cancelled}}
	if v.Account.Role == store.RoleClerk {
		d.Court, d.CourtFixed, d.ClerkCourt = v.Account.Court, true, v.Account.Court
	}
	f := store.Filter{Court: d.Court, State: request.State(d.State), Service: d.Service, Limit: requestPage}
	if f.State != "" && !f.State.Valid() {
		c.fail(w, r, &v, http.StatusBadRequest, "État inconnu.")
		return
	}
	if after := q.Get("after"); after != "" {
		kiosk, id, _ := strings.Cut(after, "/")
		prev, err := c.st.Request(ctx, kiosk, id)
		if err != nil {
			c.fail(w, r, &v, http.StatusBadRequest, "La page demandée n'existe plus : revenez au début de la liste.")
			return
		}
		prev.Sealed = nil
		f.After = &prev
	}
	rs, err := c.st.Requests(ctx, f)
	if err != nil {
		c.internal(w, r, &v, "requests", err)
		return
	}
	d.Rows = rs
	if len(rs) == f.Limit {
		nq := url.Values{"state": {d.State}, "service": {d.Service}, "court": {d.Court}, "after": {rs[len(rs)-1].KioskID + "/" + rs[len(rs)-1].RequestID}}
		d.Next = nq.Encode()
	}
	c.render(w, r, http.StatusOK, "requests", &v, pageData{Title: "Demandes", Nav: "requests", Data: d})
}

// personalRow is one line of a request's personal data.
type personalRow struct{ Label, Value string }

// personalData is the payload the kiosk seals (kiosk/flow): the form's
// values, what the card gave, the payment and the fine.
type personalData struct {
	Service  string            `json:"service"`
	Language string            `json:"language"`
	Fields   map[string]string `json:"fields"`
	Card     map[string]string `json:"card"`
	Payment  map[string]any    `json:"payment"`
	Fine     map[string]any    `json:"fine"`
}

// issueForm is the clerk's bulletin n°3 form: the holder as the request
// names them (the clerk checks them against the record), the convictions
// to list, the prosecutor who endorses.
type issueForm struct {
	Surname, SurnameAr, GivenNames, GivenNamesAr string
	Father, FatherAr, Mother, MotherAr           string
	BirthDate, BirthPlace, BirthPlaceAr          string
	Nationality, NationalityAr, NationalID       string
	Entries                                      []entryForm
	Prosecutor                                   string
	Prosecutors                                  []store.SigningKey
}

type entryForm struct{ Date, Court, Offence, Sentence string }

const entryRows = 3

// requestData is the request page.
type requestData struct {
	Req            store.Request
	Kiosk          store.Kiosk
	Opened         bool          // the clerk of the court: personal data shown
	Personal       []personalRow // when Opened
	RawBytes       int           // a payload that is not JSON
	Moves          []request.State
	ExtractService bool
	Extract        *store.IssuedExtract
	Doc            *extract.Extract // the extract's content, for its clerk and prosecutor
	Issue          *issueForm       // the form, when the clerk may issue
	CanEndorse     bool
	VerifyPath     string
	Langs          []pack.Language
	Done           string
}

// loadRequest checks who may see the request: its court's clerk and
// prosecutor, operators and viewers (without personal data).
func (c *Console) loadRequest(w http.ResponseWriter, r *http.Request, v visit) (store.Request, bool) {
	req, err := c.st.Request(r.Context(), r.PathValue("kiosk"), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, &v, http.StatusNotFound, "Cette demande n'existe pas.")
		return req, false
	} else if err != nil {
		c.internal(w, r, &v, "request", err)
		return req, false
	}
	if (v.Account.Role == store.RoleClerk || v.Account.Role == store.RoleProsecutor) && req.Court != v.Account.Court {
		c.fail(w, r, &v, http.StatusForbidden, "Cette demande relève d'une autre juridiction.")
		return req, false
	}
	return req, true
}

func (c *Console) handleRequest(w http.ResponseWriter, r *http.Request, v visit) {
	req, ok := c.loadRequest(w, r, v)
	if !ok {
		return
	}
	c.showRequest(w, r, v, req, http.StatusOK, "", nil)
}

// showRequest renders the request page; form, when set, refills the issue
// form after a refusal.
func (c *Console) showRequest(w http.ResponseWriter, r *http.Request, v visit, req store.Request, status int, msg string, form *issueForm) {
	ctx := r.Context()
	d := requestData{Req: req, ExtractService: c.isExtractService(req.Service), Done: r.URL.Query().Get("done")}
	req.Sealed = nil
	k, err := c.st.Kiosk(ctx, req.KioskID)
	if err != nil {
		c.internal(w, r, &v, "request kiosk", err)
		return
	}
	d.Kiosk = k
	p, _ := c.pack(k.CountryPack)
	if p != nil {
		d.Langs = p.Languages
	}
	var pd personalData
	if v.Account.Role == store.RoleClerk {
		o, err := c.reg.Open(ctx, v.Account, req.KioskID, req.RequestID)
		if err != nil {
			c.internal(w, r, &v, "open request", err)
			return
		}
		d.Opened = true
		if o.Personal != nil {
			if err := json.Unmarshal(o.Personal, &pd); err == nil {
				d.Personal = c.personalRows(p, req.Service, pd)
			} else {
				d.Personal = []personalRow{{"Données", string(o.Personal)}}
			}
		} else {
			d.RawBytes = len(o.Raw)
		}
		for _, to := range []request.State{request.InProcessing, request.Ready, request.Rejected} {
			if request.Transition(req.State, to) == nil {
				d.Moves = append(d.Moves, to)
			}
		}
	}
	if d.ExtractService {
		x, err := c.st.ExtractOf(ctx, req.KioskID, req.RequestID)
		switch {
		case err == nil:
			d.Extract = &x
			if v.Account.Role == store.RoleClerk || v.Account.Role == store.RoleProsecutor {
				if e, err := extract.Parse(x.Document); err == nil {
					d.Doc = e
				}
				d.VerifyPath = verifyPath(e2url(d.Doc))
			}
			d.CanEndorse = v.Account.Role == store.RoleProsecutor && x.Prosecutor == v.Account.Name && !x.Endorsed()
		case errors.Is(err, store.ErrNotFound):
			if v.Account.Role == store.RoleClerk && (req.State == request.Acknowledged || req.State == request.InProcessing) {
				if form == nil {
					form = prefill(pd)
				}
				if form.Prosecutors, err = c.prosecutors(ctx, req.Court); err != nil {
					c.internal(w, r, &v, "prosecutors", err)
					return
				}
				d.Issue = form
			}
		default:
			c.internal(w, r, &v, "extract of request", err)
			return
		}
	}
	c.render(w, r, status, "request", &v, pageData{Title: "Demande " + req.Tracking.String(), Nav: "requests", Error: msg, Data: d})
}

func e2url(e *extract.Extract) string {
	if e == nil {
		return ""
	}
	return e.VerificationURL
}

// verifyPath is the console's path for a verification URL: /v/ and the
// code after the pack's base.
func verifyPath(u string) string {
	i := strings.LastIndex(u, "/")
	if u == "" || i < 0 {
		return ""
	}
	return "/v/" + u[i+1:]
}

// The console's words for what the card reader and the payment give.
var (
	cardLabels = map[string]string{
		"surname": "nom", "given_names": "prénoms", "birth_date": "date de naissance", "expiry_date": "date d'expiration",
		"document_number": "n° du document", "national_number": "n° national", "sex": "sexe", "nationality": "nationalité",
	}
	paymentLabels = map[string]string{
		"method": "moyen", "kind": "type", "amount": "montant", "currency": "devise", "authorisation": "autorisation",
		"provider_ref": "référence du prestataire", "payer_phone": "téléphone du payeur", "at_counter": "à la caisse", "pv_number": "n° de PV",
	}
)

func labelOf(labels map[string]string, key string) string {
	if l, ok := labels[key]; ok {
		return l
	}
	return strings.ReplaceAll(key, "_", " ")
}

// personalRows labels the payload with the pack form's words, in the
// form's order; what the form does not name follows as is. Court fields
// show the court's name.
func (c *Console) personalRows(p *pack.Pack, service string, pd personalData) []personalRow {
	var rows []personalRow
	seen := map[string]bool{}
	if p != nil {
		if f, ok := p.ServiceForm(service); ok {
			for _, fl := range f.Fields {
				if val := pd.Fields[fl.ID]; val != "" {
					label := p.Message("fr", fl.LabelKey())
					if label == "" || label == fl.LabelKey() {
						label = fl.ID
					}
					if fl.Type == form.TypeCourt {
						val = c.courtName(val)
					}
					rows = append(rows, personalRow{label, val})
				}
				seen[fl.ID] = true
			}
		}
	}
	var rest []string
	for id := range pd.Fields {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	for _, id := range rest {
		rows = append(rows, personalRow{id, pd.Fields[id]})
	}
	var card []string
	for id := range pd.Card {
		card = append(card, id)
	}
	slices.Sort(card)
	for _, id := range card {
		rows = append(rows, personalRow{"Carte : " + labelOf(cardLabels, id), pd.Card[id]})
	}
	for _, part := range []struct {
		label string
		m     map[string]any
	}{{"Paiement", pd.Payment}, {"Amende", pd.Fine}} {
		var keys []string
		for k := range part.m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		cur, _ := part.m["currency"].(string)
		for _, k := range keys {
			v := fmt.Sprint(part.m[k])
			if n, ok := part.m[k].(float64); ok && k == "amount" && n == float64(int64(n)) {
				v = fmt.Sprintf("%d,%02d %s", int64(n)/100, int64(n)%100, cur)
			}
			rows = append(rows, personalRow{part.label + " : " + labelOf(paymentLabels, k), v})
		}
	}
	return rows
}

// prefill fills the issue form from the request's personal data.
func prefill(pd personalData) *issueForm {
	f := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(pd.Fields[k]); v != "" {
				return v
			}
			if v := strings.TrimSpace(pd.Card[k]); v != "" {
				return v
			}
		}
		return ""
	}
	return &issueForm{
		Surname: f("surname"), SurnameAr: f("surname_ar"), GivenNames: f("given_names"), GivenNamesAr: f("given_names_ar"),
		Father: f("father_name"), FatherAr: f("father_name_ar"), Mother: f("mother_name"), MotherAr: f("mother_name_ar"),
		BirthDate: f("birth_date"), BirthPlace: f("birth_place"), Nationality: f("nationality"), NationalID: strings.ToUpper(f("cin", "national_number")),
		Entries: make([]entryForm, entryRows),
	}
}

// prosecutors are the court's prosecutors with a signing key in use.
func (c *Console) prosecutors(ctx context.Context, court string) ([]store.SigningKey, error) {
	all, err := c.st.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.SigningKey
	for _, k := range all {
		if k.Role == store.RoleProsecutor && k.Court == court && k.RetiredAt.IsZero() {
			out = append(out, k)
		}
	}
	return out, nil
}

func (c *Console) handleStatus(w http.ResponseWriter, r *http.Request, v visit) {
	ctx := r.Context()
	req, ok := c.loadRequest(w, r, v)
	if !ok {
		return
	}
	to, reason := request.State(r.PostForm.Get("state")), strings.TrimSpace(r.PostForm.Get("reason"))
	if to != request.Rejected {
		reason = ""
	} else if reason == "" {
		c.showRequest(w, r, v, req, http.StatusUnprocessableEntity, "Un rejet doit être motivé : indiquez la raison, elle sera montrée au citoyen.", nil)
		return
	}
	if to == request.Ready && c.isExtractService(req.Service) {
		x, err := c.st.ExtractOf(ctx, req.KioskID, req.RequestID)
		if err != nil || !x.Endorsed() {
			c.showRequest(w, r, v, req, http.StatusConflict, "La demande ne peut être prête qu'une fois l'extrait délivré par le greffier et visé par le procureur.", nil)
			return
		}
	}
	_, err := c.reg.SetStatus(ctx, v.Account, req.KioskID, req.RequestID, to, reason)
	switch {
	case err == nil:
	case errors.Is(err, registry.ErrNotYourCourt):
		c.fail(w, r, &v, http.StatusForbidden, "Cette demande relève d'une autre juridiction.")
		return
	case errors.Is(err, store.ErrIllegalChange), strings.Contains(err.Error(), "reason"):
		c.showRequest(w, r, v, req, http.StatusConflict, fmt.Sprintf("Passage de « %s » à « %s » impossible.", stateLabel(req.State), stateLabel(to)), nil)
		return
	default:
		c.internal(w, r, &v, "set status", err)
		return
	}
	http.Redirect(w, r, requestURL(req)+"?done="+url.QueryEscape(string(to)), http.StatusSeeOther)
}

func requestURL(req store.Request) string {
	return "/requests/" + url.PathEscape(req.KioskID) + "/" + url.PathEscape(req.RequestID)
}

// formOf reads the issue form back from a POST.
func formOf(r *http.Request) *issueForm {
	g := func(k string) string { return strings.TrimSpace(r.PostForm.Get(k)) }
	f := &issueForm{
		Surname: g("surname"), SurnameAr: g("surname_ar"), GivenNames: g("given_names"), GivenNamesAr: g("given_names_ar"),
		Father: g("father"), FatherAr: g("father_ar"), Mother: g("mother"), MotherAr: g("mother_ar"),
		BirthDate: g("birth_date"), BirthPlace: g("birth_place"), BirthPlaceAr: g("birth_place_ar"),
		Nationality: g("nationality"), NationalityAr: g("nationality_ar"), NationalID: strings.ToUpper(g("national_id")),
		Prosecutor: g("prosecutor"),
	}
	for i := range entryRows {
		n := fmt.Sprint(i)
		f.Entries = append(f.Entries, entryForm{g("entry_date_" + n), g("entry_court_" + n), g("entry_offence_" + n), g("entry_sentence_" + n)})
	}
	return f
}

func (c *Console) handleIssue(w http.ResponseWriter, r *http.Request, v visit) {
	ctx := r.Context()
	req, ok := c.loadRequest(w, r, v)
	if !ok {
		return
	}
	form := formOf(r)
	refuse := func(status int, msg string) { c.showRequest(w, r, v, req, status, msg, form) }
	if !c.isExtractService(req.Service) {
		refuse(http.StatusConflict, "Ce service ne donne pas lieu à un extrait du casier judiciaire.")
		return
	}
	if req.State != request.Acknowledged && req.State != request.InProcessing {
		refuse(http.StatusConflict, "Un extrait ne se délivre que pour une demande reçue ou en traitement.")
		return
	}
	k, err := c.st.Kiosk(ctx, req.KioskID)
	if err != nil {
		c.internal(w, r, &v, "issue: kiosk", err)
		return
	}
	p, ok := c.pack(k.CountryPack)
	if !ok {
		refuse(http.StatusConflict, fmt.Sprintf("Le pack pays « %s » de la borne n'est pas chargé dans la console.", k.CountryPack))
		return
	}
	clerkKey, err := c.activeKey(ctx, v.Account.Name)
	if errors.Is(err, store.ErrNotFound) {
		refuse(http.StatusConflict, "Votre compte n'a pas de clé de signature : demandez-en une à un opérateur.")
		return
	} else if err != nil {
		c.internal(w, r, &v, "issue: clerk key", err)
		return
	}
	prosKey, err := c.activeKey(ctx, form.Prosecutor)
	if err != nil || prosKey.Role != store.RoleProsecutor || prosKey.Court != v.Account.Court {
		refuse(http.StatusUnprocessableEntity, "Choisissez le procureur de votre juridiction qui visera l'extrait.")
		return
	}
	if msg, err := c.confirm(r, v); err != nil {
		if errors.Is(err, errPassword) {
			refuse(http.StatusUnauthorized, msg)
		} else {
			c.internal(w, r, &v, "issue: confirm", err)
		}
		return
	}
	e := &extract.Extract{
		Tracking: req.Tracking, IssuedAt: c.now().Truncate(time.Second), Court: v.Account.Court,
		Holder: extract.Holder{
			Surname: extract.Written{Latin: form.Surname, Arabic: form.SurnameAr}, GivenNames: extract.Written{Latin: form.GivenNames, Arabic: form.GivenNamesAr},
			Father: extract.Written{Latin: form.Father, Arabic: form.FatherAr}, Mother: extract.Written{Latin: form.Mother, Arabic: form.MotherAr},
			BirthDate: form.BirthDate, BirthPlace: extract.Written{Latin: form.BirthPlace, Arabic: form.BirthPlaceAr},
			Nationality: extract.Written{Latin: form.Nationality, Arabic: form.NationalityAr}, NationalID: form.NationalID,
		},
		Entries: []extract.Entry{},
		Signatures: []extract.Signature{
			{Role: extract.Clerk, Name: extract.Written{Latin: clerkKey.NameLatin, Arabic: clerkKey.NameArabic}, KeyID: clerkKey.ID},
			{Role: extract.Prosecutor, Name: extract.Written{Latin: prosKey.NameLatin, Arabic: prosKey.NameArabic}, KeyID: prosKey.ID},
		},
	}
	for _, en := range form.Entries {
		if en == (entryForm{}) {
			continue
		}
		e.Entries = append(e.Entries, extract.Entry{Date: en.Date, Court: extract.Written{Latin: en.Court}, Offence: extract.Written{Latin: en.Offence}, Sentence: extract.Written{Latin: en.Sentence}})
	}
	e.Number = "B3/0000/000000" // checked with the real number below, once the form is valid
	if err := e.Validate(); err != nil {
		refuse(http.StatusUnprocessableEntity, "L'extrait n'est pas valide : "+strings.TrimPrefix(err.Error(), "extract: invalid extract: "))
		return
	}
	serial, err := c.st.NextExtractSerial(ctx)
	if err != nil {
		c.internal(w, r, &v, "issue: serial", err)
		return
	}
	e.Number = fmt.Sprintf("B3/%d/%06d", e.IssuedAt.In(c.cfg.Location).Year(), serial)
	priv, err := c.privateKey(clerkKey)
	if err != nil {
		c.internal(w, r, &v, "issue: clerk key", err)
		return
	}
	if err := e.Sign(clerkKey.ID, priv); err != nil {
		c.internal(w, r, &v, "issue: sign", err)
		return
	}
	if e.VerificationURL, err = e.VerificationURLFor(p.ExtractVerificationBase); err != nil {
		c.internal(w, r, &v, "issue: verification URL", err)
		return
	}
	doc, err := json.Marshal(e)
	if err != nil {
		c.internal(w, r, &v, "issue: encode", err)
		return
	}
	x := store.IssuedExtract{Number: e.Number, KioskID: req.KioskID, RequestID: req.RequestID, Tracking: string(req.Tracking), Court: e.Court,
		IssuedAt: e.IssuedAt, IssuedBy: v.Account.Name, Prosecutor: prosKey.Account, Fragment: e.VerificationURL[strings.LastIndex(e.VerificationURL, ".")+1:], Document: doc}
	if err := c.st.PutExtract(ctx, x); errors.Is(err, store.ErrExists) {
		refuse(http.StatusConflict, "Un extrait a déjà été délivré pour cette demande.")
		return
	} else if err != nil {
		c.internal(w, r, &v, "issue: store", err)
		return
	}
	c.audit(ctx, v.Account.Name, "extract.issue", e.Number, req.KioskID+"/"+req.RequestID+" visa "+prosKey.Account)
	if req.State == request.Acknowledged {
		if _, err := c.reg.SetStatus(ctx, v.Account, req.KioskID, req.RequestID, request.InProcessing, ""); err != nil {
			c.log.Warn("console: issue: move to in_processing", "err", err)
		}
	}
	http.Redirect(w, r, requestURL(req)+"?done=issued", http.StatusSeeOther)
}

func (c *Console) handleEndorse(w http.ResponseWriter, r *http.Request, v visit) {
	ctx := r.Context()
	req, ok := c.loadRequest(w, r, v)
	if !ok {
		return
	}
	refuse := func(status int, msg string) { c.showRequest(w, r, v, req, status, msg, nil) }
	x, err := c.st.ExtractOf(ctx, req.KioskID, req.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		refuse(http.StatusNotFound, "Aucun extrait n'a été délivré pour cette demande.")
		return
	} else if err != nil {
		c.internal(w, r, &v, "endorse: extract", err)
		return
	}
	if x.Prosecutor != v.Account.Name {
		refuse(http.StatusForbidden, "Cet extrait doit être visé par le procureur que le greffier a désigné.")
		return
	}
	if x.Endorsed() {
		refuse(http.StatusConflict, "Cet extrait est déjà visé.")
		return
	}
	e, err := extract.Parse(x.Document)
	if err != nil {
		c.internal(w, r, &v, "endorse: parse", err)
		return
	}
	var keyID string
	for _, s := range e.Signatures {
		if s.Role == extract.Prosecutor {
			keyID = s.KeyID
		}
	}
	key, err := c.st.SigningKey(ctx, keyID)
	if err != nil || key.Account != v.Account.Name {
		refuse(http.StatusConflict, "La clé de signature désignée dans l'extrait n'est pas la vôtre.")
		return
	}
	if msg, err := c.confirm(r, v); err != nil {
		if errors.Is(err, errPassword) {
			refuse(http.StatusUnauthorized, msg)
		} else {
			c.internal(w, r, &v, "endorse: confirm", err)
		}
		return
	}
	priv, err := c.privateKey(key)
	if err != nil {
		c.internal(w, r, &v, "endorse: key", err)
		return
	}
	if err := e.Sign(keyID, priv); err != nil {
		c.internal(w, r, &v, "endorse: sign", err)
		return
	}
	if err := c.verify(ctx, e, req.KioskID); err != nil {
		c.internal(w, r, &v, "endorse: verify", err)
		return
	}
	doc, err := json.Marshal(e)
	if err != nil {
		c.internal(w, r, &v, "endorse: encode", err)
		return
	}
	if _, err := c.st.Endorse(ctx, x.Number, doc, c.now()); errors.Is(err, store.ErrExists) {
		refuse(http.StatusConflict, "Cet extrait est déjà visé.")
		return
	} else if err != nil {
		c.internal(w, r, &v, "endorse: store", err)
		return
	}
	c.audit(ctx, v.Account.Name, "extract.endorse", x.Number, req.KioskID+"/"+req.RequestID)
	http.Redirect(w, r, requestURL(req)+"?done=endorsed", http.StatusSeeOther)
}

// verify checks e as a kiosk would: every signature by a known key of its
// role, and the verification URL on the base of the kiosk's pack.
func (c *Console) verify(ctx context.Context, e *extract.Extract, kioskID string) error {
	keys, err := c.Keys(ctx)
	if err != nil {
		return err
	}
	k, err := c.st.Kiosk(ctx, kioskID)
	if err != nil {
		return err
	}
	p, ok := c.pack(k.CountryPack)
	if !ok {
		return fmt.Errorf("console: no pack %q", k.CountryPack)
	}
	return e.Verify(keys, p.ExtractVerificationBase)
}

func (c *Console) handlePDF(w http.ResponseWriter, r *http.Request, v visit) {
	ctx := r.Context()
	req, ok := c.loadRequest(w, r, v)
	if !ok {
		return
	}
	x, err := c.st.ExtractOf(ctx, req.KioskID, req.RequestID)
	if err != nil || !x.Endorsed() {
		c.fail(w, r, &v, http.StatusNotFound, "L'extrait n'est pas encore visé par le procureur.")
		return
	}
	e, err := extract.Parse(x.Document)
	if err == nil {
		err = c.verify(ctx, e, req.KioskID)
	}
	if err != nil {
		c.internal(w, r, &v, "pdf: verify", err)
		return
	}
	k, _ := c.st.Kiosk(ctx, req.KioskID)
	p, _ := c.pack(k.CountryPack)
	lang := r.URL.Query().Get("lang")
	if _, ok := p.Language(lang); !ok {
		lang = p.DefaultLanguage
	}
	doc, err := extract.Layout(e, p, lang, c.cfg.Location)
	if err != nil {
		c.internal(w, r, &v, "pdf: layout", err)
		return
	}
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{Created: e.IssuedAt})
	if err != nil {
		c.internal(w, r, &v, "pdf: render", err)
		return
	}
	c.audit(ctx, v.Account.Name, "extract.pdf", x.Number, lang)
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bulletin3-%s-%s.pdf"`, strings.ReplaceAll(x.Number, "/", "-"), lang))
	w.Write(pdf)
}

// extractsData lists a court's extracts.
type extractsData struct {
	Pending, Recent []store.IssuedExtract
}

func (c *Console) handleExtracts(w http.ResponseWriter, r *http.Request, v visit) {
	ctx := r.Context()
	var d extractsData
	var err error
	pf := store.ExtractFilter{Court: v.Account.Court, Pending: true, Limit: 200}
	if v.Account.Role == store.RoleProsecutor {
		pf.Prosecutor = v.Account.Name
	}
	if d.Pending, err = c.st.Extracts(ctx, pf); err == nil {
		d.Recent, err = c.st.Extracts(ctx, store.ExtractFilter{Court: v.Account.Court, Limit: 50})
	}
	if err != nil {
		c.internal(w, r, &v, "extracts", err)
		return
	}
	c.render(w, r, http.StatusOK, "extracts", &v, pageData{Title: "Extraits", Nav: "extracts", Data: d})
}
