package console_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/tracking"
	"guichet/sync/registry"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/console"
	"guichet/sync/registry/pgstore"
	"guichet/sync/registry/pgstore/pgtest"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// clock is a settable clock shared by the registry and the console.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// The people of the tests: Casablanca's clerk and prosecutor, Rabat's
// clerk, an operator and a viewer.
const (
	operator   = "ops.amina"
	clerk      = "greffe.nadia"
	prosecutor = "parquet.youssef"
	clerkRabat = "greffe.salma"
	viewer     = "viewer.omar"
	password   = "greffe casablanca 2026"
	casa       = "tpi-casablanca"
	rabat      = "tpi-rabat"
)

type env struct {
	t       testing.TB
	reg     *registry.Server
	con     *console.Console
	clock   *clock
	dir     string
	url     string // the console's base URL
	kiosks  map[string]*registry.LocalKiosk
	msg     int
	mu      sync.Mutex
	trackOf map[string]tracking.Number
}

type envOptions struct {
	pg  bool
	cfg func(*console.Config)
}

// newEnv initialises a registry with its accounts, serves its API and the
// console (plain HTTP on loopback) on free ports, and enrols two kiosks of
// Casablanca and one of Rabat through the real API.
func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	var st store.Store
	if o.pg {
		pg := pgtest.Start(t, pgtest.Options{})
		p, err := pgstore.Open(ctx, pg.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		st = p
	} else {
		b, err := boltstore.Open(filepath.Join(dir, registry.FileBoltDB))
		if err != nil {
			t.Fatal(err)
		}
		st = b
	}
	// The clock starts at the real time: browsers and TLS clients check
	// certificates against their own.
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	if err := registry.Init(ctx, dir, registry.InitOptions{Operator: operator, Password: password, Store: st, Now: c.Now().Add(-time.Hour)}); err != nil {
		t.Fatalf("Init() = %v", err)
	}
	reg, err := registry.New(registry.Config{Dir: dir, Addr: "127.0.0.1:0", Store: st, Clock: c.Now, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatalf("registry.New() = %v", err)
	}
	cfg := console.Config{Registry: reg, Dir: dir, Addr: "127.0.0.1:0", PlainHTTP: true, Clock: c.Now, Location: time.UTC}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	con, err := console.New(cfg)
	if err != nil {
		t.Fatalf("console.New() = %v", err)
	}
	rln, err := reg.Listen()
	if err != nil {
		t.Fatal(err)
	}
	cln, err := con.Listen()
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); reg.Serve(ctx, rln) }()
	go func() { defer wg.Done(); con.Serve(ctx, cln) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		st.Close()
	})
	e := &env{t: t, reg: reg, con: con, clock: c, dir: dir, url: con.URL(), kiosks: map[string]*registry.LocalKiosk{}, trackOf: map[string]tracking.Number{}}
	for _, a := range []console.NewAccount{
		{NewAccount: registry.NewAccount{Name: clerk, Role: store.RoleClerk, Court: casa, Password: password}, NameLatin: "Nadia Benjelloun", NameArabic: "نادية بنجلون"},
		{NewAccount: registry.NewAccount{Name: prosecutor, Role: store.RoleProsecutor, Court: casa, Password: password}, NameLatin: "Youssef Alaoui", NameArabic: "يوسف العلوي"},
		{NewAccount: registry.NewAccount{Name: clerkRabat, Role: store.RoleClerk, Court: rabat, Password: password}, NameLatin: "Salma Idrissi"},
		{NewAccount: registry.NewAccount{Name: viewer, Role: store.RoleViewer, Password: password}},
	} {
		if err := con.CreateAccount(ctx, operator, a); err != nil {
			t.Fatalf("CreateAccount(%s) = %v", a.Name, err)
		}
	}
	for _, k := range []struct{ id, court string }{{"ma-casa-01", casa}, {"ma-casa-02", casa}, {"ma-rabat-01", rabat}} {
		lk, err := reg.EnrolLocal(ctx, operator, k.id, k.court, "ma", 3)
		if err != nil {
			t.Fatalf("EnrolLocal(%s) = %v", k.id, err)
		}
		e.kiosks[k.id] = lk
	}
	return e
}

// post sends a kiosk's message over its mutual-TLS client.
func (e *env) post(kioskID, path string, m any) []byte {
	e.t.Helper()
	lk := e.kiosks[kioskID]
	body, err := json.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: lk.TLS}}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, lk.BaseURL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentType)
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("POST %s as %s = %d %s", path, kioskID, resp.StatusCode, b)
	}
	return b
}

func (e *env) nextMessage(kioskID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.msg++
	return fmt.Sprintf("%s-m%d", kioskID, e.msg)
}

