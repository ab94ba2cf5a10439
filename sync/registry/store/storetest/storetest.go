// Package storetest is the conformance suite every store.Store
// implementation runs: the same tests against bbolt and PostgreSQL, so that
// the registry behaves alike on either.
package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Open returns a fresh, empty store for one test; the suite closes it.
type Open func(t *testing.T) store.Store

// T0 is the suite's clock origin.
var T0 = time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)

// Run runs the whole suite, each test on a fresh store.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"Enrol", testEnrol},
		{"Reenrol", testReenrol},
		{"Certificates", testCertificates},
		{"IngestIdempotent", testIngestIdempotent},
		{"IngestPerKiosk", testIngestPerKiosk},
		{"IngestConcurrentReplays", testIngestConcurrent},
		{"IngestUnknownKiosk", testIngestUnknownKiosk},
		{"SetStatus", testSetStatus},
		{"FeedConcurrentWriters", testFeedConcurrent},
		{"Requests", testRequests},
		{"Telemetry", testTelemetry},
		{"Accounts", testAccounts},
		{"Audit", testAudit},
		{"Sessions", testSessions},
		{"LoginFailures", testLoginFailures},
		{"SigningKeys", testSigningKeys},
		{"Extracts", testExtracts},
		{"ExtractsConcurrentEndorse", testExtractsConcurrent},
		{"Documents", testDocuments},
		{"Fines", testFines},
		{"FinesConcurrentPayments", testFinesConcurrent},
		{"Rollouts", testRollouts},
		{"Diagnostics", testDiagnostics},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
			})
			tt.f(t, s)
		})
	}
}

// TokenHash is how the registry keys a token text.
func TokenHash(text string) wire.Hash { return sha256.Sum256([]byte(text)) }

// NewToken records a token for court "tpi-casablanca", pack "ma" v3,
// valid a day from T0.
func NewToken(t testing.TB, s store.Store, text string) store.Token {
	t.Helper()
	tok := store.Token{
		Hash: TokenHash(text), Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3,
		IssuedBy: "ops.amina", IssuedAt: T0, ExpiresAt: T0.Add(24 * time.Hour),
	}
	if err := s.CreateToken(context.Background(), tok); err != nil {
		t.Fatalf("CreateToken() = %v", err)
	}
	return tok
}

// Enrol enrols kioskID with a fresh token and a certificate whose serial is
// kioskID+"-1".
func Enrol(t testing.TB, s store.Store, kioskID string) store.Kiosk {
	t.Helper()
	NewToken(t, s, "token-for-"+kioskID)
	k, err := s.Enrol(context.Background(), store.Enrolment{
		TokenHash: TokenHash("token-for-" + kioskID), KioskID: kioskID, SoftwareVersion: "0.3.1",
		Capabilities: []wire.Capability{wire.CapBatch, wire.CapFeedStatus},
		Certificate:  Cert(kioskID, kioskID+"-1"), At: T0.Add(time.Minute),
	})
	if err != nil {
		t.Fatalf("Enrol(%s) = %v", kioskID, err)
	}
	return k
}

// Cert is a certificate record (its DER is a placeholder: stores keep it
// opaque).
func Cert(kioskID, serial string) store.Certificate {
	return store.Certificate{Serial: serial, KioskID: kioskID, NotBefore: T0, NotAfter: T0.Add(7 * 24 * time.Hour), DER: []byte("der:" + serial)}
}

// Item returns a valid request item number n of kioskID with the given
// sealed bytes.
func Item(kioskID string, n int, sealed string) wire.RequestItem {
	id := fmt.Sprintf("%032x", sha256.Sum256([]byte(fmt.Sprintf("%s/%d", kioskID, n))))[:32]
	g := tracking.NewGenerator(kioskID, func() time.Time { return T0 }, bytes.NewReader(bytes.Repeat([]byte{byte(n)}, 64)))
	return wire.NewRequestItem(request.Request{
		ID: id, Tracking: g.Next(), Service: "bulletin3", Court: "tpi-casablanca", Fee: 2000, Currency: "MAD",
		PackVersion: 3, CreatedAt: T0.Add(time.Duration(n) * time.Second),
	}, []byte(sealed))
}

