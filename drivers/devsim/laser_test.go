package devsim_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/drivers/devsim"
	"guichet/drivers/ipp"
	"guichet/drivers/ipp/cupsemu"
	"guichet/drivers/pdfdoc"
	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

// startLaser starts devsim with its laser printer, in a directory user
// nobody (cups-pdf) can reach.
func startLaser(t *testing.T) *devsim.Devices {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{filepath.Dir(dir), dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d, err := devsim.Start(devsim.Config{Dir: dir, Laser: "guichet-laser"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if d.Laser == nil {
		if errors.Is(d.LaserErr, cupsemu.ErrUnavailable) && os.Getenv("CI") == "" {
			t.Skipf("no emulated laser printer here: %v", d.LaserErr)
		}
		t.Fatalf("no laser printer: %v", d.LaserErr)
	}
	if got, want := d.Laser.Out(), devsim.LaserDir(dir); got != want {
		t.Errorf("the laser's PDFs land in %s, want %s", got, want)
	}
	return d
}

// bulletin is the French Moroccan sample extract as the kiosk prints it.
func bulletin(t *testing.T) ipp.Document {
	t.Helper()
	p, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	e, err := extracttest.Sample(p)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := extract.Layout(e, p, "fr", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ipp.Document{Name: "extract " + e.Number, PDF: pdf}
}

func exec(t *testing.T, d *devsim.Devices, line, want string) {
	t.Helper()
	out, err := d.Exec(context.Background(), line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	if !strings.Contains(out, want) {
		t.Errorf("%s said %q, want %q in it", line, out, want)
	}
}

// TestLaserCommands prints through the kiosk's IPP driver to devsim's
// laser printer while its commands play paper out, a failure and low toner.
func TestLaserCommands(t *testing.T) {
	d := startLaser(t)
	paths := d.Paths()
	if paths["laser"] != "guichet-laser" || paths["cups"] != d.CUPS.Addr() {
		t.Errorf("Paths() = %q, want laser=guichet-laser and cups=%s", paths, d.CUPS.Addr())
	}
	exec(t, d, "paths", "laser=guichet-laser")
	exec(t, d, "help", "laser paper-out")
	exec(t, d, "laser list", "no PDF printed yet")
	exec(t, d, "laser status", "paper: loaded\ntoner: ok\nbroken: no\nPDFs: 0 in "+d.Laser.Out())

	p, err := ipp.New(ipp.Config{Host: d.CUPS.Host, Port: d.CUPS.Port, Queue: paths["laser"], User: "guichet", Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	doc := bulletin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	printDoc := func(name string) (ipp.Job, error) {
		t.Helper()
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		return p.Print(pctx, ipp.Document{Name: doc.Name + " " + name, PDF: doc.PDF}, nil)
	}
	pdfs := func(n int) {
		t.Helper()
		b, err := d.Laser.WaitPDF(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("PDF %d starts with %q", n, b[:min(len(b), 8)])
		}
	}

	if _, err := printDoc("ready"); err != nil {
		t.Fatalf("printing on the ready printer: %v", err)
	}
	pdfs(1)
	exec(t, d, "laser list", d.Laser.Out()+"/")

	// Out of paper: the job waits, the printer says why; paper-in prints it.
	exec(t, d, "laser paper-out", "out of paper")
	short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
	_, err = p.Print(short, ipp.Document{Name: doc.Name + " paper", PDF: doc.PDF}, nil)
	cancelShort()
	var je *ipp.JobError
	if !errors.As(err, &je) || !errors.Is(err, ipp.ErrJobPending) || !je.Printer.Has(ipp.MediaEmpty) {
		t.Fatalf("printing without paper = %v, want the job pending on media-empty", err)
	}
	exec(t, d, "laser status", "paper: out")
	exec(t, d, "laser paper-in", "restarted")
	if j, err := p.Wait(ctx, je.Job.ID, nil); err != nil || j.State != ipp.JobCompleted {
		t.Fatalf("the job after paper-in: %s, %v; want completed", j.State, err)
	}
	pdfs(2)

	// Broken: the job fails with the technician's message; fix repairs.
	exec(t, d, "laser break Fuser failure (error 50.1)", "every job fails with Fuser failure (error 50.1)")
	exec(t, d, "laser status", "broken: Fuser failure (error 50.1)")
	if _, err := printDoc("broken"); !errors.Is(err, ipp.ErrJobFailed) || !strings.Contains(err.Error(), "Fuser failure (error 50.1)") {
		t.Fatalf("printing on the broken printer = %v, want ErrJobFailed with the fuser failure", err)
	}
	exec(t, d, "laser fix", "repaired")

	// Toner low: still prints, and the printer reports it.
	exec(t, d, "laser toner-low", "toner low")
	if _, err := printDoc("toner"); err != nil {
		t.Fatalf("printing with low toner: %v", err)
	}
	pdfs(3)
	if st, err := p.Status(ctx); err != nil || !st.Has(ipp.TonerLow) || !st.Ready() {
		t.Errorf("Status() with low toner = %+v, %v; want ready, toner low", st, err)
	}
	exec(t, d, "laser toner-ok", "toner replaced")
	exec(t, d, "laser status", "toner: ok\nbroken: no\nPDFs: 3")
	files, err := d.Laser.PDFs()
	if err != nil || len(files) != 3 {
		t.Errorf("PDFs() = %q, %v; want 3 (the broken job prints nothing)", files, err)
	}
}

func TestLaserCommandErrors(t *testing.T) {
	none := start(t, "")
	for line, want := range map[string]string{
		"laser status":    "no emulated laser printer (start guichet-devsim with -laser QUEUE)",
		"laser paper-out": "no emulated laser printer",
	} {
		if _, err := none.Exec(context.Background(), line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("without a laser, %s = %v, want %q", line, err, want)
		}
	}

	d := startLaser(t)
	for line, want := range map[string]string{
		"laser":               "laser what?",
		"laser break":         "laser break MESSAGE",
		"laser paper-out now": "takes no argument",
		"laser jam":           `unknown laser command "jam"`,
	} {
		if _, err := d.Exec(context.Background(), line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s = %v, want %q", line, err, want)
		}
	}
}
