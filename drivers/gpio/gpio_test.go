package gpio

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	pgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"guichet/kiosk/clock"
)

var t0 = time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC)

const window = 50 * time.Millisecond

// inPin is an input fake whose edges the test pushes; the channel is
// unbuffered, so a push returns once the Board has taken the edge.
func inPin(name string) *gpiotest.Pin {
	return &gpiotest.Pin{N: name, EdgesChan: make(chan pgpio.Level)}
}

type rig struct {
	b    *Board
	clk  *clock.Fake
	pins map[Input]*gpiotest.Pin
	leds map[LED]*gpiotest.Pin
}

// newRig makes a Board on gpiotest fakes with a fake clock: presence and
// help active high, the service key and paper-low active low.
func newRig(t *testing.T, cfg Config) *rig {
	t.Helper()
	r := &rig{clk: clock.NewFake(t0), pins: map[Input]*gpiotest.Pin{}, leds: map[LED]*gpiotest.Pin{}}
	for _, in := range Inputs {
		r.pins[in] = inPin(string(in))
	}
	for _, led := range LEDs {
		r.leds[led] = &gpiotest.Pin{N: "led-" + string(led), L: pgpio.High}
	}
	if cfg.Debounce == 0 {
		cfg.Debounce = window
	}
	cfg.ActiveLow = InputFlags{ServiceKey: true, PaperLow: true}
	b, err := New(Pins{
		Presence: r.pins[Presence], ServiceKey: r.pins[ServiceKey], PaperLow: r.pins[PaperLow], Help: r.pins[Help],
		LEDReady: r.leds[LEDReady], LEDBusy: r.leds[LEDBusy], LEDFault: r.leds[LEDFault],
	}, cfg, r.clk)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	r.b = b
	return r
}

// push sends an edge to an input and waits until the Board has recorded it.
func (r *rig) push(t *testing.T, in Input, l pgpio.Level) {
	t.Helper()
	before := r.b.edges.Load()
	select {
	case r.pins[in].EdgesChan <- l:
	case <-time.After(10 * time.Second):
		t.Fatalf("the Board did not take an edge on %s", in)
	}
	for deadline := time.Now().Add(3 * time.Second); r.b.edges.Load() == before; time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the Board did not record the edge on %s", in)
		}
	}
}

func (r *rig) events() []Event {
	var got []Event
	for {
		select {
		case e := <-r.b.Events():
			got = append(got, e)
		default:
			return got
		}
	}
}

func TestBurstGivesOneEvent(t *testing.T) {
	r := newRig(t, Config{})
	// The presence sensor chatters as someone steps up.
	for _, l := range []pgpio.Level{pgpio.High, pgpio.Low, pgpio.High, pgpio.Low, pgpio.High} {
		r.push(t, Presence, l)
	}
	r.clk.Advance(window - time.Millisecond)
	if got := r.events(); len(got) != 0 {
		t.Fatalf("events before the window passed: %+v", got)
	}
	r.clk.Advance(time.Millisecond)
	want := []Event{{Input: Presence, Active: true, At: t0}}
	if diff := cmp.Diff(want, r.events()); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if !r.b.Active(Presence) {
		t.Errorf("Active(presence) = false after the event")
	}
}

func TestBounceSpreadInTime(t *testing.T) {
	r := newRig(t, Config{})
	r.push(t, Help, pgpio.High)
	r.clk.Advance(10 * time.Millisecond)
	r.push(t, Help, pgpio.Low)
	r.clk.Advance(10 * time.Millisecond)
	r.push(t, Help, pgpio.High) // the last edge, at t0+20ms
	r.clk.Advance(window - time.Millisecond)
	if got := r.events(); len(got) != 0 {
		t.Fatalf("events while still bouncing: %+v", got)
	}
	r.clk.Advance(time.Millisecond)
	want := []Event{{Input: Help, Active: true, At: t0.Add(20 * time.Millisecond)}}
	if diff := cmp.Diff(want, r.events()); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
}

