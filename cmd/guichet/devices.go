package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"guichet/drivers"
	"guichet/drivers/escpos"
	"guichet/drivers/gpio"
	"guichet/drivers/gpio/gpiosim"
	"guichet/drivers/idscan"
	"guichet/drivers/mrz"
	"guichet/drivers/payterm"
	"guichet/drivers/qrscan"
	"guichet/drivers/serialport"
	"guichet/kiosk/clock"
	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/sync/wire"
)

// exists reports whether path names something (a udev link).
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// peripherals are the kiosk's devices, each kept open by a supervisor, with
// their events bridged to the flow.
type peripherals struct {
	log  *slog.Logger
	pack *pack.Pack

	mu      sync.Mutex
	health  map[string]drivers.Health
	history *ring             // each device's state changes, for diagnostics
	term    *payterm.Terminal // the payment terminal on its current port
	flow    *flow.Flow

	qr    *qrscan.Scanner
	qrCtx context.Context
	board *gpio.Board
	armed atomic.Bool // the QR reader is armed for the current screen
}

func newPeripherals(p *pack.Pack, log *slog.Logger) *peripherals {
	return &peripherals{log: log, pack: p, health: map[string]drivers.Health{}, history: newRing(500)}
}

func (ps *peripherals) setFlow(f *flow.Flow) {
	ps.mu.Lock()
	ps.flow = f
	ps.mu.Unlock()
}

func (ps *peripherals) current() *flow.Flow {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.flow
}

func (ps *peripherals) onHealth(h drivers.Health) {
	ps.mu.Lock()
	prev, known := ps.health[h.Device]
	ps.health[h.Device] = h
	ps.mu.Unlock()
	if !known || prev.State != h.State || prev.Reason != h.Reason {
		ps.history.Write([]byte(healthLine(h)))
	}
}

// supervise keeps a serial device open and runs drive on it until ctx ends.
func (ps *peripherals) supervise(ctx context.Context, name, label, path string, baud int, drive func(context.Context, drivers.Port) error) {
	cfg := serialport.Config{Path: path, Baud: baud, ReadTimeout: 200 * time.Millisecond}
	sup := &serialport.Supervisor{
		Device: name, Label: label, Path: path,
		Open:     serialport.Opener(cfg),
		OnHealth: ps.onHealth,
		Logger:   ps.log,
	}
	ps.onHealth(drivers.Health{Device: name, Path: path, State: drivers.Reconnecting, Reason: "starting", Since: time.Now()})
	go sup.Run(ctx, drive)
}

// startIDScanner bridges the ID-card reader's events to the flow.
func (ps *peripherals) startIDScanner(ctx context.Context, path string) {
	loc := ps.pack.MRZNationalNumber
	opts := mrz.Options{NationalNumber: mrz.Location{Field: loc.Field, Pattern: loc.Pattern, IssuingStates: loc.IssuingStates}}
	ps.supervise(ctx, "idscan", "ID-card scanner", path, 9600, func(ctx context.Context, port drivers.Port) error {
		r := idscan.New(port, idscan.DefaultConfig(), idscan.WithLogger(ps.log), idscan.WithMRZOptions(opts),
			idscan.WithEvents(func(e idscan.Event) {
				f := ps.current()
				if f == nil {
					return
				}
				switch e := e.(type) {
				case idscan.CardRead:
					f.CardRead(cardOf(e.MRZ))
				case idscan.ReadFailed:
					f.CardFailed(flow.CardFailure(e.Reason))
				}
			}))
		return r.Run(ctx)
	})
}

// cardOf converts the MRZ into the flow's card. It holds personal data.
func cardOf(m *mrz.MRZ) flow.Card {
	return flow.Card{
		DocumentCode:   m.DocumentCode,
		IssuingState:   m.IssuingState,
		DocumentNumber: m.DocumentNumber,
		NationalNumber: m.NationalNumber,
		Surname:        m.Surname,
		GivenNames:     strings.Join(m.GivenNames, " "),
		BirthDate:      knownDate(m.BirthDate),
		ExpiryDate:     knownDate(m.ExpiryDate),
		Sex:            m.Sex,
		Nationality:    m.Nationality,
		ChecksOK:       m.Valid,
	}
}

