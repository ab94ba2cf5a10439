package idscansim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/idscan"
	"guichet/drivers/idscan/idscansim"
	"guichet/drivers/mrz"
)

var today = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func TestSampleCards(t *testing.T) {
	want := map[string]struct {
		format  mrz.Layout
		valid   bool
		expired bool
		errors  []mrz.FieldError
	}{
		"cnie":           {mrz.TD1, true, false, nil},
		"cnie-expired":   {mrz.TD1, true, true, nil},
		"cnie-bad-check": {mrz.TD1, false, false, []mrz.FieldError{{Field: "document_number", Code: "check_digit"}, {Field: "composite", Code: "composite_check"}}},
		"passport":       {mrz.TD3, true, false, nil},
		"visa":           {mrz.MRVA, true, false, nil},
	}
	// Around the year and on a 31st, the dates stay valid.
	for _, now := range []time.Time{today, time.Date(2029, 12, 31, 23, 0, 0, 0, time.UTC), time.Date(2028, 2, 29, 8, 0, 0, 0, time.UTC)} {
		cards := idscansim.SampleCards(now)
		var names []string
		for _, c := range cards {
			names = append(names, c.Name)
			t.Run(now.Format(time.DateOnly)+"/"+c.Name, func(t *testing.T) {
				m, err := mrz.Parse(c.Lines, mrz.Options{Now: func() time.Time { return now }})
				if err != nil {
					t.Fatalf("Parse = %v", err)
				}
				w := want[c.Name]
				if m.Format != w.format || m.Valid != w.valid || m.Expired(now) != w.expired {
					t.Errorf("%s: format %s valid %v expired %v; want %s %v %v", c.Name, m.Format, m.Valid, m.Expired(now), w.format, w.valid, w.expired)
				}
				if diff := cmp.Diff(w.errors, m.Errors); diff != "" {
					t.Errorf("%s: errors mismatch (-want +got):\n%s", c.Name, diff)
				}
				if c.About == "" {
					t.Errorf("%s has no description", c.Name)
				}
				if got, ok := idscansim.Sample(c.Name, now); !ok || !slices.Equal(got.Lines, c.Lines) {
					t.Errorf("Sample(%q) = %v, %v; want the card", c.Name, got, ok)
				}
			})
		}
		if diff := cmp.Diff([]string{"cnie", "cnie-expired", "cnie-bad-check", "passport", "visa"}, names); diff != "" {
			t.Errorf("names mismatch (-want +got):\n%s", diff)
		}
	}
	if _, ok := idscansim.Sample("driving-licence", today); ok {
		t.Errorf("Sample(driving-licence) = _, true; want false")
	}
}

func TestEncode(t *testing.T) {
	lines := []string{"AB", "CD"}
	for _, tc := range []struct {
		framing idscan.Framing
		want    string
	}{
		{idscan.Framing{}, "AB\rCD\r"},
		{idscan.Framing{Terminator: idscan.TermLF}, "AB\nCD\n"},
		{idscan.Framing{Terminator: idscan.TermCRLF}, "AB\r\nCD\r\n"},
		{idscan.Framing{Terminator: idscan.TermCR, STXETX: true}, "\x02AB\rCD\r\x03"},
	} {
		sim, err := idscansim.New(t.TempDir(), idscansim.Options{Framing: tc.framing})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(sim.Encode(lines)); got != tc.want {
			t.Errorf("Encode(%q) with %+v = %q, want %q", lines, tc.framing, got, tc.want)
		}
		if got := tc.framing.WireLen(lines); got != len(tc.want) {
			t.Errorf("WireLen(%q) with %+v = %d, want %d", lines, tc.framing, got, len(tc.want))
		}
		sim.Close()
	}
	if _, err := idscansim.New(t.TempDir(), idscansim.Options{Framing: idscan.Framing{Terminator: "|"}}); err == nil {
		t.Errorf("New with terminator | = nil error, want one")
	}
}

