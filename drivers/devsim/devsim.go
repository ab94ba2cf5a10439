// Package devsim runs the kiosk's emulated peripherals together — the
// ID-card reader, the QR scanner, the receipt printer and the payment terminal on
// pseudo-terminals behind stable paths, as udev would name them under
// /dev/guichet, and on request the laser printer as a private CUPS server
// (guichet/drivers/ipp/cupsemu) — and takes text commands that script them:
// insert a card, show a code, decline a payment, send noise, unplug, replug,
// run the laser printer out of paper.
//
// It is what cmd/guichet-devsim runs and what `make run` starts beside the
// kiosk. GPIO lives in the kiosk's own process (a pin cannot cross processes
// without hardware): commands for it are forwarded to the socket the kiosk
// opens with -gpio-sim.
package devsim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"guichet/drivers/escpos/escpossim"
	"guichet/drivers/idscan/idscansim"
	"guichet/drivers/ipp/cupsemu"
	"guichet/drivers/payterm/paytermsim"
	"guichet/drivers/qrscan/qrscansim"
)

// Config says where the devices appear.
type Config struct {
	Dir     string           // the stable paths are made here
	IDBaud  int              // pace the ID reader like a line at this rate; 0 sends at once
	Now     func() time.Time // the date sample cards are made around
	GPIOSim string           // the kiosk's -gpio-sim socket, for gpio commands
	// Laser names the CUPS queue of an emulated laser printer, whose PDFs
	// land in Dir/laser; "" for none. It needs cupsd, cups-pdf and root:
	// without them the other devices start and LaserErr says why.
	Laser string
}

// Devices is a running set of emulated peripherals.
type Devices struct {
	cfg     Config
	ID      *idscansim.Sim
	QR      *qrscansim.Sim
	Payment *paytermsim.Sim
	Printer *escpossim.Sim
	Laser   *cupsemu.Fault  // nil without a laser printer
	CUPS    *cupsemu.Server // the laser printer's print server
	// LaserErr says why there is no laser printer although Config.Laser
	// asked for one.
	LaserErr error
}

// Start makes every device.
func Start(cfg Config) (*Devices, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("devsim: %w", err)
	}
	d := &Devices{cfg: cfg}
	var err error
	if d.ID, err = idscansim.New(cfg.Dir, idscansim.Options{Baud: cfg.IDBaud}); err != nil {
		return nil, fmt.Errorf("devsim: ID-card reader: %w", err)
	}
	if d.QR, err = qrscansim.New(cfg.Dir, qrscansim.Options{}); err != nil {
		d.Close()
		return nil, fmt.Errorf("devsim: QR scanner: %w", err)
	}
	if d.Payment, err = paytermsim.New(cfg.Dir, paytermsim.Options{}); err != nil {
		d.Close()
		return nil, fmt.Errorf("devsim: payment terminal: %w", err)
	}
	if d.Printer, err = escpossim.New(cfg.Dir, escpossim.Options{}); err != nil {
		d.Close()
		return nil, fmt.Errorf("devsim: receipt printer: %w", err)
	}
	if cfg.Laser != "" {
		if err := d.startLaser(); err != nil {
			d.LaserErr = fmt.Errorf("devsim: laser printer: %w", err)
		}
	}
	return d, nil
}

// LaserDir is where the emulated laser printer's PDFs land.
func LaserDir(dir string) string { return filepath.Join(dir, "laser") }

// startLaser starts the print server with the laser queue, paper loaded.
func (d *Devices) startLaser() error {
	s, err := cupsemu.Start(context.Background(), cupsemu.Options{})
	if err != nil {
		return err
	}
	f, err := s.AddFaultQueue(cupsemu.QueueOptions{Name: d.cfg.Laser, Out: LaserDir(d.cfg.Dir)})
	if err == nil {
		err = f.SetPaper(true)
	}
	if err != nil {
		s.Close()
		return err
	}
	d.CUPS, d.Laser = s, f
	return nil
}

// Paths lists each device's stable path by name, for the kiosk's flags,
// and with the laser printer its queue ("laser") and print server's
// host:port ("cups").
func (d *Devices) Paths() map[string]string {
	p := map[string]string{"idscan": d.ID.Path(), "qrscan": d.QR.Path(), "payterm": d.Payment.Path(), "receipt": d.Printer.Path()}
	if d.Laser != nil {
		p["laser"], p["cups"] = d.Laser.Name, d.CUPS.Addr()
	}
	return p
}

// Close unplugs every device.
func (d *Devices) Close() error {
	var errs []error
	if d.ID != nil {
		errs = append(errs, d.ID.Close())
	}
	if d.QR != nil {
		errs = append(errs, d.QR.Close())
	}
	if d.Payment != nil {
		errs = append(errs, d.Payment.Close())
	}
	if d.Printer != nil {
		errs = append(errs, d.Printer.Close())
	}
	if d.CUPS != nil {
		errs = append(errs, d.CUPS.Close())
	}
	return errors.Join(errs...)
}

