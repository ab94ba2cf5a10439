package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/sync/registry"
	"guichet/sync/registry/registrytest"
	rstore "guichet/sync/registry/store"
	"guichet/sync/wire"
)

const directory = `[{"name_latin":"Maître Amina Berrada","name_arabic":"الأستاذة أمينة برادة","profession":"lawyer","registration":"Barreau de Casablanca n° 4417","city":"casablanca","address":"12, rue Tahar Sebti","languages":["ar","fr"],"status":"active","updated_at":"2026-03-02T09:30:00Z"}]`

// TestReferenceDataPinnedKey: the registry's document key, pinned at
// enrolment and kept across a restart, verifies what it publishes.
func TestReferenceDataPinnedKey(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-tpi-casablanca-05", nil)
	if _, err := e.srv.Publish(ctx, operator, wire.DocProfessionals, []byte(directory), time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Reload the identity from disk, as after a reboot.
	c, err := New(Config{Dir: k.dir, Store: k.st})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PollChanges(ctx, 0); err != nil {
		t.Fatal(err)
	}
	d, err := k.st.Document(store.ChangeReferenceData, wire.DocProfessionals)
	if err != nil {
		t.Fatalf("the directory was not applied: %v", err)
	}
	if string(d.Payload) != directory || d.Version != 1 {
		t.Errorf("stored directory v%d %q", d.Version, d.Payload)
	}
}

func TestLookupFines(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-tpi-casablanca-06", nil)
	if _, err := e.srv.ImportFines(ctx, operator, []rstore.Fine{{Fine: wire.Fine{PVNumber: "00000001-RF-2026", Amount: 30000, Currency: "MAD",
		Date: time.Date(2026, 1, 4, 8, 0, 0, 0, time.UTC), Place: "A7 PK 112"}, NationalNumber: "BE123456"}}); err != nil {
		t.Fatal(err)
	}
	fines, err := k.c.LookupFines(ctx, "BE123456", "")
	if err != nil || len(fines) != 1 || fines[0].Amount != 30000 {
		t.Fatalf("LookupFines = %+v, %v", fines, err)
	}
	if fines, err := k.c.LookupFines(ctx, "", "99999999-RF-2026"); err != nil || len(fines) != 0 {
		t.Errorf("LookupFines(unknown PV) = %+v, %v; want none", fines, err)
	}
	e.faults.Script(wire.PathFines, "500-before")
	if _, err := k.c.LookupFines(ctx, "BE123456", ""); err == nil {
		t.Error("LookupFines through a 500 = nil error")
	}
}

func TestFetchExtract(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-tpi-casablanca-07", nil)
	reqs := submit(t, k.st, 1)
	if _, err := k.c.SendOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := k.st.Request(reqs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := pack.Embedded("ma")
	holder := wire.Holder{NationalNumber: "BE123456", BirthDate: "1990-03-12"}
	base := p.ExtractVerificationBase
	if _, err := k.c.FetchExtract(ctx, r.Tracking, holder, base); !errors.Is(err, ErrNotReady) {
		t.Fatalf("FetchExtract before issue = %v, want ErrNotReady", err)
	}
	rr, err := e.st.Request(ctx, k.id, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	registrytest.IssueSample(t, e.srv, p, clerkName, rr, func(x *extract.Extract) { x.Holder.Mother.Latin = "Someone Else" }, false)
	if _, err := k.c.FetchExtract(ctx, r.Tracking, holder, base); !errors.Is(err, ErrSignature) {
		t.Fatalf("FetchExtract of an altered extract = %v, want ErrSignature", err)
	}
	if _, err := k.c.FetchExtract(ctx, r.Tracking, wire.Holder{NationalNumber: "BE123457", BirthDate: "1990-03-12"}, base); !errors.Is(err, ErrHolderMismatch) {
		t.Fatalf("FetchExtract with another card = %v, want ErrHolderMismatch", err)
	}
	// A registry whose document key the kiosk did not pin: the signers
	// list does not verify.
	c, err := New(Config{Dir: k.dir, Store: k.st, DocumentKeys: map[string]ed25519.PublicKey{}})
	if err != nil {
		t.Fatal(err)
	}
	c.id.DocumentKeys = map[string]ed25519.PublicKey{registry.DocumentKeyID(make([]byte, 32)): make([]byte, 32)}
	if _, err := c.FetchExtract(ctx, r.Tracking, holder, base); !errors.Is(err, ErrSignature) {
		t.Fatalf("FetchExtract without the pinned key = %v, want ErrSignature", err)
	}
}

func TestFetchAndDeliver(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-tpi-casablanca-08", nil)
	reqs := submit(t, k.st, 1)
	if _, err := k.c.SendOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ := k.st.Request(reqs[0].ID)
	p, _ := pack.Embedded("ma")
	rr, err := e.st.Request(ctx, k.id, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	x := registrytest.IssueSample(t, e.srv, p, clerkName, rr, nil, true)
	got, err := k.c.FetchExtract(ctx, r.Tracking, wire.Holder{NationalNumber: "be123456", BirthDate: "1990-03-12"}, p.ExtractVerificationBase)
	if err != nil {
		t.Fatalf("FetchExtract = %v", err)
	}
	if got.Number != x.Number || got.Holder.NationalID != "BE123456" {
		t.Errorf("FetchExtract = %s for %s", got.Number, got.Holder.NationalID)
	}
	// The acknowledgement is lost after the registry committed: the
	// retry is answered the same.
	e.faults.Script(wire.PathDelivered, "drop-after")
	if err := k.c.Delivered(ctx, r.Tracking, time.Now()); err == nil {
		t.Fatal("Delivered with a dropped reply = nil error")
	}
	if err := k.c.Delivered(ctx, r.Tracking, time.Now()); err != nil {
		t.Fatalf("Delivered again = %v", err)
	}
	if _, err := k.c.FetchExtract(ctx, r.Tracking, wire.Holder{NationalNumber: "BE123456", BirthDate: "1990-03-12"}, p.ExtractVerificationBase); !errors.Is(err, ErrDelivered) {
		t.Errorf("FetchExtract after delivery = %v, want ErrDelivered", err)
	}
	for {
		_, more, err := k.c.PollChanges(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	if r2, _ := k.st.Request(r.ID); r2.State != request.Delivered {
		t.Errorf("the kiosk's request is %s after delivery, want delivered", r2.State)
	}
}
