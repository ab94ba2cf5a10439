package store

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/audit"
	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/tracking"
)

var ctx = context.Background()

func actions(t testing.TB, s *Store) []string {
	t.Helper()
	es, err := s.AuditEntries()
	if err != nil {
		t.Fatalf("AuditEntries() = %v", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Actor.String()+" "+e.Action)
	}
	return out
}

func TestSubmitWritesEverything(t *testing.T) {
	f := openTest(t)
	d := draft(t)
	data := personal("CANARY-SUBMIT")
	got, err := f.Submit(ctx, d, data)
	if err != nil {
		t.Fatalf("Submit() = %v", err)
	}
	want := d
	want.State = request.Queued
	want.Tracking = got.Tracking
	want.KioskID = "ma-tpi-casablanca-01"
	want.CreatedAt, want.UpdatedAt = t0, t0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Submit() mismatch (-want +got):\n%s", diff)
	}
	if !got.Tracking.Valid() {
		t.Errorf("Submit().Tracking = %q, not a valid tracking number", got.Tracking)
	}

	for name, lookup := range map[string]func() (request.Request, error){
		"Request":    func() (request.Request, error) { return f.Request(d.ID) },
		"ByTracking": func() (request.Request, error) { return f.ByTracking(got.Tracking) },
	} {
		r, err := lookup()
		if err != nil {
			t.Fatalf("%s() = %v", name, err)
		}
		if diff := cmp.Diff(got, r); diff != "" {
			t.Errorf("%s() mismatch (-want +got):\n%s", name, diff)
		}
	}

	out, err := f.PendingOutbox(0)
	if err != nil || len(out) != 1 {
		t.Fatalf("PendingOutbox() = %d entries, %v; want 1", len(out), err)
	}
	e := out[0]
	if e.RequestID != d.ID || e.IdempotencyKey != d.ID || e.Attempts != 0 || !e.QueuedAt.Equal(t0) || !e.LastAttempt.IsZero() {
		t.Errorf("PendingOutbox()[0] = %+v", e)
	}
	if e.BodyHash != sum(e.Sealed) {
		t.Errorf("BodyHash = %x, want SHA-256 of the sealed payload", e.BodyHash)
	}
	if contains(e.Sealed, []byte("CANARY-SUBMIT")) {
		t.Errorf("sealed payload contains the plaintext canary")
	}
	opened, err := seal.Open(f.registry, d.ID, e.Sealed)
	if err != nil || string(opened) != string(data) {
		t.Errorf("seal.Open(registry, sealed) = %q, %v; want the personal data", opened, err)
	}

	if diff := cmp.Diff([]string{"system store.created", "citizen request.queued"}, actions(t, f.Store)); diff != "" {
		t.Errorf("audit actions mismatch (-want +got):\n%s", diff)
	}
	h, err := f.Health()
	if err != nil {
		t.Fatal(err)
	}
	if h.QueueDepth != 1 || !h.Oldest.Equal(t0) || h.Limited || h.Residue != 0 || h.AuditHead.Seq != 2 {
		t.Errorf("Health() = %+v", h)
	}
}

func TestSubmitIsIdempotent(t *testing.T) {
	f := openTest(t)
	d := draft(t)
	first, err := f.Submit(ctx, d, personal("a"))
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	again, err := f.Submit(ctx, d, personal("a"))
	if err != nil {
		t.Fatalf("Submit() again = %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("Submit() again mismatch (-first +again):\n%s", diff)
	}
	out, _ := f.PendingOutbox(0)
	if len(out) != 1 {
		t.Errorf("PendingOutbox() = %d entries after a repeated Submit, want 1", len(out))
	}
	if n := len(actions(t, f.Store)); n != 2 {
		t.Errorf("audit has %d entries after a repeated Submit, want 2", n)
	}

	other := d
	other.Service = "civil_status_act"
	if _, err := f.Submit(ctx, other, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("Submit(same id, other service) = %v, want ErrConflict", err)
	}
	clash := draft(t)
	clash.Tracking = first.Tracking
	if _, err := f.Submit(ctx, clash, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("Submit(other id, used tracking number) = %v, want ErrConflict", err)
	}
}

func TestSubmitRefuses(t *testing.T) {
	f := openTest(t)
	noKey := openTest(t, func(o *Options) { o.RegistryKey = nil })
	tests := []struct {
		name   string
		s      *Store
		mutate func(*request.Request)
		want   error
		text   string
	}{
		{name: "not a draft", s: f.Store, mutate: func(r *request.Request) { r.State = request.Sent }, text: "want a draft"},
		{name: "bad id", s: f.Store, mutate: func(r *request.Request) { r.ID = "REQ-1" }, want: request.ErrInvalid},
		{name: "negative fee", s: f.Store, mutate: func(r *request.Request) { r.Fee = -1 }, want: request.ErrInvalid},
		{name: "before enrolment", s: noKey.Store, want: ErrNoRegistryKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := draft(t)
			if tt.mutate != nil {
				tt.mutate(&d)
			}
			_, err := tt.s.Submit(ctx, d, personal("x"))
			if tt.want != nil && !errors.Is(err, tt.want) || tt.text != "" && (err == nil || !strings.Contains(err.Error(), tt.text)) {
				t.Errorf("Submit() = %v, want %v %q", err, tt.want, tt.text)
			}
		})
	}
	out, _ := f.PendingOutbox(0)
	if len(out) != 0 {
		t.Errorf("PendingOutbox() = %d entries after refused submits, want 0", len(out))
	}
	noKey.SetRegistryKey(f.registry.Public())
	if _, err := noKey.Submit(ctx, draft(t), nil); err != nil {
		t.Errorf("Submit() after SetRegistryKey = %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Submit(cancelled, draft(t), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit(cancelled ctx) = %v, want context.Canceled", err)
	}
}

