package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/drivers/ipp"
	"guichet/drivers/ipp/cupstest"
	"guichet/drivers/pdfdoc/pdfcheck"
	"guichet/kiosk/clock"
	"guichet/kiosk/extract"
	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/site"
	"guichet/kiosk/store"
	"guichet/sync/client"
	"guichet/sync/registry"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/registrytest"
	rstore "guichet/sync/registry/store"
	"guichet/sync/trustfile"
	"guichet/sync/wire"
)

// onlineKiosk is the kiosk's flow wired as cmd/guichet wires it — its real
// store, the sync client enrolled with a real registry on loopback, the
// fines, directory and collection adapters, the laser printer on a real
// CUPS queue — with the receipt printer and payment terminal of the flow's
// harness (their own tests drive the emulators).
type onlineKiosk struct {
	p      *pack.Pack
	court  string
	reg    *registry.Server
	rst    rstore.Store
	st     *store.Store
	c      *client.Client
	f      *flow.Flow
	laser  *cupstest.Queue
	card   flow.Card
	driver *flowtest.Kit
	link   *syncLink
	diag   *diagnostics
}

func startOnlineKiosk(t *testing.T, opts ...func(*registry.Config)) *onlineKiosk {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log, logs := withRing(slog.DiscardHandler)
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	court, _ := kioskCourt(p, "")

	regDir := t.TempDir()
	rst, err := boltstore.Open(filepath.Join(regDir, registry.FileBoltDB))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rst.Close() })
	if err := registry.Init(ctx, regDir, registry.InitOptions{Operator: devOperator, Password: devPassword, Store: rst}); err != nil {
		t.Fatal(err)
	}
	rcfg := registry.Config{Dir: regDir, Store: rst, Addr: "127.0.0.1:0"}
	for _, o := range opts {
		o(&rcfg)
	}
	reg, err := registry.New(rcfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := reg.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go reg.Serve(ctx, ln)
	if err := reg.CreateAccount(ctx, devOperator, registry.NewAccount{Name: devClerk, Role: rstore.RoleClerk, Court: court, Password: devPassword}); err != nil {
		t.Fatal(err)
	}

	data := t.TempDir()
	tok, err := reg.IssueToken(ctx, devOperator, registry.TokenSpec{Court: court, CountryPack: p.Code, PackVersion: p.Version})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enrol(ctx, client.EnrolOptions{Dir: data, KioskID: "ma-e2e-01", SoftwareVersion: "test", RegistryURL: "https://" + reg.Addr(), Token: tok.Token, Trust: reg.CAPool()}); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(data, "kiosk.db"), store.Options{KioskID: "ma-e2e-01"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c, err := client.New(client.Config{Dir: data, Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	link := &syncLink{c: c}

	cups := cupstest.Start(t)
	q := cups.AddPDFQueue(t)
	lc := ipp.DefaultConfig()
	lc.Queue, lc.Host, lc.Port = q.Name, cups.Host, cups.Port
	ps := newPeripherals(p, log)
	laser, err := startLaser(ctx, lc, ps)
	if err != nil {
		t.Fatal(err)
	}

	f, err := flow.New(flow.Config{KioskCourt: court, Location: time.UTC}, flow.Deps{
		Pack: p, Store: notifyingStore{Store: st, notify: link.notify}, Payments: &flowtest.Payments{}, Receipts: &flowtest.Printer{},
		Fines: fineLookup{link: link}, Directory: &directory{st: st}, Tracker: localTracker{st: st, lastSync: link.lastFeed},
		Extracts: extractFetcher{link: link, pack: p, log: log}, Documents: laser, Clock: clock.System, Logger: log,
		Go: func(f func()) { f() },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	card := flowtest.Card()
	card.NationalNumber, card.BirthDate = "BE123456", "1988-03-04"
	diag := &diagnostics{kioskID: "ma-e2e-01", log: logs, ps: ps, st: st, started: time.Now(), logger: log}
	return &onlineKiosk{p: p, court: court, reg: reg, rst: rst, st: st, c: c, f: f, laser: q, card: card,
		driver: &flowtest.Kit{Flow: f, Pack: p}, link: link, diag: diag}
}

// walk drives the flow as the harness's citizen does, presenting k.card,
// and returns the kinds of the screens seen.
func (k *onlineKiosk) walk(t *testing.T, plan flowtest.Plan) []flow.Kind {
	t.Helper()
	var kinds []flow.Kind
	for range 80 {
		s := k.f.Screen()
		if len(kinds) == 0 || kinds[len(kinds)-1] != s.Kind {
			kinds = append(kinds, s.Kind)
		}
		step, done := k.driver.Next(s, plan)
		if done {
			return kinds
		}
		if step.Card != nil {
			step.Card = &k.card
		}
		k.driver.Do(step)
	}
	t.Fatalf("the journey %+v did not end in 80 steps: %v", plan, kinds)
	return nil
}

// sync sends the outbox and applies the whole change feed.
func (k *onlineKiosk) sync(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if _, err := k.c.SendOutbox(ctx); err != nil {
		t.Fatalf("SendOutbox: %v", err)
	}
	for {
		_, more, err := k.c.PollChanges(ctx, 0)
		if err != nil {
			t.Fatalf("PollChanges: %v", err)
		}
		if !more {
			return
		}
	}
}

// home ends the session as a citizen does (finish, or cancel), back to the
// attract screen.
func (k *onlineKiosk) home(t *testing.T) {
	t.Helper()
	for range 5 {
		s := k.f.Screen()
		switch {
		case s.Kind == flow.KindAttract:
			return
		case flowtest.Offers(s, flow.TapFinish):
			k.f.Tap(flow.TapFinish)
		case flowtest.Offers(s, flow.TapCancel):
			k.f.Tap(flow.TapCancel)
		default:
			t.Fatalf("screen %s offers no way home: %v", s.Kind, flowtest.IDs(s))
		}
	}
	t.Fatalf("still on %s after 5 taps home", k.f.Screen().Kind)
}

func rowsText(s flow.Screen) string {
	var b strings.Builder
	for _, r := range s.Rows {
		fmt.Fprintf(&b, "%s: %s\n", r.Label, r.Value)
	}
	for _, l := range s.Lines {
		fmt.Fprintf(&b, "%s\n", l.Text)
	}
	return b.String()
}

func last(kinds []flow.Kind) flow.Kind { return kinds[len(kinds)-1] }

// TestOnlineServices walks the three services that need the registry, end
// to end: the directory published by operations, a radar fine found by the
// card's national number and paid, and a bulletin n°3 collected with the
// same card and printed on the laser printer.
func TestOnlineServices(t *testing.T) {
	k := startOnlineKiosk(t)
	ctx := context.Background()

	t.Run("directory", func(t *testing.T) {
		// Every city × profession has someone who speaks every language,
		// so whatever the citizen picks finds exactly one.
		professions, languages := directoryChoices(k.p)
		var dir []wire.Professional
		for _, c := range k.p.Cities {
			for _, prof := range professions {
				dir = append(dir, wire.Professional{NameLatin: "Maître " + c.ID + " " + prof, NameArabic: "الأستاذ " + c.ID, Profession: prof, Registration: "r-" + c.ID,
					City: c.ID, Address: "1, place de la Justice", Languages: languages, Status: "active", UpdatedAt: time.Now().UTC().Truncate(time.Second)})
			}
		}
		payload, _ := json.Marshal(dir)
		if _, err := k.reg.Publish(ctx, devOperator, wire.DocProfessionals, payload, time.Time{}); err != nil {
			t.Fatal(err)
		}
		k.sync(t)
		kinds := k.walk(t, flowtest.Plan{Lang: "fr", Service: "directory"})
		s := k.f.Screen()
		if last(kinds) != flow.KindDirectory || !strings.Contains(rowsText(s), "Maître ") {
			t.Fatalf("the directory journey ended on %v showing:\n%s", kinds, rowsText(s))
		}
		k.home(t)
	})

	t.Run("fine", func(t *testing.T) {
		day := time.Now().UTC().Truncate(24 * time.Hour)
		recs := []registry.FineRecord{
			{PVNumber: "20260311-RF-2026", NationalNumber: k.card.NationalNumber, Amount: 30000, Currency: "MAD", Date: day.AddDate(0, -3, 0), Place: "A7 PK 112"},
			{PVNumber: "20260604-RF-2026", NationalNumber: k.card.NationalNumber, Amount: 70000, Currency: "MAD", Date: day.AddDate(0, -2, 0), Place: "N1 PK 37"},
		}
		var fines []rstore.Fine
		for _, r := range recs {
			fines = append(fines, r.Fine())
		}
		if _, err := k.reg.ImportFines(ctx, devOperator, fines); err != nil {
			t.Fatal(err)
		}
		kinds := k.walk(t, flowtest.Plan{Lang: "fr", Service: "radar_fine"})
		if last(kinds) != flow.KindDone || !containsKind(kinds, flow.KindFines) {
			t.Fatalf("the fine journey went %v, want the fines then done", kinds)
		}
		k.sync(t)
		left, err := k.c.LookupFines(ctx, k.card.NationalNumber, "")
		if err != nil {
			t.Fatal(err)
		}
		// The harness picks the first fine shown: the oldest.
		if len(left) != 1 || left[0].PVNumber != "20260604-RF-2026" {
			t.Errorf("after paying at the kiosk the registry still has %+v unpaid, want only 20260604-RF-2026", left)
		}
		k.home(t)
	})

	t.Run("collect", func(t *testing.T) {
		kinds := k.walk(t, flowtest.Plan{Lang: "fr", Service: "bulletin3"})
		if last(kinds) != flow.KindDone {
			t.Fatalf("the bulletin n°3 journey went %v", kinds)
		}
		k.home(t)
		k.sync(t)
		var req rstore.Request
		rs, err := k.rst.Requests(ctx, rstore.Filter{Service: "bulletin3"})
		if err != nil || len(rs) != 1 {
			t.Fatalf("registry holds %d bulletin n°3 requests (%v), want 1", len(rs), err)
		}
		req = rs[0]
		issueExtract(t, k, req)
		k.sync(t)
		if r, _ := k.st.ByTracking(req.Tracking); r.State != request.Ready {
			t.Fatalf("the kiosk sees the request %s, want ready", r.State)
		}

		k.driver.Ready = req.Tracking
		other := k.card
		other.NationalNumber = "BE999999"
		k.card, other = other, k.card
		kinds = k.walk(t, flowtest.Plan{Lang: "ar", Service: "tracking", TypeTracking: true})
		if s := k.f.Screen(); s.Kind != flow.KindMessage || !strings.Contains(rowsText(s), k.p.Messages["ar"]["collect.identity_mismatch"]) {
			t.Fatalf("collection with another card went %v and shows:\n%s", kinds, rowsText(s))
		}
		k.home(t)
		k.card = other

		kinds = k.walk(t, flowtest.Plan{Lang: "ar", Service: "tracking", TypeTracking: true})
		if last(kinds) != flow.KindDone {
			t.Fatalf("collection went %v, showing:\n%s", kinds, rowsText(k.f.Screen()))
		}
		pdf := k.laser.WaitPDF(t, 1, 30*time.Second)
		if text := pdfcheck.Text(t, pdf); !strings.Contains(text, "العمراني") && !strings.Contains(text, "EL AMRANI") {
			t.Errorf("the printed extract does not name the holder:\n%s", text)
		}
		got, err := k.rst.Request(ctx, req.KioskID, req.RequestID)
		if err != nil || got.State != request.Delivered {
			t.Errorf("the registry has the request %s (%v), want delivered", got.State, err)
		}
		k.sync(t)
		if r, _ := k.st.ByTracking(req.Tracking); r.State != request.Delivered {
			t.Errorf("the kiosk has the request %s, want delivered", r.State)
		}
	})
}

func containsKind(kinds []flow.Kind, k flow.Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}

// issueExtract does what the clerk and the prosecutor do in the console:
// an extract for the request's holder (the card presented), signed by both,
// and the request moved to ready.
func issueExtract(t *testing.T, k *onlineKiosk, req rstore.Request) {
	t.Helper()
	registrytest.IssueSample(t, k.reg, k.p, devClerk, req, func(x *extract.Extract) {
		x.Holder.NationalID, x.Holder.BirthDate = k.card.NationalNumber, k.card.BirthDate
	}, true)
}

func rstoreFilterBulletin() rstore.Filter { return rstore.Filter{Service: "bulletin3"} }

// TestEnrolFromTechnicianScreen: a kiosk never enrolled scans the ticket
// operations issued; it enrols, records its pack and court as provisioning
// does, and a second kiosk cannot use the same ticket.
func TestEnrolFromTechnicianScreen(t *testing.T) {
	k := startOnlineKiosk(t)
	ctx := context.Background()
	tk, err := k.reg.IssueTicket(ctx, devOperator, registry.TicketSpec{Court: k.court, CountryPack: k.p.Code, PackVersion: k.p.Version})
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(t.TempDir(), "registry-keys.json")
	b, _ := trustfile.Marshal(k.reg.DocumentKeys())
	os.WriteFile(trust, b, 0o644)
	data := t.TempDir()
	tech := technician{kioskID: "ma-new-07", data: data, trust: trust, log: slog.New(slog.DiscardHandler)}
	if !tech.IsTicket(tk.Text) || tech.IsTicket(k.p.TrackingURL("K7MX4HQ9XR33")) {
		t.Fatal("IsTicket does not tell a ticket from a receipt's code")
	}
	e, err := tech.Enrol(ctx, tk.Text)
	if err != nil || !e.Enrolled || e.KioskID != "ma-new-07" || e.Court != k.court {
		t.Fatalf("Enrol = %+v, %v", e, err)
	}
	if s, err := site.Read(data); err != nil || s.Court != k.court || s.CountryPack != k.p.Code {
		t.Errorf("site recorded: %+v, %v", s, err)
	}
	other := technician{kioskID: "ma-new-08", data: t.TempDir(), trust: trust, log: slog.New(slog.DiscardHandler)}
	if _, err := other.Enrol(ctx, tk.Text); err == nil {
		t.Error("a second kiosk enrolled with the same ticket")
	}
	missing := technician{kioskID: "ma-new-09", data: t.TempDir(), trust: filepath.Join(t.TempDir(), "none.json"), log: slog.New(slog.DiscardHandler)}
	if _, err := missing.Enrol(ctx, tk.Text); err == nil || !strings.Contains(err.Error(), "registry keys") {
		t.Errorf("without the image's registry keys: %v", err)
	}
}

// TestUnenrolledKioskTakesItsTicketsName: a kiosk that started never
// enrolled (its id of its own making, new-…) takes the id the ticket gives.
func TestUnenrolledKioskTakesItsTicketsName(t *testing.T) {
	k := startOnlineKiosk(t)
	ctx := context.Background()
	data := t.TempDir()
	cfg := config{data: data}
	id, err := kioskID(cfg, slog.New(slog.DiscardHandler))
	if err != nil || !strings.HasPrefix(id, "new-") {
		t.Fatalf("kioskID of a kiosk never enrolled = %q, %v", id, err)
	}
	if key, err := registryKey(cfg, slog.New(slog.DiscardHandler)); err != nil || key != nil {
		t.Fatalf("registryKey of a kiosk never enrolled = %v, %v; want none and no error (it starts, takes no request)", key, err)
	}
	tk, err := k.reg.IssueTicket(ctx, devOperator, registry.TicketSpec{Court: k.court, CountryPack: k.p.Code, PackVersion: k.p.Version, KioskID: "ma-tanger-03"})
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(t.TempDir(), "registry-keys.json")
	b, _ := trustfile.Marshal(k.reg.DocumentKeys())
	os.WriteFile(trust, b, 0o644)
	e, err := technician{kioskID: id, data: data, trust: trust, log: slog.New(slog.DiscardHandler)}.Enrol(ctx, tk.Text)
	if err != nil || e.KioskID != "ma-tanger-03" {
		t.Fatalf("Enrol = %+v, %v", e, err)
	}
	if again, _ := kioskID(cfg, slog.New(slog.DiscardHandler)); again != "ma-tanger-03" {
		t.Errorf("after enrolment the kiosk's id is %q", again)
	}
	if key, err := registryKey(cfg, slog.New(slog.DiscardHandler)); err != nil || key == nil {
		t.Errorf("after enrolment the registry key = %v, %v", key, err)
	}
}
