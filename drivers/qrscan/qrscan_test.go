package qrscan_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/drivers/qrscan"
	"guichet/drivers/qrscan/qrscansim"
	"guichet/drivers/serialport"
	"guichet/kiosk/clock"
	"guichet/kiosk/scan"
)

const (
	receiptQR = "https://suivi.justice.gov.ma/t/K7MX4HQ9XR33"
	finePV    = "12345678-RF-2024"
	extractQR = "https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ2LK"
	baud      = 9600
)

// rig is a Scanner served by a serialport.Supervisor through a real
// pseudo-terminal, with the emulated scanner on the far side.
type rig struct {
	sim    *qrscansim.Sim
	sc     *qrscan.Scanner
	health chan drivers.Health
}

// newRig plugs an emulated scanner in, opens it through serialport.Open
// under a Supervisor and waits until it is connected.
func newRig(t testing.TB, cfg qrscan.Config, opts qrscansim.Options, clk clock.Clock) *rig {
	t.Helper()
	sim, err := qrscansim.New(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("qrscansim.New: %v", err)
	}
	t.Cleanup(func() { sim.Close() })
	sc, err := qrscan.New(cfg, clk, nil)
	if err != nil {
		t.Fatalf("qrscan.New(%+v): %v", cfg, err)
	}
	r := &rig{sim: sim, sc: sc, health: make(chan drivers.Health, 64)}
	sup := &serialport.Supervisor{
		Device:       "qrscan",
		Label:        "QR code reader",
		Path:         sim.Path(),
		Open:         serialport.Opener(serialport.Config{Path: sim.Path(), Baud: baud}),
		MinBackoff:   10 * time.Millisecond,
		MaxBackoff:   50 * time.Millisecond,
		PollInterval: 20 * time.Millisecond,
		OnHealth: func(h drivers.Health) {
			select {
			case r.health <- h:
			default:
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		sup.Run(ctx, sc.Serve)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	r.waitHealth(t, drivers.Connected)
	return r
}

func (r *rig) waitHealth(t testing.TB, want drivers.State) drivers.Health {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case h := <-r.health:
			if h.State == want {
				return h
			}
		case <-deadline:
			t.Fatalf("health never became %s", want)
		}
	}
}

// next returns the next event, failing after 3 s.
func next(t testing.TB, sc *qrscan.Scanner) qrscan.Event {
	t.Helper()
	select {
	case e := <-sc.Events():
		return e
	case <-time.After(eventWait):
		t.Fatalf("no event within %v", eventWait)
		return nil
	}
}

// quiet fails if an event arrives within d.
func quiet(t testing.TB, sc *qrscan.Scanner, d time.Duration) {
	t.Helper()
	select {
	case e := <-sc.Events():
		t.Fatalf("unexpected event %#v", e)
	case <-time.After(d):
	}
}

// nextScanned skips ScanFailed events (noise) and returns the next code.
func nextScanned(t testing.TB, sc *qrscan.Scanner) qrscan.Scanned {
	t.Helper()
	for {
		if e, ok := next(t, sc).(qrscan.Scanned); ok {
			return e
		}
	}
}

// eventWait bounds a wait for what must come: generous, so that a loaded
// machine does not fail a test that asserts no speed.
const eventWait = 10 * time.Second

// until polls cond for up to eventWait.
func until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(eventWait); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting until %s", what)
}

func arm(t testing.TB, sc *qrscan.Scanner) {
	t.Helper()
	if err := sc.Arm(t.Context()); err != nil {
		t.Fatalf("Arm: %v", err)
	}
}

func payload(e qrscan.Event) string {
	if s, ok := e.(qrscan.Scanned); ok {
		return s.Payload
	}
	return fmt.Sprintf("%#v", e)
}

