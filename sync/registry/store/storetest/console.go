package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/sync/registry/store"
)

// The web console's records: sessions, failed sign-ins, signing keys and
// issued extracts.

func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(secret, account string, created time.Time, life time.Duration) store.ConsoleSession {
		return store.ConsoleSession{Hash: sha256.Sum256([]byte(secret)), Account: account, CSRF: "csrf-" + secret, Addr: "192.0.2.7",
			CreatedAt: created, LastSeen: created, ExpiresAt: created.Add(life)}
	}
	a := mk("s-nadia", "clerk.nadia", T0, 12*time.Hour)
	if err := s.CreateSession(ctx, a); err != nil {
		t.Fatalf("CreateSession() = %v", err)
	}
	if err := s.CreateSession(ctx, a); !errors.Is(err, store.ErrExists) {
		t.Errorf("CreateSession(same hash) = %v, want ErrExists", err)
	}
	got, err := s.Session(ctx, a.Hash)
	if diff := cmp.Diff(a, got); err != nil || diff != "" {
		t.Errorf("Session() = %v (-want +got):\n%s", err, diff)
	}
	if _, err := s.Session(ctx, sha256.Sum256([]byte("nobody"))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(unknown) = %v, want ErrNotFound", err)
	}
	seen := T0.Add(20 * time.Minute)
	if err := s.TouchSession(ctx, a.Hash, seen); err != nil {
		t.Fatalf("TouchSession() = %v", err)
	}
	if got, err := s.Session(ctx, a.Hash); err != nil || !got.LastSeen.Equal(seen) || !got.CreatedAt.Equal(T0) {
		t.Errorf("Session() after touch = %+v, %v, want LastSeen %v", got, err, seen)
	}
	if err := s.TouchSession(ctx, sha256.Sum256([]byte("nobody")), seen); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchSession(unknown) = %v, want ErrNotFound", err)
	}

	idle := mk("s-idle", "ops.amina", T0, 12*time.Hour)       // last seen at T0
	ended := mk("s-ended", "viewer.omar", T0, 30*time.Minute) // ends at T0+30m
	for _, x := range []store.ConsoleSession{idle, ended} {
		if err := s.CreateSession(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	// At T0+40m with a 30-minute idle limit: idle and ended go, a stays.
	n, err := s.PurgeSessions(ctx, T0.Add(40*time.Minute), T0.Add(10*time.Minute))
	if err != nil || n != 2 {
		t.Errorf("PurgeSessions() = %d, %v, want 2", n, err)
	}
	for _, x := range []store.ConsoleSession{idle, ended} {
		if _, err := s.Session(ctx, x.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Session(%s) after purge = %v, want ErrNotFound", x.Account, err)
		}
	}
	if _, err := s.Session(ctx, a.Hash); err != nil {
		t.Errorf("Session(active) after purge = %v", err)
	}
	if err := s.DeleteSession(ctx, a.Hash); err != nil {
		t.Errorf("DeleteSession() = %v", err)
	}
	if err := s.DeleteSession(ctx, a.Hash); err != nil {
		t.Errorf("DeleteSession(again) = %v, want nil", err)
	}
	if _, err := s.Session(ctx, a.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session() after delete = %v, want ErrNotFound", err)
	}
}

func testLoginFailures(t *testing.T, s store.Store) {
	ctx := context.Background()
	const acc, acc2, addr = "account:clerk.nadia", "account:clerk.nadia2", "addr:192.0.2.7"
	for i := range 4 {
		at := T0.Add(time.Duration(i) * time.Minute)
		for _, k := range []string{acc, addr} {
			if err := s.AddLoginFailure(ctx, k, at); err != nil {
				t.Fatalf("AddLoginFailure() = %v", err)
			}
		}
	}
	// Two failures at the same instant both count.
	if err := s.AddLoginFailure(ctx, acc, T0.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddLoginFailure(ctx, acc2, T0); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoginFailures(ctx, acc, T0.Add(time.Minute))
	want := []time.Time{T0.Add(time.Minute), T0.Add(2 * time.Minute), T0.Add(3 * time.Minute), T0.Add(3 * time.Minute)}
	if diff := cmp.Diff(want, got); err != nil || diff != "" {
		t.Errorf("LoginFailures(since 1m) = %v (-want +got):\n%s", err, diff)
	}
	if got, err := s.LoginFailures(ctx, "account:nobody", T0); err != nil || len(got) != 0 {
		t.Errorf("LoginFailures(unknown) = %v, %v, want none", got, err)
	}
	if err := s.ClearLoginFailures(ctx, acc); err != nil {
		t.Fatalf("ClearLoginFailures() = %v", err)
	}
	if got, _ := s.LoginFailures(ctx, acc, T0); len(got) != 0 {
		t.Errorf("LoginFailures() after clear = %v, want none", got)
	}
	if got, _ := s.LoginFailures(ctx, acc2, T0); len(got) != 1 {
		t.Errorf("LoginFailures(%s) after clearing %s = %v, want 1 (a key is not a prefix)", acc2, acc, got)
	}
	if got, _ := s.LoginFailures(ctx, addr, T0); len(got) != 4 {
		t.Errorf("LoginFailures(addr) after clearing the account = %v, want 4", got)
	}
	n, err := s.PurgeLoginFailures(ctx, T0.Add(2*time.Minute))
	if err != nil || n != 3 { // addr at 0 and 1 minute, acc2 at 0
		t.Errorf("PurgeLoginFailures() = %d, %v, want 3", n, err)
	}
	if got, _ := s.LoginFailures(ctx, addr, T0); len(got) != 2 || !got[0].Equal(T0.Add(2*time.Minute)) {
		t.Errorf("LoginFailures(addr) after purge = %v, want 2m and 3m", got)
	}
}

// SigningKey returns a signing key record for account (its key material
// is a placeholder: stores keep it opaque).
func SigningKey(id, account string, role store.Role) store.SigningKey {
	return store.SigningKey{ID: id, Account: account, Role: role, Court: "tpi-casablanca", NameLatin: "Nadia Benjelloun", NameArabic: "نادية بنجلون",
		Public: []byte("public-" + id), Sealed: []byte("sealed-" + id), CreatedAt: T0}
}

func testSigningKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	if ks, err := s.SigningKeys(ctx); err != nil || len(ks) != 0 {
		t.Errorf("SigningKeys(empty) = %v, %v", ks, err)
	}
	clerk := SigningKey("clerk.nadia.1a2b3c4d", "clerk.nadia", store.RoleClerk)
	pros := SigningKey("proc.youssef.9f8e7d6c", "proc.youssef", store.RoleProsecutor)
	pros.NameLatin, pros.NameArabic = "Youssef Alaoui", ""
	for _, k := range []store.SigningKey{pros, clerk} {
		if err := s.PutSigningKey(ctx, k); err != nil {
			t.Fatalf("PutSigningKey(%s) = %v", k.ID, err)
		}
	}
	if err := s.PutSigningKey(ctx, clerk); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutSigningKey(same id) = %v, want ErrExists", err)
	}
	got, err := s.SigningKey(ctx, clerk.ID)
	if diff := cmp.Diff(clerk, got); err != nil || diff != "" {
		t.Errorf("SigningKey() = %v (-want +got):\n%s", err, diff)
	}
	if _, err := s.SigningKey(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SigningKey(unknown) = %v, want ErrNotFound", err)
	}
	at := T0.Add(48 * time.Hour)
	if err := s.RetireSigningKey(ctx, clerk.ID, at); err != nil {
		t.Fatalf("RetireSigningKey() = %v", err)
	}
	if err := s.RetireSigningKey(ctx, clerk.ID, at.Add(time.Hour)); err != nil {
		t.Fatalf("RetireSigningKey(again) = %v", err)
	}
	if err := s.RetireSigningKey(ctx, "nobody", at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RetireSigningKey(unknown) = %v, want ErrNotFound", err)
	}
	clerk.RetiredAt = at // the first retirement stands
	all, err := s.SigningKeys(ctx)
	if diff := cmp.Diff([]store.SigningKey{clerk, pros}, all); err != nil || diff != "" {
		t.Errorf("SigningKeys() = %v (-want +got):\n%s", err, diff)
	}
}