func TestLifecycle(t *testing.T) {
	f := openTest(t)
	r, err := f.Submit(ctx, draft(t), personal("life"))
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, fn func() error) {
		t.Helper()
		f.clock.Advance(time.Minute)
		if err := fn(); err != nil {
			t.Fatalf("%s = %v", name, err)
		}
	}
	step("MarkSent()", func() error { return f.MarkSent(ctx, r.ID) })
	step("MarkSent() again", func() error { return f.MarkSent(ctx, r.ID) })
	out, _ := f.PendingOutbox(0)
	if len(out) != 1 || out[0].Attempts != 2 || out[0].Request.State != request.Sent || !out[0].LastAttempt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("PendingOutbox() after two sends = %+v", out)
	}
	step("Acknowledge()", func() error { return f.Acknowledge(ctx, r.ID) })
	step("Acknowledge() again", func() error { return f.Acknowledge(ctx, r.ID) })
	if out, _ := f.PendingOutbox(0); len(out) != 0 {
		t.Errorf("PendingOutbox() after Acknowledge = %d entries, want 0", len(out))
	}
	h, _ := f.Health()
	if h.QueueDepth != 0 || h.Residue != 1 {
		t.Errorf("Health() after Acknowledge = depth %d residue %d, want 0 and 1", h.QueueDepth, h.Residue)
	}
	registryAt := t0.Add(time.Hour)
	step("ApplyStatus(in_processing)", func() error { return f.ApplyStatus(ctx, r.ID, request.InProcessing, "", registryAt) })
	step("ApplyStatus(in_processing) again", func() error { return f.ApplyStatus(ctx, r.ID, request.InProcessing, "", registryAt) })
	step("ApplyStatus(delivered)", func() error { return f.ApplyStatus(ctx, r.ID, request.Delivered, "", registryAt.Add(time.Hour)) })

	err = f.ApplyStatus(ctx, r.ID, request.Queued, "", registryAt)
	if !errors.Is(err, request.ErrIllegalTransition) {
		t.Errorf("ApplyStatus(delivered → queued) = %v, want ErrIllegalTransition", err)
	}
	got, _ := f.Request(r.ID)
	if got.State != request.Delivered || !got.UpdatedAt.Equal(registryAt.Add(time.Hour)) {
		t.Errorf("Request() = %s at %v, want delivered at %v", got.State, got.UpdatedAt, registryAt.Add(time.Hour))
	}
	want := []string{
		"system store.created",
		"citizen request.queued",
		"system request.sent",
		"registry request.acknowledged",
		"registry request.in_processing",
		"registry request.ready",
		"registry request.delivered",
	}
	if diff := cmp.Diff(want, actions(t, f.Store)); diff != "" {
		t.Errorf("audit actions mismatch (-want +got):\n%s", diff)
	}
}