func TestHappyPathEveryFraming(t *testing.T) {
	tests := []struct {
		name   string
		prefix string
		suffix qrscan.Suffix
	}{
		{"CR", "", qrscan.SuffixCR},
		{"LF", "", qrscan.SuffixLF},
		{"CRLF", "", qrscan.SuffixCRLF},
		{"TAB", "", qrscan.SuffixTab},
		{"STX prefix CR", "\x02", qrscan.SuffixCR},
		{"AIM prefix CRLF", "]Q1", qrscan.SuffixCRLF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t,
				qrscan.Config{Prefix: tc.prefix, Suffix: tc.suffix},
				qrscansim.Options{Prefix: tc.prefix, Suffix: tc.suffix}, clock.System)
			arm(t, r.sc)
			codes := []string{receiptQR, finePV, extractQR, "محكمة الاستئناف بالرباط"}
			for _, c := range codes {
				if err := r.sim.Scan(c); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			for range codes {
				got = append(got, payload(next(t, r.sc)))
			}
			if diff := cmp.Diff(codes, got); diff != "" {
				t.Errorf("payloads mismatch (-scanned +got):\n%s", diff)
			}
		})
	}
}

func TestDisarmedIgnoresCodes(t *testing.T) {
	r := newRig(t, qrscan.Config{}, qrscansim.Options{}, clock.System)
	if err := r.sim.Scan(receiptQR); err != nil { // nobody asked: the screen is elsewhere
		t.Fatal(err)
	}
	until(t, "the code is ignored", func() bool { return r.sc.Stats().Ignored == 1 })
	arm(t, r.sc)
	r.sim.Scan(finePV)
	if got := payload(next(t, r.sc)); got != finePV {
		t.Errorf("first event after Arm = %q, want %q", got, finePV)
	}
	if err := r.sc.Disarm(); err != nil {
		t.Fatal(err)
	}
	r.sim.Scan(receiptQR)
	until(t, "the second code is ignored", func() bool { return r.sc.Stats().Ignored == 2 })
	quiet(t, r.sc, 50*time.Millisecond)
}

func TestArmEndsWithTheScreensContext(t *testing.T) {
	r := newRig(t, qrscan.Config{Trigger: qrscan.TriggerHoneywell},
		qrscansim.Options{Trigger: qrscan.TriggerHoneywell}, clock.System)
	ctx, leave := context.WithCancel(t.Context())
	if err := r.sc.Arm(ctx); err != nil {
		t.Fatal(err)
	}
	until(t, "the scanner is triggered", r.sim.Scanning)
	_, stopsBefore := r.sim.Commands() // one sent on connecting
	leave()                            // the screen went away
	until(t, "the scanner is stopped", func() bool { return !r.sim.Scanning() })
	if r.sc.Armed() {
		t.Errorf("Armed() = true after the screen's context ended")
	}
	if _, stops := r.sim.Commands(); stops != stopsBefore+1 {
		t.Errorf("stop commands = %d, want %d", stops, stopsBefore+1)
	}
	if err := r.sc.Arm(ctx); err == nil {
		t.Errorf("Arm(done ctx) = nil, want an error")
	}
}

func TestHoneywellTrigger(t *testing.T) {
	r := newRig(t,
		qrscan.Config{Trigger: qrscan.TriggerHoneywell, RearmDelay: 20 * time.Millisecond, Retrigger: -1},
		qrscansim.Options{Trigger: qrscan.TriggerHoneywell}, clock.System)
	// Connecting while disarmed sent SYN U CR: the scanner is idle.
	until(t, "the stop command on connect", func() bool { _, stops := r.sim.Commands(); return stops == 1 })
	if err := r.sim.Scan(receiptQR); err != nil {
		t.Fatal(err)
	}
	if r.sim.Scanning() || r.sim.InView() != 1 {
		t.Fatalf("untriggered scanner: scanning=%v in view=%d, want false and 1", r.sim.Scanning(), r.sim.InView())
	}
	quiet(t, r.sc, 50*time.Millisecond)

	arm(t, r.sc) // SYN T CR: the scanner reads the code in view
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Fatalf("event after Arm = %q, want %q", got, receiptQR)
	}
	// One-shot: the read ended the scan; the driver triggers again.
	until(t, "the re-trigger after a read", func() bool { starts, _ := r.sim.Commands(); return starts == 2 && r.sim.Scanning() })
	r.sim.Scan(finePV)
	if got := payload(next(t, r.sc)); got != finePV {
		t.Fatalf("second event = %q, want %q", got, finePV)
	}
	until(t, "the second re-trigger", func() bool { starts, _ := r.sim.Commands(); return starts == 3 })

	if err := r.sc.Disarm(); err != nil {
		t.Fatal(err)
	}
	until(t, "SYN U CR stops the scan", func() bool { return !r.sim.Scanning() })
	r.sim.Scan(extractQR)
	quiet(t, r.sc, 50*time.Millisecond)
	if r.sim.InView() != 1 {
		t.Errorf("after Disarm the code was read: in view = %d, want 1", r.sim.InView())
	}
}