// IssuedExtract returns an extract record numbered n for request n of
// kioskID.
func IssuedExtract(kioskID string, n int, at time.Time) store.IssuedExtract {
	it := Item(kioskID, n, "sealed")
	return store.IssuedExtract{
		Number: fmt.Sprintf("B3/2026/%06d", n), KioskID: kioskID, RequestID: it.RequestID, Tracking: string(it.Tracking), Court: it.Court,
		IssuedAt: at, IssuedBy: "clerk.nadia", Prosecutor: "proc.youssef", Fragment: "MFRGGZDFMZTWQ2LK", Document: []byte(`{"number":"clerk-signed"}`),
	}
}

func testExtracts(t *testing.T, s store.Store) {
	ctx := context.Background()
	var serials []uint64
	for range 3 {
		n, err := s.NextExtractSerial(ctx)
		if err != nil {
			t.Fatalf("NextExtractSerial() = %v", err)
		}
		serials = append(serials, n)
	}
	if !slices.IsSorted(serials) || serials[0] == serials[1] || serials[1] == serials[2] || serials[0] == 0 {
		t.Errorf("NextExtractSerial() ×3 = %v, want increasing from at least 1", serials)
	}

	a := IssuedExtract("ma-casa-01", 1, T0)
	b := IssuedExtract("ma-casa-01", 2, T0.Add(time.Hour))
	c := IssuedExtract("ma-rabat-01", 3, T0.Add(2*time.Hour))
	c.Court, c.Prosecutor = "tpi-rabat", "proc.karim"
	for _, x := range []store.IssuedExtract{a, b, c} {
		if err := s.PutExtract(ctx, x); err != nil {
			t.Fatalf("PutExtract(%s) = %v", x.Number, err)
		}
	}
	again := a
	again.KioskID, again.RequestID = "ma-casa-02", "other"
	if err := s.PutExtract(ctx, again); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutExtract(same number) = %v, want ErrExists", err)
	}
	second := a
	second.Number = "B3/2026/000099"
	if err := s.PutExtract(ctx, second); !errors.Is(err, store.ErrExists) {
		t.Errorf("PutExtract(second extract for a request) = %v, want ErrExists", err)
	}
	if _, err := s.Extract(ctx, second.Number); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Extract(refused second) = %v, want ErrNotFound", err)
	}

	got, err := s.Extract(ctx, a.Number)
	if diff := cmp.Diff(a, got); err != nil || diff != "" {
		t.Errorf("Extract() = %v (-want +got):\n%s", err, diff)
	}
	got, err = s.ExtractOf(ctx, b.KioskID, b.RequestID)
	if diff := cmp.Diff(b, got); err != nil || diff != "" {
		t.Errorf("ExtractOf() = %v (-want +got):\n%s", err, diff)
	}
	if _, err := s.ExtractOf(ctx, "ma-casa-01", "nothing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ExtractOf(unknown) = %v, want ErrNotFound", err)
	}

	signed := []byte(`{"number":"both-signed"}`)
	endorsed, err := s.Endorse(ctx, b.Number, signed, T0.Add(90*time.Minute))
	wantB := b
	wantB.EndorsedAt, wantB.Document = T0.Add(90*time.Minute), signed
	if diff := cmp.Diff(wantB, endorsed); err != nil || diff != "" {
		t.Errorf("Endorse() = %v (-want +got):\n%s", err, diff)
	}
	if _, err := s.Endorse(ctx, b.Number, []byte(`{}`), T0.Add(2*time.Hour)); !errors.Is(err, store.ErrExists) {
		t.Errorf("Endorse(again) = %v, want ErrExists", err)
	}
	if _, err := s.Endorse(ctx, "B3/2026/424242", signed, T0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Endorse(unknown) = %v, want ErrNotFound", err)
	}
	if got, _ := s.Extract(ctx, b.Number); !got.Endorsed() || string(got.Document) != string(signed) {
		t.Errorf("Extract() after Endorse = %+v, want endorsed with both signatures", got)
	}

	numbers := func(xs []store.IssuedExtract) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x.Number)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    store.ExtractFilter
		want []string
	}{
		{"all, newest first", store.ExtractFilter{}, []string{c.Number, b.Number, a.Number}},
		{"court", store.ExtractFilter{Court: "tpi-casablanca"}, []string{b.Number, a.Number}},
		{"pending", store.ExtractFilter{Pending: true}, []string{c.Number, a.Number}},
		{"prosecutor pending", store.ExtractFilter{Prosecutor: "proc.youssef", Pending: true}, []string{a.Number}},
		{"tracking", store.ExtractFilter{Tracking: b.Tracking}, []string{b.Number}},
		{"limit", store.ExtractFilter{Limit: 1}, []string{c.Number}},
		{"none", store.ExtractFilter{Court: "tpi-fes"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Extracts(ctx, tt.f)
			if diff := cmp.Diff(tt.want, numbers(got)); err != nil || diff != "" {
				t.Errorf("Extracts(%+v) = %v (-want +got):\n%s", tt.f, err, diff)
			}
		})
	}
}

// testExtractsConcurrent endorses one extract from several goroutines:
// exactly one wins.
func testExtractsConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	x := IssuedExtract("ma-casa-01", 7, T0)
	if err := s.PutExtract(ctx, x); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Endorse(ctx, x.Number, []byte(fmt.Sprintf(`{"by":%d}`, i)), T0.Add(time.Duration(i+1)*time.Minute))
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrExists):
			t.Errorf("Endorse(%d) = %v, want nil or ErrExists", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent endorsements succeeded, want exactly 1", won)
	}
}
