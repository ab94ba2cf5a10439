package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"guichet/drivers"
	"guichet/drivers/devpaths"
	"guichet/drivers/escpos"
	"guichet/drivers/gpio"
	"guichet/drivers/gpio/gpiosim"
	"guichet/drivers/idscan"
	"guichet/drivers/qrscan"
	"guichet/drivers/serialport"
	"guichet/images/layout"
	"guichet/kiosk/clock"
	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
	"guichet/kiosk/site"
	"guichet/kiosk/store"
	"guichet/sync/client"
	"guichet/sync/trustfile"
	"guichet/sync/wire"
)

const provisionUsage = `usage: guichetctl provision -data DIR -trust FILE [-ticket TEXT | -scan] [-reenrol] [-kiosk-id ID]
         [-devices FILE | -idscan PATH -qrscan PATH -receipt PATH] [-gpio LINES | -gpio-sim SOCKET] [-printer 80mm|58mm]
         [-technician NAME] [-timeout 2m] [-yes]

Enrols the kiosk with the registry named by an enrolment ticket (typed, or
scanned with the kiosk's QR reader), records its country pack and court in
DIR/site.json, tests every peripheral, prints the provisioning report on the
receipt printer and uploads it. Each step prints ✓ or ✗; a failed step says
what to do. Running it again is safe. Stop the kiosk first (systemctl stop
guichet): provisioning needs its devices and its store.

Exit status 0 when every step passed, 1 otherwise, 2 for bad flags.`

// connectWait is how long a device may take to open before its step fails.
const connectWait = 3 * time.Second

// The appliance's kiosk (images/rootfs DefaultKioskArgs): its data
// directory on the data partition, and its peripherals' udev links.
var (
	applianceData    = layout.DataDir + "/kiosk"
	applianceDevices = map[string]string{"idscan": devpaths.Dir + "/idscan", "qrscan": devpaths.Dir + "/qrscan", "receipt": devpaths.Dir + "/receipt"}
)

type provisionOptions struct {
	data, trust     string
	ticket          string
	scan, reenrol   bool
	kioskID         string
	devices         string
	idscan, qrscan  string
	receipt         string
	gpioSim         string
	gpioLines       gpio.Config
	gpioHost        bool // -gpio given
	printerProfile  string
	technician      string
	timeout         time.Duration
	yes             bool
	softwareVersion string
	clock           clock.Clock
}

func runProvision(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("provision", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, provisionUsage); fs.PrintDefaults() }
	o := provisionOptions{softwareVersion: softwareVersion(), clock: clock.System}
	fs.StringVar(&o.data, "data", applianceData, "the kiosk's data directory")
	fs.StringVar(&o.trust, "trust", trustfile.DefaultPath, "the registry keys the image trusts for enrolment tickets")
	fs.StringVar(&o.ticket, "ticket", "", `the enrolment ticket's text ("GUICHET-TICKET.1.…")`)
	fs.BoolVar(&o.scan, "scan", false, "read the enrolment ticket's QR code with the kiosk's QR reader")
	fs.BoolVar(&o.reenrol, "reenrol", false, "enrol again although the kiosk is enrolled (for another court, or after a revocation)")
	fs.StringVar(&o.kioskID, "kiosk-id", "", "the kiosk's id, when neither the ticket nor an earlier enrolment gives one")
	fs.StringVar(&o.devices, "devices", "", "devices file (NAME=PATH lines, as guichet-devsim writes)")
	fs.StringVar(&o.idscan, "idscan", "", "ID-card reader's stable path (overrides -devices; default "+applianceDevices["idscan"]+")")
	fs.StringVar(&o.qrscan, "qrscan", "", "QR reader's stable path (overrides -devices; default "+applianceDevices["qrscan"]+")")
	fs.StringVar(&o.receipt, "receipt", "", "receipt printer's stable path (overrides -devices; default "+applianceDevices["receipt"]+")")
	fs.StringVar(&o.gpioSim, "gpio-sim", "", "run an emulated GPIO board commanded on this unix socket (guichet-devsim's gpio commands)")
	gpioLines := fs.String("gpio", "", "the GPIO header's wiring: ROLE=LINE[:low][:nopull],… (presence, servicekey, paperlow, help, ready, busy, fault)")
	fs.StringVar(&o.printerProfile, "printer", "80mm", "receipt printer profile: 80mm or 58mm")
	fs.StringVar(&o.technician, "technician", "", "the technician's name, for the report")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Minute, "how long a step waits for the technician (a card, a code, a key)")
	fs.BoolVar(&o.yes, "yes", false, "confirm the lights without the service key (automation)")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	switch {
	case fs.NArg() > 0:
		return &exitError{2, fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), provisionUsage)}
	case o.data == "":
		return &exitError{2, errors.New("-data is required")}
	case o.ticket != "" && o.scan:
		return &exitError{2, errors.New("-ticket and -scan: give one (a typed ticket, or scan it)")}
	case o.timeout <= 0:
		return &exitError{2, errors.New("-timeout must be positive")}
	case *gpioLines != "" && o.gpioSim != "":
		return &exitError{2, errors.New("-gpio and -gpio-sim: give one (the kiosk's header, or the emulated board)")}
	case !utf8.ValidString(o.technician) || len(o.technician) > wire.MaxName:
		return &exitError{2, fmt.Errorf("-technician: at most %d bytes of text", wire.MaxName)}
	}
	if *gpioLines != "" {
		cfg, err := gpio.ParseLines(*gpioLines)
		if err != nil {
			return &exitError{2, fmt.Errorf("-gpio: %v", err)}
		}
		o.gpioLines, o.gpioHost = cfg, true
	}
	if err := kioskStopped(o.data); err != nil {
		return err
	}
	p := newProvisioner(c.stdout, o)
	defer p.close()
	if err := p.resolveDevices(); err != nil {
		return &exitError{2, err}
	}
	p.run(ctx)
	if n, err := giveToOwner(o.data); err != nil {
		p.fail("files", "%v: the kiosk may not be able to read its enrolment; give %s and its files to the kiosk's user (chown -R)", err, o.data)
	} else if n > 0 {
		fmt.Fprintf(c.stdout, "  · %d files written as root given to the data directory's owner, who runs the kiosk\n", n)
	}
	var failed []string
	for _, s := range p.steps {
		if !s.OK {
			failed = append(failed, s.Name)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(c.stdout, "\nprovisioning FAILED: %d of %d steps (%s). Fix what each ✗ says and run guichetctl provision again: the steps that passed are safe to repeat.\n",
			len(failed), len(p.steps), strings.Join(failed, ", "))
		return &exitError{code: 1}
	}
	fmt.Fprintf(c.stdout, "\nprovisioning passed: %d of %d steps. The kiosk can be started (systemctl start guichet).\n", len(p.steps), len(p.steps))
	return nil
}

