package session

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/clock"
	"guichet/kiosk/tracking"
)

var start = time.Date(2026, time.March, 14, 9, 0, 0, 0, time.UTC)

// recorder collects events as the UI would receive them.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) notify(e Event) { r.mu.Lock(); r.events = append(r.events, e); r.mu.Unlock() }

// take returns and forgets the events so far, as short strings.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.String())
	}
	r.events = nil
	return out
}

func newSession(t *testing.T, cfg Config) (*Session, *clock.Fake, *recorder) {
	t.Helper()
	clk := clock.NewFake(start)
	rec := &recorder{}
	s, err := New(cfg, clk, rec.notify)
	if err != nil {
		t.Fatalf("New(%+v) = %v", cfg, err)
	}
	return s, clk, rec
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"default", DefaultConfig(), ""},
		{"twenty seconds", Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second}, ""},
		{"ten extensions", Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second, MaxExtensions: 10}, ""},
		{"short warning", Config{IdleTimeout: time.Minute, WarningLead: 19 * time.Second}, "shorter than the 20s WCAG 2.2.1 requires"},
		{"warning as long as idle", Config{IdleTimeout: 30 * time.Second, WarningLead: 30 * time.Second}, "not longer than the warning lead"},
		{"negative extensions", Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second, MaxExtensions: -1}, "negative"},
		{"three extensions", Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second, MaxExtensions: 3}, "below the 10 WCAG 2.2.1 requires"},
		{"zero", Config{}, "warning lead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "session: ") {
				t.Errorf("Validate() = %v, want an error with %q", err, tt.wantErr)
			}
			if _, err := New(tt.cfg, clock.NewFake(start), nil); err == nil {
				t.Errorf("New accepted the policy")
			}
		})
	}
}

func TestWarningThenExpiry(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig()) // 120 s, warning 30 s before
	clk.Advance(89 * time.Second)
	if got := rec.take(); got != nil || s.State() != Active {
		t.Fatalf("after 89 s: state %v, events %v, want active and none", s.State(), got)
	}
	if got, want := s.ExpiresAt(), start.Add(120*time.Second); !got.Equal(want) {
		t.Errorf("ExpiresAt() = %v, want %v", got, want)
	}
	clk.Advance(time.Second)
	if diff := cmp.Diff([]string{"warning: 30 s left, -1 extensions left"}, rec.take()); diff != "" || s.State() != Warning {
		t.Fatalf("after 90 s: state %v, events (-want +got):\n%s", s.State(), diff)
	}
	clk.Advance(27 * time.Second)
	var want []string
	for n := 29; n >= 3; n-- {
		want = append(want, fmt.Sprintf("countdown: %d s left, -1 extensions left", n))
	}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Fatalf("countdown (-want +got):\n%s", diff)
	}
	clk.Advance(2*time.Second + 999*time.Millisecond)
	if diff := cmp.Diff([]string{"countdown: 2 s left, -1 extensions left", "countdown: 1 s left, -1 extensions left"}, rec.take()); diff != "" {
		t.Fatalf("last seconds (-want +got):\n%s", diff)
	}
	if s.State() != Warning {
		t.Fatalf("1 ms before the end: state %v, want warning", s.State())
	}
	clk.Advance(time.Millisecond)
	if diff := cmp.Diff([]string{"expired"}, rec.take()); diff != "" || s.State() != Expired {
		t.Fatalf("at 120 s: state %v, events (-want +got):\n%s", s.State(), diff)
	}
	if n := clk.Pending(); n != 0 {
		t.Errorf("after expiry %d timers still pending, want 0", n)
	}
	clk.Advance(time.Hour)
	if got := rec.take(); got != nil {
		t.Errorf("after expiry, events %v, want none", got)
	}
	if !s.ExpiresAt().IsZero() {
		t.Errorf("ExpiresAt() after expiry = %v, want zero", s.ExpiresAt())
	}
}

