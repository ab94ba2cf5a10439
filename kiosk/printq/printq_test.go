package printq

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/clock"
	"guichet/kiosk/pack"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

var start = time.Date(2026, time.May, 12, 13, 5, 0, 0, time.UTC)

func newNumber(t testing.TB, i int) tracking.Number {
	g := tracking.NewGenerator("ma-casa-01", func() time.Time { return start }, strings.NewReader(strings.Repeat(string(rune('A'+i)), 64)))
	return g.Next()
}

func sample(t testing.TB, n tracking.Number) receipt.Document {
	t.Helper()
	ma, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	d, err := receipt.Sample(ma, receipt.KindRequest, "fr", n, start)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openQueue(t testing.TB) (*Queue, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "printq.db")
	q, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q, path
}

// fakePrinter answers Print and Ready from scripts of errors (nil once
// the script runs out) and records what it printed.
type fakePrinter struct {
	mu      sync.Mutex
	prints  []error
	readies []error
	printed []receipt.Document
	calls   int
	block   chan struct{} // when set, Print waits on it (or ctx)
}

func (p *fakePrinter) Print(ctx context.Context, doc receipt.Document) error {
	p.mu.Lock()
	p.calls++
	var err error
	if len(p.prints) > 0 {
		err, p.prints = p.prints[0], p.prints[1:]
	}
	block := p.block
	p.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err == nil {
		p.mu.Lock()
		p.printed = append(p.printed, doc)
		p.mu.Unlock()
	}
	return err
}

func (p *fakePrinter) Ready(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var err error
	if len(p.readies) > 0 {
		err, p.readies = p.readies[0], p.readies[1:]
	}
	return err
}

func (p *fakePrinter) Printed() []receipt.Document {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.printed)
}

type harness struct {
	t      *testing.T
	q      *Queue
	p      *fakePrinter
	clk    *clock.Fake
	s      *Spooler
	events chan Event
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, p *fakePrinter) *harness {
	q, _ := openQueue(t)
	return newHarnessOn(t, q, p)
}

func newHarnessOn(t *testing.T, q *Queue, p *fakePrinter) *harness {
	ma, _ := pack.Embedded("ma")
	h := &harness{t: t, q: q, p: p, clk: clock.NewFake(start), events: make(chan Event, 100), done: make(chan error, 1)}
	h.s = &Spooler{
		Queue: q, Printer: p, Pack: ma, Kiosk: receipt.SampleKiosk(ma), Clock: h.clk,
		RetryEvery: 2 * time.Second, HoldFor: 10 * time.Minute,
		OnEvent: func(e Event) { h.events <- e },
	}
	return h
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.s.Run(ctx) }()
	h.t.Cleanup(func() { h.stop() })
}

func (h *harness) stop() error {
	if h.cancel == nil {
		return nil
	}
	h.cancel()
	h.cancel = nil
	select {
	case err := <-h.done:
		return err
	case <-time.After(5 * time.Second):
		h.t.Fatal("spooler did not stop")
	}
	return nil
}

func (h *harness) next(want EventKind) Event {
	h.t.Helper()
	select {
	case e := <-h.events:
		if e.Kind != want {
			h.t.Fatalf("event %s (job %d, %s), want %s", e.Kind, e.Job.ID, e.Fault, want)
		}
		return e
	case <-time.After(5 * time.Second):
		h.t.Fatalf("no %s event", want)
	}
	return Event{}
}

func (h *harness) quiet() {
	h.t.Helper()
	select {
	case e := <-h.events:
		h.t.Fatalf("unexpected event %s (job %d)", e.Kind, e.Job.ID)
	case <-time.After(50 * time.Millisecond):
	}
}

// advance moves the clock once the spooler sleeps on it.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.clk.Pending() == 0 {
		if time.Now().After(deadline) {
			h.t.Fatal("the spooler never slept on the clock")
		}
		time.Sleep(time.Millisecond)
	}
	h.clk.Advance(d)
}

func TestPrintsOnce(t *testing.T) {
	h := newHarness(t, &fakePrinter{})
	h.run()
	doc := sample(t, newNumber(t, 0))
	j, err := h.s.Submit(doc)
	if err != nil {
		t.Fatal(err)
	}
	e := h.next(EventPrinted)
	if e.Job.ID != j.ID || e.Job.State != Printed || e.Job.Attempts != 1 || e.Alarm {
		t.Errorf("printed event = %+v", e)
	}
	h.quiet()
	if got := len(h.p.Printed()); got != 1 {
		t.Errorf("printed %d times, want once", got)
	}
	stored, _ := h.q.Get(j.ID)
	if stored.State != Printed || !stored.PrintedAt.Equal(start) {
		t.Errorf("stored job = %s printed at %v", stored.State, stored.PrintedAt)
	}
}