func TestApplyStatus(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(f *fixture, id string) error
		to      request.State
		reason  string
		want    request.State
		wantErr error
		purged  bool
	}{
		{name: "ready before the acknowledgement arrived", prepare: func(f *fixture, id string) error { return f.MarkSent(ctx, id) },
			to: request.Ready, want: request.Ready, purged: true},
		{name: "rejected with a reason", prepare: func(f *fixture, id string) error { return f.MarkSent(ctx, id) },
			to: request.Rejected, reason: "wrong birth court", want: request.Rejected, purged: true},
		{name: "rejected without a reason", prepare: func(f *fixture, id string) error { return f.MarkSent(ctx, id) },
			to: request.Rejected, want: request.Sent},
		{name: "cancelled while queued", to: request.Cancelled, want: request.Cancelled, purged: true},
		{name: "back to draft", to: request.Draft, want: request.Queued, wantErr: request.ErrIllegalTransition},
		{name: "unknown state", to: "lost", want: request.Queued},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openTest(t)
			r, err := f.Submit(ctx, draft(t), personal("status"))
			if err != nil {
				t.Fatal(err)
			}
			if tt.prepare != nil {
				if err := tt.prepare(f, r.ID); err != nil {
					t.Fatal(err)
				}
			}
			err = f.ApplyStatus(ctx, r.ID, tt.to, tt.reason, t0.Add(time.Hour))
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("ApplyStatus() = %v, want %v", err, tt.wantErr)
			}
			if tt.want != tt.to && err == nil {
				t.Errorf("ApplyStatus() = nil, want an error")
			}
			got, _ := f.Request(r.ID)
			if got.State != tt.want {
				t.Errorf("state after ApplyStatus() = %s, want %s", got.State, tt.want)
			}
			out, _ := f.PendingOutbox(0)
			if purged := len(out) == 0; purged != tt.purged {
				t.Errorf("outbox purged = %v, want %v", purged, tt.purged)
			}
		})
	}
	f := openTest(t)
	if err := f.ApplyStatus(ctx, strings.Repeat("a", 32), request.Ready, "", t0); !errors.Is(err, ErrNotFound) {
		t.Errorf("ApplyStatus(unknown id) = %v, want ErrNotFound", err)
	}
}

func TestAcknowledgeFromQueuedAndUnknown(t *testing.T) {
	f := openTest(t)
	a, _ := f.Submit(ctx, draft(t), personal("a"))
	b, _ := f.Submit(ctx, draft(t), personal("b"))
	unknown := strings.Repeat("f", 32)
	err := f.Acknowledge(ctx, a.ID, unknown, b.ID)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), unknown) {
		t.Errorf("Acknowledge(a, unknown, b) = %v, want ErrNotFound naming %s", err, unknown)
	}
	for _, id := range []string{a.ID, b.ID} {
		if r, _ := f.Request(id); r.State != request.Acknowledged {
			t.Errorf("Request(%s).State = %s, want acknowledged", id, r.State)
		}
	}
	if err := f.MarkSent(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkSent(acknowledged) = %v, want ErrNotFound", err)
	}
	if _, err := f.Request(unknown); !errors.Is(err, ErrNotFound) {
		t.Errorf("Request(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := f.ByTracking("K7MX4HQ9XR3T"); !errors.Is(err, ErrNotFound) {
		t.Errorf("ByTracking(unknown) = %v, want ErrNotFound", err)
	}
}

func TestRecordAudit(t *testing.T) {
	f := openTest(t)
	e, err := f.RecordAudit(ctx, audit.Technician, "technician.printer_test", "escpos", "page printed")
	if err != nil {
		t.Fatalf("RecordAudit() = %v", err)
	}
	head, _ := f.AuditHead()
	if head != e.Head() || e.Seq != 2 {
		t.Errorf("AuditHead() = %v after entry %v", head, e.Head())
	}
	if _, err := f.RecordAudit(ctx, audit.Technician, "Bad Action", "", ""); err == nil {
		t.Errorf("RecordAudit(bad action) = nil, want error")
	}
	if n := len(actions(t, f.Store)); n != 2 {
		t.Errorf("audit has %d entries after a refused RecordAudit, want 2", n)
	}
}