func TestWarningEventFields(t *testing.T) {
	s, clk, _ := newSession(t, Config{IdleTimeout: 60 * time.Second, WarningLead: 25 * time.Second, MaxExtensions: 10})
	var got []Event
	s.notify = func(e Event) { got = append(got, e) }
	clk.Advance(36 * time.Second)
	want := []Event{
		{Kind: EventWarning, SecondsLeft: 25, Deadline: start.Add(60 * time.Second), ExtensionsLeft: 10},
		{Kind: EventCountdown, SecondsLeft: 24, Deadline: start.Add(60 * time.Second), ExtensionsLeft: 10},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestTouchPostponesWarning(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	clk.Advance(60 * time.Second)
	s.Touch()
	clk.Advance(89 * time.Second) // 149 s: 89 s after the touch
	if got := rec.take(); got != nil {
		t.Fatalf("89 s after a touch, events %v, want none", got)
	}
	clk.Advance(time.Second)
	if got := rec.take(); len(got) != 1 || !strings.HasPrefix(got[0], "warning: 30 s left") {
		t.Fatalf("90 s after a touch, events %v, want a warning", got)
	}
}

func TestExtendFromWarning(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	clk.Advance(100 * time.Second) // warning at 90, 10 s into it
	rec.take()
	if err := s.Extend(); err != nil {
		t.Fatalf("Extend() = %v", err)
	}
	if diff := cmp.Diff([]string{"extended"}, rec.take()); diff != "" || s.State() != Active {
		t.Fatalf("after Extend: state %v, events (-want +got):\n%s", s.State(), diff)
	}
	if got, want := s.ExpiresAt(), start.Add(220*time.Second); !got.Equal(want) {
		t.Errorf("ExpiresAt() after Extend at 100 s = %v, want %v", got, want)
	}
	clk.Advance(89 * time.Second)
	if got := rec.take(); got != nil {
		t.Fatalf("89 s after Extend, events %v, want none", got)
	}
	clk.Advance(time.Second)
	if got := rec.take(); len(got) != 1 || !strings.HasPrefix(got[0], "warning") {
		t.Fatalf("90 s after Extend, events %v, want a warning", got)
	}
}

func TestExtendWhileActiveIsATouch(t *testing.T) {
	s, clk, rec := newSession(t, Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second, MaxExtensions: 10})
	clk.Advance(30 * time.Second)
	if err := s.Extend(); err != nil {
		t.Fatalf("Extend() while active = %v", err)
	}
	clk.Advance(39 * time.Second)
	if got := rec.take(); got != nil {
		t.Fatalf("events %v, want none", got)
	}
	clk.Advance(time.Second)
	if got := rec.take(); len(got) != 1 || got[0] != "warning: 20 s left, 10 extensions left" {
		t.Errorf("events %v, want a warning with all 10 extensions left", got)
	}
}

func TestTouchDuringWarningExtends(t *testing.T) {
	s, clk, rec := newSession(t, Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second, MaxExtensions: 10})
	clk.Advance(45 * time.Second)
	rec.take()
	s.Touch()
	if diff := cmp.Diff([]string{"extended"}, rec.take()); diff != "" || s.State() != Active {
		t.Fatalf("touch during warning: state %v, events (-want +got):\n%s", s.State(), diff)
	}
	clk.Advance(40 * time.Second)
	if got := rec.take(); len(got) != 1 || got[0] != "warning: 20 s left, 9 extensions left" {
		t.Errorf("next warning %v, want one with 9 extensions left", got)
	}
}