func TestGlitchGivesNoEvent(t *testing.T) {
	r := newRig(t, Config{})
	r.push(t, Presence, pgpio.High)
	r.push(t, Presence, pgpio.Low) // a fly crossed the beam
	r.clk.Advance(time.Second)
	if got := r.events(); len(got) != 0 {
		t.Errorf("events after a glitch: %+v", got)
	}
	if r.b.Active(Presence) {
		t.Errorf("Active(presence) = true after a glitch")
	}
}

func TestActiveLowInputs(t *testing.T) {
	r := newRig(t, Config{})
	if r.b.Active(ServiceKey) || r.b.Active(PaperLow) {
		t.Fatalf("active-low inputs active at rest (pull-up should hold them high)")
	}
	r.push(t, ServiceKey, pgpio.Low) // the technician turns the key
	r.clk.Advance(window)
	r.push(t, PaperLow, pgpio.Low)
	r.clk.Advance(window)
	r.push(t, ServiceKey, pgpio.High) // and turns it back
	r.clk.Advance(window)
	want := []Event{
		{Input: ServiceKey, Active: true, At: t0},
		{Input: PaperLow, Active: true, At: t0.Add(window)},
		{Input: ServiceKey, Active: false, At: t0.Add(2 * window)},
	}
	if diff := cmp.Diff(want, r.events()); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	if !r.b.Active(PaperLow) || r.b.Active(ServiceKey) {
		t.Errorf("Active(paperlow), Active(servicekey) = %v, %v, want true, false", r.b.Active(PaperLow), r.b.Active(ServiceKey))
	}
}

func TestPullFollowsPolarity(t *testing.T) {
	r := newRig(t, Config{})
	want := map[Input]pgpio.Pull{Presence: pgpio.PullDown, Help: pgpio.PullDown, ServiceKey: pgpio.PullUp, PaperLow: pgpio.PullUp}
	for in, p := range want {
		if got := r.pins[in].Pull(); got != p {
			t.Errorf("%s pull = %v, want %v", in, got, p)
		}
	}
}

func TestActiveAtStartAndNoPull(t *testing.T) {
	clk := clock.NewFake(t0)
	key := &gpiotest.Pin{N: "key", L: pgpio.Low, EdgesChan: make(chan pgpio.Level)} // turned before boot
	b, err := New(Pins{ServiceKey: key}, Config{ActiveLow: InputFlags{ServiceKey: true}, NoPull: InputFlags{ServiceKey: true}}, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := key.Pull(); got != pgpio.Float {
		t.Errorf("pull = %v, want float for a driven line", got)
	}
	if !b.Active(ServiceKey) {
		t.Errorf("Active(servicekey) = false, want true: the key was turned before start")
	}
	if b.Fitted(Presence) || b.Active(Presence) {
		t.Errorf("an input without a pin is fitted or active")
	}
}

func TestLineWithoutEdgesIsPolled(t *testing.T) {
	clk := clock.NewFake(t0)
	help := &gpiotest.Pin{N: "help"} // no EdgesChan: In with edges fails
	b, err := New(Pins{Help: help}, Config{Debounce: window, Poll: 2 * time.Millisecond}, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	help.Lock()
	help.L = pgpio.High
	help.Unlock()
	for deadline := time.Now().Add(3 * time.Second); b.edges.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the change was never polled")
		}
	}
	clk.Advance(window)
	select {
	case e := <-b.Events():
		if want := (Event{Input: Help, Active: true, At: e.At}); e != want {
			t.Errorf("event = %+v, want %+v", e, want)
		}
	default:
		t.Errorf("no event after polling a change")
	}
}

