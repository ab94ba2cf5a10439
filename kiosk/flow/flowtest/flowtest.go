// Package flowtest holds fakes of kiosk/flow's interfaces and a harness
// that builds a Flow on them, for the tests of flow and of the touchscreen.
// Every fake is safe for concurrent use and records what it was asked.
package flowtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"guichet/kiosk/audit"
	"guichet/kiosk/clock"
	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/kiosk/tracking"
)

// Start is the fake clock's start: a Tuesday morning in Rabat.
var Start = time.Date(2026, time.March, 10, 9, 30, 0, 0, time.UTC)

// Store is an in-memory flow.Store.
type Store struct {
	mu        sync.Mutex
	gen       *tracking.Generator
	Requests  []request.Request
	Personal  [][]byte
	Audit     []audit.Entry
	SubmitErr error // returned by every Submit while set
	Limited   bool  // Health reports the queue full
	// Gate, when set, makes Submit wait for a value (to observe the
	// screen while the store commits).
	Gate chan struct{}
}

// NewStore returns an empty store issuing tracking numbers for kiosk "rabat-01".
func NewStore(clk clock.Clock) *Store {
	return &Store{gen: tracking.NewGenerator("rabat-01", clk.Now, bytes.NewReader(bytes.Repeat([]byte{7}, 1<<16)))}
}

func (s *Store) Submit(ctx context.Context, req request.Request, personal []byte) (request.Request, error) {
	if s.Gate != nil {
		select {
		case <-s.Gate:
		case <-ctx.Done():
			return request.Request{}, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.SubmitErr != nil {
		return request.Request{}, s.SubmitErr
	}
	if req.State == "" {
		req.State = request.Draft
	}
	if err := req.Validate(); err != nil {
		return request.Request{}, err
	}
	for _, r := range s.Requests {
		if r.ID == req.ID {
			return r, nil
		}
	}
	req.Tracking = s.gen.Next()
	req.State = request.Queued
	req.CreatedAt, req.UpdatedAt = Start, Start
	s.Requests = append(s.Requests, req)
	s.Personal = append(s.Personal, bytes.Clone(personal))
	return req, nil
}

func (s *Store) Health() (store.Health, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return store.Health{QueueDepth: len(s.Requests), Limited: s.Limited, InUse: 4096 * int64(len(s.Requests))}, nil
}

func (s *Store) RecordAudit(ctx context.Context, actor audit.Actor, action, subject, detail string) (audit.Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := audit.Entry{Seq: uint64(len(s.Audit) + 1), Actor: actor, Action: action, Subject: subject, Detail: detail}
	s.Audit = append(s.Audit, e)
	return e, nil
}

// Submitted returns the stored requests.
func (s *Store) Submitted() []request.Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request.Request(nil), s.Requests...)
}

// AuditActions returns the audited actions of an actor, in order.
func (s *Store) AuditActions(actor audit.Actor) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.Audit {
		if e.Actor == actor {
			out = append(out, e.Action)
		}
	}
	return out
}

// Payments is a flow.PaymentProvider answering Outcome (or Err).
type Payments struct {
	mu      sync.Mutex
	Outcome flow.Outcome
	Err     error
	Calls   []flow.Payment
}

func (p *Payments) Pay(ctx context.Context, pm flow.Payment) (flow.Authorisation, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Calls = append(p.Calls, pm)
	if p.Err != nil {
		return flow.Authorisation{}, p.Err
	}
	o := p.Outcome
	if o == "" {
		o = flow.Approved
	}
	a := flow.Authorisation{Outcome: o}
	if o == flow.Approved {
		a.Code, a.ProviderRef = fmt.Sprintf("A%05d", len(p.Calls)), "cmi-"+pm.Reference[:8]
	}
	return a, nil
}

// Printer is a flow.ReceiptPrinter and flow.DocumentPrinter.
type Printer struct {
	mu        sync.Mutex
	Err       error
	Receipts  []flow.Receipt
	Documents []flow.Extract
	// Reprints are the duplicates asked for (flow.ReceiptReprinter); a
	// number with no receipt in Receipts gives flow.ErrNotFound.
	Reprints []tracking.Number
}

// ReprintReceipt prints a duplicate of a receipt printed before.
func (p *Printer) ReprintReceipt(ctx context.Context, n tracking.Number) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	for _, r := range p.Receipts {
		if r.Tracking == n {
			p.Reprints = append(p.Reprints, n)
			return nil
		}
	}
	return flow.ErrNotFound
}

func (p *Printer) PrintReceipt(ctx context.Context, r flow.Receipt) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.Receipts = append(p.Receipts, r)
	return nil
}

func (p *Printer) PrintDocument(ctx context.Context, e flow.Extract) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Err != nil {
		return p.Err
	}
	p.Documents = append(p.Documents, flow.Extract{Tracking: e.Tracking, Pages: e.Pages, ContentType: e.ContentType})
	return nil
}

