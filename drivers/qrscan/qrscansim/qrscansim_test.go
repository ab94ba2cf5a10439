package qrscansim_test

import (
	"bytes"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"guichet/drivers/qrscan"
	"guichet/drivers/qrscan/qrscansim"
)

// open opens the sim's stable path raw, as a host would (serialport is
// tested with the driver; here the emulator alone is under test).
func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func read(t *testing.T, f *os.File, n int) string {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(b)
}

func wait(t *testing.T, sim *qrscansim.Sim, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		changed := sim.Changed() // taken before the check, so no change is missed
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestFramesCodes(t *testing.T) {
	sim, err := qrscansim.New(t.TempDir(), qrscansim.Options{Prefix: "]Q1", Suffix: qrscan.SuffixCRLF})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host := open(t, sim.Path())
	if err := sim.Scan("12345678-RF-2024"); err != nil {
		t.Fatal(err)
	}
	if got, want := read(t, host, 21), "]Q112345678-RF-2024\r\n"; got != want {
		t.Errorf("host read %q, want %q", got, want)
	}
	if err := sim.Scan("A\r\nB"); err == nil {
		t.Errorf("Scan of a code holding the suffix = nil, want an error")
	}
}

func TestHoneywellOneShot(t *testing.T) {
	sim, err := qrscansim.New(t.TempDir(), qrscansim.Options{Trigger: qrscan.TriggerHoneywell})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host := open(t, sim.Path())
	sim.Scan("AAA")
	sim.Scan("BBB")
	if sim.Scanning() || sim.InView() != 2 {
		t.Fatalf("before a trigger: scanning=%v in view=%d, want false, 2", sim.Scanning(), sim.InView())
	}
	host.Write(qrscan.HoneywellStart)
	if got := read(t, host, 4); got != "AAA\r" {
		t.Errorf("first trigger read %q, want AAA\\r", got)
	}
	wait(t, sim, "the one-shot scan ends", func() bool { return !sim.Scanning() })
	if sim.InView() != 1 {
		t.Errorf("in view = %d after one read, want 1", sim.InView())
	}
	host.Write(qrscan.HoneywellStart)
	if got := read(t, host, 4); got != "BBB\r" {
		t.Errorf("second trigger read %q, want BBB\\r", got)
	}
	host.Write(qrscan.HoneywellStart)
	wait(t, sim, "triggered with nothing in view", sim.Scanning)
	host.Write(qrscan.HoneywellStop)
	wait(t, sim, "SYN U CR obeyed", func() bool { return !sim.Scanning() })
	if starts, stops := sim.Commands(); starts != 3 || stops != 1 {
		t.Errorf("Commands() = %d, %d, want 3, 1", starts, stops)
	}
}

func TestReadTimeoutEndsTheScan(t *testing.T) {
	sim, err := qrscansim.New(t.TempDir(), qrscansim.Options{Trigger: qrscan.TriggerHoneywell, ReadTimeout: 30 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host := open(t, sim.Path())
	host.Write(qrscan.HoneywellStart)
	wait(t, sim, "triggered", sim.Scanning)
	wait(t, sim, "the read time-out", func() bool { return !sim.Scanning() })
}

func TestUnplugReplugKeepsThePath(t *testing.T) {
	sim, err := qrscansim.New(t.TempDir(), qrscansim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	path := sim.Path()
	host := open(t, path)
	first, _ := os.Readlink(path)

	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("path after Unplug: %v, want it gone", err)
	}
	host.SetReadDeadline(time.Now().Add(2 * time.Second))
	if n, err := host.Read(make([]byte, 1)); err == nil && n > 0 {
		t.Errorf("host read %d bytes from an unplugged scanner", n)
	}
	if err := sim.Unplug(); err == nil {
		t.Errorf("second Unplug = nil, want an error")
	}
	if err := sim.Scan("K7MX4HQ9XR33"); err != nil { // shown while unplugged
		t.Fatal(err)
	}

	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	second, _ := os.Readlink(path)
	if second == "" || second == first {
		t.Errorf("link after Replug = %q, want a new pty (was %q)", second, first)
	}
	host2 := open(t, path)
	if got := read(t, host2, 13); got != "K7MX4HQ9XR33\r" {
		t.Errorf("after Replug the host read %q, want the code shown while unplugged", got)
	}
}

func TestNoiseHalfLineAndRaw(t *testing.T) {
	sim, err := qrscansim.New(t.TempDir(), qrscansim.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host := open(t, sim.Path())
	noise, err := sim.Noise(300)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, host, 300); got != string(noise) {
		t.Errorf("host read other bytes than the noise")
	}
	values := map[byte]bool{}
	for _, b := range noise {
		values[b] = true
	}
	if len(values) < 100 {
		t.Errorf("noise of 300 bytes has %d distinct values, want a spread", len(values))
	}
	sim.Scan("12345678-RF-2024")
	read(t, host, 17)
	sim.HalfLine()
	if got := read(t, host, 8); got != "12345678" {
		t.Errorf("HalfLine sent %q, want the first half of the last code", got)
	}
	sim.Raw([]byte{0x00, 0xff})
	if got := read(t, host, 2); got != "\x00\xff" {
		t.Errorf("Raw sent %q", got)
	}
}

func TestExec(t *testing.T) {
	sim, err := qrscansim.New(t.TempDir(), qrscansim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	host := open(t, sim.Path())
	for _, line := range []string{"scan محكمة الرباط 1", "raw 16540d", "noise 3", "half"} {
		if _, err := sim.Exec(line); err != nil {
			t.Errorf("Exec(%q) = %v", line, err)
		}
	}
	got := read(t, host, len("محكمة الرباط 1\r")+3+3+len("محكمة الرباط 1")/2)
	if !strings.HasPrefix(got, "محكمة الرباط 1\r\x16T\r") {
		t.Errorf("host read %q", got)
	}
	out, err := sim.Exec("status")
	if err != nil || !strings.Contains(out, "plugged=true scanning=true in_view=0") {
		t.Errorf("Exec(status) = %q, %v", out, err)
	}
	for _, line := range []string{"", "scan", "noise x", "raw 1", "raw zz", "fly"} {
		if _, err := sim.Exec(line); err == nil {
			t.Errorf("Exec(%q) = nil, want an error", line)
		}
	}
	if _, err := sim.Exec("unplug"); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Exec("replug"); err != nil {
		t.Fatal(err)
	}
	if out, _ := sim.Exec("withdraw"); out != "0 codes withdrawn" {
		t.Errorf("Exec(withdraw) = %q", out)
	}
	_ = bytes.MinRead
}
