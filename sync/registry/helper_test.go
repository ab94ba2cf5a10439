package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/tracking"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/pgstore"
	"guichet/sync/registry/pgstore/pgtest"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// clock is a settable test clock.
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

var t0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

const (
	operator     = "ops.amina"
	operatorPass = "correct horse battery"
	clerkCasa    = "clerk.youssef"
	clerkRabat   = "clerk.salma"
	clerkPass    = "greffe casablanca 2026"
)

type env struct {
	t     testing.TB
	srv   *Server
	http  *httptest.Server
	clock *clock
	dir   string
}

type envOptions struct {
	pg      bool
	durable bool // PostgreSQL with fsync, for benchmarks
	cfg     func(*Config)
}

// newEnv initialises a registry in a temporary directory, with a clerk for
// each of two courts, and serves it over TLS on loopback.
func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	dir := t.TempDir()
	var st store.Store
	if o.pg {
		pg := pgtest.Start(t, pgtest.Options{Durable: o.durable})
		p, err := pgstore.Open(context.Background(), pg.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		st = p
	} else {
		b, err := boltstore.Open(filepath.Join(dir, FileBoltDB))
		if err != nil {
			t.Fatal(err)
		}
		st = b
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := Init(ctx, dir, InitOptions{Operator: operator, Password: operatorPass, Store: st, Now: t0.Add(-time.Hour)}); err != nil {
		t.Fatalf("Init() = %v", err)
	}
	c := &clock{t: t0}
	cfg := Config{Dir: dir, Store: st, Clock: c.Now, PollInterval: 50 * time.Millisecond}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	for _, a := range []NewAccount{
		{Name: clerkCasa, Role: store.RoleClerk, Court: "tpi-casablanca", Password: clerkPass},
		{Name: clerkRabat, Role: store.RoleClerk, Court: "tpi-rabat", Password: clerkPass},
		{Name: "viewer.omar", Role: store.RoleViewer, Password: clerkPass},
	} {
		if err := s.CreateAccount(ctx, operator, a); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewUnstartedServer(s.Handler())
	hs.TLS = s.TLSConfig()
	hs.StartTLS()
	t.Cleanup(hs.Close)
	return &env{t: t, srv: s, http: hs, clock: c, dir: dir}
}

// kioskClient is a kiosk as the registry sees it: a key, a certificate
// and a TLS client pinned to the registry CA.
type kioskClient struct {
	id     string
	key    ed25519.PrivateKey
	cert   *x509.Certificate
	client *http.Client
	base   string
	enrol  wire.EnrolResponse
	msg    int
}

func csrFor(t testing.TB, id string, key ed25519.PrivateKey) string {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: id}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// anonymous is a TLS client without a certificate.
func (e *env) anonymous() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: e.srv.CAPool()}}}
}

// token issues an enrolment token for the Casablanca court.
func (e *env) token(court string) string {
	e.t.Helper()
	tok, err := e.srv.IssueToken(context.Background(), operator, TokenSpec{Court: court, CountryPack: "ma", PackVersion: 3})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.Token
}

// enrol enrols a kiosk of court through the API, advertising the
// capabilities of a 0.3 kiosk and extra.
func (e *env) enrol(id, court string, extra ...wire.Capability) *kioskClient {
	e.t.Helper()
	return e.enrolWith(id, e.token(court), extra...)
}

// enrolWith enrols a kiosk with a token through the API.
func (e *env) enrolWith(id, token string, extra ...wire.Capability) *kioskClient {
	e.t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	req := wire.EnrolRequest{KioskID: id, MessageID: "enrol-1", Token: token, CSR: csrFor(e.t, id, key), SoftwareVersion: "0.3.1",
		Capabilities: append([]wire.Capability{wire.CapBatch, wire.CapFeedStatus, wire.CapFeedConfig, wire.CapTelemetry, wire.CapLongPoll}, extra...)}
	status, body := post(e.t, e.anonymous(), e.http.URL+wire.PathEnrol, &req)
	if status != http.StatusOK {
		e.t.Fatalf("enrol %s = %d %s", id, status, body)
	}
	var resp wire.EnrolResponse
	if err := wire.Unmarshal(body, &resp); err != nil {
		e.t.Fatalf("enrol %s: %v", id, err)
	}
	return e.clientFor(id, key, resp)
}