// Fines is a flow.FineLookup over fixed fines.
type Fines struct {
	mu      sync.Mutex
	ByCIN   map[string][]flow.Fine
	Err     error
	Queries []flow.FineQuery
}

func (f *Fines) Lookup(ctx context.Context, q flow.FineQuery) ([]flow.Fine, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Queries = append(f.Queries, q)
	if f.Err != nil {
		return nil, f.Err
	}
	if q.NationalNumber != "" {
		return f.ByCIN[q.NationalNumber], nil
	}
	var out []flow.Fine
	for _, fs := range f.ByCIN {
		for _, fn := range fs {
			if fn.PVNumber == q.PVNumber {
				out = append(out, fn)
			}
		}
	}
	return out, nil
}

// Directory is a flow.Directory over fixed entries.
type Directory struct {
	Entries  []flow.Professional
	Err      error
	SyncedAt time.Time
}

func (d *Directory) Search(ctx context.Context, q flow.DirectoryQuery, offset, limit int) (flow.DirectoryPage, error) {
	if d.Err != nil {
		return flow.DirectoryPage{}, d.Err
	}
	var all []flow.Professional
	for _, e := range d.Entries {
		if q.Profession != "" && e.Profession != q.Profession || q.City != "" && e.City != q.City {
			continue
		}
		if q.Name != "" && !strings.Contains(strings.ToLower(e.NameLatin+" "+e.NameArabic), strings.ToLower(q.Name)) {
			continue
		}
		if q.Language != "" && !contains(e.Languages, q.Language) {
			continue
		}
		all = append(all, e)
	}
	page := flow.DirectoryPage{Total: len(all), SyncedAt: d.SyncedAt}
	if offset < len(all) {
		page.Entries = all[offset:min(offset+limit, len(all))]
	}
	return page, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Tracker is a flow.Tracker over fixed requests.
type Tracker struct {
	mu       sync.Mutex
	Requests map[tracking.Number]flow.TrackedRequest
	Err      error
}

func (t *Tracker) Track(ctx context.Context, n tracking.Number) (flow.TrackedRequest, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.Err != nil {
		return flow.TrackedRequest{}, t.Err
	}
	r, ok := t.Requests[n]
	if !ok {
		return flow.TrackedRequest{}, fmt.Errorf("flowtest: %s: %w", n, flow.ErrNotFound)
	}
	return r, nil
}

// Extracts is a flow.ExtractFetcher holding one ready extract per number,
// for the holder with that national number.
type Extracts struct {
	mu      sync.Mutex
	Holders map[tracking.Number]string // national number of the requester
	Err     error
	Done    []tracking.Number
}

func (e *Extracts) Fetch(ctx context.Context, n tracking.Number, h flow.Holder) (flow.Extract, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Err != nil {
		return flow.Extract{}, e.Err
	}
	nn, ok := e.Holders[n]
	switch {
	case !ok:
		return flow.Extract{}, flow.ErrNotFound
	case nn != h.NationalNumber:
		return flow.Extract{}, flow.ErrIdentityMismatch
	case contains(e.deliveredLocked(), string(n)):
		return flow.Extract{}, flow.ErrAlreadyDelivered
	}
	return flow.Extract{Tracking: n, Document: []byte("%PDF-1.7 extract"), ContentType: "application/pdf", Pages: 1}, nil
}

func (e *Extracts) deliveredLocked() []string {
	var out []string
	for _, d := range e.Done {
		out = append(out, string(d))
	}
	return out
}

func (e *Extracts) Delivered(ctx context.Context, n tracking.Number) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.Done = append(e.Done, n)
	return nil
}

// Technician is a flow.Technician with fixed states.
type Technician struct {
	mu       sync.Mutex
	PrintErr error
	Prints   int
	Armed    int
	Devices  []flow.PeripheralHealth
	Link     flow.RegistryStatus
	Enrolled flow.Enrolment
	// Ticket is the one enrolment ticket Enrol accepts; another is
	// refused as expired.
	Ticket string
}

func (t *Technician) Peripherals(ctx context.Context) []flow.PeripheralHealth {
	return t.Devices
}
func (t *Technician) Registry(ctx context.Context) flow.RegistryStatus { return t.Link }
func (t *Technician) Enrolment(ctx context.Context) flow.Enrolment     { return t.Enrolled }
func (t *Technician) TestPrint(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Prints++
	return t.PrintErr
}
func (t *Technician) ArmTestScan(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Armed++
	return nil
}

// TicketPrefix starts the harness's enrolment tickets (as wire's do).
const TicketPrefix = "GUICHET-TICKET.1."

func (t *Technician) IsTicket(p string) bool { return strings.HasPrefix(p, TicketPrefix) }

