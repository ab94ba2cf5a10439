package client

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/sync/registry"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/pgstore"
	"guichet/sync/registry/pgstore/pgtest"
	rstore "guichet/sync/registry/store"
	"guichet/sync/wire"
)

const (
	operator     = "ops.amina"
	operatorPass = "correct horse battery"
	clerkName    = "clerk.youssef"
	clerkPass    = "greffe casablanca 2026"
	court        = "tpi-casablanca"
)

// offsetClock is the real clock shifted by an offset tests move: timers
// run in real time, Now jumps (days of certificate life in a moment).
type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return time.AfterFunc(d, f)
}
func (c *offsetClock) Advance(d time.Duration) { c.off.Add(int64(d)) }

// faultHandler wraps the registry's handler with scripted or random
// server-side faults on the kiosk paths: a 500 before the handler runs
// (nothing committed), a 500 or a dropped reply after it ran (committed),
// a 503 with Retry-After.
type faultHandler struct {
	next http.Handler

	mu      sync.Mutex
	script  map[string][]string // path → faults for its next requests, in order
	random  map[string]float64  // fault → probability per kiosk request
	rng     *rand.Rand
	counts  map[string]int // path → requests seen
	applied map[string]int // fault → times applied
	when    map[string][]time.Time
	now     func() time.Time
}

func newFaultHandler(next http.Handler, now func() time.Time) *faultHandler {
	return &faultHandler{next: next, script: map[string][]string{}, random: map[string]float64{},
		rng: rand.New(rand.NewPCG(1, 2)), counts: map[string]int{}, applied: map[string]int{}, when: map[string][]time.Time{}, now: now}
}

// Script queues faults for the next requests on path ("" passes one).
func (h *faultHandler) Script(path string, faults ...string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.script[path] = append(h.script[path], faults...)
}

// SetRandom sets the probability of each fault on every kiosk request.
func (h *faultHandler) SetRandom(p map[string]float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.random = p
}

func (h *faultHandler) count(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[path]
}

func (h *faultHandler) times(path string) []time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Time(nil), h.when[path]...)
}

func (h *faultHandler) pick(path string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[path]++
	h.when[path] = append(h.when[path], h.now())
	if q := h.script[path]; len(q) > 0 {
		h.script[path] = q[1:]
		if q[0] != "" {
			h.applied[q[0]]++
		}
		return q[0]
	}
	switch path {
	case wire.PathRequests, wire.PathChanges, wire.PathTelemetry, wire.PathEnrol, wire.PathRenew:
	default:
		return ""
	}
	r := h.rng.Float64()
	for _, f := range []string{"500-before", "500-after", "drop-after", "503"} {
		if r < h.random[f] {
			h.applied[f]++
			return f
		}
		r -= h.random[f]
	}
	return ""
}

func (h *faultHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := h.pick(r.URL.Path)
	problem := func(status int, code wire.ErrorCode, retry int) {
		p := wire.NewProblem(status, code, http.StatusText(status), "injected by the test")
		if retry > 0 {
			p.WithRetryAfter(time.Duration(retry) * time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(retry))
		}
		w.Header().Set("Content-Type", wire.ProblemContentType)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(p)
	}
	switch f {
	case "":
		h.next.ServeHTTP(w, r)
	case "500-before":
		problem(http.StatusInternalServerError, wire.CodeInternal, 0)
	case "503":
		problem(http.StatusServiceUnavailable, wire.CodeOverloaded, 1)
	case "503-3s":
		problem(http.StatusServiceUnavailable, wire.CodeOverloaded, 3)
	case "500-after":
		h.next.ServeHTTP(httptest.NewRecorder(), r)
		problem(http.StatusInternalServerError, wire.CodeInternal, 0)
	case "drop-after":
		h.next.ServeHTTP(httptest.NewRecorder(), r)
		panic(http.ErrAbortHandler) // the connection is cut without an answer
	default:
		panic("unknown fault " + f)
	}
}

// regEnv is a registry served over TLS on loopback through faultHandler.
type regEnv struct {
	t      testing.TB
	srv    *registry.Server
	st     rstore.Store
	dir    string
	clock  *offsetClock
	faults *faultHandler
	addr   string
	url    string
}

type regOptions struct {
	pg  bool
	cfg func(*registry.Config)
}