func TestRetriggerOutlastsTheScannersReadTimeout(t *testing.T) {
	r := newRig(t,
		qrscan.Config{Trigger: qrscan.TriggerHoneywell, Retrigger: 40 * time.Millisecond},
		qrscansim.Options{Trigger: qrscan.TriggerHoneywell, ReadTimeout: 100 * time.Millisecond}, clock.System)
	arm(t, r.sc)
	until(t, "several re-triggers", func() bool { starts, _ := r.sim.Commands(); return starts >= 5 })
	// Three scanner time-outs have passed; the scan is still on.
	time.Sleep(300 * time.Millisecond)
	r.sim.Scan(receiptQR)
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Errorf("event after the scanner's time-outs = %q, want %q", got, receiptQR)
	}
}

func TestCustomTrigger(t *testing.T) {
	cfg := qrscan.Config{Trigger: qrscan.TriggerCustom, TriggerStart: "\x1bE", TriggerStop: "\x1bD"}
	opts := qrscansim.Options{Trigger: qrscan.TriggerCustom, TriggerStart: "\x1bE", TriggerStop: "\x1bD"}
	r := newRig(t, cfg, opts, clock.System)
	r.sim.Scan(receiptQR)
	arm(t, r.sc)
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Fatalf("event = %q, want %q", got, receiptQR)
	}
	r.sim.Scan(finePV) // not one-shot: still reading
	if got := payload(next(t, r.sc)); got != finePV {
		t.Fatalf("event = %q, want %q", got, finePV)
	}
	r.sc.Disarm()
	until(t, "the custom stop command", func() bool { return !r.sim.Scanning() })
}

func TestDuplicatesSuppressedWithinTheWindow(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC))
	r := newRig(t, qrscan.Config{DuplicateWindow: 2 * time.Second}, qrscansim.Options{}, clk)
	arm(t, r.sc)

	r.sim.Scan(receiptQR)
	first := next(t, r.sc).(qrscan.Scanned)
	if !first.At.Equal(clk.Now()) {
		t.Errorf("At = %v, want the clock's %v", first.At, clk.Now())
	}
	r.sim.Scan(receiptQR) // the citizen holds the receipt still
	until(t, "one duplicate", func() bool { return r.sc.Stats().Duplicates == 1 })
	clk.Advance(1500 * time.Millisecond)
	r.sim.Scan(receiptQR) // still held: the window slides with each sighting
	until(t, "two duplicates", func() bool { return r.sc.Stats().Duplicates == 2 })
	r.sim.Scan(finePV) // another code goes through at once
	if got := payload(next(t, r.sc)); got != finePV {
		t.Fatalf("event = %q, want %q", got, finePV)
	}
	r.sim.Scan(receiptQR) // back to the receipt: not a duplicate of the last code
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Fatalf("event = %q, want %q", got, receiptQR)
	}
	clk.Advance(2 * time.Second)
	r.sim.Scan(receiptQR) // shown again after the window
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Fatalf("event after the window = %q, want %q", got, receiptQR)
	}
	// A new screen asking for a code gets it, even within the window.
	r.sc.Disarm()
	arm(t, r.sc)
	r.sim.Scan(receiptQR)
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Fatalf("event after re-arming = %q, want %q", got, receiptQR)
	}
	if got := r.sc.Stats(); got.Scanned != 5 || got.Duplicates != 2 {
		t.Errorf("Stats() = %+v, want 5 scanned, 2 duplicates", got)
	}
}