// telemetry sends a kiosk's telemetry at the registry's current time.
func (e *env) telemetry(kioskID string, paper wire.PaperLevel, scanner wire.Health, queue int, oldest time.Duration) {
	e.t.Helper()
	lk := e.kiosks[kioskID]
	now := e.clock.Now()
	e.post(kioskID, wire.PathTelemetry, wire.Telemetry{
		KioskID: kioskID, MessageID: e.nextMessage(kioskID), At: now, SoftwareVersion: "1.4.2", CountryPack: "ma", PackVersion: 3,
		Capabilities: wire.RegistryCapabilities,
		Peripherals: []wire.Peripheral{
			{Name: "receipt_printer", Health: wire.HealthOK, Since: now}, {Name: "laser_printer", Health: wire.HealthOK, Since: now},
			{Name: "id_scanner", Health: scanner, Since: now}, {Name: "qr_scanner", Health: wire.HealthOK, Since: now},
		},
		Paper:      []wire.Paper{{Printer: "receipt_printer", Level: paper}, {Printer: "laser_printer", Level: wire.PaperOK}},
		QueueDepth: queue, OldestEntryAge: wire.Duration(oldest), CertNotAfter: lk.TLS.Certificates[0].Leaf.NotAfter.UTC(),
	})
}

// citizen is the personal data the kiosk seals for a bulletin n°3 request,
// shaped as kiosk/flow seals it.
func citizen(surname, given string) string {
	b, _ := json.Marshal(map[string]any{
		"service": "bulletin3", "language": "fr",
		"fields": map[string]string{
			"surname": surname, "given_names": given, "surname_ar": "العمراني", "given_names_ar": "فاطمة الزهراء",
			"birth_date": "1990-03-12", "birth_place": "Casablanca", "cin": "BE123456", "document_number": "BE1234567",
			"father_name": "Mohammed El Amrani", "mother_name": "Khadija Bennani", "collection_court": casa,
		},
		"card":    map[string]string{"surname": surname, "given_names": given, "nationality": "MAR", "national_number": "BE123456"},
		"payment": map[string]any{"method": "card", "kind": "card", "amount": 2000, "currency": "MAD", "authorisation": "A1B2C3"},
	})
	return string(b)
}

// submit sends one request of service from the kiosk, its personal data
// sealed to the registry, and returns its id.
func (e *env) submit(kioskID, service, personal string) (string, tracking.Number) {
	e.t.Helper()
	lk := e.kiosks[kioskID]
	id, err := request.NewID(rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	sealed, err := seal.Seal(e.reg.RegistryKey(), id, []byte(personal))
	if err != nil {
		e.t.Fatal(err)
	}
	trk := tracking.NewGenerator(kioskID, e.clock.Now, rand.Reader).Next()
	it := wire.NewRequestItem(request.Request{ID: id, Tracking: trk, Service: service, Court: lk.Enrolment.Court, Fee: 2000, Currency: "MAD", PackVersion: 3, CreatedAt: e.clock.Now().Add(-time.Minute)}, sealed)
	var resp wire.BatchResponse
	if err := json.Unmarshal(e.post(kioskID, wire.PathRequests, wire.RequestBatch{KioskID: kioskID, MessageID: e.nextMessage(kioskID), Items: []wire.RequestItem{it}}), &resp); err != nil {
		e.t.Fatal(err)
	}
	if len(resp.Results) != 1 || resp.Results[0].Outcome != wire.Accepted {
		e.t.Fatalf("batch answer = %+v", resp)
	}
	return id, trk
}

// person is someone using the console with a plain HTTP client (cookies
// kept; redirects followed).
type person struct {
	e      *env
	client *http.Client
	csrf   string
}

func (e *env) person() *person {
	jar, _ := cookiejar.New(nil)
	return &person{e: e, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and returns the status and body; it remembers the
// last CSRF token seen in a page.
func (p *person) do(method, path string, form url.Values) (int, string) {
	p.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, p.e.url+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		p.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (p *person) get(path string) (int, string) { return p.do(http.MethodGet, path, nil) }

// post sends a form with the last CSRF token seen.
func (p *person) post(path string, form url.Values) (int, string) {
	p.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", p.csrf)
	}
	return p.do(http.MethodPost, path, form)
}

// login signs in and returns the page landed on.
func (p *person) login(name, pw string) (int, string) {
	p.e.t.Helper()
	p.get("/login")
	return p.post("/login", url.Values{"name": {name}, "password": {pw}})
}

// signedIn is a person signed in as name.
func (e *env) signedIn(name string) *person {
	e.t.Helper()
	p := e.person()
	if status, body := p.login(name, password); status != http.StatusOK || !strings.Contains(body, name) {
		e.t.Fatalf("login(%s) = %d\n%s", name, status, body)
	}
	return p
}

// audited reports whether the audit holds action by actor on subject.
func (e *env) audited(actor, action, subject string) bool {
	es, err := e.reg.Store().Audit(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range es {
		if a.Actor == actor && a.Action == action && (subject == "" || a.Subject == subject) {
			return true
		}
	}
	return false
}

func sha256Of(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// httptestServer serves h on a loopback port for the test and returns its
// URL.
func httptestServer(t testing.TB, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