func TestPaperOutMidReceipt(t *testing.T) {
	p := &fakePrinter{
		prints:  []error{errors.Join(errors.New("escpos: stopped after chunk 12 of 40"), ErrPaperOut)},
		readies: []error{ErrPaperOut, ErrPaperOut, nil},
	}
	h := newHarness(t, p)
	h.run()
	doc := sample(t, newNumber(t, 0))
	if _, err := h.s.Submit(doc); err != nil {
		t.Fatal(err)
	}
	held := h.next(EventHeld)
	if held.Fault != FaultPaperOut || held.MessageKey != "printer.paper_out" || !held.Alarm || held.Job.State != Held {
		t.Errorf("held event = %+v, want paper_out with printer.paper_out and an alarm", held)
	}
	// Still out of paper twice, then back.
	h.advance(2 * time.Second)
	h.advance(2 * time.Second)
	h.advance(2 * time.Second)
	h.next(EventResumed)
	printed := h.next(EventPrinted)
	if printed.Job.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", printed.Job.Attempts)
	}
	h.quiet()
	if diff := cmp.Diff([]receipt.Document{doc}, p.Printed()); diff != "" {
		t.Errorf("printed (-want +got):\n%s", diff)
	}
}

func TestHeldJobExpiresAndReprints(t *testing.T) {
	p := &fakePrinter{prints: []error{ErrCoverOpen}}
	for range 400 {
		p.readies = append(p.readies, ErrCoverOpen)
	}
	h := newHarness(t, p)
	h.run()
	n := newNumber(t, 1)
	if _, err := h.s.Submit(sample(t, n)); err != nil {
		t.Fatal(err)
	}
	if e := h.next(EventHeld); e.MessageKey != "printer.cover_open" {
		t.Errorf("message key = %q, want printer.cover_open", e.MessageKey)
	}
	if _, err := h.s.Reprint(n); !errors.Is(err, ErrNotPrinted) {
		t.Errorf("Reprint while held = %v, want ErrNotPrinted", err)
	}
	for range 300 {
		h.advance(2 * time.Second)
		if h.clk.Now().Sub(start) >= 10*time.Minute {
			break
		}
	}
	e := h.next(EventExpired)
	if !e.Alarm || e.Job.State != Expired {
		t.Errorf("expired event = %+v", e)
	}
	if len(p.Printed()) != 0 {
		t.Fatalf("an expired job printed")
	}
	// The citizen comes back and types the number: a marked duplicate.
	p.mu.Lock()
	p.readies = nil
	p.mu.Unlock()
	dup, err := h.s.Reprint(n)
	if err != nil {
		t.Fatal(err)
	}
	if !dup.Document.Duplicate || dup.Document.Tracking != n {
		t.Errorf("reprint job = duplicate %v, tracking %s", dup.Document.Duplicate, dup.Document.Tracking)
	}
	h.next(EventPrinted)
	got := p.Printed()
	if len(got) != 1 || !got[0].Duplicate || got[0].Texts()[0] != "DUPLICATA / نسخة" {
		t.Errorf("printed %d documents, first duplicate=%v", len(got), len(got) > 0 && got[0].Duplicate)
	}
	// A second reprint is a duplicate of the original again.
	if _, err := h.s.Reprint(n); err != nil {
		t.Fatal(err)
	}
	h.next(EventPrinted)
	jobs, _ := h.q.ByTracking(n)
	if len(jobs) != 3 || jobs[0].Document.Duplicate || !jobs[1].Document.Duplicate || !jobs[2].Document.Duplicate {
		t.Errorf("jobs for %s: %d", n, len(jobs))
	}
}

func TestRecoverInterrupted(t *testing.T) {
	q, path := openQueue(t)
	j, err := q.Add(sample(t, newNumber(t, 2)), start)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.transition(j.ID, start, Printing, []State{Pending}, nil); err != nil {
		t.Fatal(err)
	}
	later, _ := q.Add(sample(t, newNumber(t, 3)), start)
	q.Close()
	// The kiosk restarts.
	q2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	p := &fakePrinter{}
	h := newHarnessOn(t, q2, p)
	h.run()
	e := h.next(EventInterrupted)
	if e.Job.ID != j.ID || !e.Alarm {
		t.Errorf("interrupted event = %+v", e)
	}
	if e := h.next(EventPrinted); e.Job.ID != later.ID {
		t.Errorf("printed job %d, want %d (the one never started)", e.Job.ID, later.ID)
	}
	h.quiet()
	if got := len(p.Printed()); got != 1 {
		t.Errorf("printed %d, want 1: the interrupted job must not print unasked", got)
	}
}