func (t *Technician) Enrol(ctx context.Context, ticket string) (flow.Enrolment, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ticket != t.Ticket {
		return flow.Enrolment{}, errors.New("the ticket expired: ask operations for a new one")
	}
	t.Enrolled = flow.Enrolment{Enrolled: true, KioskID: "ma-rabat-09", Court: t.Enrolled.Court}
	return t.Enrolled, nil
}

// Speaker records what it was asked to say.
type Speaker struct {
	mu    sync.Mutex
	Said  []string // "lang: text"
	Stops int
}

func (s *Speaker) Say(lang, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Said = append(s.Said, lang+": "+text)
}

func (s *Speaker) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Stops++
}

// Card is a valid Moroccan identity card of a fictitious citizen; every
// value is distinctive so that a test can look for it on the screen.
func Card() flow.Card {
	return flow.Card{
		DocumentCode: "ID", IssuingState: "MAR", DocumentNumber: "ZX9876543",
		NationalNumber: "BK654321", Surname: "ELOUAZZANI", GivenNames: "SALMA NOUR",
		BirthDate: "1987-11-23", ExpiryDate: "2031-06-30", Sex: "F", Nationality: "MAR",
		ChecksOK: true,
	}
}

// PIN is the technician PIN of the harness.
const PIN = "482915"

// Kit is a Flow on fakes, with a fake clock and blocking work run inline.
type Kit struct {
	*flow.Flow
	Pack       *pack.Pack
	Clock      *clock.Fake
	Store      *Store
	Payments   *Payments
	Printer    *Printer
	Laser      *Printer
	Fines      *Fines
	Directory  *Directory
	Tracker    *Tracker
	Extracts   *Extracts
	Technician *Technician
	Speaker    *Speaker
	changes    atomic.Int64
	onChange   atomic.Value // func()
	// Async runs blocking work on goroutines, as the kiosk does, instead
	// of inline; set it before the work starts.
	Async atomic.Bool
	// Ready is the tracking number of a bulletin n°3 request ready to
	// collect with Card().
	Ready tracking.Number
}

var pinHash = func() string {
	h, err := flow.HashPIN(PIN, []byte("0123456789abcdef"))
	if err != nil {
		panic(err)
	}
	return h
}()