func (e *env) clientFor(id string, key ed25519.PrivateKey, resp wire.EnrolResponse) *kioskClient {
	certs, err := wire.ParseCertificates(resp.Certificate)
	if err != nil {
		e.t.Fatal(err)
	}
	cas, _ := wire.ParseCertificates(resp.RegistryCA)
	pool := x509.NewCertPool()
	pool.AddCert(cas[0])
	tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool,
		Certificates: []tls.Certificate{{Certificate: [][]byte{certs[0].Raw}, PrivateKey: key}}}}
	return &kioskClient{id: id, key: key, cert: certs[0], client: &http.Client{Timeout: 30 * time.Second, Transport: tr}, base: e.http.URL, enrol: resp}
}

func (k *kioskClient) nextMessage() string { k.msg++; return fmt.Sprintf("%s-m%d", k.id, k.msg) }

// item is request n of kiosk k, its personal data sealed to the registry.
func (e *env) item(k *kioskClient, n int, personal string) wire.RequestItem {
	e.t.Helper()
	id := fmt.Sprintf("%016x%016x", n+1, len(k.id)*7919+n)
	sealed, err := seal.Seal(e.srv.RegistryKey(), id, []byte(personal))
	if err != nil {
		e.t.Fatal(err)
	}
	g := tracking.NewGenerator(k.id, func() time.Time { return t0 }, bytes.NewReader(bytes.Repeat([]byte{byte(n)}, 64)))
	return wire.NewRequestItem(request.Request{ID: id, Tracking: g.Next(), Service: "bulletin3", Court: k.enrol.Court, Fee: 2000, Currency: "MAD", PackVersion: 3, CreatedAt: t0.Add(-time.Minute)}, sealed)
}

func post(t testing.TB, c *http.Client, url string, m any) (int, []byte) {
	t.Helper()
	var body []byte
	switch v := m.(type) {
	case []byte:
		body = v
	default:
		var err error
		if body, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", wire.ContentType)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func get(t testing.TB, c *http.Client, url string) (int, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// send posts a batch and decodes the answer.
func (k *kioskClient) send(t testing.TB, items ...wire.RequestItem) wire.BatchResponse {
	t.Helper()
	b := wire.RequestBatch{KioskID: k.id, MessageID: k.nextMessage(), Items: items}
	status, body := post(t, k.client, k.base+wire.PathRequests, &b)
	if status != http.StatusOK {
		t.Fatalf("POST %s = %d %s", wire.PathRequests, status, body)
	}
	var resp wire.BatchResponse
	if err := wire.Unmarshal(body, &resp); err != nil {
		t.Fatalf("batch response: %v\n%s", err, body)
	}
	if !resp.Matches(b) {
		t.Fatalf("batch response does not match the batch: %+v", resp)
	}
	return resp
}

// problemOf decodes a problem answer.
func problemOf(t testing.TB, body []byte) wire.Problem {
	t.Helper()
	var p wire.Problem
	if err := wire.Unmarshal(body, &p); err != nil {
		t.Fatalf("not a problem: %v\n%s", err, body)
	}
	return p
}

// person sends a clerk's or operator's request with Basic auth.
func (e *env) person(method, path, name, password string, body any) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.http.URL+path, rd)
	if name != "" {
		req.SetBasicAuth(name, password)
	}
	req.Header.Set("Content-Type", wire.ContentType)
	resp, err := e.anonymous().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *env) stored() int {
	e.t.Helper()
	n := 0
	f := store.Filter{Limit: 1000}
	for {
		rs, err := e.srv.Store().Requests(context.Background(), f)
		if err != nil {
			e.t.Fatal(err)
		}
		n += len(rs)
		if len(rs) < f.Limit {
			return n
		}
		f.After = &rs[len(rs)-1]
	}
}

func sha(s string) wire.Hash { return sha256.Sum256([]byte(s)) }