func TestStopMidPrint(t *testing.T) {
	p := &fakePrinter{block: make(chan struct{})}
	h := newHarness(t, p)
	h.run()
	j, _ := h.s.Submit(sample(t, newNumber(t, 4)))
	for {
		p.mu.Lock()
		c := p.calls
		p.mu.Unlock()
		if c > 0 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := h.stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want context.Canceled", err)
	}
	got, _ := h.q.Get(j.ID)
	if got.State != Interrupted {
		t.Errorf("job stopped mid-print is %s, want interrupted", got.State)
	}
}

func TestFaultOf(t *testing.T) {
	tests := []struct {
		err  error
		want Fault
		key  string
	}{
		{nil, NoFault, ""},
		{ErrPaperOut, FaultPaperOut, "printer.paper_out"},
		{errors.Join(errors.New("escpos: x"), ErrCoverOpen), FaultCoverOpen, "printer.cover_open"},
		{ErrAbsent, FaultAbsent, "printer.absent"},
		{ErrFault, FaultPrinter, "printer.error"},
		{errors.New("escpos: write /dev/usb/lp0: no such device"), FaultPrinter, "printer.error"},
	}
	for _, tt := range tests {
		if got := FaultOf(tt.err); got != tt.want || got.MessageKey() != tt.key {
			t.Errorf("FaultOf(%v) = %q (%q), want %q (%q)", tt.err, got, got.MessageKey(), tt.want, tt.key)
		}
	}
	ma, _ := pack.Embedded("ma")
	for _, f := range []Fault{FaultPaperOut, FaultCoverOpen, FaultAbsent, FaultPrinter} {
		for _, l := range ma.Languages {
			if ma.Messages[l.Code][f.MessageKey()] == "" {
				t.Errorf("pack ma %s lacks %s", l.Code, f.MessageKey())
			}
		}
	}
}

func TestQueue(t *testing.T) {
	q, path := openQueue(t)
	n := newNumber(t, 5)
	a, _ := q.Add(sample(t, n), start)
	b, _ := q.Add(sample(t, newNumber(t, 6)), start.Add(time.Minute))
	if _, err := q.Add(receipt.Document{Kind: "menu"}, start); err == nil {
		t.Errorf("Add(invalid document) = nil error")
	}
	next, ok, err := q.Next()
	if err != nil || !ok || next.ID != a.ID {
		t.Fatalf("Next() = %d, %v, %v; want job %d", next.ID, ok, err, a.ID)
	}
	if _, err := q.Cancel(a.ID, start); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Cancel(a.ID, start); err == nil {
		t.Errorf("Cancel twice = nil error")
	}
	if next, _, _ := q.Next(); next.ID != b.ID {
		t.Errorf("Next() after cancel = %d, want %d", next.ID, b.ID)
	}
	if _, err := q.Get(99); !errors.Is(err, ErrNoJob) {
		t.Errorf("Get(99) = %v, want ErrNoJob", err)
	}
	q.Close()
	q, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	jobs, _ := q.ByTracking(n)
	if len(jobs) != 1 || jobs[0].State != Cancelled {
		t.Fatalf("ByTracking after reopen = %+v", jobs)
	}
	if diff := cmp.Diff(sample(t, n), jobs[0].Document); diff != "" {
		t.Errorf("stored document (-want +got):\n%s", diff)
	}
	pruned, err := q.Prune(start.Add(time.Hour))
	if err != nil || pruned != 1 {
		t.Errorf("Prune = %d, %v; want 1 (the cancelled job)", pruned, err)
	}
	if jobs, _ := q.ByTracking(n); len(jobs) != 0 {
		t.Errorf("ByTracking after prune = %d jobs", len(jobs))
	}
	if all, _ := q.Jobs(); len(all) != 1 || all[0].ID != b.ID {
		t.Errorf("Jobs() after prune = %v", all)
	}
}

// FuzzDecodeJob: the stored-job decoder never panics, and what it accepts
// stores back to a job it reads the same.
func FuzzDecodeJob(f *testing.F) {
	j := Job{ID: 7, Document: sample(f, newNumber(f, 7)), State: Held, Fault: FaultPaperOut, Attempts: 1, CreatedAt: start, UpdatedAt: start}
	v, err := json.Marshal(j)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(v)
	f.Add([]byte(`{"id":1,"state":"flying","document":{"kind":"request","lang":"fr","blocks":[{"kind":"cut"}]}}`))
	f.Add([]byte(`{"id":1,"state":"pending","document":{"kind":"request","lang":"fr","blocks":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := decodeJob(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(j)
		if err != nil {
			t.Fatal(err)
		}
		j2, err := decodeJob(again)
		if err != nil {
			t.Fatalf("a job that decoded does not decode again: %v", err)
		}
		if diff := cmp.Diff(j, j2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