func testEnrol(t *testing.T, s store.Store) {
	ctx := context.Background()
	NewToken(t, s, "tok-casa-0001")
	if err := s.CreateToken(ctx, store.Token{Hash: TokenHash("tok-casa-0001"), ExpiresAt: T0}); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateToken(same hash) = %v, want ErrExists", err)
	}
	bound := NewToken(t, s, "tok-bound")
	bound.Hash, bound.KioskID = TokenHash("tok-bound-2"), "ma-rabat-01"
	if err := s.CreateToken(ctx, bound); err != nil {
		t.Fatal(err)
	}
	enrol := func(token, kiosk string, at time.Time) (store.Kiosk, error) {
		return s.Enrol(ctx, store.Enrolment{TokenHash: TokenHash(token), KioskID: kiosk, SoftwareVersion: "0.3.1", Certificate: Cert(kiosk, kiosk+"-"+token), At: at})
	}
	k, err := enrol("tok-casa-0001", "ma-casa-01", T0.Add(time.Hour))
	if err != nil {
		t.Fatalf("Enrol() = %v", err)
	}
	want := store.Kiosk{ID: "ma-casa-01", Serial: "MA-000001", Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3,
		SoftwareVersion: "0.3.1", EnrolledAt: T0.Add(time.Hour), LastSeen: T0.Add(time.Hour)}
	if diff := cmp.Diff(want, k); diff != "" {
		t.Errorf("Enrol() kiosk (-want +got):\n%s", diff)
	}
	got, err := s.Kiosk(ctx, "ma-casa-01")
	if err != nil || !cmp.Equal(got, k) {
		t.Errorf("Kiosk() = %+v, %v, want %+v", got, err, k)
	}
	tok, err := s.Token(ctx, TokenHash("tok-casa-0001"))
	if err != nil || tok.UsedBy != "ma-casa-01" || !tok.UsedAt.Equal(T0.Add(time.Hour)) || tok.IssuedBy != "ops.amina" {
		t.Errorf("Token() after use = %+v, %v", tok, err)
	}
	for _, tt := range []struct {
		name, token, kiosk string
		at                 time.Time
		want               error
	}{
		{"reused", "tok-casa-0001", "ma-casa-02", T0.Add(2 * time.Hour), store.ErrTokenUsed},
		{"unknown", "tok-nobody", "ma-casa-02", T0, store.ErrTokenUnknown},
		{"expired", "tok-bound", "ma-casa-02", T0.Add(24 * time.Hour), store.ErrTokenExpired},
		{"other kiosk", "tok-bound-2", "ma-casa-02", T0, store.ErrTokenKiosk},
	} {
		if _, err := enrol(tt.token, tt.kiosk, tt.at); !errors.Is(err, tt.want) {
			t.Errorf("Enrol(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
	if _, err := s.Kiosk(ctx, "ma-casa-02"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Kiosk(refused enrolment) = %v, want ErrNotFound", err)
	}
	k2, err := enrol("tok-bound-2", "ma-rabat-01", T0)
	if err != nil || k2.Serial != "MA-000002" {
		t.Errorf("Enrol(second kiosk) = %+v, %v, want serial MA-000002", k2, err)
	}
	if _, err := s.Token(ctx, TokenHash("tok-nobody")); !errors.Is(err, store.ErrTokenUnknown) {
		t.Errorf("Token(unknown) = %v, want ErrTokenUnknown", err)
	}
}

func testReenrol(t *testing.T, s store.Store) {
	ctx := context.Background()
	k := Enrol(t, s, "ma-fes-01")
	if _, err := s.AppendChange(ctx, k.ID, configChange(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeKiosk(ctx, k.ID, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	NewToken(t, s, "tok-replacement-board")
	k2, err := s.Enrol(ctx, store.Enrolment{TokenHash: TokenHash("tok-replacement-board"), KioskID: k.ID, SoftwareVersion: "0.4.0",
		Certificate: Cert(k.ID, "new-serial"), At: T0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatalf("Enrol(again) = %v", err)
	}
	if k2.Serial != k.Serial || k2.FeedHead != 1 || !k2.RevokedAt.IsZero() || k2.SoftwareVersion != "0.4.0" {
		t.Errorf("Enrol(again) = %+v, want serial %s kept, feed head 1, not revoked", k2, k.Serial)
	}
	old, err := s.Certificate(ctx, k.ID+"-1")
	if err != nil || old.RevokedAt.IsZero() {
		t.Errorf("Certificate(old) = %+v, %v, want revoked", old, err)
	}
	if c, err := s.Certificate(ctx, "new-serial"); err != nil || !c.RevokedAt.IsZero() {
		t.Errorf("Certificate(new) = %+v, %v, want valid", c, err)
	}
}

func testCertificates(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrol(t, s, "ma-oujda-01")
	c, err := s.Certificate(ctx, "ma-oujda-01-1")
	if diff := cmp.Diff(Cert("ma-oujda-01", "ma-oujda-01-1"), c); err != nil || diff != "" {
		t.Errorf("Certificate() = %v (-want +got):\n%s", err, diff)
	}
	if err := s.AddCertificate(ctx, Cert("ma-oujda-01", "renewed")); err != nil {
		t.Errorf("AddCertificate() = %v", err)
	}
	if err := s.AddCertificate(ctx, Cert("ma-oujda-01", "renewed")); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddCertificate(same serial) = %v, want ErrExists", err)
	}
	if err := s.AddCertificate(ctx, Cert("ma-nowhere", "x")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddCertificate(unknown kiosk) = %v, want ErrNotFound", err)
	}
	if _, err := s.Certificate(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Certificate(unknown) = %v, want ErrNotFound", err)
	}
	at := T0.Add(3 * time.Hour)
	if err := s.RevokeKiosk(ctx, "ma-oujda-01", at); err != nil {
		t.Fatalf("RevokeKiosk() = %v", err)
	}
	for _, serial := range []string{"ma-oujda-01-1", "renewed"} {
		if c, err := s.Certificate(ctx, serial); err != nil || !c.RevokedAt.Equal(at) {
			t.Errorf("Certificate(%s) after revocation = %+v, %v, want revoked at %s", serial, c, err, at)
		}
	}
	if k, err := s.Kiosk(ctx, "ma-oujda-01"); err != nil || !k.RevokedAt.Equal(at) {
		t.Errorf("Kiosk() after revocation = %+v, %v", k, err)
	}
	if err := s.AddCertificate(ctx, Cert("ma-oujda-01", "after")); !errors.Is(err, store.ErrKioskRevoked) {
		t.Errorf("AddCertificate(revoked kiosk) = %v, want ErrKioskRevoked", err)
	}
	if err := s.RevokeKiosk(ctx, "ma-nowhere", at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeKiosk(unknown) = %v, want ErrNotFound", err)
	}
}

func testIngestIdempotent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const kiosk = "ma-casa-01"
	Enrol(t, s, kiosk)
	a, b := Item(kiosk, 1, "sealed-a"), Item(kiosk, 2, "sealed-b")
	t1, t2 := T0.Add(time.Hour), T0.Add(2*time.Hour)
	got, err := s.Ingest(ctx, kiosk, []wire.RequestItem{a, b}, t1)
	if err != nil {
		t.Fatalf("Ingest() = %v", err)
	}
	want := []wire.ItemResult{store.Accepted(a, t1), store.Accepted(b, t1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Ingest(first) (-want +got):\n%s", diff)
	}
	// Move a on, so the duplicate's original answer carries the state.
	if _, _, err := s.SetStatus(ctx, store.StatusUpdate{KioskID: kiosk, RequestID: a.RequestID, To: request.InProcessing, At: t1.Add(time.Minute), Actor: "clerk.youssef"}); err != nil {
		t.Fatal(err)
	}
	other := Item(kiosk, 1, "sealed-a-but-different")
	c := Item(kiosk, 3, "sealed-c")
	got, err = s.Ingest(ctx, kiosk, []wire.RequestItem{a, other, c}, t2)
	if err != nil {
		t.Fatalf("Ingest(replay) = %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("Ingest(replay) = %d results, want 3", len(got))
	}
	dup := wire.ItemResult{RequestID: a.RequestID, Outcome: wire.Duplicate, BodyHash: a.BodyHash, ReceivedAt: t1, State: request.InProcessing}
	if diff := cmp.Diff(dup, got[0]); diff != "" {
		t.Errorf("Ingest(same body) (-want +got):\n%s", diff)
	}
	if got[1].Outcome != wire.Conflict || got[1].BodyHash != a.BodyHash || !got[1].ReceivedAt.Equal(t1) || got[1].Code != wire.RejectConflict {
		t.Errorf("Ingest(other body) = %+v, want a conflict naming the first body", got[1])
	}
	if err := got[1].Validate(); err != nil {
		t.Errorf("conflict result: %v", err)
	}
	if diff := cmp.Diff(store.Accepted(c, t2), got[2]); diff != "" {
		t.Errorf("Ingest(new in replayed batch) (-want +got):\n%s", diff)
	}
	stored, err := s.Request(ctx, kiosk, a.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if string(stored.Sealed) != "sealed-a" || stored.BodyHash != a.BodyHash || !stored.ReceivedAt.Equal(t1) {
		t.Errorf("Request() after conflict = sealed %q hash %s, want the first body kept", stored.Sealed, stored.BodyHash)
	}
	if diff := cmp.Diff(a, stored.RequestItem); diff != "" {
		t.Errorf("Request() item (-want +got):\n%s", diff)
	}
	alerts, err := s.Alerts(ctx, 10)
	if err != nil || len(alerts) != 1 || alerts[0].Kind != store.AlertConflict || alerts[0].KioskID != kiosk || alerts[0].RequestID != a.RequestID {
		t.Errorf("Alerts() = %+v, %v, want one conflict alert", alerts, err)
	}
	all, err := s.Requests(ctx, store.Filter{})
	if err != nil || len(all) != 3 {
		t.Errorf("Requests() = %d, %v, want 3 stored", len(all), err)
	}
}

func testIngestPerKiosk(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrol(t, s, "ma-casa-01")
	Enrol(t, s, "ma-casa-02")
	a := Item("ma-casa-01", 1, "x")
	for _, k := range []string{"ma-casa-01", "ma-casa-02"} {
		got, err := s.Ingest(ctx, k, []wire.RequestItem{a}, T0)
		if err != nil || len(got) != 1 || got[0].Outcome != wire.Accepted {
			t.Errorf("Ingest(%s, same id) = %+v, %v, want accepted: the key is (kiosk, request id)", k, got, err)
		}
	}
}

func testIngestConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const kiosk, workers = "ma-tanger-01", 8
	Enrol(t, s, kiosk)
	items := []wire.RequestItem{Item(kiosk, 1, "p1"), Item(kiosk, 2, "p2"), Item(kiosk, 3, "p3")}
	var wg sync.WaitGroup
	results := make([][]wire.ItemResult, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := items
			if w%2 == 1 {
				batch = []wire.RequestItem{items[2], items[1], items[0]}
			}
			results[w], errs[w] = s.Ingest(ctx, kiosk, batch, T0.Add(time.Duration(w)*time.Second))
		}()
	}
	wg.Wait()
	accepted := map[string]int{}
	for w := range workers {
		if errs[w] != nil {
			t.Fatalf("Ingest(worker %d) = %v", w, errs[w])
		}
		for _, r := range results[w] {
			switch r.Outcome {
			case wire.Accepted:
				accepted[r.RequestID]++
			case wire.Duplicate:
			default:
				t.Errorf("Ingest(worker %d) %s = %s, want accepted or duplicate", w, r.RequestID, r.Outcome)
			}
		}
	}
	for _, it := range items {
		if accepted[it.RequestID] != 1 {
			t.Errorf("request %s accepted %d times, want exactly once", it.RequestID, accepted[it.RequestID])
		}
	}
	all, err := s.Requests(ctx, store.Filter{})
	if err != nil || len(all) != len(items) {
		t.Errorf("Requests() = %d, %v, want %d", len(all), err, len(items))
	}
}

func testIngestUnknownKiosk(t *testing.T, s store.Store) {
	if _, err := s.Ingest(context.Background(), "ma-ghost", []wire.RequestItem{Item("ma-ghost", 1, "x")}, T0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Ingest(unknown kiosk) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.Changes(context.Background(), "ma-ghost", 0, 10); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Changes(unknown kiosk) = %v, want ErrNotFound", err)
	}
}

func configChange(v uint64) wire.Change {
	return wire.Change{Kind: wire.ChangeConfiguration, At: T0, Settings: &wire.Settings{Version: v, BatchMaxItems: 25}}
}

func testSetStatus(t *testing.T, s store.Store) {
	ctx := context.Background()
	const kiosk = "ma-agadir-01"
	Enrol(t, s, kiosk)
	a, b := Item(kiosk, 1, "a"), Item(kiosk, 2, "b")
	if _, err := s.Ingest(ctx, kiosk, []wire.RequestItem{a, b}, T0); err != nil {
		t.Fatal(err)
	}
	at := func(m int) time.Time { return T0.Add(time.Duration(m) * time.Minute) }
	steps := []struct {
		name    string
		u       store.StatusUpdate
		wantErr bool
	}{
		{"processing", store.StatusUpdate{KioskID: kiosk, RequestID: a.RequestID, To: request.InProcessing, At: at(1), Actor: "clerk.salma"}, false},
		{"skip to delivered", store.StatusUpdate{KioskID: kiosk, RequestID: a.RequestID, To: request.Delivered, At: at(2)}, true},
		{"ready with reason", store.StatusUpdate{KioskID: kiosk, RequestID: a.RequestID, To: request.Ready, Reason: "why", At: at(2)}, true},
		{"ready", store.StatusUpdate{KioskID: kiosk, RequestID: a.RequestID, To: request.Ready, At: at(3), Actor: "clerk.salma"}, false},
		{"reject without reason", store.StatusUpdate{KioskID: kiosk, RequestID: b.RequestID, To: request.Rejected, At: at(4)}, true},
		{"reject", store.StatusUpdate{KioskID: kiosk, RequestID: b.RequestID, To: request.Rejected, Reason: "lieu de naissance incomplet", At: at(5), Actor: "clerk.salma"}, false},
		{"after terminal", store.StatusUpdate{KioskID: kiosk, RequestID: b.RequestID, To: request.InProcessing, At: at(6)}, true},
	}
	var wantFeed []wire.Change
	for _, st := range steps {
		r, ch, err := s.SetStatus(ctx, st.u)
		if st.wantErr {
			if err == nil {
				t.Errorf("SetStatus(%s) = nil, want an error", st.name)
			}
			continue
		}
		if err != nil {
			t.Fatalf("SetStatus(%s) = %v", st.name, err)
		}
		if r.State != st.u.To || r.Reason != st.u.Reason || !r.UpdatedAt.Equal(st.u.At) {
			t.Errorf("SetStatus(%s) request = %s %q %s", st.name, r.State, r.Reason, r.UpdatedAt)
		}
		want := store.StatusChange(r)
		want.Seq = uint64(len(wantFeed) + 1)
		if diff := cmp.Diff(want, ch); diff != "" {
			t.Errorf("SetStatus(%s) change (-want +got):\n%s", st.name, diff)
		}
		wantFeed = append(wantFeed, want)
	}
	if _, _, err := s.SetStatus(ctx, store.StatusUpdate{KioskID: kiosk, RequestID: a.RequestID, To: request.Delivered, At: at(9)}); err != nil {
		t.Errorf("SetStatus(delivered after ready) = %v", err)
	} else {
		wantFeed = wantFeed[:len(wantFeed):len(wantFeed)]
	}
	if _, _, err := s.SetStatus(ctx, store.StatusUpdate{KioskID: kiosk, RequestID: "ffffffffffffffffffffffffffffffff", To: request.Ready, At: at(9)}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetStatus(unknown request) = %v, want ErrNotFound", err)
	}
	if _, _, err := s.SetStatus(ctx, store.StatusUpdate{KioskID: kiosk, RequestID: b.RequestID, To: request.Ready, At: at(9)}); !errors.Is(err, store.ErrIllegalChange) {
		t.Errorf("SetStatus(rejected → ready) = %v, want ErrIllegalChange", err)
	}
	got, head, err := s.Changes(ctx, kiosk, 0, 100)
	if err != nil || head != 4 || len(got) != 4 {
		t.Fatalf("Changes(0) = %d changes, head %d, %v, want 4", len(got), head, err)
	}
	if diff := cmp.Diff(wantFeed, got[:3]); diff != "" {
		t.Errorf("Changes(0) (-want +got):\n%s", diff)
	}
	if got[3].Status.State != request.Delivered {
		t.Errorf("Changes(0)[3] = %+v, want delivered", got[3].Status)
	}
	page, head, err := s.Changes(ctx, kiosk, 1, 2)
	if err != nil || head != 4 || len(page) != 2 || page[0].Seq != 2 || page[1].Seq != 3 {
		t.Errorf("Changes(since 1, limit 2) = %+v, head %d, %v, want 2 and 3", page, head, err)
	}
	none, head, err := s.Changes(ctx, kiosk, 4, 10)
	if err != nil || head != 4 || len(none) != 0 {
		t.Errorf("Changes(since head) = %+v, %d, %v, want none", none, head, err)
	}
	audit, err := s.Audit(ctx, 10)
	if err != nil || len(audit) != 4 || audit[0].Action != "request.delivered" || audit[3].Actor != "clerk.salma" || audit[3].Action != "request.in_processing" {
		t.Errorf("Audit() = %+v, %v, want the four status changes, newest first", audit, err)
	}
	r, err := s.Request(ctx, kiosk, b.RequestID)
	if err != nil || r.State != request.Rejected || r.Reason != "lieu de naissance incomplet" || string(r.Sealed) != "b" {
		t.Errorf("Request(rejected) = %+v, %v", r, err)
	}
}

func testFeedConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const kiosk, workers, each = "ma-meknes-01", 6, 15
	Enrol(t, s, kiosk)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := s.AppendChange(ctx, kiosk, configChange(uint64(w*each+i+1))); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("AppendChange() = %v", err)
	}
	got, head, err := s.Changes(ctx, kiosk, 0, 1000)
	if err != nil || head != workers*each || len(got) != workers*each {
		t.Fatalf("Changes() = %d, head %d, %v, want %d", len(got), head, err, workers*each)
	}
	versions := map[uint64]bool{}
	for i, c := range got {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has seq %d: a gap or a repeat", i, c.Seq)
		}
		versions[c.Settings.Version] = true
	}
	if len(versions) != workers*each {
		t.Errorf("%d distinct changes stored, want %d", len(versions), workers*each)
	}
	if _, err := s.AppendChange(ctx, "ma-ghost", configChange(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AppendChange(unknown kiosk) = %v, want ErrNotFound", err)
	}
	bad := configChange(1)
	bad.Settings.BatchMaxItems = -1
	if _, err := s.AppendChange(ctx, kiosk, bad); err == nil {
		t.Errorf("AppendChange(invalid) = nil, want an error")
	}
	if _, head, _ := s.Changes(ctx, kiosk, 0, 0); head != workers*each {
		t.Errorf("head after a refused change = %d, want %d", head, workers*each)
	}
}

func testRequests(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrol(t, s, "ma-casa-01")
	Enrol(t, s, "ma-rabat-01")
	var all []wire.RequestItem
	for i := range 7 {
		kiosk := []string{"ma-casa-01", "ma-rabat-01"}[i%2]
		it := Item(kiosk, i, fmt.Sprintf("sealed-%d", i))
		if i >= 4 {
			it.Court = "tpi-rabat"
		}
		if i == 2 || i == 6 {
			it.Service = "civil_status"
		}
		it.BodyHash = it.ComputeBodyHash()
		all = append(all, it)
		if _, err := s.Ingest(ctx, kiosk, []wire.RequestItem{it}, T0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.SetStatus(ctx, store.StatusUpdate{KioskID: "ma-rabat-01", RequestID: all[5].RequestID, To: request.InProcessing, At: T0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ids := func(rs []store.Request) string {
		var b strings.Builder
		for _, r := range rs {
			for i, it := range all {
				if it.RequestID == r.RequestID {
					fmt.Fprintf(&b, "%d", i)
				}
			}
			if len(r.Sealed) != 0 {
				b.WriteString("!sealed")
			}
		}
		return b.String()
	}
	casa, err := s.Requests(ctx, store.Filter{Court: "tpi-casablanca"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		f    store.Filter
		want string
	}{
		{"all", store.Filter{}, "0123456"},
		{"court", store.Filter{Court: "tpi-casablanca"}, "0123"},
		{"other court", store.Filter{Court: "tpi-rabat"}, "456"},
		{"prefix of a court is not the court", store.Filter{Court: "tpi-casa"}, ""},
		{"state", store.Filter{Court: "tpi-rabat", State: request.Acknowledged}, "46"},
		{"page", store.Filter{Court: "tpi-casablanca", Limit: 2}, "01"},
		{"next page", store.Filter{Court: "tpi-casablanca", Limit: 2, After: &casa[1]}, "23"},
		{"after the last", store.Filter{Court: "tpi-casablanca", After: &casa[3]}, ""},
		{"service", store.Filter{Service: "civil_status"}, "26"},
		{"court and service", store.Filter{Court: "tpi-casablanca", Service: "bulletin3"}, "013"},
		{"service, state, page", store.Filter{Service: "bulletin3", State: request.Acknowledged, Limit: 2, After: &casa[0]}, "13"},
	} {
		got, err := s.Requests(ctx, tt.f)
		if err != nil || ids(got) != tt.want {
			t.Errorf("Requests(%s) = %q, %v, want %q", tt.name, ids(got), err, tt.want)
		}
	}
	if _, err := s.Request(ctx, "ma-casa-01", all[1].RequestID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Request(other kiosk's id) = %v, want ErrNotFound", err)
	}
}

func testTelemetry(t *testing.T, s store.Store) {
	ctx := context.Background()
	Enrol(t, s, "ma-safi-01")
	tel := wire.Telemetry{
		KioskID: "ma-safi-01", MessageID: "m1", At: T0, SoftwareVersion: "0.5.0", CountryPack: "ma", PackVersion: 3,
		Capabilities: []wire.Capability{wire.CapTelemetry, wire.CapFeedConfig},
		Paper:        []wire.Paper{{Printer: "receipt_printer", Level: wire.PaperLow}},
		QueueDepth:   2, OldestEntryAge: wire.Duration(time.Minute), CertNotAfter: T0.Add(time.Hour),
		AuditHead: wire.AuditHead{Seq: 7, Hash: wire.Hash{1}},
	}
	if err := s.RecordTelemetry(ctx, tel, T0.Add(5*time.Minute)); err != nil {
		t.Fatalf("RecordTelemetry() = %v", err)
	}
	k, err := s.Kiosk(ctx, "ma-safi-01")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&tel, k.Telemetry); diff != "" {
		t.Errorf("Kiosk().Telemetry (-want +got):\n%s", diff)
	}
	if !k.LastSeen.Equal(T0.Add(5*time.Minute)) || k.SoftwareVersion != "0.5.0" || !cmp.Equal(k.Capabilities, tel.Capabilities) {
		t.Errorf("Kiosk() after telemetry = last seen %s, version %s, capabilities %v", k.LastSeen, k.SoftwareVersion, k.Capabilities)
	}
	tel.KioskID = "ma-ghost"
	if err := s.RecordTelemetry(ctx, tel, T0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordTelemetry(unknown kiosk) = %v, want ErrNotFound", err)
	}
	ks, err := s.Kiosks(ctx)
	if err != nil || len(ks) != 1 || ks[0].ID != "ma-safi-01" {
		t.Errorf("Kiosks() = %+v, %v", ks, err)
	}
}

func testAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if as, err := s.Accounts(ctx); err != nil || len(as) != 0 {
		t.Errorf("Accounts(empty) = %v, %v", as, err)
	}
	a := store.Account{Name: "clerk.salma", Role: store.RoleClerk, Court: "tpi-casablanca", PasswordHash: "$argon2id$x", CreatedAt: T0}
	if err := s.PutAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	a.DisabledAt = T0.Add(time.Hour)
	if err := s.PutAccount(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Account(ctx, "clerk.salma")
	if diff := cmp.Diff(a, got); err != nil || diff != "" {
		t.Errorf("Account() = %v (-want +got):\n%s", err, diff)
	}
	if _, err := s.Account(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Account(unknown) = %v, want ErrNotFound", err)
	}
	if as, err := s.Accounts(ctx); err != nil || len(as) != 1 {
		t.Errorf("Accounts() = %v, %v, want 1", as, err)
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 5 {
		if err := s.AddAudit(ctx, store.AuditEntry{At: T0.Add(time.Duration(i) * time.Second), Actor: "ops.amina", Action: "token.issue", Subject: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Audit(ctx, 3)
	if err != nil || len(got) != 3 || got[0].Subject != "4" || got[2].Subject != "2" || !got[0].At.Equal(T0.Add(4*time.Second)) {
		t.Errorf("Audit(3) = %+v, %v, want 4, 3, 2", got, err)
	}
}