// softwareVersion is the module version this binary was built from.
func softwareVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// provisioner runs the steps and keeps what they opened.
type provisioner struct {
	out   io.Writer
	o     provisionOptions
	paths map[string]string
	log   *slog.Logger

	steps []wire.ReportStep
	id    *client.Identity
	pack  *pack.Pack

	devCtx  context.Context
	stopDev context.CancelFunc
	cancels []context.CancelFunc // each device's
	wg      sync.WaitGroup

	qr      *qrscan.Scanner
	qrErr   error
	printer *escpos.Printer
	prErr   error
	prOK    bool // the printer passed its step
}

func newProvisioner(out io.Writer, o provisionOptions) *provisioner {
	ctx, cancel := context.WithCancel(context.Background())
	return &provisioner{out: out, o: o, log: slog.New(slog.DiscardHandler), devCtx: ctx, stopDev: cancel}
}

// close stops every device it opened.
func (p *provisioner) close() {
	for _, cancel := range p.cancels {
		cancel()
	}
	p.stopDev()
	p.wg.Wait()
}

// resolveDevices takes the appliance's paths, then the devices file's,
// then the flags.
func (p *provisioner) resolveDevices() error {
	p.paths = maps.Clone(applianceDevices)
	if p.o.devices != "" {
		m, err := devpaths.Read(p.o.devices)
		if err != nil {
			return err
		}
		maps.Copy(p.paths, m)
	}
	for name, v := range map[string]string{"idscan": p.o.idscan, "qrscan": p.o.qrscan, "receipt": p.o.receipt} {
		if v != "" {
			p.paths[name] = v
		}
	}
	return nil
}

func (p *provisioner) run(ctx context.Context) {
	fmt.Fprintf(p.out, "provisioning the kiosk in %s\n", p.o.data)
	p.enrol(ctx)
	p.setSite()
	p.idScanner(ctx)
	// The printer before the QR reader: its test page carries a code to
	// scan.
	p.receiptPrinter(ctx)
	p.qrReader(ctx)
	p.gpioBoard(ctx)
	p.report(ctx)
}

// begin announces a step.
func (p *provisioner) begin(name, what string) {
	fmt.Fprintf(p.out, "\n• %s: %s\n", name, what)
}

// ask tells the technician what to do now.
func (p *provisioner) ask(format string, a ...any) {
	fmt.Fprintf(p.out, "  → "+format+"\n", a...)
}

// note says what was seen while a step waits.
func (p *provisioner) note(format string, a ...any) {
	fmt.Fprintf(p.out, "  · "+format+"\n", a...)
}

func (p *provisioner) pass(name, format string, a ...any) {
	p.record(name, true, fmt.Sprintf(format, a...))
}
func (p *provisioner) fail(name, format string, a ...any) {
	p.record(name, false, fmt.Sprintf(format, a...))
}

func (p *provisioner) record(name string, ok bool, detail string) {
	mark := "✓"
	if !ok {
		mark = "✗"
	}
	fmt.Fprintf(p.out, "%s %s: %s\n", mark, name, detail)
	p.steps = append(p.steps, wire.ReportStep{Name: name, OK: ok, Detail: clipText(detail, wire.MaxText)})
}