func newRegistry(t testing.TB, o regOptions) *regEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	var st rstore.Store
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
	t.Cleanup(func() { st.Close() })
	clk := &offsetClock{}
	if err := registry.Init(ctx, dir, registry.InitOptions{Operator: operator, Password: operatorPass, Store: st, Now: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatalf("registry.Init() = %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := registry.Config{Dir: dir, Store: st, Clock: clk.Now, PollInterval: 50 * time.Millisecond, Addr: "127.0.0.1:0", PublicURL: "https://" + ln.Addr().String()}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	srv, err := registry.New(cfg)
	if err != nil {
		t.Fatalf("registry.New() = %v", err)
	}
	if err := srv.CreateAccount(ctx, operator, registry.NewAccount{Name: clerkName, Role: rstore.RoleClerk, Court: court, Password: clerkPass}); err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer()
	fh := newFaultHandler(hs.Handler, clk.Now)
	hs.Handler = fh
	go hs.ServeTLS(ln, "", "")
	t.Cleanup(func() { hs.Close() })
	return &regEnv{t: t, srv: srv, st: st, dir: dir, clock: clk, faults: fh, addr: ln.Addr().String(), url: "https://" + ln.Addr().String()}
}

// token issues a one-time enrolment token for kioskID.
func (e *regEnv) token(kioskID string) string {
	e.t.Helper()
	tok, err := e.srv.IssueToken(context.Background(), operator, registry.TokenSpec{Court: court, CountryPack: "ma", PackVersion: 3, KioskID: kioskID})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok.Token
}

// enrol enrols a kiosk in dir through url (the registry's or a proxy's).
func (e *regEnv) enrol(t testing.TB, ctx context.Context, dir, kioskID, url string) *Identity {
	t.Helper()
	id, err := Enrol(ctx, EnrolOptions{Dir: dir, RegistryURL: url, KioskID: kioskID, Token: e.token(kioskID), Trust: e.srv.CAPool(), SoftwareVersion: "1.4.0", Attempts: 100})
	if err != nil {
		t.Fatalf("Enrol(%s) = %v", kioskID, err)
	}
	return id
}

// kiosk is an enrolled kiosk with its store and client.
type kiosk struct {
	id  string
	dir string
	st  *store.Store
	c   *Client
}

func openKioskStore(t testing.TB, dir, kioskID string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(dir, "kiosk.db"), store.Options{KioskID: kioskID, LockTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	return st
}

// newKiosk enrols a kiosk and opens its store and client.
func (e *regEnv) newKiosk(t testing.TB, kioskID string, mod func(*Config)) *kiosk {
	t.Helper()
	dir := t.TempDir()
	e.enrol(t, context.Background(), dir, kioskID, e.url)
	st := openKioskStore(t, dir, kioskID)
	t.Cleanup(func() { st.Close() })
	cfg := Config{Dir: dir, Store: st, SoftwareVersion: "1.4.0", RetryMin: 20 * time.Millisecond, RetryMax: 500 * time.Millisecond}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return &kiosk{id: kioskID, dir: dir, st: st, c: c}
}

var personalCounter atomic.Int64

// submit queues n bulletin n°3 requests.
func submit(t testing.TB, st *store.Store, n int) []request.Request {
	t.Helper()
	var out []request.Request
	for range n {
		id, err := request.NewID(nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := st.Submit(context.Background(), request.Request{ID: id, Service: "bulletin3", Court: court, Fee: 2000, Currency: "MAD", PackVersion: 3},
			fmt.Appendf(nil, `{"cin":"BK%06d","father":"Ahmed","mother":"Fatima","birth_place":"Fès"}`, personalCounter.Add(1)))
		if err != nil {
			t.Fatalf("Submit() = %v", err)
		}
		out = append(out, r)
	}
	return out
}

// registryRequests lists every request the registry holds.
func (e *regEnv) registryRequests(t testing.TB) []rstore.Request {
	t.Helper()
	var all []rstore.Request
	f := rstore.Filter{Limit: 1000}
	for {
		rs, err := e.st.Requests(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
		if len(rs) < f.Limit {
			return all
		}
		f.After = &rs[len(rs)-1]
	}
}

// clerk returns the clerk's account.
func (e *regEnv) clerk(t testing.TB) rstore.Account {
	t.Helper()
	a, err := e.st.Account(context.Background(), clerkName)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