func TestNoiseThenCode(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := newRig(t, qrscan.Config{CharTimeout: 60 * time.Millisecond, DuplicateWindow: -1},
				qrscansim.Options{Seed: seed}, clock.System)
			arm(t, r.sc)
			noise, err := r.sim.Noise(512)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(250 * time.Millisecond) // the line goes quiet: the noise's tail is dropped
			r.sim.Scan(receiptQR)
			for {
				e := next(t, r.sc)
				s, ok := e.(qrscan.Scanned)
				if !ok {
					continue // noise reported as not text, incomplete or too long
				}
				if s.Payload == receiptQR {
					break
				}
				// Noise can hold a printable line; it must be noise, not a
				// mangled code.
				if !strings.Contains(string(noise), s.Payload) {
					t.Fatalf("Scanned %q is neither the code nor part of the noise", s.Payload)
				}
			}
		})
	}
}

func TestHalfLineIsDroppedAsIncomplete(t *testing.T) {
	r := newRig(t, qrscan.Config{CharTimeout: 60 * time.Millisecond}, qrscansim.Options{}, clock.System)
	arm(t, r.sc)
	r.sim.Scan(finePV)
	if got := payload(next(t, r.sc)); got != finePV {
		t.Fatalf("event = %q, want %q", got, finePV)
	}
	if err := r.sim.HalfLine(); err != nil { // half of the fine's number, cut short
		t.Fatal(err)
	}
	f, ok := next(t, r.sc).(qrscan.ScanFailed)
	if !ok || f.Reason != scan.MsgIncomplete {
		t.Fatalf("event after a half line = %#v, want ScanFailed{%s}", f, scan.MsgIncomplete)
	}
	r.sim.Scan(receiptQR)
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Errorf("event after the half line = %q, want %q", got, receiptQR)
	}
}

func TestTooLongIsDropped(t *testing.T) {
	r := newRig(t, qrscan.Config{MaxPayload: 64}, qrscansim.Options{}, clock.System)
	arm(t, r.sc)
	r.sim.Scan(strings.Repeat("https://example.org/", 50)) // 1000 bytes
	f, ok := next(t, r.sc).(qrscan.ScanFailed)
	if !ok || f.Reason != scan.MsgTooLong {
		t.Fatalf("event = %#v, want ScanFailed{%s}", f, scan.MsgTooLong)
	}
	if !strings.Contains(f.Detail, "1000 bytes") {
		t.Errorf("Detail = %q, want the size", f.Detail)
	}
	r.sim.Scan(receiptQR)
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Errorf("event after the long code = %q, want %q", got, receiptQR)
	}
}

// TestEveryByteValue sends every byte value as a line of its own, then all
// of them in one burst, and checks what each becomes.
func TestEveryByteValue(t *testing.T) {
	r := newRig(t, qrscan.Config{CharTimeout: 60 * time.Millisecond, DuplicateWindow: -1},
		qrscansim.Options{}, clock.System)
	arm(t, r.sc)
	var want []string
	for b := 0; b < 256; b++ {
		switch {
		case b == '\r' || b == '\n' || b == '\t':
			// an empty line once trimmed: nothing
		case b >= 0x20 && b < 0x7f:
			want = append(want, string(rune(b)))
		default:
			want = append(want, "fail "+scan.MsgNotText) // control byte or not UTF-8
		}
	}
	// One line at a time, each event awaited: a burst of 256 lines would
	// overflow the event buffer (see TestEventsNotReadAreDropped).
	var got []string
	for b := 0; b < 256; b++ {
		if err := r.sim.Raw([]byte{byte(b), '\r'}); err != nil {
			t.Fatal(err)
		}
		if b == '\r' || b == '\n' || b == '\t' {
			continue // no event: a stray one would shift every later line
		}
		switch e := next(t, r.sc).(type) {
		case qrscan.Scanned:
			got = append(got, e.Payload)
		case qrscan.ScanFailed:
			got = append(got, "fail "+e.Reason)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("one line per byte value (-want +got):\n%s", diff)
	}

	// All 256 values in one burst: 0x00–0x0C end at the CR and are not
	// text; the rest has no suffix and is dropped when the line goes quiet.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	r.sim.Raw(all)
	for _, reason := range []string{scan.MsgNotText, scan.MsgIncomplete} {
		if f, ok := next(t, r.sc).(qrscan.ScanFailed); !ok || f.Reason != reason {
			t.Fatalf("event after the burst = %#v, want ScanFailed{%s}", f, reason)
		}
	}
	r.sim.Scan(receiptQR)
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Errorf("event after garbage = %q, want %q", got, receiptQR)
	}
}