// clipText makes s a wire text of at most n bytes, marked "…" where it was
// cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return wire.Text(s, n)
	}
	return wire.Text(s, n-len("…")) + "…"
}

// attach keeps one serial device open under a serialport.Supervisor, as
// the kiosk does, until the provisioner closes; it returns once the device
// is connected, or with the supervisor's reason — a sentence that says
// what to check — after connectWait.
func (p *provisioner) attach(ctx context.Context, name, label, flagName string, baud int, drive func(context.Context, drivers.Port) error) error {
	path := p.paths[name]
	if path == "" {
		return fmt.Errorf("no %s configured: give its stable path with -%s PATH or -devices FILE", label, flagName)
	}
	hc := make(chan drivers.Health, 16)
	sup := &serialport.Supervisor{
		Device: name, Label: label, Path: path,
		Open: serialport.Opener(serialport.Config{Path: path, Baud: baud, ReadTimeout: 200 * time.Millisecond}),
		OnHealth: func(h drivers.Health) {
			select {
			case hc <- h:
			default:
			}
		},
		Logger: p.log,
	}
	dctx, cancel := context.WithCancel(p.devCtx)
	p.cancels = append(p.cancels, cancel)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		sup.Run(dctx, drive)
	}()
	timeout := time.After(connectWait)
	for {
		select {
		case h := <-hc:
			if h.State == drivers.Connected {
				return nil
			}
			// The supervisor announces each open ("opening PATH");
			// anything else before connected is a failure.
			if h.Reason != "" && !strings.HasPrefix(h.Reason, "opening ") {
				// The first open failed: say so now rather than
				// retry while the technician waits.
				cancel()
				return errors.New(h.Reason)
			}
		case <-timeout:
			cancel()
			return fmt.Errorf("the %s at %s could not be opened within %s: unplug it and plug it back, then run again", label, path, connectWait)
		case <-ctx.Done():
			cancel()
			return ctx.Err()
		}
	}
}

// enrol: the kiosk's identity with the registry.
func (p *provisioner) enrol(ctx context.Context) {
	const step = "enrol"
	p.begin(step, "the kiosk's identity with the registry")
	id, err := client.LoadIdentity(p.o.data)
	switch {
	case err == nil:
		p.id = id
	case !errors.Is(err, client.ErrNotEnrolled):
		p.note("the enrolment files in %s cannot be used (%v): enrolling again", p.o.data, err)
	}
	if p.id != nil && !p.o.reenrol {
		if p.o.ticket != "" {
			if st, err := wire.ParseTicket(p.o.ticket); err == nil && st.Court != p.id.Court {
				p.fail(step, "the ticket is for court %s but the kiosk is enrolled as %s for court %s: use a ticket for %s, or run again with -reenrol to move the kiosk to %s",
					st.Court, p.id.KioskID, p.id.Court, p.id.Court, st.Court)
				return
			}
		}
		p.pass(step, "already enrolled as %s (%s) for court %s, pack %s; nothing sent (-reenrol enrols again)", p.id.KioskID, p.id.Serial, p.id.Court, p.id.CountryPack)
		return
	}

	keys, err := trustfile.Load(p.o.trust)
	if err != nil {
		p.fail(step, "%v; without the registry's keys no ticket can be checked", err)
		return
	}
	text := strings.TrimSpace(p.o.ticket)
	if text == "" {
		if !p.o.scan {
			p.fail(step, "the kiosk is not enrolled and no ticket was given: ask operations for an enrolment ticket (console, Kiosks page) and run again with -scan to read its QR code, or -ticket TEXT")
			return
		}
		if text, err = p.scanTicket(ctx); err != nil {
			p.fail(step, "%v", err)
			return
		}
	}
	st, err := wire.ParseTicket(text)
	if err != nil {
		p.fail(step, "this is not an enrolment ticket (%v): scan or copy the whole QR code the console shows", trimPkg(err))
		return
	}
	if p.id != nil && st.Court != p.id.Court {
		p.note("moving the kiosk from court %s to court %s (-reenrol)", p.id.Court, st.Court)
	}
	// The kiosk keeps its id across enrolments; a ticket naming another
	// kiosk is then refused by EnrolWithTicket.
	kioskID := p.o.kioskID
	if kioskID == "" && p.id != nil {
		kioskID = p.id.KioskID
	}
	if kioskID == "" {
		kioskID = readKioskID(p.o.data)
	}
	if kioskID == "" {
		kioskID = st.KioskID
	}
	if kioskID == "" {
		p.fail(step, "the ticket names no kiosk and this kiosk has no id yet: run again with -kiosk-id ID (the id on the kiosk's label)")
		return
	}
	if st.KioskID != "" && st.KioskID != kioskID {
		p.fail(step, "the ticket is for kiosk %s but this kiosk is %s: ask operations for a ticket for %s, or one that names no kiosk", st.KioskID, kioskID, kioskID)
		return
	}
	if !wire.ValidKioskID(kioskID) {
		p.fail(step, "kiosk id %q is not valid (letters, digits, '.', '_', '-'): check -kiosk-id", kioskID)
		return
	}
	ectx, cancel := context.WithTimeout(ctx, p.o.timeout)
	defer cancel()
	p.note("ticket for court %s, issued by %s, valid until %s; enrolling %s with %s", st.Court, st.IssuedBy, st.Expires.Local().Format("15:04"), kioskID, st.Registry)
	id, err = client.EnrolWithTicket(ectx, client.EnrolOptions{Dir: p.o.data, KioskID: kioskID, SoftwareVersion: p.o.softwareVersion, Clock: p.o.clock, Attempts: 3}, text, keys)
	if err != nil {
		p.fail(step, "%s", enrolFailure(err, st))
		return
	}
	p.id = id
	p.pass(step, "enrolled as %s (%s) for court %s, pack %s v%d, with %s", id.KioskID, id.Serial, id.Court, id.CountryPack, id.PackVersion, id.RegistryURL)
}

