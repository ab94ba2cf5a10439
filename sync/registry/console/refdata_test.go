package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"guichet/sync/wire"
)

// upload posts a file as the settings page's forms do, with the last CSRF
// token seen (csrf "" sends none).
func (p *person) upload(path, csrf string, fields map[string]string, file []byte) (int, string) {
	p.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", "data.json")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, p.e.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := p.client.Do(req)
	if err != nil {
		p.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

const directoryFile = `[{"name_latin":"Maître Amina Berrada","name_arabic":"الأستاذة أمينة برادة","profession":"lawyer","registration":"Barreau de Casablanca n° 4417","city":"casablanca","address":"12, rue Tahar Sebti","languages":["ar","fr"],"status":"active","updated_at":"2026-03-02T09:30:00Z"}]`

func TestPublishReferenceDocuments(t *testing.T) {
	e := newEnv(t, envOptions{})
	amina := e.signedIn(operator)
	amina.get("/settings")
	if status, _ := amina.upload("/documents", "", map[string]string{"name": "professionals"}, []byte(directoryFile)); status != http.StatusForbidden {
		t.Errorf("upload without the CSRF token = %d, want 403", status)
	}
	status, body := amina.upload("/documents", amina.csrf, map[string]string{"name": "professionals"}, []byte(strings.Replace(directoryFile, `"active"`, `"retired"`, 1)))
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "rien n&#39;a été publié") {
		t.Errorf("an invalid directory = %d\n%s", status, body)
	}
	status, body = amina.upload("/documents", amina.csrf, map[string]string{"name": "professionals", "expires": "2099-12-31"}, []byte(directoryFile))
	if status != http.StatusOK || !strings.Contains(body, "version 1 signée") || !strings.Contains(body, "<td class=\"mono\">professionals</td><td>1</td>") {
		t.Fatalf("publish = %d\n%s", status, body)
	}
	d, err := e.reg.Store().Document(context.Background(), wire.DocProfessionals)
	if err != nil || d.Expires.Year() != 2099 || !d.Verify(e.reg.DocumentKeys()[d.KeyID]) {
		t.Errorf("stored document %+v, %v: want version 1 expiring in 2099, signed by the registry's document key", d.Version, err)
	}
	if !e.audited(operator, "document.publish", "professionals") {
		t.Error("the publication is not audited")
	}

	fines := `[{"pv_number":"00000001-RF-2026","national_number":"BE123456","amount":30000,"currency":"MAD","date":"2026-01-04T08:00:00Z","place":"A7 PK 112","court":"tpi-settat"}]`
	status, body = amina.upload("/fines", amina.csrf, nil, []byte(fines))
	if status != http.StatusOK || !strings.Contains(body, "1 amende(s) dans le fichier, 1 enregistrée(s)") {
		t.Fatalf("import fines = %d\n%s", status, body)
	}
	if status, _ := amina.upload("/fines", amina.csrf, nil, []byte(`[{"pv_number":"x"}]`)); status != http.StatusUnprocessableEntity {
		t.Errorf("import an incomplete fine = %d, want 422", status)
	}
	omar := e.signedIn(viewer)
	omar.get("/fleet")
	if status, _ := omar.upload("/fines", omar.csrf, nil, []byte(fines)); status != http.StatusForbidden {
		t.Errorf("a viewer importing fines = %d, want 403", status)
	}
}

var ticketRE = regexp.MustCompile(`id="ticket">([^<]+)<`)

func TestEnrolmentTicket(t *testing.T) {
	e := newEnv(t, envOptions{})
	amina := e.signedIn(operator)
	amina.get("/tokens")
	status, body := amina.post("/tokens", url.Values{"court": {casa}, "kind": {"ticket"}, "kiosk_id": {"ma-casa-08"}})
	tm, qm := ticketRE.FindStringSubmatch(body), qrRE.FindStringSubmatch(body)
	if status != http.StatusCreated || tm == nil || qm == nil {
		t.Fatalf("issue ticket = %d\n%s", status, body)
	}
	text := html.UnescapeString(tm[1])
	st, err := wire.ParseTicket(text)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Verify(e.reg.DocumentKeys(), st.Issued.Add(time.Minute)); err != nil || st.KioskID != "ma-casa-08" || st.Court != casa || st.IssuedBy != operator {
		t.Errorf("ticket %+v: %v", st.Ticket, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(html.UnescapeString(qm[1]))
	if zbar, err := exec.LookPath("zbarimg"); err == nil {
		f := filepath.Join(t.TempDir(), "ticket.png")
		os.WriteFile(f, raw, 0o600)
		out, err := exec.Command(zbar, "--raw", "-q", f).Output()
		if got := strings.TrimSpace(string(out)); err != nil || got != text {
			t.Errorf("zbarimg(ticket QR) = %q, %v, want the ticket's text", got, err)
		}
	}
	if !e.audited(operator, "ticket.issue", casa) {
		t.Error("the ticket is not audited")
	}
}

func TestRolloutsPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	amina := e.signedIn(operator)
	amina.get("/rollouts")
	if status, body := amina.post("/rollouts", url.Values{"version": {"1.4.2"}, "pilots": {"nowhere-01"}, "shares": {"100"}, "threshold": {"5"}}); status != http.StatusUnprocessableEntity || !strings.Contains(body, "nowhere-01") {
		t.Errorf("a rollout to an unknown pilot = %d\n%s", status, body)
	}
	status, body := amina.post("/rollouts", url.Values{"version": {"1.4.2"}, "pilots": {"ma-casa-01"}, "shares": {"50, 100"}, "threshold": {"10"}})
	if status != http.StatusCreated || !strings.Contains(body, "1 borne(s) à la première étape") || !strings.Contains(body, "seuil d'échec 10 %") {
		t.Fatalf("start = %d\n%s", status, body)
	}
	rs, _ := e.reg.Store().Rollouts(context.Background())
	if len(rs) != 1 || len(rs[0].Stages) != 3 || rs[0].Stages[0].Kiosks[0] != "ma-casa-01" || rs[0].Stages[2].Percent != 100 {
		t.Fatalf("stored rollouts %+v", rs)
	}
	if status, body := amina.post("/rollouts/"+rs[0].ID+"/pause", nil); status != http.StatusOK || !strings.Contains(body, "suspendu") {
		t.Errorf("pause = %d\n%s", status, body)
	}
	if status, _ := amina.post("/rollouts/"+rs[0].ID+"/pause", nil); status != http.StatusConflict {
		t.Errorf("pause twice = %d, want 409", status)
	}
	omar := e.signedIn(viewer)
	if status, body := omar.get("/rollouts"); status != http.StatusOK || !strings.Contains(body, "1.4.2") || strings.Contains(body, "Lancer un déploiement") {
		t.Errorf("a viewer's rollouts page = %d", status)
	}
	if !e.audited(operator, "rollout.pause", rs[0].ID) {
		t.Error("the pause is not audited")
	}
}

func TestDiagnosticsPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	amina := e.signedIn(operator)
	amina.get("/kiosks/ma-casa-01/diagnostics")
	status, body := amina.post("/kiosks/ma-casa-01/diagnostics", nil)
	if status != http.StatusOK || !strings.Contains(body, "envoyée") || !e.audited(operator, "diagnostics.request", "ma-casa-01") {
		t.Fatalf("ask = %d\n%s", status, body)
	}
	chs, _, _ := e.reg.Store().Changes(context.Background(), "ma-casa-01", 0, 100)
	asked := false
	for _, c := range chs {
		asked = asked || (c.Document != nil && c.Document.Name == wire.DocDiagnostics)
	}
	if !asked {
		t.Error("the kiosk's feed has no diagnostics request")
	}
	if chs, _, _ := e.reg.Store().Changes(context.Background(), "ma-casa-02", 0, 100); len(chs) > 0 {
		for _, c := range chs {
			if c.Document != nil && c.Document.Name == wire.DocDiagnostics {
				t.Error("another kiosk was asked too")
			}
		}
	}
	if status, _ := amina.get("/kiosks/nowhere/diagnostics"); status != http.StatusNotFound {
		t.Errorf("an unknown kiosk's page = %d, want 404", status)
	}
}
