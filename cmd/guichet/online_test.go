package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/kiosk/store"
	"guichet/sync/client"
	"guichet/sync/wire"
)

// applyDirectory puts a professionals document into the store as the
// change feed does.
func applyDirectory(t *testing.T, st *store.Store, seq, version uint64, payload []byte) {
	t.Helper()
	d := &store.Document{Kind: store.ChangeReferenceData, Name: wire.DocProfessionals, Version: version, Issued: time.Now().UTC(), KeyID: "registry-test",
		Payload: payload, Signature: make([]byte, 64)}
	if _, err := st.ApplyChanges(context.Background(), seq, []store.Change{{Seq: seq, Kind: store.ChangeReferenceData, At: time.Now().UTC(), Document: d}}); err != nil {
		t.Fatal(err)
	}
}

func TestDirectorySearch(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "kiosk.db"), store.Options{KioskID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := &directory{st: st}
	ctx := context.Background()
	if page, err := d.Search(ctx, flow.DirectoryQuery{}, 0, 5); err != nil || page.Total != 0 || !page.SyncedAt.IsZero() {
		t.Fatalf("Search before any directory = %+v, %v; want an empty page never synced", page, err)
	}
	p, _ := pack.Embedded("ma")
	dir, err := devDirectory(p, time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	all, err := wire.ParseProfessionals(dir)
	if err != nil {
		t.Fatalf("the sample directory does not parse: %v", err)
	}
	applyDirectory(t, st, 1, 1, dir)

	page, err := d.Search(ctx, flow.DirectoryQuery{}, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != len(all) || len(page.Entries) != 5 || page.SyncedAt.IsZero() {
		t.Fatalf("Search(all) = %d entries of %d, synced %v; want 5 of %d", len(page.Entries), page.Total, page.SyncedAt, len(all))
	}
	last, _ := d.Search(ctx, flow.DirectoryQuery{}, page.Total-2, 5)
	if len(last.Entries) != 2 {
		t.Errorf("the last page has %d entries, want 2", len(last.Entries))
	}
	beyond, _ := d.Search(ctx, flow.DirectoryQuery{}, page.Total+10, 5)
	if len(beyond.Entries) != 0 {
		t.Errorf("a page past the end has %d entries", len(beyond.Entries))
	}

	check := func(q flow.DirectoryQuery, want func(flow.Professional) bool) {
		t.Helper()
		page, err := d.Search(ctx, q, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range all {
			pe := flow.Professional{NameLatin: e.NameLatin, NameArabic: e.NameArabic, Profession: e.Profession, City: e.City, Languages: e.Languages}
			if want(pe) {
				n++
			}
		}
		if page.Total != n || n == 0 {
			t.Errorf("Search(%+v) = %d, want %d (and more than none)", q, page.Total, n)
		}
		for _, e := range page.Entries {
			if !want(e) {
				t.Errorf("Search(%+v) returned %s (%s, %s)", q, e.NameLatin, e.Profession, e.City)
			}
		}
	}
	check(flow.DirectoryQuery{Profession: "notary", City: "fes"}, func(e flow.Professional) bool { return e.Profession == "notary" && e.City == "fes" })
	check(flow.DirectoryQuery{Language: "zgh"}, func(e flow.Professional) bool { return strings.Contains(strings.Join(e.Languages, ","), "zgh") })
	// Names match however they are typed: case, accents, Arabic hamza.
	isBerrada := func(e flow.Professional) bool { return e.NameLatin == "Amina Berrada" }
	for _, name := range []string{"berrada", "BÉRRADA", "أمينة", "امينة", "برادة"} {
		check(flow.DirectoryQuery{Name: name}, isBerrada)
	}

	// A new version replaces the old; struck-off professionals are not shown.
	applyDirectory(t, st, 2, 2, []byte(`[{"name_latin":"Ali Struck","profession":"lawyer","registration":"r","city":"fes","address":"a","status":"struck_off","updated_at":"2026-03-02T09:30:00Z"},
		{"name_latin":"Zineb Active","profession":"lawyer","registration":"r","city":"fes","address":"a","status":"active","updated_at":"2026-03-02T09:30:00Z"}]`))
	page, _ = d.Search(ctx, flow.DirectoryQuery{}, 0, 10)
	if page.Total != 1 || page.Entries[0].NameLatin != "Zineb Active" {
		t.Errorf("after version 2: %+v", page.Entries)
	}
}

func TestSampleDataParses(t *testing.T) {
	for _, code := range []string{"ma", "tg"} {
		p, _ := pack.Embedded(code)
		dir, err := devDirectory(p, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wire.ParseProfessionals(dir); err != nil {
			t.Errorf("%s: sample directory: %v", code, err)
		}
		for _, r := range devFines(p, time.Now()) {
			if err := r.Fine().Validate(); err != nil {
				t.Errorf("%s: sample fine: %v", code, err)
			}
		}
	}
}

func TestOnlineError(t *testing.T) {
	for _, tt := range []struct {
		in   error
		want error
	}{
		{fmt.Errorf("%w: dial: refused", client.ErrUnreachable), flow.ErrOffline},
		{context.DeadlineExceeded, flow.ErrOffline},
		{client.ErrHolderMismatch, flow.ErrIdentityMismatch},
		{client.ErrNotReady, flow.ErrNotReady},
		{client.ErrDelivered, flow.ErrAlreadyDelivered},
		{client.ErrSignature, flow.ErrSignatureInvalid},
		{wire.NewProblem(404, wire.CodeNotFound, "Not Found", ""), flow.ErrNotFound},
	} {
		if got := onlineError(tt.in); !errors.Is(got, tt.want) {
			t.Errorf("onlineError(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := onlineError(errors.New("disk on fire")); errors.Is(got, flow.ErrOffline) {
		t.Error("an unknown error reads as offline")
	}
	if _, err := (fineLookup{link: &syncLink{}}).Lookup(context.Background(), flow.FineQuery{NationalNumber: "BE123456"}); !errors.Is(err, flow.ErrOffline) {
		t.Errorf("Lookup on a kiosk not enrolled = %v, want ErrOffline", err)
	}
}
