package idscan_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/drivers/idscan"
	"guichet/drivers/idscan/idscansim"
	"guichet/drivers/mrz"
	"guichet/drivers/serialport"
)

// today is the tests' date; the clock runs from it at real speed, so the
// inter-character timeout and duplicate window work while expiry stays
// reproducible.
var today = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func runningClock() func() time.Time {
	start := time.Now()
	return func() time.Time { return today.Add(time.Since(start)) }
}

// testConfig keeps the tests quick: a short inter-character timeout.
func testConfig() idscan.Config {
	return idscan.Config{InterCharTimeout: 150 * time.Millisecond, DuplicateWindow: 2 * time.Second}
}

var cinLocation = mrz.Options{NationalNumber: mrz.Location{
	Field: mrz.FieldOptionalData1, Pattern: `[A-Z]{1,2}[0-9]{1,6}`, IssuingStates: []string{"MAR"},
}}

// rig is a reader emulator on a pty and the driver reading it through
// serialport.Open, as on the kiosk.
type rig struct {
	sim    *idscansim.Sim
	events chan idscan.Event
	done   chan error
	cancel context.CancelFunc
}

func newRig(t *testing.T, opts idscansim.Options, cfg idscan.Config) *rig {
	t.Helper()
	return newRigClock(t, opts, cfg, runningClock())
}

