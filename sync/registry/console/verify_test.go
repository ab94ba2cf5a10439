package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"guichet/kiosk/extract"
	"guichet/sync/registry/store"
)

// issued runs a request through issue and endorsement and returns its
// extract record.
func (e *env) issued(kioskID, surname, given string) store.IssuedExtract {
	e.t.Helper()
	id, _ := e.submit(kioskID, "bulletin3", citizen(surname, given))
	path := "/requests/" + kioskID + "/" + id
	nadia := e.signedIn(clerk)
	nadia.get(path)
	if status, body := nadia.post(path+"/extract", url.Values{"prosecutor": {prosecutor}, "password": {password}, "surname": {surname}, "given_names": {given},
		"birth_date": {"1990-03-12"}, "birth_place": {"Casablanca"}, "nationality": {"Marocaine"}}); status != http.StatusOK {
		e.t.Fatalf("issue = %d\n%s", status, body)
	}
	youssef := e.signedIn(prosecutor)
	youssef.get(path)
	if status, body := youssef.post(path+"/extract/endorse", url.Values{"password": {password}}); status != http.StatusOK {
		e.t.Fatalf("endorse = %d\n%s", status, body)
	}
	x, err := e.reg.Store().ExtractOf(context.Background(), kioskID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

// verifyCases are the public page's answers; they also seed FuzzVerify.
var verifyCases = []struct {
	name, code string
	valid      bool
}{
	{"empty fragment", "K7MX4HQ9XR33.", false},
	{"no dot", "K7MX4HQ9XR33", false},
	{"short fragment", "K7MX4HQ9XR33.MFRGGZDF", false},
	{"bad tracking check", "K7MX4HQ9XR34.MFRGGZDFMZTWQ2LK", false},
	{"unknown", "K7MX4HQ9XR33.MFRGGZDFMZTWQ2LK", false},
	{"script", "<script>alert(1)</script>.AAAAAAAAAAAAAAAA", false},
	{"long", strings.Repeat("A", 300), false},
}

func TestVerifyPage(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	good := e.issued("ma-casa-01", "EL AMRANI", "Fatima Zahra")

	// A forged record: the genuine extract's document with the holder
	// changed, stored under the same tracking number and fragment as if
	// endorsed. The page must verify, not trust the store.
	e2 := e.issued("ma-casa-02", "BENNANI", "Khadija")
	var doc extract.Extract
	json.Unmarshal(e2.Document, &doc)
	doc.Holder.Surname.Latin = "ALAOUI"
	forged, _ := json.Marshal(doc)
	fake := store.IssuedExtract{Number: "B3/2026/999999", KioskID: "ma-casa-02", RequestID: "forged-request", Tracking: e2.Tracking, Court: e2.Court,
		IssuedAt: e2.IssuedAt, IssuedBy: clerk, Prosecutor: prosecutor, Fragment: e2.Fragment, Document: []byte(`{}`)}
	if err := e.reg.Store().PutExtract(ctx, fake); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reg.Store().Endorse(ctx, fake.Number, forged, e.clock.Now()); err != nil {
		t.Fatal(err)
	}

	cases := append(verifyCases[:len(verifyCases):len(verifyCases)],
		struct {
			name, code string
			valid      bool
		}{"genuine", good.Tracking + "." + good.Fragment, true},
		struct {
			name, code string
			valid      bool
		}{"genuine, lower case", strings.ToLower(good.Tracking + "." + good.Fragment), true},
		struct {
			name, code string
			valid      bool
		}{"fragment of another extract", good.Tracking + "." + e2.Fragment, false},
	)
	h := e.con.PublicHandler()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v/"+url.PathEscape(tt.code), nil))
			body := rec.Body.String()
			valid := rec.Code == http.StatusOK && strings.Contains(body, "Extrait valide")
			if valid != tt.valid {
				t.Errorf("GET /v/%s = %d valid %v, want valid %v", tt.code, rec.Code, valid, tt.valid)
			}
			if !valid && (rec.Code != http.StatusNotFound || !strings.Contains(body, "non valide")) {
				t.Errorf("GET /v/%s = %d, want 404 and the invalid verdict", tt.code, rec.Code)
			}
			if strings.Contains(body, "<script>") {
				t.Errorf("the page reflects markup")
			}
		})
	}
	// The forged record shares the second extract's code: the genuine
	// one answers, the forged one is never shown.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v/"+e2.Tracking+"."+e2.Fragment, nil))
	if !strings.Contains(rec.Body.String(), e2.Number) || strings.Contains(rec.Body.String(), fake.Number) {
		t.Errorf("verify(shared code) shows the forged record:\n%s", rec.Body.String())
	}
	// The public handler serves nothing else.
	for _, p := range []string{"/login", "/fleet", "/requests"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("PublicHandler GET %s = %d, want 404", p, rec.Code)
		}
	}
}

// FuzzVerify: any code gets a verdict page, never an error or a reflection
// of markup.
func FuzzVerify(f *testing.F) {
	for _, tt := range verifyCases {
		f.Add(tt.code)
	}
	e := newEnv(f, envOptions{})
	h := e.con.PublicHandler()
	f.Fuzz(func(t *testing.T, code string) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/v/x", nil)
		req.URL.Path = "/v/" + code
		req.URL.RawPath = ""
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusNotFound, http.StatusMovedPermanently, http.StatusTemporaryRedirect:
		default:
			t.Fatalf("GET /v/%q = %d", code, rec.Code)
		}
		if strings.Contains(rec.Body.String(), "Extrait valide") {
			t.Fatalf("GET /v/%q says valid", code)
		}
	})
}
