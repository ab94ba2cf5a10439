// Package registrytest helps the tests of the registry's users (the sync
// client, the kiosk) put the registry in the state they need.
package registrytest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/sync/registry"
	"guichet/sync/registry/store"
)

// IssueSample does for a request what its court's clerk and prosecutor do
// in the console: the pack's sample bulletin n°3 (extracttest) for the
// request's tracking number, changed by mod (the holder, say) and signed
// with the sample keys — recorded as the court's signing keys — issued,
// endorsed, and the request moved on to ready by the clerk. sign false
// leaves the signatures of the unchanged sample, as an altered extract.
func IssueSample(tb testing.TB, srv *registry.Server, p *pack.Pack, clerk string, r store.Request, mod func(*extract.Extract), sign bool) *extract.Extract {
	tb.Helper()
	ctx := context.Background()
	st := srv.Store()
	acct, err := st.Account(ctx, clerk)
	if err != nil {
		tb.Fatal(err)
	}
	x, err := extracttest.Sample(p)
	if err != nil {
		tb.Fatal(err)
	}
	x.Tracking = r.Tracking
	if err := extracttest.SignAll(x, p.ExtractVerificationBase); err != nil {
		tb.Fatal(err)
	}
	if mod != nil {
		mod(x)
	}
	if sign {
		if err := extracttest.SignAll(x, p.ExtractVerificationBase); err != nil {
			tb.Fatal(err)
		}
	}
	for id, key := range extracttest.Keys() {
		role := store.RoleClerk
		if key.Role == extract.Prosecutor {
			role = store.RoleProsecutor
		}
		err := st.PutSigningKey(ctx, store.SigningKey{ID: id, Account: id, Role: role, Court: acct.Court, Public: key.Public, Sealed: []byte{1}, CreatedAt: time.Now()})
		if err != nil && !errors.Is(err, store.ErrExists) {
			tb.Fatal(err)
		}
	}
	doc, err := json.Marshal(x)
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.PutExtract(ctx, store.IssuedExtract{Number: x.Number, KioskID: r.KioskID, RequestID: r.RequestID, Tracking: string(r.Tracking),
		Court: x.Court, IssuedAt: x.IssuedAt, IssuedBy: clerk, Prosecutor: "prosecutor", Fragment: "f", Document: doc}); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Endorse(ctx, x.Number, doc, time.Now()); err != nil {
		tb.Fatal(err)
	}
	for _, to := range []request.State{request.InProcessing, request.Ready} {
		if _, err := srv.SetStatus(ctx, acct, r.KioskID, r.RequestID, to, ""); err != nil {
			tb.Fatal(err)
		}
	}
	return x
}
