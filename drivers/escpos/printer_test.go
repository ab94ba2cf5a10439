package escpos_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/drivers/escpos"
	"guichet/drivers/escpos/escposdecode"
	"guichet/drivers/escpos/escpossim"
	"guichet/drivers/serialport"
	"guichet/kiosk/clock"
	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

var at = time.Date(2026, time.May, 12, 13, 5, 0, 0, time.UTC)

// fast is a profile whose paper comes out at once, as the emulator's does:
// the tests do not wait for a real printer's speed.
func fast(p escpos.Profile) escpos.Profile {
	p.Speed = 1 << 20
	return p
}

func sampleDoc(t testing.TB, lang string, n string) receipt.Document {
	t.Helper()
	ma, err := pack.Embedded("ma")
	if err != nil {
		t.Fatal(err)
	}
	num, err := tracking.Parse(n)
	if err != nil {
		t.Fatal(err)
	}
	d, err := receipt.Sample(ma, receipt.KindRequest, lang, num, at)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rig is a printer emulator behind a pseudo-terminal, opened as a serial
// port by serialport under a Supervisor, driven by an escpos.Printer.
type rig struct {
	sim    *escpossim.Sim
	p      *escpos.Printer
	sup    *serialport.Supervisor
	health chan drivers.Health
	cancel context.CancelFunc
	done   chan error
}

func newRig(t *testing.T, opts escpossim.Options) *rig {
	t.Helper()
	sim, err := escpossim.New(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	p, err := escpos.New(fast(escpos.Receipt80mm), escpos.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{sim: sim, p: p, health: make(chan drivers.Health, 64), done: make(chan error, 1)}
	r.sup = &serialport.Supervisor{
		Device: "receipt", Label: "receipt printer", Path: sim.Path(),
		Open:       serialport.Opener(serialport.Config{Path: sim.Path(), Baud: 115200}),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond,
		OnHealth: func(h drivers.Health) {
			select {
			case r.health <- h:
			default:
			}
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.sup.Run(ctx, p.Drive) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	r.waitHealth(t, drivers.Connected)
	waitReady(t, p)
	return r
}

func (r *rig) waitHealth(t *testing.T, want drivers.State) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case h := <-r.health:
			if h.State == want {
				return
			}
		case <-deadline:
			t.Fatalf("printer never %s (health %+v)", want, r.sup.Health())
		}
	}
}

// waitReady waits until the printer holds a port and answers.
func waitReady(t testing.TB, p *escpos.Printer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := p.Ready(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("printer not ready: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func checkQR(t *testing.T, r escpossim.Receipt, want string) {
	t.Helper()
	escposdecode.NeedZbar(t)
	png := filepath.Join(t.TempDir(), "piece.png")
	if err := escposdecode.WritePNG(png, r.Image); err != nil {
		t.Fatal(err)
	}
	got, err := escposdecode.ScanQR(png)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{want}, got); diff != "" {
		t.Errorf("zbarimg (-want +got):\n%s", diff)
	}
}

func TestPrintOverSerial(t *testing.T) {
	r := newRig(t, escpossim.Options{})
	doc := sampleDoc(t, "fr", "3G33-XKDE-NM3M")
	if err := r.p.Print(context.Background(), doc); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.Err(); err != nil {
		t.Fatalf("the printer refused a command: %v", err)
	}
	pieces := r.sim.Receipts()
	if len(pieces) != 1 || pieces[0].Partial {
		t.Fatalf("%d pieces came out, want one whole receipt", len(pieces))
	}
	if !slices.Contains(pieces[0].Lines, "3G33-XKDE-NM3M") {
		t.Errorf("receipt lines lack the tracking number:\n%s", strings.Join(pieces[0].Lines, "\n"))
	}
	checkQR(t, pieces[0], doc.QRPayloads()[0])
	queries, _ := r.sim.Counts()
	job, _ := r.p.Renderer().Render(doc)
	if queries < 4*(len(job.Chunks)+1) {
		t.Errorf("%d status queries for %d chunks, want one set before each chunk and after the last", queries, len(job.Chunks))
	}
}

// TestPaperOutMidReceipt is the fault path end to end: the roll ends in
// the middle of a receipt; printing stops at the next chunk boundary, the
// printer's buffers are cleared, the print queue holds the job and says
// what to tell the citizen, and once a roll is loaded the receipt prints
// whole, once.
func TestPaperOutMidReceipt(t *testing.T) {
	r := newRig(t, escpossim.Options{Paper: 500})
	q, err := printq.Open(filepath.Join(t.TempDir(), "printq.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	ma, _ := pack.Embedded("ma")
	events := make(chan printq.Event, 16)
	s := &printq.Spooler{
		Queue: q, Printer: r.p, Pack: ma, Kiosk: receipt.SampleKiosk(ma),
		RetryEvery: 20 * time.Millisecond, Clock: clock.System,
		OnEvent: func(e printq.Event) { events <- e },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()

	doc := sampleDoc(t, "ar", "3G33-XKDE-NM3M")
	if _, err := s.Submit(doc); err != nil {
		t.Fatal(err)
	}
	e := next(t, events)
	if e.Kind != printq.EventHeld || e.Fault != printq.FaultPaperOut || e.MessageKey != "printer.paper_out" || !e.Alarm {
		t.Fatalf("event %+v, want held for paper out with printer.paper_out and an alarm", e)
	}
	pieces := r.sim.Receipts()
	if len(pieces) != 1 || !pieces[0].Partial {
		t.Fatalf("after the paper ran out: %d pieces, want one partial", len(pieces))
	}
	// The clear reaches the printer over the serial line: give it the time
	// a loaded machine takes to carry a few bytes.
	for end := time.Now().Add(10 * time.Second); r.sim.Pending() != 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	if n := r.sim.Pending(); n != 0 {
		t.Errorf("%d commands wait in the printer 10 s after the fault, want its buffers cleared", n)
	}
	if st := r.sim.Status(); !st.PaperEnd {
		t.Errorf("printer status %s, want paper end", st)
	}
	// Still no paper: the job stays held, nothing more comes out.
	time.Sleep(100 * time.Millisecond)
	select {
	case e := <-events:
		t.Fatalf("event %s while still out of paper", e.Kind)
	default:
	}
	r.sim.LoadPaper(0)
	if e := next(t, events); e.Kind != printq.EventResumed {
		t.Fatalf("event %s, want resumed", e.Kind)
	}
	if e := next(t, events); e.Kind != printq.EventPrinted || e.Job.Attempts != 2 {
		t.Fatalf("event %s after %d attempts, want printed after 2", e.Kind, e.Job.Attempts)
	}
	pieces = r.sim.Receipts()
	if len(pieces) != 2 || pieces[1].Partial {
		t.Fatalf("%d pieces, want the partial one and one whole receipt", len(pieces))
	}
	if err := r.sim.Err(); err != nil {
		t.Fatalf("the printer refused a command: %v", err)
	}
	checkQR(t, pieces[1], doc.QRPayloads()[0])
	// Nothing prints twice.
	time.Sleep(100 * time.Millisecond)
	if got := len(r.sim.Receipts()); got != 2 {
		t.Errorf("%d pieces after a while, want 2", got)
	}
}

func next(t *testing.T, events chan printq.Event) printq.Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
	return printq.Event{}
}

func TestFaultsBeforePrinting(t *testing.T) {
	r := newRig(t, escpossim.Options{})
	doc := sampleDoc(t, "fr", "3G33-XKDE-NM3M")
	tests := []struct {
		name   string
		fault  func()
		clear  func()
		want   error
		status string
	}{
		{"cover open", r.sim.OpenCover, r.sim.CloseCover, printq.ErrCoverOpen, "cover open"},
		{"paper out", r.sim.PaperOut, func() { r.sim.LoadPaper(0) }, printq.ErrPaperOut, "paper end"},
		{"switched off", func() { r.sim.Silence(true) }, func() { r.sim.Silence(false) }, printq.ErrAbsent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(r.sim.Receipts())
			queriesBefore, bytesBefore := r.sim.Counts()
			tt.fault()
			err := r.p.Print(context.Background(), doc)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Print = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "escpos: ") || (tt.status != "" && !strings.Contains(err.Error(), tt.status)) {
				t.Errorf("error %q, want it to start escpos: and say %q", err, tt.status)
			}
			if errors.Is(err, printq.ErrAbsent) == false {
				var fe *escpos.FaultError
				if !errors.As(err, &fe) || fe.Sent != 0 {
					t.Errorf("error %v, want a FaultError with nothing sent", err)
				}
			}
			if err := r.p.Ready(context.Background()); !errors.Is(err, tt.want) {
				t.Errorf("Ready = %v, want %v", err, tt.want)
			}
			if got := len(r.sim.Receipts()); got != before {
				t.Errorf("%d pieces came out, want %d", got, before)
			}
			queriesAfter, bytesAfter := r.sim.Counts()
			if other := bytesAfter - bytesBefore - 3*(queriesAfter-queriesBefore); other != 0 {
				t.Errorf("%d bytes besides status queries sent to a printer with a fault, want none", other)
			}
			tt.clear()
			waitReady(t, r.p)
			if err := r.p.Print(context.Background(), doc); err != nil {
				t.Fatalf("Print after the fault cleared = %v", err)
			}
			if got := len(r.sim.Receipts()); got != before+1 {
				t.Errorf("%d pieces, want %d", got, before+1)
			}
		})
	}
}

// TestUnplugReplug: the cable is pulled while the printer is idle; the
// supervisor notices, the printer reports absent, and after replugging it
// prints again.
func TestUnplugReplug(t *testing.T) {
	r := newRig(t, escpossim.Options{})
	if err := r.sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	r.waitHealth(t, drivers.Reconnecting)
	err := r.p.Print(context.Background(), sampleDoc(t, "fr", "3G33-XKDE-NM3M"))
	if !errors.Is(err, printq.ErrAbsent) {
		t.Errorf("Print while unplugged = %v, want ErrAbsent", err)
	}
	if err := r.sim.Replug(); err != nil {
		t.Fatal(err)
	}
	r.waitHealth(t, drivers.Connected)
	waitReady(t, r.p)
	if err := r.p.Print(context.Background(), sampleDoc(t, "zgh", "3G33-XKDE-NM3M")); err != nil {
		t.Fatal(err)
	}
	if got := len(r.sim.Receipts()); got != 1 {
		t.Errorf("%d pieces, want 1", got)
	}
}

// TestUSBDeviceFile opens the emulator as a device file, as /dev/usb/lp0
// is opened.
func TestUSBDeviceFile(t *testing.T) {
	sim, err := escpossim.New(t.TempDir(), escpossim.Options{Width: 384})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	port, err := escpos.OpenUSB(sim.Path())(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	c := &escpos.Conn{Port: port, Profile: fast(escpos.Receipt58mm)}
	r, _ := escpos.NewRenderer(escpos.Receipt58mm)
	job, err := r.Render(sampleDoc(t, "ar", "3G33-XKDE-NM3M"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	if err := sim.Err(); err != nil {
		t.Fatal(err)
	}
	pieces := sim.Receipts()
	if len(pieces) != 1 {
		t.Fatalf("%d pieces, want 1", len(pieces))
	}
	checkQR(t, pieces[0], "https://suivi.justice.gov.ma/t/3G33XKDENM3M")
}

// tcpPrinter is a network printer on loopback: it answers status queries
// "ready" and decodes what it receives.
type tcpPrinter struct {
	ln     net.Listener
	mu     sync.Mutex
	paper  *escposdecode.Paper
	err    error
	cuts   chan struct{}
	closed chan struct{}
}

func newTCPPrinter(t *testing.T) *tcpPrinter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback TCP: %v", err)
	}
	p := &tcpPrinter{ln: ln, paper: escposdecode.NewPaper(576), cuts: make(chan struct{}, 4), closed: make(chan struct{})}
	go p.serve()
	t.Cleanup(func() { ln.Close(); <-p.closed })
	return p
}

func (p *tcpPrinter) serve() {
	defer close(p.closed)
	c, err := p.ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	var parser escposdecode.Parser
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			p.mu.Lock()
			perr := parser.Feed(buf[:n], func(cmd escposdecode.Command) {
				if cmd.Op == escposdecode.OpStatus {
					c.Write([]byte{0x12})
					return
				}
				if err := p.paper.Apply(cmd); err != nil && p.err == nil {
					p.err = err
				}
				if cmd.Op == escposdecode.OpCut {
					p.cuts <- struct{}{}
				}
			})
			if perr != nil && p.err == nil {
				p.err = perr
			}
			p.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func TestRawTCP(t *testing.T) {
	srv := newTCPPrinter(t)
	port, err := escpos.DialTCP(srv.ln.Addr().String())(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer port.Close()
	c := &escpos.Conn{Port: port, Profile: fast(escpos.Receipt80mm)}
	r, _ := escpos.NewRenderer(escpos.Receipt80mm)
	job, _ := r.Render(sampleDoc(t, "fr", "3G33-XKDE-NM3M"))
	if err := c.Send(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.cuts:
	case <-time.After(5 * time.Second):
		t.Fatal("no cut received")
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.err != nil {
		t.Fatal(srv.err)
	}
	if !slices.ContainsFunc(srv.paper.Lines, func(l escposdecode.Line) bool { return l.Text == "3G33-XKDE-NM3M" }) {
		t.Errorf("the network printer did not print the tracking number")
	}
}

func TestDialTCPDefaultPort(t *testing.T) {
	_, err := escpos.DialTCP("192.0.2.1")(canceled())
	if err == nil || !strings.Contains(err.Error(), "192.0.2.1:9100") {
		t.Errorf("DialTCP(192.0.2.1) = %v, want a dial error naming port 9100", err)
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}