func TestUnplugAndReplugMidRead(t *testing.T) {
	r := newRig(t, qrscan.Config{Trigger: qrscan.TriggerHoneywell, Retrigger: -1},
		qrscansim.Options{Trigger: qrscan.TriggerHoneywell}, clock.System)
	arm(t, r.sc)
	until(t, "the scan is triggered", r.sim.Scanning)
	if err := r.sim.HalfLine(); err != nil {
		t.Fatal(err)
	}
	until(t, "the half line reaches the driver", func() bool { return r.sc.Partial() > 0 })
	if err := r.sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	f, ok := next(t, r.sc).(qrscan.ScanFailed)
	if !ok || f.Reason != scan.MsgIncomplete {
		t.Fatalf("event when unplugged mid-code = %#v, want ScanFailed{%s}", f, scan.MsgIncomplete)
	}
	h := r.waitHealth(t, drivers.Reconnecting)
	if !strings.Contains(h.Reason, "QR code reader") {
		t.Errorf("health reason = %q, want the device named", h.Reason)
	}
	r.sim.Scan(receiptQR) // shown while unplugged: waits in view

	if err := r.sim.Replug(); err != nil {
		t.Fatal(err)
	}
	r.waitHealth(t, drivers.Connected)
	// Still armed: the driver triggers the new connection and the code is read.
	if got := payload(next(t, r.sc)); got != receiptQR {
		t.Fatalf("event after replug = %q, want %q", got, receiptQR)
	}
	if !r.sc.Armed() {
		t.Errorf("Armed() = false after a replug")
	}
}

func TestUnplugWhileIdleAndTwice(t *testing.T) {
	r := newRig(t, qrscan.Config{}, qrscansim.Options{}, clock.System)
	arm(t, r.sc)
	for i := 0; i < 2; i++ {
		r.sim.Unplug()
		r.waitHealth(t, drivers.Reconnecting)
		r.sim.Replug()
		r.waitHealth(t, drivers.Connected)
	}
	r.sim.Scan(extractQR)
	if got := payload(next(t, r.sc)); got != extractQR {
		t.Errorf("event after two replugs = %q, want %q", got, extractQR)
	}
}

func TestEventsNotReadAreDropped(t *testing.T) {
	r := newRig(t, qrscan.Config{DuplicateWindow: -1}, qrscansim.Options{}, clock.System)
	arm(t, r.sc)
	for i := 0; i < 20; i++ {
		r.sim.Scan(fmt.Sprintf("%08d-RF-2024", i))
	}
	until(t, "all 20 handled", func() bool { s := r.sc.Stats(); return s.Scanned+s.Dropped == 20 })
	if s := r.sc.Stats(); s.Scanned != 16 || s.Dropped != 4 {
		t.Errorf("Stats() = %+v, want 16 scanned and 4 dropped", s)
	}
	if got := payload(next(t, r.sc)); got != "00000000-RF-2024" {
		t.Errorf("first event = %q, want the first code", got)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []qrscan.Config{
		{Suffix: "ETX"},
		{MaxPayload: -1},
		{Trigger: "zebra-ssi"},
		{Trigger: qrscan.TriggerCustom},
	} {
		if _, err := qrscan.New(cfg, nil, nil); err == nil || !strings.HasPrefix(err.Error(), "qrscan: ") {
			t.Errorf("New(%+v) = %v, want a qrscan: error", cfg, err)
		}
	}
}
