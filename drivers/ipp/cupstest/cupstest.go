// Package cupstest runs a real CUPS scheduler for tests: the emulated
// server of guichet/drivers/ipp/cupsemu (a private cupsd on a loopback port,
// cups-pdf queues, a fault-playing printer), stopped when the test ends,
// with failures reported through the test.
//
// # Requirements
//
// Those of cupsemu: Debian packages cups, cups-pdf and cups-ipp-utils, and
// root. Without them Start skips the test, or fails it when the CI
// environment variable is set. GUICHET_CUPSTEST_KEEP=1 keeps the server's
// directory (configuration, spool, logs) after the test.
package cupstest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"guichet/drivers/ipp/cupsemu"
)

// Server is a running cupsd.
type Server struct {
	Host string
	Port int
	emu  *cupsemu.Server
}

// Start starts cupsd and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	keep := os.Getenv("GUICHET_CUPSTEST_KEEP") != ""
	emu, err := cupsemu.Start(context.Background(), cupsemu.Options{Keep: keep})
	if errors.Is(err, cupsemu.ErrUnavailable) {
		if os.Getenv("CI") != "" {
			t.Fatalf("CUPS test needs what is missing (CI is set): %v", err)
		}
		t.Skipf("CUPS test skipped: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Log(emu.Logs())
		}
		if keep {
			t.Logf("cupstest: kept %s (GUICHET_CUPSTEST_KEEP is set)", emu.Dir())
		}
	})
	return &Server{Host: emu.Host, Port: emu.Port, emu: emu}
}

// Addr is host:port.
func (s *Server) Addr() string { return s.emu.Addr() }

// Queue is a print queue of the server.
type Queue struct {
	Name string
	q    *cupsemu.Queue
}

// AddPDFQueue adds a queue printing to PDF files through cups-pdf.
func (s *Server) AddPDFQueue(t testing.TB) *Queue {
	t.Helper()
	q, err := s.emu.AddPDFQueue(cupsemu.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &Queue{Name: q.Name, q: q}
}

// Fault is a queue whose printer plays faults.
type Fault struct {
	*Queue
	f *cupsemu.Fault
}

// AddFaultQueue adds a queue on the fault backend, out of paper until
// SetPaper(true), that aborts a job its printer fails (error policy
// abort-job) and stops for anything else.
func (s *Server) AddFaultQueue(t testing.TB) *Fault {
	t.Helper()
	f, err := s.emu.AddFaultQueue(cupsemu.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &Fault{Queue: &Queue{Name: f.Name, q: f.Queue}, f: f}
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// SetPaper loads paper (true) or takes it out.
func (f *Fault) SetPaper(t testing.TB, loaded bool) { t.Helper(); check(t, f.f.SetPaper(loaded)) }

// SetTonerLow makes the printer report toner-low.
func (f *Fault) SetTonerLow(t testing.TB, low bool) { t.Helper(); check(t, f.f.SetTonerLow(low)) }

// Break makes the printer fail every job with message ("" repairs it).
func (f *Fault) Break(t testing.TB, message string) { t.Helper(); check(t, f.f.Break(message)) }

// Disable stops the queue (cupsdisable), as a technician pausing it.
func (q *Queue) Disable(t testing.TB, reason string) { t.Helper(); check(t, q.q.Disable(reason)) }

// Enable restarts it (cupsenable).
func (q *Queue) Enable(t testing.TB) { t.Helper(); check(t, q.q.Enable()) }

// Reject makes it refuse new jobs (cupsreject).
func (q *Queue) Reject(t testing.TB) { t.Helper(); check(t, q.q.Reject()) }

// Accept reopens it (cupsaccept).
func (q *Queue) Accept(t testing.TB) { t.Helper(); check(t, q.q.Accept()) }

// PDFs returns the PDF files cups-pdf has written for the queue, oldest
// first.
func (q *Queue) PDFs(t testing.TB) []string {
	t.Helper()
	files, err := q.q.PDFs()
	check(t, err)
	return files
}

// WaitPDF waits for the n-th PDF of the queue and returns its content.
func (q *Queue) WaitPDF(t testing.TB, n int, timeout time.Duration) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	b, err := q.q.WaitPDF(ctx, n)
	check(t, err)
	return b
}
