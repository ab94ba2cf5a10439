package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"guichet/kiosk/extract"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

var verifyRE = regexp.MustCompile(`href="(/v/[A-Z0-9]+\.[A-Z2-7]{16})"`)

// TestClerkWorkflow walks a bulletin n°3 request from reception to ready:
// the clerk opens it, moves it on, issues the extract; the prosecutor
// endorses it; the public page verifies it; the kiosk's feed hears of
// each move.
func TestClerkWorkflow(t *testing.T) {
	for _, backend := range []struct {
		name string
		pg   bool
	}{{"bolt", false}, {"pg", true}} {
		t.Run(backend.name, func(t *testing.T) {
			if backend.pg && testing.Short() {
				t.Skip("PostgreSQL in -short")
			}
			testClerkWorkflow(t, newEnv(t, envOptions{pg: backend.pg}))
		})
	}
}

func testClerkWorkflow(t *testing.T, e *env) {
	ctx := context.Background()
	id, trk := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	e.submit("ma-casa-02", "civil_status", `{"service":"civil_status","fields":{"surname":"BENNANI"}}`)
	e.submit("ma-rabat-01", "bulletin3", citizen("IDRISSI", "Salma"))
	reqPath := "/requests/ma-casa-01/" + id

	nadia := e.signedIn(clerk)
	for _, tt := range []struct {
		query   string
		want    []string
		wantNot []string
	}{
		{"", []string{trk.String(), "Casier judiciaire (bulletin n° 3)"}, []string{"ma-rabat-01"}},
		{"?service=civil_status", []string{"ma-casa-02"}, []string{trk.String()}},
		{"?state=acknowledged&service=bulletin3", []string{trk.String()}, []string{"ma-casa-02"}},
		{"?state=ready", []string{"Aucune demande"}, []string{trk.String()}},
		{"?court=tpi-rabat", []string{trk.String()}, []string{"ma-rabat-01"}}, // a clerk's court is fixed
	} {
		status, body := nadia.get("/requests" + tt.query)
		if status != http.StatusOK {
			t.Fatalf("GET /requests%s = %d", tt.query, status)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET /requests%s lacks %q", tt.query, w)
			}
		}
		for _, w := range tt.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("GET /requests%s shows %q", tt.query, w)
			}
		}
	}

	// Opening shows the personal data and is audited.
	status, body := nadia.get(reqPath)
	if status != http.StatusOK || !strings.Contains(body, "Fatima Zahra") || !strings.Contains(body, "BE123456") {
		t.Fatalf("GET %s = %d, want the personal data\n%s", reqPath, status, body)
	}
	if !e.audited(clerk, "request.open", "ma-casa-01/"+id) {
		t.Errorf("the opening is not audited")
	}
	// Others see the request without its personal data.
	for _, who := range []string{operator, viewer, prosecutor} {
		p := e.signedIn(who)
		status, body := p.get(reqPath)
		if status != http.StatusOK || strings.Contains(body, "Fatima Zahra") || strings.Contains(body, "BE123456") {
			t.Errorf("GET %s as %s = %d, want the request without personal data", reqPath, who, status)
		}
	}
	if status, body := e.signedIn(clerkRabat).get(reqPath); status != http.StatusForbidden || strings.Contains(body, "Fatima") {
		t.Errorf("GET %s as Rabat's clerk = %d, want 403", reqPath, status)
	}

	// Ready before an endorsed extract is refused.
	if status, body := nadia.post(reqPath+"/status", url.Values{"state": {"ready"}}); status != http.StatusConflict || !strings.Contains(body, "visé par le procureur") {
		t.Errorf("ready before the extract = %d, want 409", status)
	}
	if status, _ := nadia.post(reqPath+"/status", url.Values{"state": {"rejected"}}); status != http.StatusUnprocessableEntity {
		t.Errorf("reject without reason = %d, want 422", status)
	}
	if status, body := nadia.post(reqPath+"/status", url.Values{"state": {"in_processing"}}); status != http.StatusOK || !strings.Contains(body, "En traitement") {
		t.Fatalf("in_processing = %d\n%s", status, body)
	}

	// Issue: a wrong password signs nothing.
	issue := url.Values{"surname": {"EL AMRANI"}, "surname_ar": {"العمراني"}, "given_names": {"Fatima Zahra"}, "birth_date": {"1990-03-12"},
		"birth_place": {"Casablanca"}, "nationality": {"Marocaine"}, "nationality_ar": {"مغربية"}, "national_id": {"be123456"}, "prosecutor": {prosecutor}}
	bad := cloneValues(issue)
	bad.Set("password", "not the password")
	nadia.get(reqPath)
	if status, _ := nadia.post(reqPath+"/extract", bad); status != http.StatusUnauthorized {
		t.Errorf("issue with a wrong password = %d, want 401", status)
	}
	if _, err := e.reg.Store().ExtractOf(ctx, "ma-casa-01", id); err == nil {
		t.Fatalf("an extract was stored after a wrong password")
	}
	invalid := cloneValues(issue)
	invalid.Set("password", password)
	invalid.Set("birth_date", "12/03/1990")
	if status, body := nadia.post(reqPath+"/extract", invalid); status != http.StatusUnprocessableEntity || !strings.Contains(body, "birth_date") || !strings.Contains(body, "Marocaine") {
		t.Errorf("issue with a bad date = %d, want 422 with the form kept", status)
	}
	issue.Set("password", password)
	issue.Set("entry_date_0", "2015-06-01")
	issue.Set("entry_court_0", "Tribunal de première instance de Rabat")
	issue.Set("entry_offence_0", "Conduite sans permis")
	issue.Set("entry_sentence_0", "Amende de 1 000 DH")
	status, body = nadia.post(reqPath+"/extract", issue)
	if status != http.StatusOK || !strings.Contains(body, "en attente du visa") {
		t.Fatalf("issue = %d\n%s", status, body)
	}
	x, err := e.reg.Store().ExtractOf(ctx, "ma-casa-01", id)
	if err != nil || x.Endorsed() || x.Prosecutor != prosecutor || x.IssuedBy != clerk {
		t.Fatalf("stored extract = %+v, %v", x, err)
	}
	if !e.audited(clerk, "extract.issue", x.Number) {
		t.Errorf("the issue is not audited")
	}
	if status, _ := nadia.post(reqPath+"/extract", issue); status != http.StatusConflict {
		t.Errorf("second issue = %d, want 409", status)
	}

	// Not endorsed yet: the public page does not vouch for it.
	code := string(trk) + "." + x.Fragment
	anon := e.person()
	if status, body := anon.get("/v/" + code); status != http.StatusNotFound || !strings.Contains(body, "non valide") {
		t.Errorf("verify before endorsement = %d, want 404 invalid", status)
	}

	// The prosecutor sees it waiting and endorses it.
	youssef := e.signedIn(prosecutor)
	if status, body := youssef.get("/extracts"); status != http.StatusOK || !strings.Contains(body, x.Number) {
		t.Errorf("GET /extracts as the prosecutor = %d, want %s pending", status, x.Number)
	}
	youssef.get(reqPath)
	if status, _ := youssef.post(reqPath+"/extract/endorse", url.Values{"password": {"wrong password!"}}); status != http.StatusUnauthorized {
		t.Errorf("endorse with a wrong password = %d, want 401", status)
	}
	status, body = youssef.post(reqPath+"/extract/endorse", url.Values{"password": {password}})
	if status != http.StatusOK || !strings.Contains(body, "visé le") {
		t.Fatalf("endorse = %d\n%s", status, body)
	}
	if status, _ := youssef.post(reqPath+"/extract/endorse", url.Values{"password": {password}}); status != http.StatusConflict {
		t.Errorf("second endorsement = %d, want 409", status)
	}
	x, _ = e.reg.Store().ExtractOf(ctx, "ma-casa-01", id)
	ex, err := extract.Parse(x.Document)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := e.con.Keys(ctx)
	p, _ := pack.Embedded("ma")
	if err := ex.Verify(keys, p.ExtractVerificationBase); err != nil {
		t.Errorf("Verify(endorsed extract) = %v", err)
	}
	if ex.Holder.NationalID != "BE123456" || len(ex.Entries) != 1 || ex.Signatures[1].Name.Latin != "Youssef Alaoui" {
		t.Errorf("extract = %+v", ex)
	}

	// The clerk marks it ready; the kiosk's feed carries every move.
	status, body = nadia.get(reqPath)
	m := verifyRE.FindStringSubmatch(body)
	if m == nil || m[1] != "/v/"+code {
		t.Errorf("request page links to %q, want /v/%s", m, code)
	}
	if status, body := nadia.post(reqPath+"/status", url.Values{"state": {"ready"}}); status != http.StatusOK || !strings.Contains(body, `id="state">Prête`) {
		t.Fatalf("ready = %d\n%s", status, body)
	}
	changes, _, err := e.reg.Store().Changes(ctx, "ma-casa-01", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var states []request.State
	for _, ch := range changes {
		if ch.Kind == wire.ChangeRequestStatus && ch.Status.RequestID == id {
			states = append(states, ch.Status.State)
		}
	}
	if want := []request.State{request.InProcessing, request.Ready}; !equalStates(states, want) {
		t.Errorf("feed states = %v, want %v", states, want)
	}

	// The public page says valid, with initials only.
	status, body = anon.get("/v/" + code)
	if status != http.StatusOK || !strings.Contains(body, "Extrait valide") || !strings.Contains(body, x.Number) || !strings.Contains(body, "F. Z. E. A.") {
		t.Errorf("verify = %d\n%s", status, body)
	}
	for _, secret := range []string{"Fatima", "AMRANI", "BE123456", "1990", "Conduite"} {
		if strings.Contains(body, secret) {
			t.Errorf("the public page shows %q", secret)
		}
	}
	if status, body := anon.get("/v/" + strings.ToLower(code)); status != http.StatusOK || !strings.Contains(body, "Extrait valide") {
		t.Errorf("verify(lower case) = %d, want valid (QR encoders may change case)", status)
	}

	// The PDF, for the court's clerk and prosecutor only.
	var pdf string
	for _, tt := range []struct {
		p    *person
		want int
	}{{nadia, http.StatusOK}, {youssef, http.StatusOK}, {e.signedIn(operator), http.StatusForbidden}, {e.signedIn(clerkRabat), http.StatusForbidden}} {
		status, body := tt.p.get(reqPath + "/extract.pdf?lang=fr")
		if status != tt.want || (tt.want == http.StatusOK && !strings.HasPrefix(body, "%PDF-")) {
			t.Errorf("GET extract.pdf = %d %.20q, want %d", status, body, tt.want)
		}
		if status == http.StatusOK {
			pdf = body
		}
	}
	if bin, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command(bin, "-", "-")
		cmd.Stdin = strings.NewReader(pdf)
		out, err := cmd.Output()
		for _, w := range []string{x.Number, "EL AMRANI", "Conduite sans permis", "Nadia Benjelloun", "Youssef Alaoui", "verif.justice.gov.ma/v/" + code} {
			if err != nil || !strings.Contains(string(out), w) {
				t.Errorf("pdftotext(extract) lacks %q (%v)", w, err)
			}
		}
	}
	if !e.audited(clerk, "extract.pdf", x.Number) {
		t.Errorf("the PDF download is not audited")
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func equalStates(a, b []request.State) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReject: a rejection carries its reason to the kiosk.
func TestReject(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, _ := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	nadia := e.signedIn(clerk)
	path := "/requests/ma-casa-01/" + id
	nadia.get(path)
	const reason = "Lieu de naissance hors du ressort : adressez-vous au tribunal de Rabat"
	if status, body := nadia.post(path+"/status", url.Values{"state": {"rejected"}, "reason": {reason}}); status != http.StatusOK || !strings.Contains(body, reason) {
		t.Fatalf("reject = %d\n%s", status, body)
	}
	changes, _, _ := e.reg.Store().Changes(context.Background(), "ma-casa-01", 0, 10)
	last := changes[len(changes)-1]
	if last.Status == nil || last.Status.State != request.Rejected || last.Status.Reason != reason {
		t.Errorf("feed = %+v, want the rejection with its reason", last)
	}
	if status, body := nadia.post(path+"/status", url.Values{"state": {"ready"}}); status != http.StatusConflict {
		t.Errorf("ready after rejection = %d, want 409\n%s", status, body)
	}
	if _, err := e.reg.Store().ExtractOf(context.Background(), "ma-casa-01", id); err == nil {
		t.Errorf("an extract exists")
	}
	b, _ := json.Marshal(last)
	if strings.Contains(string(b), "Fatima") {
		t.Errorf("the feed carries personal data: %s", b)
	}
	_ = store.RoleClerk
}
