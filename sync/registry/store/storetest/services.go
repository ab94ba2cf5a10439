package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Published documents and radar fines.

func document(name string, version uint64) wire.SignedDocument {
	return wire.SignedDocument{Name: name, Version: version, Issued: T0.Add(time.Duration(version) * time.Hour), KeyID: "mj-ref-2026",
		Payload: []byte(fmt.Sprintf(`{"v":%d}`, version)), Signature: make([]byte, 64)}
}

func testDocuments(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Document(ctx, "professionals"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Document(none) = %v, want ErrNotFound", err)
	}
	if ds, err := s.Documents(ctx); err != nil || len(ds) != 0 {
		t.Fatalf("Documents(empty) = %v, %v", ds, err)
	}
	for _, d := range []wire.SignedDocument{document("professionals", 1), document("signers", 1), document("professionals", 2)} {
		if err := s.PutDocument(ctx, d); err != nil {
			t.Fatalf("PutDocument(%s v%d) = %v", d.Name, d.Version, err)
		}
	}
	for _, v := range []uint64{2, 1} {
		if err := s.PutDocument(ctx, document("professionals", v)); !errors.Is(err, store.ErrExists) {
			t.Errorf("PutDocument(professionals v%d over v2) = %v, want ErrExists", v, err)
		}
	}
	got, err := s.Document(ctx, "professionals")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(document("professionals", 2), got); diff != "" {
		t.Errorf("Document(professionals) (-want +got):\n%s", diff)
	}
	ds, err := s.Documents(ctx)
	if err != nil || len(ds) != 2 || ds[0].Name != "professionals" || ds[0].Version != 2 || ds[1].Name != "signers" {
		t.Errorf("Documents() = %+v, %v; want professionals v2, signers v1", ds, err)
	}
}

// Fine returns a fine for the tests: n-th offence of national.
func Fine(national string, n int) store.Fine {
	return store.Fine{
		Fine: wire.Fine{PVNumber: fmt.Sprintf("%08d-RF-2026", n), Amount: int64(n) * 10000, Currency: "MAD",
			Date: T0.AddDate(0, 0, -n), Place: fmt.Sprintf("A7 PK %d", n), Court: "tpi-settat"},
		NationalNumber: national,
	}
}

func pvs(fs []store.Fine) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.PVNumber)
	}
	return out
}

func testFines(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, err := s.PutFines(ctx, []store.Fine{Fine("BE123456", 1), Fine("BE123456", 3), Fine("BE123456", 2), Fine("JA654321", 4), Fine("", 5)})
	if err != nil || n != 5 {
		t.Fatalf("PutFines = %d, %v; want 5", n, err)
	}
	check := func(national, pv string, want ...string) {
		t.Helper()
		got, err := s.Fines(ctx, national, pv)
		if err != nil {
			t.Fatalf("Fines(%q, %q) = %v", national, pv, err)
		}
		if diff := cmp.Diff(want, pvs(got)); diff != "" {
			t.Errorf("Fines(%q, %q) (-want +got):\n%s", national, pv, diff)
		}
	}
	// Oldest offence first (n = 3 is three days before T0).
	check("BE123456", "", "00000003-RF-2026", "00000002-RF-2026", "00000001-RF-2026")
	check("", "00000005-RF-2026", "00000005-RF-2026")
	check("", "99999999-RF-2026")
	check("XX000000", "")
	check("", "", []string(nil)...)

	pay := store.FinePayment{KioskID: "k1", RequestID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0", Amount: 20000, At: T0}
	f, err := s.PayFine(ctx, "00000002-RF-2026", pay)
	if err != nil || f.Paid == nil || f.Paid.RequestID != pay.RequestID || !f.Paid.At.Equal(T0) {
		t.Fatalf("PayFine = %+v, %v", f, err)
	}
	check("BE123456", "", "00000003-RF-2026", "00000001-RF-2026")
	check("", "00000002-RF-2026")
	// The same request again: nothing changes; another request: refused.
	if _, err := s.PayFine(ctx, "00000002-RF-2026", pay); err != nil {
		t.Errorf("PayFine(same request again) = %v, want nil", err)
	}
	other := pay
	other.RequestID = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	if _, err := s.PayFine(ctx, "00000002-RF-2026", other); !errors.Is(err, store.ErrExists) {
		t.Errorf("PayFine(another request) = %v, want ErrExists", err)
	}
	if _, err := s.PayFine(ctx, "99999999-RF-2026", pay); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PayFine(unknown) = %v, want ErrNotFound", err)
	}
	// A new file from the authority does not unpay a fine, and moves an
	// unpaid one to its corrected owner.
	moved := Fine("JA654321", 1)
	if n, err := s.PutFines(ctx, []store.Fine{Fine("BE123456", 2), moved}); err != nil || n != 1 {
		t.Errorf("PutFines(again) = %d, %v; want 1 (the paid one left as it is)", n, err)
	}
	check("BE123456", "", "00000003-RF-2026")
	check("JA654321", "", "00000004-RF-2026", "00000001-RF-2026")
	check("", "00000002-RF-2026")
}

