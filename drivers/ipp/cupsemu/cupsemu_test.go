package cupsemu_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/ipp/cupsemu"
)

func start(t *testing.T) *cupsemu.Server {
	t.Helper()
	s, err := cupsemu.Start(context.Background(), cupsemu.Options{})
	if errors.Is(err, cupsemu.ErrUnavailable) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Log(s.Logs())
		}
	})
	return s
}

// openTempDir is t.TempDir, opened to user nobody, as whom cups-pdf writes.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCloseLeavesNothingBehind checks a named fault queue with its PDFs in
// a directory of the caller's, the fault state it plays, and that Close
// stops cupsd and removes the server's directory and its cups-pdf
// configuration in /etc/cups.
func TestCloseLeavesNothingBehind(t *testing.T) {
	s := start(t)
	out := filepath.Join(openTempDir(t), "laser")
	f, err := s.AddFaultQueue(cupsemu.QueueOptions{Name: "guichet-laser", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "guichet-laser" || f.Out() != out {
		t.Errorf("queue %q out %q, want guichet-laser out %q", f.Name, f.Out(), out)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o777 || st.Mode()&os.ModeSticky == 0 {
		t.Errorf("PDF directory %s: %v, %v; want mode 1777", out, st.Mode(), err)
	}

	steps := []struct {
		do   func() error
		want cupsemu.FaultState
	}{
		{func() error { return nil }, cupsemu.FaultState{}},
		{func() error { return f.SetPaper(true) }, cupsemu.FaultState{Paper: true}},
		{func() error { return f.SetTonerLow(true) }, cupsemu.FaultState{Paper: true, TonerLow: true}},
		{func() error { return f.Break("Fuser failure (error 50.1)") }, cupsemu.FaultState{Paper: true, TonerLow: true, Broken: "Fuser failure (error 50.1)"}},
		{func() error { return f.Break("") }, cupsemu.FaultState{Paper: true, TonerLow: true}},
		{func() error { return f.SetTonerLow(false) }, cupsemu.FaultState{Paper: true}},
		{func() error { return f.SetPaper(false) }, cupsemu.FaultState{}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got, err := f.State()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("step %d: State() (-want +got):\n%s", i, diff)
		}
	}
	if err := f.Disable("paused by the technician"); err != nil {
		t.Fatal(err)
	}
	if err := f.Enable(); err != nil {
		t.Fatal(err)
	}

	confs := func() []string {
		m, _ := filepath.Glob("/etc/cups/cups-pdf-guichet-*.conf")
		var ours []string
		for _, c := range m {
			if b, _ := os.ReadFile(c); strings.Contains(string(b), s.Dir()) {
				ours = append(ours, c)
			}
		}
		return ours
	}
	if n := len(confs()); n != 1 {
		t.Fatalf("%d cups-pdf configurations for the server, want 1", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if c := confs(); len(c) != 0 {
		t.Errorf("after Close, %q remain", c)
	}
	if _, err := os.Stat(s.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close, the server's directory: %v, want it gone", err)
	}
	if !strings.Contains(s.Logs(), "error_log") {
		t.Errorf("Logs() after Close = %q", s.Logs())
	}
	if err := f.Enable(); err == nil {
		t.Error("cupsenable succeeded after Close: cupsd still runs")
	}
}

func TestQueueNamesAreChecked(t *testing.T) {
	s := start(t)
	for _, name := range []string{"with space", "a/b", "x#1", strings.Repeat("q", 128)} {
		if _, err := s.AddPDFQueue(cupsemu.QueueOptions{Name: name, Out: t.TempDir()}); err == nil {
			t.Errorf("AddPDFQueue(%q) succeeded", name)
		}
	}
}

func TestUnreachablePDFDirectoryIsRefused(t *testing.T) {
	s := start(t)
	private := t.TempDir() // mode 0700
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := s.AddPDFQueue(cupsemu.QueueOptions{Out: filepath.Join(private, "pdf")})
	if err == nil || !strings.Contains(err.Error(), "chmod o+x "+private) {
		t.Errorf("AddPDFQueue in a private directory = %v, want it to say chmod o+x %s", err, private)
	}
}

func TestWaitPDFEndsWithContext(t *testing.T) {
	s := start(t)
	q, err := s.AddPDFQueue(cupsemu.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := q.WaitPDF(ctx, 1); err == nil || !strings.Contains(err.Error(), "no PDF number 1") {
		t.Errorf("WaitPDF on an idle queue = %v, want no PDF number 1", err)
	}
}
