package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"guichet/sync/registry/console"
)

func TestLoginLogout(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.person()
	if status, body := p.get("/requests"); status != http.StatusOK || !strings.Contains(body, `id="login"`) {
		t.Fatalf("GET /requests signed out = %d, want the sign-in form", status)
	}
	if status, body := p.login(clerk, "not the password"); status != http.StatusUnauthorized || !strings.Contains(body, "mot de passe incorrect") {
		t.Errorf("login(wrong password) = %d, want 401 with a message", status)
	}
	if status, body := p.login("nobody.here", password); status != http.StatusUnauthorized || !strings.Contains(body, "mot de passe incorrect") {
		t.Errorf("login(unknown account) = %d, want the same 401", status)
	}

	// The cookie is Secure, HttpOnly, SameSite=Strict, host-only.
	p.get("/login")
	form := url.Values{"name": {clerk}, "password": {password}, "csrf": {p.csrf}}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range p.client.Jar.Cookies(req.URL) {
		req.AddCookie(c)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == console.SessionCookie {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/requests" || session == nil {
		t.Fatalf("login = %d %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	if !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/" || session.Domain != "" || len(session.Value) < 40 {
		t.Errorf("session cookie = %+v, want Secure, HttpOnly, SameSite=Strict, Path=/, host-only, long", session)
	}
	if !e.audited(clerk, "console.login", clerk) || !e.audited(clerk, "console.login_failed", clerk) {
		t.Errorf("sign-ins are not audited")
	}

	p = e.signedIn(clerk)
	if status, body := p.post("/logout", nil); status != http.StatusOK || !strings.Contains(body, `id="login"`) {
		t.Errorf("logout = %d, want the sign-in form", status)
	}
	if status, body := p.get("/requests"); status != http.StatusOK || !strings.Contains(body, `id="login"`) {
		t.Errorf("GET /requests after logout = %d, want the sign-in form", status)
	}
	if !e.audited(clerk, "console.logout", clerk) {
		t.Errorf("logout is not audited")
	}
}

func TestSessionExpiry(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tt := range []struct {
		name  string
		steps []time.Duration // clock moves, each followed by a page view
		live  bool
	}{
		{"active", []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, true},
		{"idle", []time.Duration{31 * time.Minute}, false},
		{"too old", []time.Duration{25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute,
			25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute,
			25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute,
			25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute, 25 * time.Minute}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := e.signedIn(viewer)
			var body string
			for _, d := range tt.steps {
				e.clock.Add(d)
				_, body = p.get("/fleet")
			}
			live := strings.Contains(body, `id="fleet"`)
			if live != tt.live {
				t.Errorf("after %v the session is live = %v, want %v", tt.steps, live, tt.live)
			}
			if !tt.live && !strings.Contains(body, "session a pris fin") {
				t.Errorf("an ended session does not say so")
			}
		})
	}
}

// TestLoginThrottle: the sixth bad password within the window is refused
// before the password is even checked, per account and per address.
func TestLoginThrottle(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.person()
	for i := 1; i <= 5; i++ {
		if status, _ := p.login(clerk, "guess number "+string(rune('0'+i))); status != http.StatusUnauthorized {
			t.Fatalf("bad password %d = %d, want 401", i, status)
		}
	}
	for _, pw := range []string{"guess number 6", password} {
		status, body := p.login(clerk, pw)
		if status != http.StatusTooManyRequests || !strings.Contains(body, "Trop d&#39;échecs") || !strings.Contains(body, "15 min") {
			t.Errorf("login(%q) after 5 failures = %d, want 429 with the wait\n%s", pw, status, body)
		}
	}
	// Another account from the same address is not blocked by these.
	if status, _ := e.person().login(prosecutor, password); status != http.StatusOK {
		t.Errorf("another account = %d, want 200", status)
	}
	if !e.audited(clerk, "console.login_throttled", clerk) {
		t.Errorf("throttled sign-in not audited")
	}
	e.clock.Add(16 * time.Minute)
	if status, _ := p.login(clerk, password); status != http.StatusOK {
		t.Errorf("login after the window = %d, want 200", status)
	}

	// Per address: 20 failures over many names block everyone from it.
	p = e.person()
	for i := range 20 {
		if status, _ := p.login("guess."+string(rune('a'+i)), "whatever password"); status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i, status)
		}
	}
	if status, _ := e.person().login(viewer, password); status != http.StatusTooManyRequests {
		t.Errorf("login from a throttled address = %d, want 429", status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, _ := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	path := "/requests/ma-casa-01/" + id + "/status"
	nadia := e.signedIn(clerk)
	other := e.signedIn(clerkRabat)
	for _, tt := range []struct {
		name   string
		form   url.Values
		header map[string]string
	}{
		{"no token", url.Values{"state": {"in_processing"}, "csrf": nil}, nil},
		{"empty token", url.Values{"state": {"in_processing"}, "csrf": {""}}, nil},
		{"another session's token", url.Values{"state": {"in_processing"}, "csrf": {other.csrf}}, nil},
		{"cross-site", url.Values{"state": {"in_processing"}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"other origin", url.Values{"state": {"in_processing"}}, map[string]string{"Origin": "https://evil.example"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			form := tt.form
			if _, ok := form["csrf"]; !ok {
				form.Set("csrf", nadia.csrf)
			} else if form["csrf"] == nil {
				delete(form, "csrf")
			}
			req, _ := http.NewRequest(http.MethodPost, e.url+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := nadia.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s = %d, want 403", path, resp.StatusCode)
			}
			r, _ := e.reg.Store().Request(context.Background(), "ma-casa-01", id)
			if r.State != "acknowledged" {
				t.Errorf("state = %s after a refused POST", r.State)
			}
		})
	}
	if !e.audited(clerk, "console.csrf_refused", path) {
		t.Errorf("CSRF refusal not audited")
	}
	// The sign-in form carries its own token.
	p := e.person()
	if status, _ := p.do(http.MethodPost, "/login", url.Values{"name": {clerk}, "password": {password}}); status != http.StatusForbidden {
		t.Errorf("login without the form's token = %d, want 403", status)
	}
	// With the token, the same POST passes.
	if status, _ := nadia.post(path, url.Values{"state": {"in_processing"}}); status != http.StatusOK {
		t.Errorf("POST with the token = %d, want 200", status)
	}
}

// TestRoles: who may reach what.
func TestRoles(t *testing.T) {
	e := newEnv(t, envOptions{})
	id, _ := e.submit("ma-casa-01", "bulletin3", citizen("EL AMRANI", "Fatima Zahra"))
	req := "/requests/ma-casa-01/" + id
	people := map[string]*person{}
	for _, n := range []string{operator, viewer, clerk, clerkRabat, prosecutor} {
		people[n] = e.signedIn(n)
	}
	for _, tt := range []struct {
		who, method, path string
		want              int
	}{
		{operator, "GET", "/fleet", 200}, {viewer, "GET", "/fleet", 200}, {clerk, "GET", "/fleet", 403}, {prosecutor, "GET", "/fleet", 403},
		{viewer, "GET", "/alerts", 200}, {clerk, "GET", "/alerts", 403},
		{operator, "GET", "/tokens", 200}, {viewer, "GET", "/tokens", 403}, {viewer, "POST", "/tokens", 403}, {clerk, "POST", "/tokens", 403},
		{operator, "GET", "/settings", 200}, {viewer, "POST", "/settings", 403},
		{operator, "GET", "/accounts", 200}, {viewer, "GET", "/accounts", 403}, {clerk, "POST", "/accounts", 403},
		{viewer, "GET", "/audit", 200}, {clerk, "GET", "/audit", 403},
		{operator, "GET", "/requests", 200}, {viewer, "GET", "/requests", 200}, {clerk, "GET", "/requests", 200}, {prosecutor, "GET", "/requests", 403},
		{clerk, "GET", req, 200}, {clerkRabat, "GET", req, 403}, {prosecutor, "GET", req, 200}, {viewer, "GET", req, 200},
		{operator, "POST", req + "/status", 403}, {viewer, "POST", req + "/status", 403}, {prosecutor, "POST", req + "/status", 403}, {clerkRabat, "POST", req + "/status", 403},
		{prosecutor, "POST", req + "/extract", 403}, {clerk, "POST", req + "/extract/endorse", 403},
		{clerk, "GET", "/extracts", 200}, {prosecutor, "GET", "/extracts", 200}, {operator, "GET", "/extracts", 403},
		{clerk, "GET", "/requests/ma-casa-01/nothing", 404},
	} {
		t.Run(tt.who+" "+tt.method+" "+tt.path, func(t *testing.T) {
			p := people[tt.who]
			var status int
			if tt.method == "POST" {
				status, _ = p.post(tt.path, url.Values{"state": {"in_processing"}})
			} else {
				status, _ = p.get(tt.path)
			}
			if status != tt.want {
				t.Errorf("%s %s as %s = %d, want %d", tt.method, tt.path, tt.who, status, tt.want)
			}
		})
	}
	r, _ := e.reg.Store().Request(context.Background(), "ma-casa-01", id)
	if r.State != "acknowledged" {
		t.Errorf("state = %s after refused POSTs", r.State)
	}
}

func TestDisabledAccount(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.signedIn(viewer)
	amina := e.signedIn(operator)
	amina.get("/accounts")
	if status, _ := amina.post("/accounts/"+operator+"/disable", nil); status != http.StatusUnprocessableEntity {
		t.Errorf("disable oneself = %d, want 422", status)
	}
	if status, body := amina.post("/accounts/"+viewer+"/disable", nil); status != http.StatusOK || !strings.Contains(body, "désactivé") {
		t.Fatalf("disable = %d", status)
	}
	if _, body := p.get("/fleet"); strings.Contains(body, `id="fleet"`) || !strings.Contains(body, "désactivé") {
		t.Errorf("a disabled account's session still works")
	}
	if status, _ := e.person().login(viewer, password); status != http.StatusUnauthorized {
		t.Errorf("login(disabled) = %d, want 401", status)
	}
	if status, _ := amina.post("/accounts/"+viewer+"/enable", nil); status != http.StatusOK {
		t.Errorf("enable = %d", status)
	}
	if status, _ := e.person().login(viewer, password); status != http.StatusOK {
		t.Errorf("login(enabled again) = %d, want 200", status)
	}
	if !e.audited(operator, "account.disable", viewer) || !e.audited(operator, "account.enable", viewer) {
		t.Errorf("disable and enable are not audited")
	}
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t, envOptions{})
	p := e.signedIn(clerk)
	p.get("/me")
	const fresh = "un nouveau mot de passe sûr"
	for _, tt := range []struct {
		name                string
		current, new, again string
		want                int
	}{
		{"wrong current", "not the password", fresh, fresh, http.StatusUnauthorized},
		{"mismatch", password, fresh, fresh + "!", http.StatusUnprocessableEntity},
		{"too short", password, "court", "court", http.StatusUnprocessableEntity},
		{"same", password, password, password, http.StatusUnprocessableEntity},
		{"changed", password, fresh, fresh, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := p.post("/me/password", url.Values{"password": {tt.current}, "new": {tt.new}, "again": {tt.again}}); status != tt.want {
				t.Errorf("change password = %d, want %d\n%s", status, tt.want, body)
			}
		})
	}
	// Authenticate caches a success for a minute: step past it.
	e.clock.Add(2 * time.Minute)
	if status, _ := e.person().login(clerk, password); status != http.StatusUnauthorized {
		t.Errorf("login(old password) = %d, want 401", status)
	}
	if status, _ := e.person().login(clerk, fresh); status != http.StatusOK {
		t.Errorf("login(new password) = %d, want 200", status)
	}
	if !e.audited(clerk, "account.password", clerk) {
		t.Errorf("password change not audited")
	}
}