func TestLEDs(t *testing.T) {
	r := newRig(t, Config{})
	for _, led := range LEDs {
		if r.leds[led].Read() != pgpio.Low {
			t.Errorf("%s not switched off by New", led)
		}
	}
	if err := r.b.SetLED(LEDReady, true); err != nil {
		t.Fatal(err)
	}
	r.b.SetLED(LEDFault, true)
	r.b.SetLED(LEDFault, false)
	got := map[LED]pgpio.Level{}
	for _, led := range LEDs {
		got[led] = r.leds[led].Read()
	}
	want := map[LED]pgpio.Level{LEDReady: pgpio.High, LEDBusy: pgpio.Low, LEDFault: pgpio.Low}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("levels mismatch (-want +got):\n%s", diff)
	}
	if !r.b.LEDOn(LEDReady) || r.b.LEDOn(LEDFault) {
		t.Errorf("LEDOn(ready), LEDOn(fault) = %v, %v, want true, false", r.b.LEDOn(LEDReady), r.b.LEDOn(LEDFault))
	}
	if err := r.b.SetLED("green", true); err == nil || !strings.HasPrefix(err.Error(), "gpio: ") {
		t.Errorf("SetLED(green) = %v, want a gpio: error", err)
	}
	if err := r.b.Close(); err != nil {
		t.Fatal(err)
	}
	if r.leds[LEDReady].Read() != pgpio.Low {
		t.Errorf("ready still lit after Close")
	}
}

func TestLEDsActiveLow(t *testing.T) {
	ready := &gpiotest.Pin{N: "ready"}
	b, err := New(Pins{LEDReady: ready}, Config{LEDsActiveLow: true}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ready.Read() != pgpio.High {
		t.Errorf("active-low light off = %v, want high", ready.Read())
	}
	b.SetLED(LEDReady, true)
	if ready.Read() != pgpio.Low {
		t.Errorf("active-low light on = %v, want low", ready.Read())
	}
	if err := b.SetLED(LEDBusy, true); err != nil { // not fitted: ignored
		t.Errorf("SetLED(busy) without a pin = %v, want nil", err)
	}
}

type failingPin struct{ gpiotest.Pin }

func (*failingPin) Out(pgpio.Level) error { return errors.New("line busy") }

func TestNewReportsPinErrors(t *testing.T) {
	_, err := New(Pins{LEDFault: &failingPin{}}, Config{}, nil)
	if err == nil || !strings.Contains(err.Error(), "gpio: light fault") {
		t.Errorf("New with a failing light = %v, want gpio: light fault …", err)
	}
}

func TestEventsUnreadAreDroppedNotBlocking(t *testing.T) {
	r := newRig(t, Config{})
	for i := 0; i < eventBuffer+8; i++ {
		r.push(t, Help, pgpio.Level(i%2 == 0))
		r.clk.Advance(window)
	}
	if got := r.b.Dropped(); got != 8 {
		t.Errorf("Dropped() = %d, want 8", got)
	}
	if got := len(r.events()); got != eventBuffer {
		t.Errorf("%d events buffered, want %d", got, eventBuffer)
	}
}

func TestCloseEndsWatchers(t *testing.T) {
	r := newRig(t, Config{Poll: 5 * time.Millisecond})
	done := make(chan error)
	go func() { done <- r.b.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := r.b.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestOpenHostWithoutGPIOChips(t *testing.T) {
	if chips, _ := filepath.Glob("/dev/gpiochip*"); len(chips) > 0 {
		t.Skip("this machine has GPIO chips; the test needs one without")
	}
	_, err := OpenHost(Config{Presence: "GPIO17"}, nil)
	if err == nil || !strings.Contains(err.Error(), "no GPIO character device") {
		t.Errorf("OpenHost = %v, want an error saying there is no GPIO character device", err)
	}
}

func TestOpenHostRefusesALineUsedTwice(t *testing.T) {
	_, err := OpenHost(Config{Presence: "GPIO17", LEDBusy: "GPIO17"}, nil)
	if err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("OpenHost with one line twice = %v, want an error naming both uses", err)
	}
}
