package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
)

var t0 = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// testClock is a clock tests move by hand; safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(t0.UnixNano())
	return c
}
func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// fixture is an open store in t.TempDir() with its registry's private key.
type fixture struct {
	*Store
	path     string
	registry *seal.PrivateKey
	clock    *testClock
}

// openTest opens a store in t.TempDir() and, after the test, closes it and
// checks the file: bbolt's page check, the store's own content checks and the
// audit chain.
func openTest(t testing.TB, mods ...func(*Options)) *fixture {
	t.Helper()
	registry, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := newTestClock()
	opts := Options{RegistryKey: registry.Public(), KioskID: "ma-tpi-casablanca-01", Now: clk.Now}
	for _, m := range mods {
		m(&opts)
	}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
		checkConsistent(t, path)
	})
	return &fixture{Store: s, path: path, registry: registry, clock: clk}
}

// checkConsistent opens a closed database file and fails t on any problem.
func checkConsistent(t testing.TB, path string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("reopen %s for checking: %v", path, err)
		return
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			t.Errorf("tx.Check(%s): %v", filepath.Base(path), err)
		}
		for _, p := range checkContents(tx) {
			t.Errorf("checkContents(%s): %s", filepath.Base(path), p)
		}
		return nil
	})
	if err != nil {
		t.Errorf("check %s: %v", path, err)
	}
	db.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Errorf("Open(%s, read-only) = %v", path, err)
		return
	}
	defer ro.Close()
	r, err := ro.AuditReport()
	if err != nil || !r.OK() {
		t.Errorf("AuditReport(%s) = %v, %v", filepath.Base(path), r.Err(), err)
	}
}

var idCounter atomic.Uint64

// draft returns a bulletin n°3 request draft with a fresh id.
func draft(t testing.TB) request.Request {
	t.Helper()
	id, err := request.NewID(nil)
	if err != nil {
		t.Fatal(err)
	}
	return request.Request{
		ID:          id,
		Service:     "bulletin3",
		Court:       "tpi-casablanca",
		Fee:         2000,
		Currency:    "MAD",
		PackVersion: 3,
	}
}

// personal returns form data for a request, with a recognisable canary.
func personal(canary string) []byte {
	return fmt.Appendf(nil, `{"cin":"BK%06d","father":"Ahmed","mother":"Fatima","birth_place":"Fès","canary":%q}`, idCounter.Add(1), canary)
}

func sum(b []byte) [32]byte { return sha256.Sum256(b) }

func contains(haystack, needle []byte) bool {
	return len(needle) > 0 && bytes.Contains(haystack, needle)
}
