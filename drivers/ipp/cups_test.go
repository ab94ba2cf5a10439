package ipp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/drivers/ipp"
	"guichet/drivers/ipp/cupstest"
	"guichet/drivers/pdfdoc"
	"guichet/drivers/pdfdoc/pdfcheck"
	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

// extractPDF is the French Moroccan sample extract, as the kiosk prints it.
func extractPDF(t *testing.T) ([]byte, *extract.Extract) {
	t.Helper()
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	e, err := extracttest.Sample(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Verify(extracttest.Keys(), p.ExtractVerificationBase); err != nil {
		t.Fatal(err)
	}
	doc, err := extract.Layout(e, p, "fr", time.FixedZone("+01", 3600))
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return pdf, e
}

func printer(t *testing.T, s *cupstest.Server, queue string) *ipp.Printer {
	t.Helper()
	p, err := ipp.New(ipp.Config{Host: s.Host, Port: s.Port, Queue: queue, User: "guichet", Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// recorder keeps the events it is given.
type recorder struct {
	mu     sync.Mutex
	events []ipp.Event
}

func (r *recorder) add(e ipp.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

// sawPrinter reports whether some PrinterChanged matched.
func (r *recorder) sawPrinter(match func(ipp.Status) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.events {
		if pc, ok := e.(ipp.PrinterChanged); ok && match(pc.Status) {
			return true
		}
	}
	return false
}

func (r *recorder) lastJob() ipp.Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if jc, ok := r.events[i].(ipp.JobChanged); ok {
			return jc.Job
		}
	}
	return ipp.Job{}
}

// TestCUPS sends the extract through a real CUPS (cupsd on loopback, the
// cups-pdf backend) and reads what comes out with poppler and zbarimg;
// then plays a paused queue, a printer out of paper, a failing printer, a
// queue refusing jobs, a missing queue.
func TestCUPS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cupsd")
	}
	pdfcheck.Need(t, "pdftotext", "pdftoppm", "zbarimg")
	s := cupstest.Start(t)
	pdf, e := extractPDF(t)
	doc := ipp.Document{Name: "extract " + e.Number, PDF: pdf}

	t.Run("prints", func(t *testing.T) {
		q := s.AddPDFQueue(t)
		p := printer(t, s, q.Name)
		rec := &recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		j, err := p.Print(ctx, doc, rec.add)
		if err != nil {
			t.Fatalf("Print() error: %v", err)
		}
		if j.State != ipp.JobCompleted || j.Name != doc.Name {
			t.Errorf("Print() = job %q %s, want %q completed", j.Name, j.State, doc.Name)
		}
		out := q.WaitPDF(t, 1, 20*time.Second)
		text := strings.Join(strings.Fields(pdfcheck.Text(t, out)), " ")
		for _, w := range []string{
			"Extrait du casier judiciaire", "B3/2026/004217", "Tribunal de première instance de Casablanca",
			"EL AMRANI", "Fatima Zahra", "Néant", "Le procureur du Roi",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("the printed PDF's text has no %q; it reads:\n%s", w, text)
			}
		}
		if diff := cmp.Diff([]string{e.VerificationURL}, pdfcheck.QR(t, out, 150)); diff != "" {
			t.Errorf("QR codes of the printed PDF (-want +got):\n%s", diff)
		}
		st, err := p.Status(ctx)
		if err != nil || !st.Ready() || st.State != ipp.Idle {
			t.Errorf("Status() after printing = %+v, %v; want idle and ready", st, err)
		}
	})

	t.Run("paused queue keeps the job", func(t *testing.T) {
		q := s.AddPDFQueue(t)
		p := printer(t, s, q.Name)
		q.Disable(t, "maintenance by the technician")
		rec := &recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		_, err := p.Print(ctx, doc, rec.add)
		var je *ipp.JobError
		if !errors.Is(err, ipp.ErrJobPending) || !errors.As(err, &je) {
			t.Fatalf("Print() on a paused queue = %v, want ErrJobPending", err)
		}
		if !je.Printer.Has(ipp.Paused) || je.Printer.State != ipp.Stopped || !strings.Contains(err.Error(), "maintenance by the technician") {
			t.Errorf("JobError = %v; want the printer stopped, paused, with the technician's reason", err)
		}
		h := je.Printer.Health("laser", q.Name, time.Now())
		if h.State != drivers.Failed {
			t.Errorf("Health() = %+v, want failed", h)
		}
		// Sending again while the job waits does not print twice.
		again, err := p.Submit(context.Background(), doc)
		if err != nil || again.ID != je.Job.ID {
			t.Errorf("Submit() again = job %d, %v; want the waiting job %d", again.ID, err, je.Job.ID)
		}
		q.Enable(t)
		ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel2()
		j, err := p.Wait(ctx2, je.Job.ID, rec.add)
		if err != nil || j.State != ipp.JobCompleted {
			t.Fatalf("Wait() after cupsenable = %s, %v; want completed", j.State, err)
		}
		q.WaitPDF(t, 1, 20*time.Second)
		time.Sleep(300 * time.Millisecond)
		if n := len(q.PDFs(t)); n != 1 {
			t.Errorf("%d PDFs printed, want 1", n)
		}
	})

	t.Run("out of paper", func(t *testing.T) {
		f := s.AddFaultQueue(t)
		p := printer(t, s, f.Name)
		rec := &recorder{}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := p.Print(ctx, doc, rec.add)
		var je *ipp.JobError
		if !errors.Is(err, ipp.ErrJobPending) || !errors.As(err, &je) {
			t.Fatalf("Print() without paper = %v, want ErrJobPending", err)
		}
		if !rec.sawPrinter(func(s ipp.Status) bool { return s.Has(ipp.MediaEmpty) && s.State == ipp.Stopped }) {
			t.Errorf("no PrinterChanged event with media-empty; events: %+v", rec.events)
		}
		if !strings.Contains(err.Error(), "out of paper") {
			t.Errorf("error %q does not say the printer is out of paper", err)
		}
		if h := je.Printer.Health("laser", f.Name, time.Now()); h.State != drivers.Failed || !strings.Contains(h.Reason, "out of paper: load paper") {
			t.Errorf("Health() = %+v, want failed, out of paper", h)
		}
		// The technician loads paper and restarts the queue: the same job
		// prints.
		f.SetPaper(t, true)
		f.Enable(t)
		ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel2()
		j, err := p.Wait(ctx2, je.Job.ID, rec.add)
		if err != nil || j.State != ipp.JobCompleted {
			t.Fatalf("Wait() after loading paper = %s, %v; want completed", j.State, err)
		}
		out := f.WaitPDF(t, 1, 20*time.Second)
		if text := pdfcheck.Text(t, out); !strings.Contains(text, "Néant") {
			t.Errorf("the job printed after the paper came back lacks Néant")
		}
		st, err := p.Status(context.Background())
		if err != nil || st.Has(ipp.MediaEmpty) || !st.Ready() {
			t.Errorf("Status() after loading paper = %+v, %v; want ready without media-empty", st, err)
		}
	})

	t.Run("toner low still prints", func(t *testing.T) {
		f := s.AddFaultQueue(t)
		f.SetPaper(t, true)
		f.SetTonerLow(t, true)
		p := printer(t, s, f.Name)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := p.Print(ctx, doc, nil); err != nil {
			t.Fatalf("Print() with toner low = %v", err)
		}
		st, err := p.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		h := st.Health("laser", f.Name, time.Now())
		if !st.Has(ipp.TonerLow) || !st.Ready() || h.State != drivers.Connected || !strings.Contains(h.Reason, "toner low") {
			t.Errorf("Status() = %+v, health %+v; want ready with toner low reported", st, h)
		}
	})

	t.Run("printer failure aborts the job", func(t *testing.T) {
		f := s.AddFaultQueue(t)
		f.SetPaper(t, true)
		f.Break(t, "Fuser failure (error 50.1)")
		p := printer(t, s, f.Name)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := p.Print(ctx, doc, nil)
		if !errors.Is(err, ipp.ErrJobFailed) {
			t.Fatalf("Print() on a failing printer = %v, want ErrJobFailed", err)
		}
		for _, w := range []string{doc.Name, "aborted", "Fuser failure (error 50.1)", "print job failed"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q lacks %q", err, w)
			}
		}
		t.Logf("a failed job reads: %v", err)
	})

	t.Run("queue refusing jobs", func(t *testing.T) {
		q := s.AddPDFQueue(t)
		q.Reject(t)
		p := printer(t, s, q.Name)
		if _, err := p.Submit(context.Background(), doc); !errors.Is(err, ipp.ErrNotAccepting) {
			t.Errorf("Submit() to a rejecting queue = %v, want ErrNotAccepting", err)
		}
		st, err := p.Status(context.Background())
		if err != nil || st.AcceptingJobs || st.Health("laser", q.Name, time.Now()).State != drivers.Failed {
			t.Errorf("Status() = %+v, %v; want not accepting, failed", st, err)
		}
		q.Accept(t)
	})

	t.Run("no such queue", func(t *testing.T) {
		p := printer(t, s, "guichet-absent")
		if _, err := p.Status(context.Background()); !errors.Is(err, ipp.ErrNoQueue) {
			t.Errorf("Status() of a missing queue = %v, want ErrNoQueue", err)
		}
		if _, err := p.Submit(context.Background(), doc); !errors.Is(err, ipp.ErrNoQueue) {
			t.Errorf("Submit() to a missing queue = %v, want ErrNoQueue", err)
		}
	})
}