// openNear opens the sim's stable path as a driver would, in plain Go.
func openNear(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readN(t *testing.T, f *os.File, n int) []byte {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

func TestPacing(t *testing.T) {
	sim, err := idscansim.New(t.TempDir(), idscansim.Options{Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	near := openNear(t, sim.Path())
	card, _ := idscansim.Sample("cnie", today)
	start := time.Now()
	if err := sim.Insert(context.Background(), card.Lines); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	// 93 bytes × 10 bits at 9600 baud.
	if wire := 96875 * time.Microsecond; took < wire-time.Millisecond || took > wire+100*time.Millisecond {
		t.Errorf("Insert at 9600 baud took %v, want about %v", took, wire)
	}
	if got := string(readN(t, near, 93)); got != string(sim.Encode(card.Lines)) {
		t.Errorf("near side read %q", got)
	}

	// A cancelled ctx stops a paced sending.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := sim.Insert(ctx, card.Lines); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Insert with a 20ms ctx = %v, want context.DeadlineExceeded", err)
	}
	// The next sending is not hurt by the cancelled one.
	if err := sim.Send(context.Background(), []byte("\x03")); err != nil {
		t.Errorf("Send after a cancelled Insert = %v, want nil", err)
	}
}

func TestCancelUnblocksAFullPTY(t *testing.T) {
	// Nobody reads the near side: the pty fills up and a write blocks
	// until ctx ends it; the next sending works again once there is room.
	sim, err := idscansim.New(t.TempDir(), idscansim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	big := make([]byte, 1<<20)
	if err := sim.Send(ctx, big); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send of 1 MiB nobody reads = %v, want context.DeadlineExceeded", err)
	}
	near := openNear(t, sim.Path())
	go io.Copy(io.Discard, near)
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if err := sim.Send(ctx2, []byte("\r")); err != nil {
		t.Errorf("Send once the host reads = %v, want nil", err)
	}
}

func TestUnplugReplug(t *testing.T) {
	sim, err := idscansim.New(t.TempDir(), idscansim.Options{Name: "scanner"})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ctx := context.Background()
	if target, err := os.Readlink(sim.Path()); err != nil || target != sim.DevicePath() {
		t.Fatalf("Readlink(%s) = %q, %v; want %q", sim.Path(), target, err, sim.DevicePath())
	}
	near := openNear(t, sim.Path())

	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(sim.Path()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Lstat(stable path) after Unplug = %v, want not exist", err)
	}
	if sim.Plugged() || sim.DevicePath() != "" {
		t.Errorf("after Unplug: Plugged() = %v, DevicePath() = %q", sim.Plugged(), sim.DevicePath())
	}
	near.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := near.Read(make([]byte, 8)); n != 0 || !(errors.Is(err, io.EOF) || errors.Is(err, syscall.EIO)) {
		t.Errorf("read on the old device after Unplug = %d, %v; want a hang-up (EOF or EIO)", n, err)
	}
	for name, send := range map[string]func() error{
		"Insert":   func() error { return sim.Insert(ctx, []string{"X"}) },
		"Noise":    func() error { return sim.Noise(ctx, 5) },
		"HalfLine": func() error { return sim.HalfLine(ctx) },
	} {
		if err := send(); !errors.Is(err, idscansim.ErrUnplugged) {
			t.Errorf("%s while unplugged = %v, want ErrUnplugged", name, err)
		}
	}
	if err := sim.Unplug(); err != nil {
		t.Errorf("second Unplug = %v, want nil", err)
	}

	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Replug(); err != nil {
		t.Errorf("Replug while plugged = %v, want nil", err)
	}
	near = openNear(t, sim.Path())
	card, _ := idscansim.Sample("passport", today)
	if err := sim.Insert(ctx, card.Lines); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, near, 90); !bytes.Equal(got, sim.Encode(card.Lines)) {
		t.Errorf("after Replug read %q", got)
	}
	// HalfLine cuts the last card's first line in two.
	if err := sim.HalfLine(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(readN(t, near, 22)); got != card.Lines[0][:22] {
		t.Errorf("HalfLine sent %q, want %q", got, card.Lines[0][:22])
	}

	sim.Close()
	if err := sim.Replug(); err == nil {
		t.Errorf("Replug after Close = nil, want an error")
	}
}

func TestNoiseIsReproducible(t *testing.T) {
	noise := func(seed uint64) []byte {
		sim, err := idscansim.New(t.TempDir(), idscansim.Options{Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		defer sim.Close()
		near := openNear(t, sim.Path())
		if err := sim.Noise(context.Background(), 300); err != nil {
			t.Fatal(err)
		}
		return readN(t, near, 300)
	}
	a, b, c := noise(7), noise(7), noise(8)
	if !bytes.Equal(a, b) {
		t.Errorf("Noise with the same seed differs")
	}
	if bytes.Equal(a, c) {
		t.Errorf("Noise with different seeds is the same")
	}
}