func TestConcurrentSubmits(t *testing.T) {
	f := openTest(t)
	const workers, each = 16, 12
	shared := draft(t) // submitted by every worker: stored once
	var wg sync.WaitGroup
	ids := make(chan string, workers*each)
	tracks := make(chan string, workers+1)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := f.Submit(ctx, shared, personal("shared"))
			if err != nil {
				t.Errorf("Submit(shared) = %v", err)
			}
			tracks <- string(r.Tracking)
			for range each {
				r, err := f.Submit(ctx, draft(t), personal("c"))
				if err != nil {
					t.Errorf("Submit() = %v", err)
					return
				}
				ids <- r.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	close(tracks)
	seen := map[string]bool{}
	for id := range ids {
		seen[id] = true
	}
	first := <-tracks
	for tr := range tracks {
		if tr != first {
			t.Errorf("concurrent Submit(shared) gave tracking %s and %s", first, tr)
		}
	}
	out, _ := f.PendingOutbox(0)
	if len(out) != workers*each+1 || len(seen) != workers*each {
		t.Errorf("PendingOutbox() = %d entries for %d distinct submits (+1 shared)", len(out), len(seen))
	}
	for i := 1; i < len(out); i++ {
		if out[i].Seq <= out[i-1].Seq {
			t.Fatalf("PendingOutbox() not in queue order at %d", i)
		}
	}
}

func TestQueueFull(t *testing.T) {
	f := openTest(t, func(o *Options) { o.MaxSize = 192 << 10 })
	big := make([]byte, 8<<10)
	var ids []string
	var err error
	for range 100 {
		var r request.Request
		if r, err = f.Submit(ctx, draft(t), big); err != nil {
			break
		}
		ids = append(ids, r.ID)
	}
	if !errors.Is(err, ErrQueueFull) || err.Error() != "store: queue full, service limited" {
		t.Fatalf("Submit() after %d requests = %v, want ErrQueueFull", len(ids), err)
	}
	if len(ids) < 5 {
		t.Fatalf("only %d requests fit in 192 KiB", len(ids))
	}
	if _, err := f.Submit(ctx, draft(t), big); !errors.Is(err, ErrQueueFull) {
		t.Errorf("Submit() when full = %v, want ErrQueueFull", err)
	}
	h, _ := f.Health()
	if h.InUse+16<<10 < h.MaxSize {
		t.Errorf("Health() when full = %+v, want InUse within 16 KiB of MaxSize", h)
	}
	var alarms int
	for _, a := range f.Alarms() {
		if a.Kind == AlarmQueueFull {
			alarms++
		}
	}
	if alarms != 1 {
		t.Errorf("Alarms() has %d queue-full alarms, want 1", alarms)
	}
	// The registry drains the queue: acknowledgements still work, and then
	// there is room again without compaction (free pages are reused).
	if err := f.Acknowledge(ctx, ids...); err != nil {
		t.Fatalf("Acknowledge() when full = %v", err)
	}
	if _, err := f.RecordAudit(ctx, audit.Technician, "technician.checked_queue", "", ""); err != nil {
		t.Errorf("RecordAudit() after full = %v", err)
	}
	for i := range len(ids) / 2 {
		if _, err := f.Submit(ctx, draft(t), big); err != nil {
			t.Fatalf("Submit() %d after draining = %v", i, err)
		}
	}
	if h, _ := f.Health(); h.Limited {
		t.Errorf("Health().Limited after draining = true")
	}
}

func TestClosed(t *testing.T) {
	f := openTest(t)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Submit(ctx, draft(t), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("Submit() after Close = %v, want ErrClosed", err)
	}
	if _, err := f.Health(); !errors.Is(err, ErrClosed) {
		t.Errorf("Health() after Close = %v, want ErrClosed", err)
	}
}

func TestReadOnly(t *testing.T) {
	f := openTest(t)
	if _, err := Open(f.path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Open(read-only) while the kiosk holds it = %v, want a locked error", err)
	}
	r, _ := f.Submit(ctx, draft(t), personal("ro"))
	f.Close()
	ro, err := Open(f.path, Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open(read-only) = %v", err)
	}
	defer ro.Close()
	if got, err := ro.Request(r.ID); err != nil || got.State != request.Queued {
		t.Errorf("read-only Request() = %v, %v", got.State, err)
	}
	if _, err := ro.Submit(ctx, draft(t), nil); !errors.Is(err, ErrReadOnly) {
		t.Errorf("read-only Submit() = %v, want ErrReadOnly", err)
	}
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestTrackingAfterRestart restarts the kiosk during a day with a generator
// whose counter starts exactly where the first run's did: the store must walk
// past every number already issued, however many.
func TestTrackingAfterRestart(t *testing.T) {
	gen := func(o *Options) { o.Tracking = tracking.NewGenerator(o.KioskID, o.Now, zeroReader{}) }
	f := openTest(t, gen)
	used := map[tracking.Number]bool{}
	for range 40 {
		r, err := f.Submit(ctx, draft(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		used[r.Tracking] = true
	}
	f.Close()
	s, err := Open(f.path, Options{RegistryKey: f.registry.Public(), KioskID: "ma-tpi-casablanca-01", Now: f.clock.Now, Tracking: tracking.NewGenerator("ma-tpi-casablanca-01", f.clock.Now, zeroReader{})})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Submit(ctx, draft(t), nil)
	if err != nil {
		t.Fatalf("Submit() after a restart into used numbers = %v", err)
	}
	if used[r.Tracking] {
		t.Errorf("Submit() reused tracking number %s", r.Tracking)
	}
}
