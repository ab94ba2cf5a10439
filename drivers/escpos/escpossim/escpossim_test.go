package escpossim

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"guichet/drivers/escpos"
)

// open opens the printer's stable path as a host would and returns it with
// a reader of the printer's answers.
func open(t *testing.T, s *Sim) *os.File {
	t.Helper()
	f, err := os.OpenFile(s.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readN(t *testing.T, f *os.File, n int) []byte {
	t.Helper()
	f.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, n)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatalf("reading %d answer bytes: %v", n, err)
	}
	return b
}

// waitFor waits until cond holds, on the Sim's change notifications.
func waitFor(t *testing.T, s *Sim, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case <-s.Changed():
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			t.Fatal("timed out")
		}
	}
}

var query = escpos.AppendStatusQuery(nil, escpos.PrinterStatus, escpos.OfflineCause, escpos.ErrorCause, escpos.PaperSensor)

func TestStatusAnswers(t *testing.T) {
	s, err := New(t.TempDir(), Options{Paper: 1000, NearEnd: 900})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := open(t, s)
	tests := []struct {
		name string
		do   func()
		want []byte
	}{
		{"ready", func() {}, []byte{0x12, 0x12, 0x12, 0x12}},
		{"near end", func() {
			f.Write([]byte("x\n\x1bJ\x50"))
			// A status query is answered on arrival, before what the
			// printer received earlier is printed: wait for it.
			waitFor(t, s, func() bool { _, n := s.Counts(); return n >= 12+5 })
		}, []byte{0x12, 0x12, 0x12, 0x1E}},
		{"cover open", s.OpenCover, []byte{0x1A, 0x16, 0x12, 0x1E}},
		{"cover closed", s.CloseCover, []byte{0x12, 0x12, 0x12, 0x1E}},
		{"paper out", s.PaperOut, []byte{0x1A, 0x32, 0x12, 0x7E}},
		{"new roll", func() { s.LoadPaper(0) }, []byte{0x12, 0x12, 0x12, 0x12}},
	}
	for _, tt := range tests {
		tt.do()
		f.Write(query)
		if got := readN(t, f, 4); !bytes.Equal(got, tt.want) {
			t.Errorf("%s: status % x, want % x", tt.name, got, tt.want)
		}
	}
}

func TestPaperOutMidJob(t *testing.T) {
	s, err := New(t.TempDir(), Options{Paper: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := open(t, s)
	// A receipt of 6 lines of 30 rows: the roll ends in the fourth.
	job := []byte("\x1b@one\ntwo\nthree\nfour\nfive\nsix\n\x1dVB\x00")
	f.Write(job)
	waitFor(t, s, func() bool { return s.Status().PaperEnd })
	waitFor(t, s, func() bool { _, n := s.Counts(); return n == len(job) })
	pieces := s.Receipts()
	if len(pieces) != 1 || !pieces[0].Partial || strings.Join(pieces[0].Lines, ",") != "one,two,three,four" {
		t.Fatalf("pieces = %+v, want one partial piece with one … four", pieces)
	}
	if s.Pending() == 0 {
		t.Fatalf("nothing waits after the paper ran out")
	}
	// Without clearing, a new roll prints what waited.
	s.LoadPaper(0)
	pieces = s.Receipts()
	if len(pieces) != 2 || strings.Join(pieces[1].Lines, ",") != "five,six" {
		t.Errorf("after a new roll: %+v, want five, six cut", pieces)
	}
	// Cleared, nothing waits.
	s.PaperOut()
	f.Write([]byte("seven\n"))
	waitFor(t, s, func() bool { return s.Pending() == 2 }) // text and LF
	f.Write(escpos.AppendClearBuffers(nil))
	if got := readN(t, f, 3); !bytes.Equal(got, []byte{0x37, 0x25, 0x00}) {
		t.Errorf("clear buffers answered % x, want 37 25 00", got)
	}
	if s.Pending() != 0 {
		t.Errorf("%d commands wait after clearing", s.Pending())
	}
	if s.Err() != nil {
		t.Errorf("Err() = %v", s.Err())
	}
}

// TestRealtimeInsideRaster: a printer answers DLE EOT found inside raster
// data too (which is why the encoder never sends one there).
func TestRealtimeInsideRaster(t *testing.T) {
	s, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := open(t, s)
	f.Write([]byte{0x1D, 0x76, 0x30, 0, 4, 0, 1, 0, 0x10, 0x04, 0x04, 0x00})
	if got := readN(t, f, 1); got[0] != 0x12 {
		t.Errorf("answer % x, want 12", got)
	}
	waitFor(t, s, func() bool { _, n := s.Counts(); return n == 12 })
	if s.Err() != nil {
		t.Errorf("Err() = %v: the raster itself is fine", s.Err())
	}
}

func TestRefusesUnknownCommand(t *testing.T) {
	s, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f := open(t, s)
	f.Write([]byte("ok\n\x1b\x21\x00"))
	waitFor(t, s, func() bool { return s.Err() != nil })
	if !strings.Contains(s.Err().Error(), "ESC 0x21") {
		t.Errorf("Err() = %v, want it to name ESC 0x21", s.Err())
	}
}

func TestExec(t *testing.T) {
	s, err := New(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, line := range []string{"cover-open", "cover-close", "paper-out", "load-paper 2000", "paper-out-after 10", "silent on", "silent off", "unplug", "replug"} {
		if _, err := s.Exec(line); err != nil {
			t.Errorf("Exec(%q) = %v", line, err)
		}
	}
	out, err := s.Exec("status")
	if err != nil || !strings.Contains(out, "plugged=true") {
		t.Errorf("Exec(status) = %q, %v", out, err)
	}
	for _, bad := range []string{"paper-out-after", "load-paper x", "save", "dance"} {
		if _, err := s.Exec(bad); err == nil {
			t.Errorf("Exec(%q) = nil error", bad)
		}
	}
}