func TestExtensionLimit(t *testing.T) {
	cfg := Config{IdleTimeout: time.Minute, WarningLead: 20 * time.Second, MaxExtensions: 10}
	s, clk, rec := newSession(t, cfg)
	for i := range 10 {
		clk.Advance(40 * time.Second)
		if s.State() != Warning {
			t.Fatalf("round %d: state %v, want warning", i, s.State())
		}
		if i%2 == 0 {
			if err := s.Extend(); err != nil {
				t.Fatalf("round %d: Extend() = %v", i, err)
			}
		} else {
			s.Touch()
		}
	}
	rec.take()
	clk.Advance(40 * time.Second)
	if got := rec.take(); len(got) != 1 || got[0] != "warning: 20 s left, 0 extensions left" {
		t.Fatalf("eleventh warning %v, want one with no extension left", got)
	}
	if err := s.Extend(); !errors.Is(err, ErrNoExtensionsLeft) {
		t.Errorf("Extend() past the limit = %v, want %v", err, ErrNoExtensionsLeft)
	}
	s.Touch() // no longer extends
	if s.State() != Warning {
		t.Errorf("Touch past the limit: state %v, want warning", s.State())
	}
	clk.Advance(20 * time.Second)
	if s.State() != Expired {
		t.Errorf("state %v, want expired", s.State())
	}
	if err := s.Extend(); !errors.Is(err, ErrEnded) {
		t.Errorf("Extend() after expiry = %v, want %v", err, ErrEnded)
	}
}

// lateClock fires every timer late, like a board coming out of suspend.
type lateClock struct {
	*clock.Fake
	late time.Duration
}

func (c lateClock) AfterFunc(d time.Duration, f func()) clock.Timer {
	return c.Fake.AfterFunc(d+c.late, f)
}

func TestLateTimerStillGivesFullWarning(t *testing.T) {
	clk := lateClock{clock.NewFake(start), 45 * time.Second}
	rec := &recorder{}
	s, err := New(DefaultConfig(), clk, rec.notify)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(134 * time.Second) // the warning timer fires at 135 s, past the idle end
	if got := rec.take(); got != nil {
		t.Fatalf("events %v, want none yet", got)
	}
	clk.Advance(time.Second)
	if got := rec.take(); len(got) != 1 || got[0] != "warning: 30 s left, -1 extensions left" {
		t.Fatalf("late warning %v, want the full 30 s", got)
	}
	if got, want := s.ExpiresAt(), start.Add(165*time.Second); !got.Equal(want) {
		t.Errorf("ExpiresAt() = %v, want %v", got, want)
	}
}

func TestStaleTimerIsIgnored(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	clk.Advance(90 * time.Second)
	s.mu.Lock()
	stale := s.gen
	s.mu.Unlock()
	if err := s.Extend(); err != nil {
		t.Fatal(err)
	}
	rec.take()
	s.fire(stale) // a real timer that fired while being stopped
	if got := rec.take(); got != nil || s.State() != Active {
		t.Errorf("stale fire: state %v, events %v, want active and none", s.State(), got)
	}
}