// New builds a Kit for an embedded pack. cfg may be zero; its
// TechnicianPINHash and KioskCourt default to the harness's.
func New(tb testing.TB, code string, cfg flow.Config) *Kit {
	tb.Helper()
	p, err := pack.Embedded(code)
	if err != nil {
		tb.Fatal(err)
	}
	clk := clock.NewFake(Start)
	k := &Kit{
		Pack: p, Clock: clk, Store: NewStore(clk), Payments: &Payments{}, Printer: &Printer{}, Laser: &Printer{},
		Fines: &Fines{ByCIN: map[string][]flow.Fine{
			"BK654321": {
				{PVNumber: "20250117-RF-0042", Amount: 30000, Date: Start.AddDate(0, -2, 0), Place: "A7 km 212"},
				{PVNumber: "20251002-RF-1187", Amount: 70000, Date: Start.AddDate(0, -1, 0), Place: "N1 Kenitra"},
			},
		}},
		Directory:  &Directory{SyncedAt: Start.Add(-time.Hour)},
		Tracker:    &Tracker{Requests: map[tracking.Number]flow.TrackedRequest{}},
		Extracts:   &Extracts{Holders: map[tracking.Number]string{}},
		Technician: &Technician{Link: flow.RegistryStatus{Online: true, LastSync: Start.Add(-5 * time.Minute), Address: "registry.justice.gov.ma:443"}, Enrolled: flow.Enrolment{Enrolled: true, KioskID: "rabat-01"}, Devices: []flow.PeripheralHealth{{Name: "receipt", OK: true, State: "connected"}, {Name: "idscan", OK: false, State: "reconnecting", Detail: "unplugged"}}},
		Speaker:    &Speaker{},
	}
	for i, city := range p.Cities {
		k.Directory.Entries = append(k.Directory.Entries, flow.Professional{
			NameLatin: fmt.Sprintf("Maître Bennani %d", i), NameArabic: fmt.Sprintf("الأستاذ بناني %d", i),
			Profession: "lawyer", City: city.ID, Phone: fmt.Sprintf("05377%05d", i), Languages: []string{"ar", "fr"},
			Address: "12 avenue Mohammed V", Status: "active", UpdatedAt: Start.AddDate(0, 0, -3),
		})
	}
	k.Ready = tracking.NewGenerator("casa-07", clk.Now, bytes.NewReader(bytes.Repeat([]byte{3}, 64))).Next()
	k.Tracker.Requests[k.Ready] = flow.TrackedRequest{
		Request: request.Request{
			ID: "0123456789abcdef0123456789abcdef", Tracking: k.Ready, Service: p.Services[0].ID,
			Court: p.Courts[0].ID, Fee: p.Services[0].Fee, Currency: p.Currency.Code, State: request.Ready,
			CreatedAt: Start.AddDate(0, 0, -2), UpdatedAt: Start.Add(-3 * time.Hour), KioskID: "casa-07",
		},
		Source: flow.FromLocal, SyncedAt: Start.Add(-10 * time.Minute),
	}
	k.Extracts.Holders[k.Ready] = Card().NationalNumber
	if cfg.TechnicianPINHash == "" {
		cfg.TechnicianPINHash = pinHash
	}
	if cfg.KioskCourt == "" {
		cfg.KioskCourt = p.Courts[0].ID
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	f, err := flow.New(cfg, flow.Deps{
		Pack: p, Store: k.Store, Payments: k.Payments, Receipts: k.Printer, Fines: k.Fines,
		Directory: k.Directory, Tracker: k.Tracker, Extracts: k.Extracts, Documents: k.Laser,
		Technician: k.Technician, Speaker: k.Speaker, Clock: clk,
		Rand: bytes.NewReader(bytes.Repeat([]byte("guichet-rand-src"), 1<<12)),
		Changed: func() {
			k.changes.Add(1)
			if fn, ok := k.onChange.Load().(func()); ok {
				fn()
			}
		},
		Go: func(f func()) {
			if k.Async.Load() {
				go f()
				return
			}
			f()
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	k.Flow = f
	tb.Cleanup(f.Close)
	return k
}

// OnChange sets what the flow's Changed also calls: the touchscreen's
// Changed, in the UI's tests.
func (k *Kit) OnChange(fn func()) { k.onChange.Store(fn) }

// Changes counts the flow's Changed calls.
func (k *Kit) Changes() int64 { return k.changes.Load() }

// WaitFor polls until the screen is of kind, for asynchronous tests.
func (k *Kit) WaitFor(tb testing.TB, kind flow.Kind) flow.Screen {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if s := k.Screen(); s.Kind == kind {
			return s
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatalf("screen is %s after 5 s, want %s", k.Screen().Kind, kind)
	return flow.Screen{}
}

// Must taps a button the screen offers, failing the test if it does not.
func (k *Kit) Must(tb testing.TB, id string) {
	tb.Helper()
	if !Offers(k.Screen(), id) {
		tb.Fatalf("screen %s offers no button %q; it offers %v", k.Screen().Kind, id, IDs(k.Screen()))
	}
	k.Tap(id)
}

// Offers reports whether a screen shows a button with that id.
func Offers(s flow.Screen, id string) bool {
	for _, b := range IDs(s) {
		if b == id {
			return true
		}
	}
	return false
}

// IDs lists the ids of every enabled button a screen shows.
func IDs(s flow.Screen) []string {
	var ids []string
	add := func(bs ...flow.Button) {
		for _, b := range bs {
			if !b.Disabled {
				ids = append(ids, b.ID)
			}
		}
	}
	add(s.Buttons...)
	add(s.Toolbar...)
	if s.Back != nil {
		add(*s.Back)
	}
	if s.Field != nil {
		add(s.Field.Choices...)
		if s.Field.Keyboard != flow.KeyboardNone {
			ids = append(ids, flow.TapErase, flow.TapClear)
		}
	}
	if s.Paging != nil {
		add(s.Paging.Prev, s.Paging.Next)
	}
	if s.Countdown != nil && s.Countdown.Extend != nil {
		add(*s.Countdown.Extend)
	}
	for _, r := range s.Rows {
		if r.Edit != "" {
			ids = append(ids, r.Edit)
		}
	}
	return ids
}

// Texts returns every text a screen shows, for searches.
func Texts(s flow.Screen) []string {
	out := []string{s.Title}
	for _, l := range s.Lines {
		out = append(out, l.Text)
	}
	for _, r := range s.Rows {
		out = append(out, r.Label, r.Value, r.LabelOther, r.ValueOther)
	}
	bs := append(append([]flow.Button(nil), s.Buttons...), s.Toolbar...)
	if s.Back != nil {
		bs = append(bs, *s.Back)
	}
	if s.Field != nil {
		out = append(out, s.Field.Label, s.Field.Hint, s.Field.Value, s.Field.Error)
		bs = append(bs, s.Field.Choices...)
	}
	if s.Paging != nil {
		bs = append(bs, s.Paging.Prev, s.Paging.Next)
		out = append(out, s.Paging.Label)
	}
	if s.Countdown != nil {
		out = append(out, s.Countdown.Text)
		if s.Countdown.Extend != nil {
			bs = append(bs, *s.Countdown.Extend)
		}
	}
	for _, b := range bs {
		out = append(out, b.Label)
	}
	out = append(out, s.Status.OnlineText, s.Status.PrinterText)
	return out
}
