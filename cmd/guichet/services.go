package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/site"
	"guichet/kiosk/store"
	"guichet/kiosk/tracking"
	"guichet/sync/client"
	"guichet/sync/trustfile"
	"guichet/sync/wire"
)

// localTracker answers tracking questions from the kiosk's own store; the
// registry's change feed keeps it up to date.
type localTracker struct {
	st       *store.Store
	lastSync func() time.Time
}

func (t localTracker) Track(ctx context.Context, n tracking.Number) (flow.TrackedRequest, error) {
	r, err := t.st.ByTracking(n)
	if errors.Is(err, store.ErrNotFound) {
		return flow.TrackedRequest{}, flow.ErrNotFound
	}
	if err != nil {
		return flow.TrackedRequest{}, err
	}
	return flow.TrackedRequest{Request: r, Source: flow.FromLocal, SyncedAt: t.lastSync()}, nil
}

// every calls fn at once and then every d, until ctx ends or fn returns
// false: the kiosk's background chores.
func every(ctx context.Context, d time.Duration, fn func() bool) {
	t := time.NewTicker(d)
	defer t.Stop()
	for fn() {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// compactWhenIdle removes acknowledged requests' sealed bytes from the store
// file (bbolt keeps deleted values in free pages) whenever no citizen is at
// the kiosk and there is something to remove.
func compactWhenIdle(ctx context.Context, st *store.Store, idle func() bool, d time.Duration, log *slog.Logger) {
	every(ctx, d, func() bool {
		h, err := st.Health()
		if err != nil || h.Residue == 0 || !idle() {
			return true
		}
		start := time.Now()
		if err := st.Compact(ctx); err != nil {
			log.Error("idle compaction failed", "err", err)
			return true
		}
		log.Info("idle compaction", "residue", h.Residue, "took", time.Since(start).Round(time.Millisecond))
		return true
	})
}

// technician gives the technician screen what it shows and does.
type technician struct {
	ps       *peripherals
	kioskID  string
	court    string
	receipts *receipts
	link     *syncLink
	data     string // the kiosk's data directory, where enrolment writes
	trust    string // the registry keys file enrolment tickets are checked with
	restart  func() // starts the kiosk again once enrolled (nil: it says so)
	log      *slog.Logger
}

func (t technician) Peripherals(ctx context.Context) []flow.PeripheralHealth {
	return t.ps.Peripherals(ctx)
}

func (t technician) Registry(ctx context.Context) flow.RegistryStatus {
	if t.link.c == nil {
		return flow.RegistryStatus{Detail: "not enrolled with a registry"}
	}
	s := t.link.c.Status()
	detail := s.Problem
	if detail == "" {
		detail = s.LastError
	}
	return flow.RegistryStatus{Online: s.Online, LastSync: s.LastSync, Detail: detail, Address: t.link.c.Identity().RegistryURL}
}

func (t technician) Enrolment(ctx context.Context) flow.Enrolment {
	if t.link.c == nil {
		return flow.Enrolment{KioskID: t.kioskID, Court: t.court, Detail: "not enrolled: tap test scan and present the enrolment ticket operations issued (or run guichetctl provision)"}
	}
	s := t.link.c.Status()
	e := flow.Enrolment{Enrolled: !s.NeedsEnrolment, KioskID: s.KioskID, Court: s.Court, Expires: s.CertNotAfter}
	if s.NeedsEnrolment {
		e.Detail = s.Problem
	}
	return e
}

func (t technician) TestPrint(ctx context.Context) error {
	if t.receipts == nil {
		return fmt.Errorf("%w: no receipt printer configured", flow.ErrPrinterAbsent)
	}
	return t.receipts.testPage(ctx)
}

func (t technician) ArmTestScan(ctx context.Context) error {
	if t.ps.qr == nil {
		return errors.New("guichet: no QR reader configured")
	}
	return t.ps.qr.Arm(ctx)
}

// IsTicket recognises an enrolment ticket's QR code.
func (t technician) IsTicket(payload string) bool {
	return strings.HasPrefix(payload, wire.TicketPrefix)
}

// Enrol enrols the kiosk with a ticket scanned on the technician screen:
// checked offline against the registry keys the image carries, then the
// enrolment, then the pack and court recorded as guichetctl provision
// records them. The kiosk starts again to connect (under systemd).
func (t technician) Enrol(ctx context.Context, ticket string) (flow.Enrolment, error) {
	keys, err := trustfile.Load(t.trust)
	if err != nil {
		return flow.Enrolment{}, fmt.Errorf("the registry keys of this kiosk are missing (%v): the image is incomplete, ask operations", err)
	}
	// A kiosk never enrolled has an id of its own making (new-…): a
	// ticket naming the kiosk gives it its real one.
	kid := t.kioskID
	if strings.HasPrefix(kid, "new-") || strings.HasPrefix(kid, "dev-") {
		kid = ""
	}
	id, err := client.EnrolWithTicket(ctx, client.EnrolOptions{Dir: t.data, KioskID: kid, SoftwareVersion: version, Attempts: 3}, ticket, keys)
	if err != nil {
		return flow.Enrolment{}, err
	}
	if err := site.Write(t.data, site.Site{CountryPack: id.CountryPack, PackVersion: id.PackVersion, Court: id.Court, KioskID: id.KioskID, SetAt: time.Now().UTC()}); err != nil {
		return flow.Enrolment{}, err
	}
	t.log.Info("kiosk enrolled from the technician screen", "kiosk", id.KioskID, "court", id.Court, "registry", id.RegistryURL)
	if t.restart != nil {
		time.AfterFunc(5*time.Second, t.restart)
	} else {
		t.log.Warn("enrolled: start the kiosk again to connect to the registry")
	}
	return flow.Enrolment{Enrolled: true, KioskID: id.KioskID, Court: id.Court, Expires: id.Certificate.NotAfter}, nil
}
