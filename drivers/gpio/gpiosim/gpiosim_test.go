package gpiosim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/gpio"
	"guichet/drivers/gpio/gpiosim"
	"guichet/kiosk/clock"
)

var cfg = gpio.Config{
	Presence: "GPIO17", ServiceKey: "GPIO27", PaperLow: "GPIO5", Help: "GPIO6",
	LEDReady: "GPIO22", LEDBusy: "GPIO23", LEDFault: "GPIO24",
	ActiveLow: gpio.InputFlags{ServiceKey: true, PaperLow: true},
	Debounce:  10 * time.Millisecond,
}

func board(t *testing.T) (*gpiosim.Board, *gpio.Board) {
	t.Helper()
	sim := gpiosim.New(cfg)
	b, err := gpio.New(sim.Pins(), cfg, clock.System)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return sim, b
}

func next(t *testing.T, b *gpio.Board) gpio.Event {
	t.Helper()
	select {
	case e := <-b.Events():
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
		return gpio.Event{}
	}
}

func TestCommandsDriveTheBoard(t *testing.T) {
	sim, b := board(t)
	type ev struct {
		Input  gpio.Input
		Active bool
	}
	var got []ev
	for _, line := range []string{"press presence", "press servicekey", "release servicekey", "bounce paperlow", "press HELP", "release presence"} {
		if _, err := sim.Exec(line); err != nil {
			t.Fatalf("Exec(%q) = %v", line, err)
		}
		e := next(t, b)
		got = append(got, ev{e.Input, e.Active})
	}
	want := []ev{
		{gpio.Presence, true}, {gpio.ServiceKey, true}, {gpio.ServiceKey, false},
		{gpio.PaperLow, true}, {gpio.Help, true}, {gpio.Presence, false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events mismatch (-want +got):\n%s", diff)
	}
	select {
	case e := <-b.Events():
		t.Errorf("extra event %+v: the bounce was not debounced into one", e)
	case <-time.After(50 * time.Millisecond):
	}
	// Polarity: an active-low input pressed reads low on its line.
	if !sim.Level(gpio.PaperLow) || !b.Active(gpio.PaperLow) {
		t.Errorf("paper low: sim %v, board %v, want both active", sim.Level(gpio.PaperLow), b.Active(gpio.PaperLow))
	}
	out, err := sim.Exec("status")
	if err != nil || !strings.Contains(out, "presence=false servicekey=false paperlow=true help=true") {
		t.Errorf("Exec(status) = %q, %v", out, err)
	}
}

func TestLightsReadBack(t *testing.T) {
	sim, b := board(t)
	b.SetLED(gpio.LEDBusy, true)
	out, err := sim.Exec("leds")
	if err != nil || out != "led-busy=on led-fault=off led-ready=off" {
		t.Errorf("Exec(leds) = %q, %v", out, err)
	}
	b.Close()
	if sim.LED(gpio.LEDBusy) {
		t.Errorf("busy still on after the Board closed")
	}
}

func TestExecRefuses(t *testing.T) {
	sim := gpiosim.New(cfg)
	for _, line := range []string{"", "press", "press door", "press presence now", "open"} {
		if _, err := sim.Exec(line); err == nil || !strings.HasPrefix(err.Error(), "gpiosim: ") {
			t.Errorf("Exec(%q) = %v, want a gpiosim: error", line, err)
		}
	}
}

func TestSetWithoutAWatcherFailsWhenTheQueueIsFull(t *testing.T) {
	sim := gpiosim.New(cfg)
	var err error
	for i := 0; i < 2000 && err == nil; i++ {
		err = sim.Press(gpio.Help)
	}
	if err == nil || !strings.Contains(err.Error(), "watching") {
		t.Errorf("Press with nobody watching = %v, want an error once the queue is full", err)
	}
}