// fill gives the session one of every kind of personal data and returns the
// byte slices the session now owns, to check that Wipe zeroes them.
func fill(t *testing.T, s *Session) [][]byte {
	t.Helper()
	front := []byte("JPEG of the card front: AB123456")
	for _, err := range []error{
		s.SetLanguage("ar"),
		s.SetService("bulletin3"),
		s.SetField("father_name", "Mohammed"),
		s.SetField("mother_name", "Fatima"),
		s.SetField("birth_place", "Fès"),
		s.SetMRZ(map[string]string{"surname": "ALAOUI", "given_names": "YOUSSEF", "document_number": "AB123456"}),
		s.SetScan("front", front),
		s.SetReceipt("K7MX4HQ9XR33"),
	} {
		if err != nil {
			t.Fatalf("filling the session: %v", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var owned [][]byte
	for _, m := range []map[string][]byte{s.p.fields, s.p.mrz, s.p.scans} {
		for _, v := range m {
			owned = append(owned, v)
		}
	}
	if len(owned) != 7 {
		t.Fatalf("session owns %d slices, want 7", len(owned))
	}
	return owned
}

// reachable returns the paths of every non-empty string, map or slice in v,
// following structs, pointers and arrays (not interfaces or funcs: the clock
// and the callback are not the citizen's).
func reachable(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.String:
		if v.Len() > 0 {
			return []string{fmt.Sprintf("%s = %q", path, v.String())}
		}
	case reflect.Map, reflect.Slice:
		if v.Len() > 0 {
			return []string{fmt.Sprintf("%s has %d elements", path, v.Len())}
		}
		if v.Kind() == reflect.Slice && v.Cap() > 0 {
			return []string{fmt.Sprintf("%s keeps a backing array of %d", path, v.Cap())}
		}
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, reachable(v.Field(i), path+"."+v.Type().Field(i).Name)...)
		}
		return out
	case reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, reachable(v.Index(i), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case reflect.Pointer:
		if !v.IsNil() && v.Type().Elem().Kind() == reflect.Struct {
			return reachable(v.Elem(), path)
		}
	}
	return nil
}

func checkWiped(t *testing.T, s *Session, owned [][]byte) {
	t.Helper()
	s.mu.Lock()
	left := reachable(reflect.ValueOf(s).Elem(), "Session")
	s.mu.Unlock()
	for _, l := range left {
		t.Errorf("after wipe: %s", l)
	}
	for _, b := range owned {
		for _, c := range b {
			if c != 0 {
				t.Errorf("after wipe a byte slice still holds %q", b)
				break
			}
		}
	}
	if s.Language() != "" || s.Service() != "" || len(s.Fields()) != 0 || len(s.MRZ()) != 0 || s.Scan("front") != nil || s.Receipt() != "" {
		t.Errorf("after wipe the getters still return data")
	}
	if _, ok := s.Field("father_name"); ok {
		t.Errorf("after wipe Field(father_name) is set")
	}
	for name, err := range map[string]error{
		"SetLanguage": s.SetLanguage("fr"),
		"SetService":  s.SetService("bulletin3"),
		"SetField":    s.SetField("father_name", "Ahmed"),
		"SetMRZ":      s.SetMRZ(map[string]string{"surname": "BENNANI"}),
		"SetScan":     s.SetScan("back", []byte("back")),
		"SetReceipt":  s.SetReceipt("K7MX4HQ9XR33"),
	} {
		if !errors.Is(err, ErrEnded) {
			t.Errorf("%s after wipe = %v, want %v", name, err, ErrEnded)
		}
	}
}

func TestExpiryWipes(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	owned := fill(t, s)
	var sawWiped bool
	s.notify = func(e Event) {
		rec.notify(e)
		if e.Kind == EventExpired {
			sawWiped = s.Language() == "" && len(s.Fields()) == 0 // wiped before the event
		}
	}
	clk.Advance(120 * time.Second)
	if s.State() != Expired || !sawWiped {
		t.Fatalf("state %v, wiped before EventExpired %v, want expired and true", s.State(), sawWiped)
	}
	checkWiped(t, s, owned)
}

func TestWipe(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	owned := fill(t, s)
	s.Wipe()
	if s.State() != Closed {
		t.Errorf("state %v, want closed", s.State())
	}
	checkWiped(t, s, owned)
	s.Wipe() // idempotent
	checkWiped(t, s, owned)
	if n := clk.Pending(); n != 0 {
		t.Errorf("after Wipe %d timers pending, want 0", n)
	}
	clk.Advance(time.Hour)
	if got := rec.take(); got != nil || s.State() != Closed {
		t.Errorf("after Wipe: state %v, events %v, want closed and none", s.State(), got)
	}
	if err := s.Extend(); !errors.Is(err, ErrEnded) {
		t.Errorf("Extend() after Wipe = %v, want %v", err, ErrEnded)
	}
	s.Touch() // does nothing, does not panic
}

func TestWipeAfterExpiryKeepsExpired(t *testing.T) {
	s, clk, _ := newSession(t, DefaultConfig())
	clk.Advance(2 * time.Minute)
	s.Wipe()
	if s.State() != Expired {
		t.Errorf("state %v, want expired", s.State())
	}
}

func TestPersonalData(t *testing.T) {
	s, _, _ := newSession(t, DefaultConfig())
	fill(t, s)
	if got := s.Language(); got != "ar" {
		t.Errorf("Language() = %q, want ar", got)
	}
	if got := s.Service(); got != "bulletin3" {
		t.Errorf("Service() = %q, want bulletin3", got)
	}
	if got, ok := s.Field("birth_place"); !ok || got != "Fès" {
		t.Errorf("Field(birth_place) = %q, %v, want Fès, true", got, ok)
	}
	want := map[string]string{"father_name": "Mohammed", "mother_name": "Fatima", "birth_place": "Fès"}
	if diff := cmp.Diff(want, s.Fields()); diff != "" {
		t.Errorf("Fields() (-want +got):\n%s", diff)
	}
	// Fields is a copy.
	s.Fields()["father_name"] = "changed"
	if got, _ := s.Field("father_name"); got != "Mohammed" {
		t.Errorf("changing Fields()'s map changed the session: %q", got)
	}
	// Replacing a value zeroes the old one; an empty value removes the field.
	s.mu.Lock()
	old := s.p.fields["father_name"]
	s.mu.Unlock()
	if err := s.SetField("father_name", "Mohamed"); err != nil {
		t.Fatal(err)
	}
	if string(old) != "\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Errorf("replaced value = %q, want zeroed", old)
	}
	if err := s.SetField("father_name", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Field("father_name"); ok {
		t.Errorf("Field(father_name) set after clearing it")
	}
	// A new MRZ scan replaces the old one entirely.
	if err := s.SetMRZ(map[string]string{"surname": "BENNANI"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"surname": "BENNANI"}, s.MRZ()); diff != "" {
		t.Errorf("MRZ() (-want +got):\n%s", diff)
	}
	// Handing the same image again does not zero it.
	img := s.Scan("front")
	if err := s.SetScan("front", img); err != nil {
		t.Fatal(err)
	}
	if got := string(s.Scan("front")); got != "JPEG of the card front: AB123456" {
		t.Errorf("Scan(front) after setting it again = %q", got)
	}
	if got := s.Receipt(); got != tracking.Number("K7MX4HQ9XR33") {
		t.Errorf("Receipt() = %q", got)
	}
}

// TestNotifyMayCallBack: the UI's callback answers the warning itself
// (a "press any key" dialog) without deadlocking, and events stay in order.
func TestNotifyMayCallBack(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	s.notify = func(e Event) {
		rec.notify(e)
		if e.Kind == EventWarning {
			if err := s.Extend(); err != nil {
				t.Errorf("Extend() from notify = %v", err)
			}
		}
	}
	clk.Advance(90 * time.Second)
	if diff := cmp.Diff([]string{"warning: 30 s left, -1 extensions left", "extended"}, rec.take()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestNotifyPanicDoesNotWedge(t *testing.T) {
	s, clk, rec := newSession(t, DefaultConfig())
	panicked := false
	s.notify = func(e Event) {
		if !panicked {
			panicked = true
			panic("UI bug")
		}
		rec.notify(e)
	}
	func() {
		defer func() { recover() }()
		clk.Advance(90 * time.Second)
	}()
	clk.Advance(time.Second)
	if got := rec.take(); len(got) == 0 {
		t.Errorf("after a panicking notify, no more events were delivered")
	}
}

// TestConcurrent touches, extends and reads from several goroutines while
// the clock runs; run with -race.
func TestConcurrent(t *testing.T) {
	s, clk, _ := newSession(t, DefaultConfig())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				switch j % 4 {
				case 0:
					s.Touch()
				case 1:
					s.Extend()
				case 2:
					s.SetField(fmt.Sprintf("f%d", i), "v")
				case 3:
					s.Fields()
				}
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			clk.Advance(time.Second)
		}
	})
	wg.Wait()
	s.Wipe()
	checkWiped(t, s, nil)
}