// knownDate is a date the flow can use, "" when any part of it is unknown.
func knownDate(d mrz.Date) string {
	s := d.String()
	if strings.Contains(s, "X") {
		return ""
	}
	return s
}

// startQRScanner bridges the code reader to the flow. The reader reads
// continuously: the flow decides what a code means on each screen.
func (ps *peripherals) startQRScanner(ctx context.Context, path string) error {
	// Long enough for an enrolment ticket scanned on the technician screen.
	sc, err := qrscan.New(qrscan.Config{MaxPayload: wire.MaxTicketText}, clock.System, ps.log)
	if err != nil {
		return err
	}
	ps.qr = sc
	ps.supervise(ctx, "qrscan", "QR code reader", path, 9600, sc.Serve)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-sc.Events():
				f := ps.current()
				if f == nil {
					continue
				}
				switch e := e.(type) {
				case qrscan.Scanned:
					f.Scanned(e.Payload)
				case qrscan.ScanFailed:
					f.ScanFailed(string(e.Reason))
				}
			}
		}
	}()
	ps.qrCtx = ctx
	return nil
}

// armReaders arms the QR reader while the screen reads codes, and disarms
// it otherwise, so a code shown to the kiosk by chance does nothing. It runs
// from the flow's Changed callback: it must not block.
func (ps *peripherals) armReaders() {
	f := ps.current()
	if ps.qr == nil || f == nil {
		return
	}
	want := f.Screen().Accepts.Code
	if ps.armed.Swap(want) == want {
		return
	}
	go func() {
		var err error
		if want {
			err = ps.qr.Arm(ps.qrCtx)
		} else {
			err = ps.qr.Disarm()
		}
		if err != nil {
			ps.log.Warn("QR reader arming", "arm", want, "err", err)
		}
	}()
}

// onPrinterStatus is the receipt printer's status, for the status strip.
func (ps *peripherals) onPrinterStatus(s escpos.Status, err error) {
	f := ps.current()
	if f == nil {
		return
	}
	switch {
	case err != nil:
		f.SetPrinter(flow.PrinterFault)
	case s.PaperEnd || s.PaperEndStop:
		f.SetPrinter(flow.PrinterPaperOut)
	case s.CoverOpen || s.Offline || s.Error:
		f.SetPrinter(flow.PrinterFault)
	case s.PaperNearEnd:
		f.SetPrinter(flow.PrinterPaperLow)
	default:
		f.SetPrinter(flow.PrinterOK)
	}
}

// onPrintEvent alerts the technician (log, fault light) when a receipt is
// held by a fault or will not print on its own.
func (ps *peripherals) onPrintEvent(e printq.Event) {
	if e.Alarm {
		ps.log.Error("receipt printer needs a technician", "event", e.Kind, "fault", e.Fault, "job", e.Job.ID)
		if ps.board != nil {
			ps.board.SetLED(gpio.LEDFault, true)
		}
	}
	if e.Kind == printq.EventPrinted && ps.board != nil {
		ps.board.SetLED(gpio.LEDFault, false)
	}
}

// startPaymentTerminal keeps the terminal open; Pay uses whichever port is
// live.
func (ps *peripherals) startPaymentTerminal(ctx context.Context, path string) {
	ps.supervise(ctx, "payment", "payment terminal", path, 9600, func(ctx context.Context, port drivers.Port) error {
		ps.mu.Lock()
		ps.term = payterm.New(port, payterm.DefaultConfig())
		ps.mu.Unlock()
		<-ctx.Done()
		ps.mu.Lock()
		ps.term = nil
		ps.mu.Unlock()
		return ctx.Err()
	})
}