// Help is the command summary.
const Help = `commands:
  card insert NAME        insert a sample card (card list shows them)
  card list               list the sample cards
  card mrz LINE1 LINE2 [LINE3]   insert a card with these MRZ lines
  card noise N            send N random bytes (power-up noise)
  card half               send half an MRZ line, then nothing
  card unplug | replug    pull or plug back the reader's USB cable
  qr scan TEXT            show a code to the scanner (sent when it is armed)
  qr noise N | half | withdraw | unplug | replug | status
  pay approve | decline [REASON] | timeout | status
  printer paper-out | paper-out-after ROWS | load-paper [ROWS] | cover-open | cover-close
  printer silent on|off | unplug | replug | save DIR | status
  gpio press|release|bounce INPUT   (presence, servicekey, paperlow, help)
  gpio leds | status
  laser paper-out | paper-in | toner-low | toner-ok
  laser break MESSAGE | fix   fail every job with MESSAGE, or repair
  laser list | status     PDFs printed (in DIR/laser), what the printer plays
  paths                   print the devices' paths
  help                    this text`

// Exec runs one command line and returns what to print.
func (d *Devices) Exec(ctx context.Context, line string) (string, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", nil
	}
	rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), f[0]))
	switch f[0] {
	case "help":
		return Help, nil
	case "paths":
		return d.pathLines(), nil
	case "card":
		return d.card(ctx, f[1:])
	case "qr":
		return d.QR.Exec(rest)
	case "pay":
		return d.Payment.Exec(rest)
	case "printer":
		return d.Printer.Exec(rest)
	case "gpio":
		return d.gpio(ctx, rest)
	case "laser":
		return d.laser(rest)
	}
	return "", fmt.Errorf("devsim: unknown command %q (try help)", f[0])
}

func (d *Devices) pathLines() string {
	p := d.Paths()
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s=%s\n", n, p[n])
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (d *Devices) card(ctx context.Context, args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("devsim: card what? (insert NAME, list, mrz, noise N, half, unplug, replug)")
	}
	switch args[0] {
	case "list":
		var b strings.Builder
		for _, c := range idscansim.SampleCards(d.cfg.Now()) {
			fmt.Fprintf(&b, "%-16s %s\n", c.Name, c.About)
		}
		return strings.TrimSuffix(b.String(), "\n"), nil
	case "insert":
		if len(args) != 2 {
			return "", errors.New("devsim: card insert NAME (card list shows them)")
		}
		c, ok := idscansim.Sample(args[1], d.cfg.Now())
		if !ok {
			return "", fmt.Errorf("devsim: no sample card %q (card list shows them)", args[1])
		}
		return "inserted " + c.Name, d.ID.Insert(ctx, c.Lines)
	case "mrz":
		if len(args) < 3 || len(args) > 4 {
			return "", errors.New("devsim: card mrz LINE1 LINE2 [LINE3]")
		}
		return "inserted", d.ID.Insert(ctx, args[1:])
	case "noise":
		n, err := count(args)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("sent %d bytes of noise", n), d.ID.Noise(ctx, n)
	case "half":
		return "sent half a line", d.ID.HalfLine(ctx)
	case "unplug":
		return "reader unplugged", d.ID.Unplug()
	case "replug":
		return "reader plugged back", d.ID.Replug()
	}
	return "", fmt.Errorf("devsim: unknown card command %q", args[0])
}

func count(args []string) (int, error) {
	if len(args) != 2 {
		return 0, fmt.Errorf("devsim: %s N", args[0])
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 || n > 1<<20 {
		return 0, fmt.Errorf("devsim: %s: N must be 1 to %d", args[0], 1<<20)
	}
	return n, nil
}

// gpio forwards a command to the kiosk's emulated board.
func (d *Devices) gpio(ctx context.Context, cmd string) (string, error) {
	if d.cfg.GPIOSim == "" {
		return "", errors.New("devsim: no kiosk GPIO socket configured (-gpio-sim)")
	}
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "unix", d.cfg.GPIOSim)
	if err != nil {
		return "", fmt.Errorf("devsim: the kiosk's GPIO socket: %w (is guichet running with -gpio-sim?)", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(conn, cmd); err != nil {
		return "", fmt.Errorf("devsim: gpio: %w", err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		return "", fmt.Errorf("devsim: gpio: %w", err)
	}
	out := strings.TrimSpace(string(reply))
	if msg, ok := strings.CutPrefix(out, "error: "); ok {
		return "", errors.New(msg)
	}
	return out, nil
}

// Serve reads commands, one a line, from r and writes answers to w until r
// ends or ctx is done. Errors are answered, not fatal.
func (d *Devices) Serve(ctx context.Context, r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out, err := d.Exec(ctx, line)
		switch {
		case err != nil:
			fmt.Fprintf(w, "error: %v\n", err)
		case out != "":
			fmt.Fprintln(w, out)
		}
	}
	return sc.Err()
}

// ListenCommands serves commands on a unix socket at path, one connection at
// a time per client, until ctx is done.
func (d *Devices) ListenCommands(ctx context.Context, path string) error {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("devsim: %w", err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("devsim: %w", err)
		}
		go func() {
			defer conn.Close()
			d.Serve(ctx, conn, conn)
		}()
	}
}

// SocketPath is where `make run` puts devsim's command socket.
func SocketPath(dir string) string { return filepath.Join(dir, "devsim.sock") }