// testFinesConcurrent: two kiosks paying the same fine at once; one wins.
func testFinesConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.PutFines(ctx, []store.Fine{Fine("BE123456", 7)}); err != nil {
		t.Fatal(err)
	}
	const payers = 8
	var wg sync.WaitGroup
	errs := make([]error, payers)
	for i := range payers {
		wg.Go(func() {
			_, errs[i] = s.PayFine(ctx, "00000007-RF-2026", store.FinePayment{KioskID: fmt.Sprintf("k%d", i), RequestID: fmt.Sprintf("%032x", i+1), Amount: 70000, At: T0})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrExists):
			t.Errorf("payer %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d payments accepted, want 1", won)
	}
}

// Rollout returns a rollout for the tests.
func Rollout(id string) store.Rollout {
	return store.Rollout{ID: id, Version: "1.4.2", Revision: 1, Stages: []store.RolloutStage{{Name: "pilot", Kiosks: []string{"k1"}}, {Name: "all", Percent: 100}},
		State: store.RolloutRunning, FailureThreshold: 0.05, CreatedBy: "ops", CreatedAt: T0, UpdatedAt: T0, Offered: map[string]int{}}
}

func testRollouts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Rollout(ctx, "r1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Rollout(none) = %v, want ErrNotFound", err)
	}
	r := Rollout("r1")
	if err := s.PutRollout(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := s.PutRollout(ctx, r); !errors.Is(err, store.ErrStale) {
		t.Errorf("PutRollout(a second new r1) = %v, want ErrStale", err)
	}
	r.Revision, r.Offered["k1"] = 2, 0
	if err := s.PutRollout(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Rollout(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, got); diff != "" {
		t.Errorf("Rollout (-want +got):\n%s", diff)
	}
	later := Rollout("r2")
	later.CreatedAt = T0.Add(time.Hour)
	if err := s.PutRollout(ctx, later); err != nil {
		t.Fatal(err)
	}
	rs, err := s.Rollouts(ctx)
	if err != nil || len(rs) != 2 || rs[0].ID != "r2" {
		t.Errorf("Rollouts = %d, first %v, %v", len(rs), rs, err)
	}
	// Two writers from the same revision: one wins.
	const writers = 8
	var wg sync.WaitGroup
	won := make(chan int, writers)
	for i := range writers {
		wg.Go(func() {
			w := r
			w.Revision, w.Stage = 3, i
			if err := s.PutRollout(ctx, w); err == nil {
				won <- i
			} else if !errors.Is(err, store.ErrStale) {
				t.Errorf("writer %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	close(won)
	if n := len(won); n != 1 {
		t.Errorf("%d writers advanced revision 2, want 1", n)
	}
}

func testDiagnostics(t *testing.T, s store.Store) {
	ctx := context.Background()
	bundle := func(req string) wire.DiagnosticsBundle {
		return wire.DiagnosticsBundle{KioskID: "k1", MessageID: "m-" + req, Request: req, At: T0, SoftwareVersion: "1.4.2", Files: []wire.DiagnosticFile{{Name: "log.txt", Content: "line for " + req}}}
	}
	for i, req := range []string{"d1", "d2", "d3"} {
		if err := s.PutDiagnostics(ctx, store.Diagnostics{KioskID: "k1", Request: req, ReceivedAt: T0.Add(time.Duration(i) * time.Minute), Bundle: bundle(req)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutDiagnostics(ctx, store.Diagnostics{KioskID: "k2", Request: "d1", ReceivedAt: T0, Bundle: bundle("d1")}); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Diagnostics(ctx, "k1", 2)
	if err != nil || len(ds) != 2 || ds[0].Request != "d3" || ds[1].Request != "d2" || ds[0].Bundle.Files[0].Content != "line for d3" {
		t.Fatalf("Diagnostics(k1, 2) = %+v, %v", ds, err)
	}
	// The same request again replaces the bundle.
	again := bundle("d3")
	again.Files[0].Content = "sent again"
	if err := s.PutDiagnostics(ctx, store.Diagnostics{KioskID: "k1", Request: "d3", ReceivedAt: T0.Add(time.Hour), Bundle: again}); err != nil {
		t.Fatal(err)
	}
	ds, _ = s.Diagnostics(ctx, "k1", 0)
	if len(ds) != 3 || ds[0].Bundle.Files[0].Content != "sent again" {
		t.Errorf("after a resend: %+v", ds)
	}
}