// Pay implements flow.PaymentProvider on the card terminal.
func (ps *peripherals) Pay(ctx context.Context, p flow.Payment) (flow.Authorisation, error) {
	ps.mu.Lock()
	term := ps.term
	ps.mu.Unlock()
	if term == nil {
		return flow.Authorisation{}, fmt.Errorf("%w: the payment terminal is not connected", flow.ErrPaymentUnavailable)
	}
	a, err := term.Pay(ctx, p.Reference, p.Amount, p.Currency, p.Method.ID)
	switch {
	case errors.Is(err, payterm.ErrNoTerminal):
		return flow.Authorisation{}, fmt.Errorf("%w: %v", flow.ErrPaymentUnavailable, err)
	case err != nil:
		// Not known whether the citizen paid: the flow must not say paid.
		return flow.Authorisation{Outcome: flow.TimedOut}, nil
	case a.Outcome == payterm.Approved:
		return flow.Authorisation{Outcome: flow.Approved, Code: a.Code, ProviderRef: a.Ref}, nil
	case a.Reason == "aborted":
		return flow.Authorisation{Outcome: flow.TimedOut}, nil
	}
	return flow.Authorisation{Outcome: flow.Declined}, nil
}

// startGPIOSim runs an emulated board in this process and takes its
// commands (guichet-devsim's "gpio …") on a unix socket.
func (ps *peripherals) startGPIOSim(ctx context.Context, sock string) error {
	sim := gpiosim.New(gpio.Config{})
	b, err := gpio.New(sim.Pins(), gpio.Config{}, clock.System)
	if err != nil {
		return err
	}
	ps.startBoard(ctx, b)
	if err := sim.Listen(ctx, sock); err != nil {
		return fmt.Errorf("guichet: GPIO socket: %w", err)
	}
	ps.onHealth(drivers.Health{Device: "gpio", Path: sock, State: drivers.Connected, Since: time.Now()})
	return nil
}

// startGPIOHost opens the kiosk's real GPIO header, wired as lines says; a
// header that does not open is a failed peripheral, not a kiosk that does
// not start.
func (ps *peripherals) startGPIOHost(ctx context.Context, lines string) error {
	cfg, err := gpio.ParseLines(lines)
	if err != nil {
		return fmt.Errorf("guichet: -gpio: %w", err)
	}
	b, err := gpio.OpenHost(cfg, clock.System)
	if err != nil {
		// The kiosk runs without its sensor and lights rather than not at
		// all; the technician screen and telemetry say why.
		ps.log.Error("GPIO header not opened: no presence sensor, service key or lights", "err", err)
		ps.onHealth(drivers.Health{Device: "gpio", Path: cfg.Lines(), State: drivers.Failed, Reason: err.Error(), Since: time.Now()})
		return nil
	}
	ps.startBoard(ctx, b)
	ps.onHealth(drivers.Health{Device: "gpio", Path: cfg.Lines(), State: drivers.Connected, Since: time.Now()})
	return nil
}

// startBoard bridges the board's inputs to the flow and lights the ready LED.
func (ps *peripherals) startBoard(ctx context.Context, b *gpio.Board) {
	ps.board = b
	b.SetLED(gpio.LEDReady, true)
	go func() {
		defer b.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-b.Events():
				f := ps.current()
				if f == nil {
					continue
				}
				switch e.Input {
				case gpio.Presence:
					if e.Active {
						f.Presence()
					}
				case gpio.ServiceKey:
					f.ServiceKey(e.Active)
				case gpio.Help:
					if e.Active {
						f.Tap(flow.TapHelp)
					}
				case gpio.PaperLow:
					if e.Active {
						f.SetPrinter(flow.PrinterPaperLow)
					} else {
						f.SetPrinter(flow.PrinterOK)
					}
				}
			}
		}
	}()
}

// healthSnapshot is every configured device's last health, by name.
func (ps *peripherals) healthSnapshot() []drivers.Health {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	out := make([]drivers.Health, 0, len(ps.health))
	for _, h := range ps.health {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b drivers.Health) int { return strings.Compare(a.Device, b.Device) })
	return out
}

// Peripherals reports each device for the technician screen.
func (ps *peripherals) Peripherals(ctx context.Context) []flow.PeripheralHealth {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []flow.PeripheralHealth
	for _, name := range []string{"idscan", "qrscan", "payment", "receipt", "laser", "gpio"} {
		h, ok := ps.health[name]
		if !ok {
			out = append(out, flow.PeripheralHealth{Name: name, State: "not_configured", Detail: "not configured on this kiosk"})
			continue
		}
		out = append(out, flow.PeripheralHealth{Name: name, OK: h.State == drivers.Connected, State: string(h.State), Detail: h.Reason, Since: h.Since})
	}
	return out
}