func newRigClock(t *testing.T, opts idscansim.Options, cfg idscan.Config, clock func() time.Time) *rig {
	t.Helper()
	sim, err := idscansim.New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	port, err := serialport.Open(serialport.Config{Path: sim.Path(), Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { port.Close() })
	r := &rig{sim: sim, events: make(chan idscan.Event, 100), done: make(chan error, 1)}
	reader := idscan.New(port, cfg,
		idscan.WithEvents(func(e idscan.Event) { r.events <- e }),
		idscan.WithClock(clock),
		idscan.WithMRZOptions(cinLocation))
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- reader.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// next returns the next event, failing if none comes within 2 s.
func (r *rig) next(t *testing.T) idscan.Event {
	t.Helper()
	select {
	case e := <-r.events:
		return e
	case err := <-r.done:
		t.Fatalf("Run ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return nil
}

// settle is long enough for a read in progress to expire.
var settle = testConfig().InterCharTimeout + 100*time.Millisecond

// quiet fails if an event comes within d.
func (r *rig) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case e := <-r.events:
		t.Fatalf("unexpected event %s", describe(e))
	case <-time.After(d):
	}
}

// describe renders an event without personal data beyond the document
// number, for comparisons and failure messages.
func describe(e idscan.Event) string {
	switch e := e.(type) {
	case idscan.CardRead:
		return "read " + string(e.MRZ.Format) + " " + e.MRZ.DocumentNumber
	case idscan.ReadFailed:
		return "failed " + string(e.Reason)
	}
	return "?"
}

func card(t testing.TB, name string) idscansim.Card {
	t.Helper()
	c, ok := idscansim.Sample(name, today)
	if !ok {
		t.Fatalf("no sample card %q", name)
	}
	return c
}

func insert(t *testing.T, sim *idscansim.Sim, lines []string) {
	t.Helper()
	if err := sim.Insert(context.Background(), lines); err != nil {
		t.Fatalf("Insert = %v", err)
	}
}

func TestReadsEachSampleCard(t *testing.T) {
	framings := []idscan.Framing{
		{Terminator: idscan.TermCR},
		{Terminator: idscan.TermLF},
		{Terminator: idscan.TermCRLF},
		{Terminator: idscan.TermCR, STXETX: true},
		{Terminator: idscan.TermCRLF, STXETX: true},
	}
	want := map[string]string{
		"cnie":           "read TD1 ZT0418273",
		"cnie-expired":   "failed expired",
		"cnie-bad-check": "failed unreadable",
		"passport":       "read TD3 TM4127785",
		"visa":           "failed not_id_card",
	}
	for _, f := range framings {
		t.Run(fmtFraming(f), func(t *testing.T) {
			cfg := testConfig()
			cfg.Framing = f
			r := newRig(t, idscansim.Options{Framing: f}, cfg)
			for _, c := range idscansim.SampleCards(today) {
				insert(t, r.sim, c.Lines)
				if got := describe(r.next(t)); got != want[c.Name] {
					t.Errorf("Insert(%s) gave %q, want %q", c.Name, got, want[c.Name])
				}
			}
		})
	}
}

func fmtFraming(f idscan.Framing) string {
	s := map[string]string{"": "any", "\r": "cr", "\n": "lf", "\r\n": "crlf"}[f.Terminator]
	if f.STXETX {
		s += "+stx"
	}
	return s
}

func TestCardReadCarriesTheMRZ(t *testing.T) {
	r := newRig(t, idscansim.Options{}, testConfig())
	before := today
	insert(t, r.sim, card(t, "cnie").Lines)
	e, ok := r.next(t).(idscan.CardRead)
	if !ok {
		t.Fatalf("event is not a CardRead")
	}
	m := e.MRZ
	got := []string{m.Surname, m.GivenNames[0], m.GivenNames[1], m.BirthDate.String(), m.NationalNumber, m.Sex}
	if diff := cmp.Diff([]string{"EL ALAOUI", "FATIMA", "ZAHRA", "1988-03-04", "BE123456", "F"}, got); diff != "" {
		t.Errorf("CardRead MRZ mismatch (-want +got):\n%s", diff)
	}
	if !m.Valid || m.Expired(today) {
		t.Errorf("CardRead MRZ valid %v, expired %v; want valid, not expired", m.Valid, m.Expired(today))
	}
	if e.At.Before(before) || e.At.After(today.Add(time.Minute)) {
		t.Errorf("CardRead.At = %v, want the injected clock's time", e.At)
	}
}

func TestReadFailedSaysWhy(t *testing.T) {
	r := newRig(t, idscansim.Options{}, testConfig())
	insert(t, r.sim, card(t, "cnie-bad-check").Lines)
	e, ok := r.next(t).(idscan.ReadFailed)
	if !ok {
		t.Fatalf("event is not a ReadFailed")
	}
	if e.Reason != idscan.ReasonUnreadable || e.Message != idscan.ReasonUnreadable.Message("en") {
		t.Errorf("ReadFailed = %+v, want unreadable with its English message", e)
	}
	if !slices.Contains(e.Fields, "document_number:check_digit") {
		t.Errorf("ReadFailed.Fields = %q, want document_number:check_digit among them", e.Fields)
	}
}

func TestExpiryFollowsTheInjectedClock(t *testing.T) {
	// The same card, read the day before and the day after it expires.
	doc := mrz.Document{
		Format: mrz.TD1, DocumentCode: "ID", IssuingState: "MAR", DocumentNumber: "ZT0418273",
		BirthDate: mrz.Date{Year: 1988, Month: 3, Day: 4}, ExpiryDate: mrz.Date{Year: 2026, Month: 3, Day: 2},
		Sex: "F", Nationality: "MAR", Surname: "EL ALAOUI", GivenNames: []string{"FATIMA"},
	}
	for _, tc := range []struct {
		day  time.Time
		want string
	}{
		{time.Date(2026, 3, 2, 23, 59, 0, 0, time.UTC), "read TD1 ZT0418273"}, // good through its expiry date
		{time.Date(2026, 3, 3, 0, 0, 1, 0, time.UTC), "failed expired"},
	} {
		t.Run(tc.day.Format(time.DateOnly), func(t *testing.T) {
			sim, err := idscansim.New(t.TempDir(), idscansim.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sim.Close()
			port, err := serialport.Open(serialport.Config{Path: sim.Path(), Baud: 9600})
			if err != nil {
				t.Fatal(err)
			}
			defer port.Close()
			events := make(chan idscan.Event, 10)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go idscan.New(port, testConfig(),
				idscan.WithEvents(func(e idscan.Event) { events <- e }),
				idscan.WithClock(func() time.Time { return tc.day })).Run(ctx)
			if err := sim.InsertDocument(ctx, doc); err != nil {
				t.Fatal(err)
			}
			select {
			case e := <-events:
				if got := describe(e); got != tc.want {
					t.Errorf("on %v: %q, want %q", tc.day, got, tc.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no event")
			}
		})
	}
}

func TestNoiseIsDiscarded(t *testing.T) {
	for _, f := range []idscan.Framing{{}, {STXETX: true}} {
		t.Run(fmtFraming(f), func(t *testing.T) {
			cfg := testConfig()
			cfg.Framing = f
			r := newRig(t, idscansim.Options{Framing: f}, cfg)
			// Power-up garbage, then the reader falls silent, then a card.
			if err := r.sim.Noise(context.Background(), 300); err != nil {
				t.Fatal(err)
			}
			r.quiet(t, settle)
			insert(t, r.sim, card(t, "cnie").Lines)
			if got := describe(r.next(t)); got != "read TD1 ZT0418273" {
				t.Errorf("after noise: %q, want the card", got)
			}
			r.quiet(t, 100*time.Millisecond)
		})
	}
}

func TestPartialReads(t *testing.T) {
	for _, f := range []idscan.Framing{{}, {Terminator: idscan.TermCRLF, STXETX: true}} {
		t.Run(fmtFraming(f), func(t *testing.T) {
			cfg := testConfig()
			cfg.Framing = f
			r := newRig(t, idscansim.Options{Framing: f}, cfg)
			cnie := card(t, "cnie").Lines

			// A card pulled away mid-line: one place_flat once the
			// inter-character timeout passes.
			insert(t, r.sim, cnie)
			r.next(t)
			if err := r.sim.HalfLine(context.Background()); err != nil {
				t.Fatal(err)
			}
			e, ok := r.next(t).(idscan.ReadFailed)
			if !ok || e.Reason != idscan.ReasonPlaceFlat {
				t.Fatalf("after half a line: %v, want place_flat", describe(e))
			}
			// Two lines of three, then nothing.
			if err := r.sim.Send(context.Background(), r.sim.Encode(cnie[:2])[:62]); err != nil {
				t.Fatal(err)
			}
			if got := describe(r.next(t)); got != "failed place_flat" {
				t.Errorf("after two lines: %q, want place_flat", got)
			}
			r.quiet(t, 100*time.Millisecond)
			// The next, whole read goes through (another card: the first
			// is still in the duplicate window).
			insert(t, r.sim, card(t, "passport").Lines)
			if got := describe(r.next(t)); got != "read TD3 TM4127785" {
				t.Errorf("after partial reads: %q, want the passport", got)
			}
		})
	}
}

// manualClock moves only when the test says.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func TestDuplicateReadsAreSuppressed(t *testing.T) {
	// Events come in order, so a read is proven suppressed by the event
	// after it: a cut line, which is never suppressed, sent as a marker.
	clock := &manualClock{now: today}
	cfg := testConfig()
	cfg.DuplicateWindow = 2 * time.Second
	r := newRigClock(t, idscansim.Options{}, cfg, clock.Now)
	cnie, passport := card(t, "cnie").Lines, card(t, "passport").Lines
	expect := func(want string) {
		t.Helper()
		if got := describe(r.next(t)); got != want {
			t.Fatalf("event %q, want %q", got, want)
		}
	}
	suppressed := func(lines []string) {
		t.Helper()
		insert(t, r.sim, lines)
		if err := r.sim.Send(context.Background(), []byte(lines[0][:20]+"\r")); err != nil {
			t.Fatal(err)
		}
		if got := describe(r.next(t)); got != "failed place_flat" {
			t.Fatalf("event %q, want the read suppressed", got)
		}
	}

	insert(t, r.sim, cnie)
	expect("read TD1 ZT0418273")
	// The reader repeats the card lying on the glass every 1.5 s: no new
	// event, and each repeat keeps the window open (6 s in all).
	for range 4 {
		clock.Advance(1500 * time.Millisecond)
		suppressed(cnie)
	}
	// Another card is not a duplicate.
	insert(t, r.sim, passport)
	expect("read TD3 TM4127785")
	// The first card again once the window has passed since it was last
	// seen.
	clock.Advance(2 * time.Second)
	insert(t, r.sim, cnie)
	expect("read TD1 ZT0418273")

	// A refused card left on the reader is not refused again and again.
	expired := card(t, "cnie-expired").Lines
	insert(t, r.sim, expired)
	expect("failed expired")
	suppressed(expired)
	clock.Advance(2 * time.Second)
	insert(t, r.sim, expired)
	expect("failed expired")

	// A zero window turns suppression off.
	cfg.DuplicateWindow = 0
	r = newRigClock(t, idscansim.Options{}, cfg, clock.Now)
	insert(t, r.sim, cnie)
	insert(t, r.sim, cnie)
	expect("read TD1 ZT0418273")
	expect("read TD1 ZT0418273")
}

// TestGarbageOfEveryByteValue interleaves every byte value, in order and
// reversed, and random bursts, with cards: the cards read, nothing else
// makes an event.
func TestGarbageOfEveryByteValue(t *testing.T) {
	all := []byte(everyByte())
	for _, f := range []idscan.Framing{{}, {Terminator: idscan.TermCRLF}, {STXETX: true}} {
		t.Run(fmtFraming(f), func(t *testing.T) {
			cfg := testConfig()
			cfg.Framing = f
			r := newRig(t, idscansim.Options{Framing: f}, cfg)
			ctx := context.Background()
			cards := []idscansim.Card{card(t, "cnie"), card(t, "passport"), card(t, "visa")}
			want := map[string]string{"cnie": "read TD1 ZT0418273", "passport": "read TD3 TM4127785", "visa": "failed not_id_card"}
			for i, garbage := range [][]byte{all, []byte(reversed(string(all))), nil} {
				if garbage == nil {
					if err := r.sim.Noise(ctx, 512); err != nil {
						t.Fatal(err)
					}
				} else if err := r.sim.Send(ctx, garbage); err != nil {
					t.Fatal(err)
				}
				r.quiet(t, settle) // the garbage expires silently
				c := cards[i]
				insert(t, r.sim, c.Lines)
				if got := describe(r.next(t)); got != want[c.Name] {
					t.Errorf("card %s after garbage %d: %q, want %q", c.Name, i, got, want[c.Name])
				}
			}
			// Garbage inside a card spoils that read, and only that one.
			lines := card(t, "cnie-expired").Lines
			raw := r.sim.Encode(lines)
			spoiled := append(append(append([]byte{}, raw[:40]...), all[:32]...), raw[40:]...)
			if err := r.sim.Send(ctx, spoiled); err != nil {
				t.Fatal(err)
			}
			if got := describe(r.next(t)); got != "failed place_flat" {
				t.Errorf("card with garbage inside: %q, want place_flat", got)
			}
			r.quiet(t, settle)
			insert(t, r.sim, lines)
			if got := describe(r.next(t)); got != "failed expired" {
				t.Errorf("same card read cleanly: %q, want expired", got)
			}
		})
	}
}

func TestRunEndsWhenTheDeviceGoes(t *testing.T) {
	r := newRig(t, idscansim.Options{}, testConfig())
	r.sim.Unplug()
	select {
	case err := <-r.done:
		if !errors.Is(err, serialport.ErrDeviceGone) {
			t.Errorf("Run after unplug = %v, want ErrDeviceGone", err)
		}
		r.done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end after unplug")
	}
}

func TestRunEndsOnCancel(t *testing.T) {
	r := newRig(t, idscansim.Options{}, testConfig())
	r.cancel()
	select {
	case err := <-r.done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run after cancel = %v, want context.Canceled", err)
		}
		r.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end after cancel")
	}
}

func TestRunRefusesABadSetup(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  idscan.Config
		opts []idscan.Option
	}{
		{"no events", testConfig(), nil},
		{"zero timeout", idscan.Config{}, []idscan.Option{idscan.WithEvents(func(idscan.Event) {})}},
		{"bad terminator", idscan.Config{Framing: idscan.Framing{Terminator: "\t"}, InterCharTimeout: time.Second}, []idscan.Option{idscan.WithEvents(func(idscan.Event) {})}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := idscan.New(nil, tc.cfg, tc.opts...).Run(context.Background()); err == nil {
				t.Errorf("Run = nil, want an error")
			}
		})
	}
}

// TestUnplugAndReplugMidRead pulls the reader's cable while a card is on
// the wire at 9600 baud; the Supervisor reports the loss, reconnects when
// the reader is plugged back in, and the next card reads.
func TestUnplugAndReplugMidRead(t *testing.T) {
	sim, err := idscansim.New(t.TempDir(), idscansim.Options{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	events := make(chan idscan.Event, 10)
	health := make(chan drivers.Health, 50)
	sup := &serialport.Supervisor{
		Device: "idscan", Label: "ID-card scanner", Path: sim.Path(),
		Open:       serialport.Opener(serialport.Config{Path: sim.Path(), Baud: 9600}),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		PollInterval: 50 * time.Millisecond,
		OnHealth:     func(h drivers.Health) { health <- h },
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- sup.Run(ctx, func(ctx context.Context, p drivers.Port) error {
			// The default 300 ms inter-character timeout: paced bytes on a
			// loaded machine may be held up longer than the tests' 150 ms.
			return idscan.New(p, idscan.DefaultConfig(),
				idscan.WithEvents(func(e idscan.Event) { events <- e }),
				idscan.WithClock(runningClock())).Run(ctx)
		})
	}()
	waitHealth := func(state drivers.State) {
		t.Helper()
		for {
			select {
			case h := <-health:
				if h.State == state {
					return
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no %s health within 10s", state)
			}
		}
	}
	waitHealth(drivers.Connected)

	// The card takes about 97 ms on the wire; the cable goes at 40 ms.
	inserted := make(chan error, 1)
	go func() { inserted <- sim.Insert(ctx, card(t, "cnie").Lines) }()
	time.Sleep(40 * time.Millisecond)
	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	if err := <-inserted; !errors.Is(err, idscansim.ErrUnplugged) {
		t.Errorf("Insert cut by Unplug = %v, want ErrUnplugged", err)
	}
	waitHealth(drivers.Reconnecting)
	if err := sim.Insert(ctx, card(t, "cnie").Lines); !errors.Is(err, idscansim.ErrUnplugged) {
		t.Errorf("Insert while unplugged = %v, want ErrUnplugged", err)
	}
	if h := sup.Health(); h.State == drivers.Connected {
		t.Errorf("Health() while unplugged = %+v, want not connected", h)
	}

	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	waitHealth(drivers.Connected)
	if err := sim.Insert(ctx, card(t, "passport").Lines); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		if got := describe(e); got != "read TD3 TM4127785" {
			t.Errorf("after replug: %q, want the passport", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event after replug")
	}
	// The card cut by the unplug gave no card event.
	select {
	case e := <-events:
		t.Errorf("unexpected event %s", describe(e))
	default:
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Supervisor.Run = %v, want context.Canceled", err)
	}
}

func TestConfigJSON(t *testing.T) {
	in := `{"framing":{"terminator":"\r\n","stx_etx":true},"inter_char_timeout":"250ms","duplicate_window":"4s"}`
	var cfg idscan.Config
	if err := json.Unmarshal([]byte(in), &cfg); err != nil {
		t.Fatalf("Unmarshal = %v", err)
	}
	want := idscan.Config{Framing: idscan.Framing{Terminator: "\r\n", STXETX: true}, InterCharTimeout: 250 * time.Millisecond, DuplicateWindow: 4 * time.Second}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Unmarshal mismatch (-want +got):\n%s", diff)
	}
	out, _ := json.Marshal(cfg)
	if string(out) != in {
		t.Errorf("Marshal = %s, want %s", out, in)
	}
	var def idscan.Config
	if err := json.Unmarshal([]byte(`{}`), &def); err != nil || def != idscan.DefaultConfig() {
		t.Errorf("Unmarshal({}) = %+v, %v; want DefaultConfig()", def, err)
	}
	for _, bad := range []string{
		`{"inter_char_timeout":"0s"}`,
		`{"inter_char_timeout":"fast"}`,
		`{"duplicate_window":"-1s"}`,
		`{"framing":{"terminator":";"}}`,
	} {
		if err := json.Unmarshal([]byte(bad), &cfg); err == nil {
			t.Errorf("Unmarshal(%s) = nil error, want one", bad)
		}
	}
}

func TestReasonMessages(t *testing.T) {
	for _, r := range []idscan.Reason{idscan.ReasonPlaceFlat, idscan.ReasonUnreadable, idscan.ReasonExpired, idscan.ReasonNotIDCard} {
		en, fr := r.Message("en"), r.Message("fr")
		if en == "" || fr == "" || en == fr {
			t.Errorf("%s: Message(en) = %q, Message(fr) = %q; want two different sentences", r, en, fr)
		}
		if got := r.Message("ar"); got != en {
			t.Errorf("%s: Message(ar) = %q, want the English fallback", r, got)
		}
	}
	if got := idscan.Reason("bogus").Message("en"); got != "" {
		t.Errorf(`Message of an unknown reason = %q, want ""`, got)
	}
}