// readKioskID is the id an earlier enrolment kept, "" without one.
func readKioskID(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, client.FileKioskID))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// enrolFailure says why enrolment failed and what to do.
func enrolFailure(err error, st wire.SignedTicket) string {
	msg := trimPkg(err)
	var problem *wire.Problem
	switch {
	case errors.Is(err, wire.ErrInvalid):
		if _, why, ok := strings.Cut(msg, "ticket: "); ok {
			msg = why
		}
		return fmt.Sprintf("the enrolment ticket was refused: %s", msg)
	case errors.Is(err, client.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("could not reach the registry at %s (%s): check the network cable and that the kiosk may reach that address, then run again before the ticket expires at %s",
			st.Registry, msg, st.Expires.Local().Format("15:04"))
	case errors.Is(err, client.ErrRefused):
		return fmt.Sprintf("the registry refused the ticket (%s): it was used already, has expired, or was withdrawn; ask operations for a new one", msg)
	case errors.As(err, &problem) && problem.Status < 500:
		detail := problem.Detail
		if detail == "" {
			detail = problem.Title
		}
		return fmt.Sprintf("the registry refused the ticket (%s): %s", problem.Code, detail)
	case errors.Is(err, client.ErrBadAnswer):
		return fmt.Sprintf("the registry's answer was refused (%s): the address on the ticket may not be the ministry's registry; tell operations", msg)
	}
	return fmt.Sprintf("enrolment failed: %s; run again, and tell operations if it persists", msg)
}

// trimPkg drops the "client: " and "wire: " prefixes of an error for a
// technician's eyes.
func trimPkg(err error) string {
	s := err.Error()
	for _, pre := range []string{"client: ", "wire: "} {
		s = strings.ReplaceAll(s, pre, "")
	}
	return s
}

// scanTicket reads the enrolment ticket with the QR reader.
func (p *provisioner) scanTicket(ctx context.Context) (string, error) {
	sc, err := p.qrScanner(ctx)
	if err != nil {
		return "", fmt.Errorf("cannot read the ticket: %v; or give it with -ticket TEXT", err)
	}
	if err := sc.Arm(ctx); err != nil {
		return "", fmt.Errorf("the QR reader could not be armed: %v", err)
	}
	defer sc.Disarm()
	p.ask("show the enrolment ticket's QR code (on the console's screen or printed) to the QR reader (waiting up to %s)", p.o.timeout)
	wait := time.NewTimer(p.o.timeout)
	defer wait.Stop()
	for {
		select {
		case e := <-sc.Events():
			switch e := e.(type) {
			case qrscan.Scanned:
				if strings.HasPrefix(e.Payload, wire.TicketPrefix) {
					return e.Payload, nil
				}
				p.note("that code is not an enrolment ticket: show the ticket's QR code")
			case qrscan.ScanFailed:
				p.note("the code could not be read (%s): hold it steady, 10 to 20 cm from the reader", e.Reason)
			}
		case <-wait.C:
			return "", fmt.Errorf("no enrolment ticket was scanned within %s: show the ticket's QR code to the reader, or give it with -ticket TEXT", p.o.timeout)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// qrScanner opens the QR reader once, for the ticket and its own step.
func (p *provisioner) qrScanner(ctx context.Context) (*qrscan.Scanner, error) {
	if p.qr != nil || p.qrErr != nil {
		return p.qr, p.qrErr
	}
	// Long enough for an enrolment ticket (the default is a receipt's).
	sc, err := qrscan.New(qrscan.Config{MaxPayload: wire.MaxTicketText}, clock.System, p.log)
	if err == nil {
		err = p.attach(ctx, "qrscan", "QR code reader", "qrscan", 9600, sc.Serve)
	}
	if err != nil {
		p.qrErr = err
		return nil, err
	}
	p.qr = sc
	return sc, nil
}

// setSite checks the enrolled country pack and court against what this
// software carries and records them for the kiosk.
func (p *provisioner) setSite() {
	const step = "pack"
	p.begin(step, "country pack and court")
	if p.id == nil {
		p.fail(step, "not checked: the kiosk is not enrolled (see the enrol step)")
		return
	}
	pk, err := pack.Embedded(p.id.CountryPack)
	if err != nil {
		p.fail(step, "this software carries no country pack %q (it carries %s): install a release that does, or ask operations to enrol the kiosk with one of these",
			p.id.CountryPack, strings.Join(pack.EmbeddedCodes(), ", "))
		return
	}
	if _, ok := pk.Court(p.id.Court); !ok {
		p.fail(step, "court %q is not in pack %s v%d: ask operations to check the ticket's court, or install a release whose pack has it", p.id.Court, pk.Code, pk.Version)
		return
	}
	p.pack = pk
	s := site.Site{CountryPack: pk.Code, PackVersion: p.id.PackVersion, Court: p.id.Court, KioskID: p.id.KioskID, SetAt: p.o.clock.Now().UTC().Truncate(time.Second)}
	if err := site.Write(p.o.data, s); err != nil {
		p.fail(step, "%v: check that %s is writable (the data partition may be full or read-only)", err, p.o.data)
		return
	}
	version := fmt.Sprintf("v%d", pk.Version)
	if p.id.PackVersion != 0 && p.id.PackVersion != pk.Version {
		version += fmt.Sprintf(" (operations enrolled it for v%d)", p.id.PackVersion)
	}
	p.pass(step, "pack %s %s, court %s; written to %s", pk.Code, version, p.id.Court, filepath.Join(p.o.data, site.File))
}

// idScanner waits for one valid read of the test card.
func (p *provisioner) idScanner(ctx context.Context) {
	const step = "idscan"
	p.begin(step, "ID-card scanner")
	events := make(chan idscan.Event, 16)
	err := p.attach(ctx, "idscan", "ID-card scanner", "idscan", 9600, func(ctx context.Context, port drivers.Port) error {
		r := idscan.New(port, idscan.DefaultConfig(), idscan.WithLogger(p.log), idscan.WithEvents(func(e idscan.Event) {
			select {
			case events <- e:
			default:
			}
		}))
		return r.Run(ctx)
	})
	if err != nil {
		p.fail(step, "%v", err)
		return
	}
	p.ask("lay the test card on the ID-card scanner, machine-readable zone down (waiting up to %s)", p.o.timeout)
	wait := time.NewTimer(p.o.timeout)
	defer wait.Stop()
	failures := 0
	for {
		select {
		case e := <-events:
			switch e := e.(type) {
			case idscan.CardRead:
				// The card's content is personal data: only its layout.
				p.pass(step, "read a valid %s document (type %s)", e.MRZ.Format, e.MRZ.DocumentCode)
				return
			case idscan.ReadFailed:
				failures++
				p.note("read failed: %s; try again", e.Message)
			}
		case <-wait.C:
			if failures > 0 {
				p.fail(step, "%d reads failed and none was valid within %s: use the test card (valid, not expired), lay it flat and still; if every read fails, clean the scanner's glass", failures, p.o.timeout)
			} else {
				p.fail(step, "no card was read within %s: lay the test card flat on the glass, machine-readable zone down; if nothing happens, check that the scanner's light is on and its cable plugged (%s)", p.o.timeout, p.paths["idscan"])
			}
			return
		case <-ctx.Done():
			p.fail(step, "interrupted before a card was read")
			return
		}
	}
}

// receiptPrinter reads the printer's status and prints the test page.
func (p *provisioner) receiptPrinter(ctx context.Context) {
	const step = "receipt"
	p.begin(step, "receipt printer")
	prof, err := escpos.ProfileNamed(p.o.printerProfile)
	if err != nil {
		p.fail(step, "%v: give -printer 80mm or 58mm", err)
		return
	}
	pr, err := escpos.New(prof, escpos.Options{Logger: p.log})
	if err == nil {
		err = p.attach(ctx, "receipt", "receipt printer", "receipt", 115200, pr.Drive)
	}
	if err != nil {
		p.prErr = err
		p.fail(step, "%v", err)
		return
	}
	p.printer = pr
	status := func() (escpos.Status, error) {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return pr.Status(sctx)
	}
	// The supervisor says connected as it hands the port to Drive: give
	// Drive a moment to take it.
	st, err := status()
	for deadline := time.Now().Add(connectWait); errors.Is(err, printq.ErrAbsent) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		st, err = status()
	}
	if err != nil {
		p.fail(step, "the receipt printer does not answer status queries (%v): check that it is switched on, its cable plugged and -printer names its roll", err)
		return
	}
	if msg := printerFault(st); msg != "" {
		p.fail(step, "%s", msg)
		return
	}
	k := p.kiosk()
	pk := p.pack
	if pk == nil {
		// Not enrolled: the test page still shows what the printer can do.
		if pk, err = pack.Embedded(pack.EmbeddedCodes()[0]); err != nil {
			p.fail(step, "no country pack to lay out the test page: %v", err)
			return
		}
	}
	doc, err := receipt.TestPageFor(pk, pk.DefaultLanguage, k, receipt.TestPage{
		Software: p.o.softwareVersion,
		Printer:  []string{fmt.Sprintf("%s, %d dots, %s", prof.Name, prof.Dots, prof.CodePage.Name), "paper: " + paperState(st), "cover: closed"},
		At:       p.o.clock.Now(),
	})
	if err != nil {
		p.fail(step, "the test page could not be laid out: %v", err)
		return
	}
	p.ask("printing the test page")
	pctx, cancel := context.WithTimeout(ctx, p.o.timeout)
	defer cancel()
	if err := pr.Print(pctx, doc); err != nil {
		after, _ := status()
		if msg := printerFault(after); msg != "" {
			p.fail(step, "the test page stopped: %s", msg)
		} else {
			p.fail(step, "the test page did not print (%v): check the printer and run again", printFailure(err))
		}
		return
	}
	after, err := status()
	if err != nil {
		p.fail(step, "the test page printed but the printer stopped answering (%v): check its cable", err)
		return
	}
	if msg := printerFault(after); msg != "" {
		p.fail(step, "the test page printed, then: %s", msg)
		return
	}
	p.prOK = true
	detail := "test page printed; paper " + paperState(after) + ", cover closed"
	if after.PaperNearEnd {
		detail += " (the roll is nearly finished: put in a new one before leaving)"
	}
	p.pass(step, "%s", detail)
}

func paperState(s escpos.Status) string {
	if s.PaperNearEnd {
		return "low"
	}
	return "present"
}

// printerFault says what a status needs from the technician, "" if the
// printer can print.
func printerFault(s escpos.Status) string {
	switch {
	case s.PaperEnd || s.PaperEndStop:
		return "the receipt printer is out of paper: load a roll of thermal paper (shiny side towards the print head), close the cover, and run guichetctl provision again"
	case s.CoverOpen:
		return "the receipt printer's cover is open: close it until it clicks, and run guichetctl provision again"
	case s.CutterError:
		return "the receipt printer's cutter is jammed: open the cover, remove the paper caught in the cutter, close it, and run again"
	case s.UnrecoverableError || s.MechanicalError:
		return fmt.Sprintf("the receipt printer reports a hardware error (%s): switch it off and on; if it persists, replace it", s)
	case s.Offline || s.Error:
		return fmt.Sprintf("the receipt printer is offline (%s): check its lights and switch it off and on", s)
	}
	return ""
}

func printFailure(err error) string {
	switch {
	case errors.Is(err, printq.ErrPaperOut):
		return "out of paper"
	case errors.Is(err, printq.ErrCoverOpen):
		return "cover open"
	case errors.Is(err, printq.ErrAbsent):
		return "the printer stopped answering"
	}
	return err.Error()
}

func (p *provisioner) kiosk() receipt.Kiosk {
	k := receipt.Kiosk{ID: "not enrolled", Location: time.Local}
	if p.id != nil {
		k.ID, k.Court = p.id.KioskID, p.id.Court
	}
	return k
}

// qrReader waits for any code.
func (p *provisioner) qrReader(ctx context.Context) {
	const step = "qrscan"
	p.begin(step, "QR code reader")
	sc, err := p.qrScanner(ctx)
	if err != nil {
		p.fail(step, "%v", err)
		return
	}
	if err := sc.Arm(ctx); err != nil {
		p.fail(step, "the QR reader could not be armed (%v): check its cable", err)
		return
	}
	defer sc.Disarm()
	if p.prOK {
		p.ask("scan the QR code on the test page just printed, or the enrolment ticket's (waiting up to %s)", p.o.timeout)
	} else {
		p.ask("scan any QR code: the enrolment ticket's, or an earlier receipt's (waiting up to %s)", p.o.timeout)
	}
	wait := time.NewTimer(p.o.timeout)
	defer wait.Stop()
	for {
		select {
		case e := <-sc.Events():
			switch e := e.(type) {
			case qrscan.Scanned:
				what := fmt.Sprintf("a code of %d characters", utf8.RuneCountInString(e.Payload))
				if strings.HasPrefix(e.Payload, wire.TicketPrefix) {
					what = "the enrolment ticket"
				}
				p.pass(step, "read %s", what)
				return
			case qrscan.ScanFailed:
				p.note("a code could not be read (%s): hold it steady, 10 to 20 cm from the reader", e.Reason)
			}
		case <-wait.C:
			p.fail(step, "no code was read within %s: hold a QR code 10 to 20 cm in front of the reader's window; if its light does not come on, check its cable (%s)", p.o.timeout, p.paths["qrscan"])
			return
		case <-ctx.Done():
			p.fail(step, "interrupted before a code was read")
			return
		}
	}
}

// gpioBoard reads every input and lights every light in turn.
func (p *provisioner) gpioBoard(ctx context.Context) {
	p.begin("gpio", "inputs and lights")
	var b *gpio.Board
	switch {
	case p.o.gpioHost:
		var err error
		if b, err = gpio.OpenHost(p.o.gpioLines, clock.System); err != nil {
			p.fail("gpio", "the GPIO lines could not be opened (%v): check the line names in -gpio (gpioinfo lists this board's) and that the kiosk's user may use /dev/gpiochip*", err)
			return
		}
	case p.o.gpioSim != "":
		sim := gpiosim.New(gpio.Config{})
		var err error
		if b, err = gpio.New(sim.Pins(), gpio.Config{}, clock.System); err != nil {
			p.fail("gpio", "the emulated GPIO board: %v", err)
			return
		}
		if err := sim.Listen(p.devCtx, p.o.gpioSim); err != nil {
			b.Close()
			p.fail("gpio", "%v: is the kiosk running with the same -gpio-sim socket? stop it first", err)
			return
		}
	default:
		p.fail("gpio", "no GPIO header configured: give its wiring with -gpio presence=GPIO17,servicekey=GPIO27:low,… (as the kiosk is wired), or -gpio-sim SOCKET for the emulated board")
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		<-p.devCtx.Done()
		b.Close()
	}()
	var parts []string
	for _, in := range gpio.Inputs {
		if !b.Fitted(in) {
			parts = append(parts, string(in)+"=not fitted")
			continue
		}
		state := "inactive"
		if b.Active(in) {
			state = "active"
		}
		parts = append(parts, string(in)+"="+state)
	}
	detail := strings.Join(parts, ", ")
	if b.Fitted(gpio.PaperLow) && b.Active(gpio.PaperLow) {
		detail += " (the paper-low switch is on: put in a new roll)"
	}
	p.pass("gpio", "read every input: %s", detail)
	leds := gpio.LEDs
	if p.o.gpioHost {
		leds = nil
		for _, led := range gpio.LEDs {
			if p.o.gpioLines.LEDName(led) != "" {
				leds = append(leds, led)
			}
		}
	}
	p.lights(ctx, b, leds)
}

// lights lights each light alone and waits for the technician to confirm
// it with the service key (or, with -yes, reads the line back).
func (p *provisioner) lights(ctx context.Context, b *gpio.Board, leds []gpio.LED) {
	const step = "leds"
	switch {
	case len(leds) == 0:
		p.fail(step, "no light is wired in -gpio: add ready=, busy= and fault= lines")
		return
	case !p.o.yes && !b.Fitted(gpio.ServiceKey):
		p.fail(step, "no service key is wired to confirm the lights with: add servicekey= to -gpio, or run with -yes and watch the lights")
		return
	}
	defer func() {
		for _, led := range leds {
			b.SetLED(led, false)
		}
	}()
	var lit []string
	for _, led := range leds {
		for _, other := range leds {
			b.SetLED(other, other == led)
		}
		if !b.LEDOn(led) {
			p.fail(step, "the %s light's line did not switch on: check the board's wiring", led)
			return
		}
		if p.o.yes {
			p.note("%s light on (-yes: not confirmed by a person)", led)
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
				p.fail(step, "interrupted")
				return
			}
			lit = append(lit, string(led))
			continue
		}
		for drained := false; !drained; {
			select {
			case <-b.Events():
			default:
				drained = true
			}
		}
		p.ask("is the %s light on, and only it? turn the service key to confirm (waiting up to %s)", led, p.o.timeout)
		if err := waitServiceKey(ctx, b, p.o.timeout); err != nil {
			p.fail(step, "the %s light was not confirmed within %s: if it is dark, check its wiring and bulb; if it is on, turn the service key to confirm (or run with -yes)", led, p.o.timeout)
			return
		}
		lit = append(lit, string(led))
	}
	how := "each confirmed with the service key"
	if p.o.yes {
		how = "each line read back (-yes)"
	}
	p.pass(step, "lit %s in turn, %s", strings.Join(lit, ", "), how)
}

func waitServiceKey(ctx context.Context, b *gpio.Board, d time.Duration) error {
	wait := time.NewTimer(d)
	defer wait.Stop()
	for {
		select {
		case e := <-b.Events():
			if e.Input == gpio.ServiceKey && e.Active {
				return nil
			}
		case <-wait.C:
			return errors.New("timed out")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// report prints the provisioning report and sends it to the registry.
func (p *provisioner) report(ctx context.Context) {
	p.begin("report", "print the provisioning report and send it to the registry")
	steps := append([]wire.ReportStep(nil), p.steps...)
	passed := 0
	for _, s := range steps {
		if s.OK {
			passed++
		}
	}
	switch {
	case p.printer == nil:
		p.fail("report", "not printed: %v", p.prErr)
	case !p.prOK:
		p.fail("report", "not printed: the receipt printer failed its step")
	default:
		if err := p.printReport(ctx, steps, passed); err != nil {
			p.fail("report", "%v", err)
		} else {
			p.pass("report", "printed (%d of %d steps passed): keep it with the kiosk's papers", passed, len(steps))
		}
	}
	p.upload(ctx)
}

func (p *provisioner) printReport(ctx context.Context, steps []wire.ReportStep, passed int) error {
	pk := p.pack
	if pk == nil {
		var err error
		if pk, err = pack.Embedded(pack.EmbeddedCodes()[0]); err != nil {
			return err
		}
	}
	result := fmt.Sprintf("PROVISIONING: %d/%d steps passed", passed, len(steps))
	entries := []receipt.Entry{{Label: "report", Value: result}}
	if p.o.technician != "" {
		entries = append(entries, receipt.Entry{Label: "technician", Value: p.o.technician})
	}
	if p.id != nil {
		entries = append(entries, receipt.Entry{Label: "serial", Value: p.id.Serial}, receipt.Entry{Label: "registry", Value: p.id.RegistryURL})
	}
	for _, s := range steps {
		v := "OK"
		if !s.OK {
			v = "FAILED"
		}
		entries = append(entries, receipt.Entry{Label: s.Name, Value: v + ": " + s.Detail})
	}
	doc, err := receipt.DiagnosticsPage(pk, pk.DefaultLanguage, p.kiosk(), receipt.Diagnostics{Software: p.o.softwareVersion, At: p.o.clock.Now(), Entries: entries})
	if err != nil {
		return fmt.Errorf("the report could not be laid out: %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, p.o.timeout)
	defer cancel()
	if err := p.printer.Print(pctx, doc); err != nil {
		return fmt.Errorf("the report did not print (%s): check the printer; the report is still sent to the registry", printFailure(err))
	}
	return nil
}

// upload sends the steps to the registry, which keeps them in its audit.
func (p *provisioner) upload(ctx context.Context) {
	const step = "upload"
	if p.id == nil {
		p.fail(step, "not sent: the kiosk is not enrolled (see the enrol step)")
		return
	}
	st, err := openKioskStore(p.o.data, p.id)
	if err != nil {
		p.fail(step, "not sent: %v", err)
		return
	}
	defer st.Close()
	c, err := client.New(client.Config{Dir: p.o.data, Store: st, SoftwareVersion: p.o.softwareVersion, Clock: p.o.clock, Logger: p.log, RequestTime: 30 * time.Second})
	if err != nil {
		p.fail(step, "not sent: %v", trimPkg(err))
		return
	}
	if err := c.ReportProvisioning(ctx, p.o.technician, p.steps); err != nil {
		p.fail(step, "the registry at %s did not take the report (%s): check the network and run guichetctl provision again (it is safe to repeat)", p.id.RegistryURL, trimPkg(err))
		return
	}
	p.pass(step, "the registry at %s keeps the report (%d steps) in its audit", p.id.RegistryURL, len(p.steps))
}

// openKioskStore opens the kiosk's store as the kiosk does, failing fast
// when the running kiosk holds it.
func openKioskStore(dir string, id *client.Identity) (*store.Store, error) {
	st, err := store.Open(filepath.Join(dir, "kiosk.db"), store.Options{RegistryKey: id.RegistryKey, KioskID: id.KioskID, LockTimeout: 3 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("the kiosk's store %s cannot be opened (%v): if the kiosk is running, stop it first (systemctl stop guichet)", filepath.Join(dir, "kiosk.db"), err)
	}
	return st, nil
}

// kioskStopped fails when a running kiosk holds its store: it also holds
// the devices, and two readers on one serial line each get half of it.
func kioskStopped(dir string) error {
	path := filepath.Join(dir, "kiosk.db")
	f, err := os.Open(path)
	if err != nil {
		return nil // no store yet: no kiosk has run here
	}
	defer f.Close()
	// bbolt holds an exclusive flock on the file while it is open for
	// writing.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return fmt.Errorf("the kiosk is running (it holds %s): stop it first (systemctl stop guichet); it holds the devices too", path)
	}
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}

// giveToOwner gives the kiosk's files in dir to dir's owner when
// provisioning ran as root and the kiosk runs as its own user (the
// appliance's guichet): a key only root can read would stop the kiosk.
func giveToOwner(dir string) (int, error) {
	if os.Geteuid() != 0 {
		return 0, nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Uid == 0 {
		return 0, nil
	}
	n := 0
	for _, e := range erasables {
		paths, _ := filepath.Glob(filepath.Join(dir, e.name))
		for _, path := range paths {
			fi, err := os.Lstat(path)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if fs, ok := fi.Sys().(*syscall.Stat_t); ok && fs.Uid == st.Uid && fs.Gid == st.Gid {
				continue
			}
			if err := os.Lchown(path, int(st.Uid), int(st.Gid)); err != nil {
				return n, fmt.Errorf("giving %s to uid %d: %w", path, st.Uid, err)
			}
			n++
		}
	}
	return n, nil
}
