// Command guichet is the kiosk: it loads the country pack, opens the durable
// store, its devices and the print queue, and shows the touchscreen.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver"

	"guichet/drivers/devpaths"
	"guichet/drivers/escpos"
	"guichet/drivers/ipp"
	"guichet/kiosk/audit"
	"guichet/kiosk/clock"
	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
	"guichet/kiosk/site"
	"guichet/sync/client"
	"guichet/sync/trustfile"
	"guichet/sync/wire"
	"guichet/ui"
	"guichet/ui/speech"
)

type config struct {
	pack       string
	data       string
	fullscreen bool
	dev        bool
	court      string

	devices string // guichet-devsim's devices.env
	idscan  string
	qrscan  string
	payterm string
	receipt string
	printer string // receipt printer profile: 80mm or 58mm
	gpioSim string // emulated GPIO board's command socket
	pinHash string // technician PIN hash (flow.HashPIN)
	compact time.Duration
	laser   string          // CUPS queue of the laser printer
	cups    string          // CUPS server host:port
	regDir  string          // run a development registry in-process, in this directory
	window  string          // maintenance window "HH:MM-HH:MM" for the updater (settings)
	devDir  string          // udev's stable device names
	gpio    string          // the real GPIO header's wiring (gpio.ParseLines)
	set     map[string]bool // the flags given on the command line
	trust   string          // registry keys for enrolment tickets
}

func main() {
	var cfg config
	flag.StringVar(&cfg.pack, "pack", "ma", "country pack: "+fmt.Sprint(pack.EmbeddedCodes()))
	flag.StringVar(&cfg.data, "data", "/var/lib/guichet/kiosk", "directory of the kiosk's store, print queue and keys")
	flag.BoolVar(&cfg.fullscreen, "fullscreen", false, "cover the whole screen (the appliance does)")
	flag.BoolVar(&cfg.dev, "dev", false, "development mode: a local identity and registry key are made under -data when none is provisioned, and the technician PIN is 1234")
	flag.StringVar(&cfg.court, "court", "", "pack id of the court whose lobby the kiosk stands in (default: the pack's first first-instance court)")
	flag.StringVar(&cfg.devices, "devices", "", "devices file (NAME=PATH lines, as guichet-devsim writes; laser= and cups= name an emulated laser printer)")
	flag.StringVar(&cfg.idscan, "idscan", "", "ID-card reader's stable path (overrides -devices)")
	flag.StringVar(&cfg.qrscan, "qrscan", "", "QR reader's stable path (overrides -devices)")
	flag.StringVar(&cfg.payterm, "payterm", "", "payment terminal's stable path (overrides -devices)")
	flag.StringVar(&cfg.receipt, "receipt", "", "receipt printer's stable path (overrides -devices)")
	flag.StringVar(&cfg.printer, "printer", "80mm", "receipt printer profile: 80mm or 58mm")
	flag.StringVar(&cfg.trust, "trust", trustfile.DefaultPath, "the registry keys enrolment tickets are checked with (guichet-registry keys)")
	flag.StringVar(&cfg.devDir, "device-dir", devpaths.Dir, "udev's stable names of the peripherals: a device no flag names is taken from here when present")
	flag.StringVar(&cfg.gpio, "gpio", "", "the GPIO header's wiring, ROLE=LINE[:low][:nopull],… (presence=GPIO17,servicekey=GPIO27:low,…; guichetctl provision -gpio takes the same)")
	flag.StringVar(&cfg.gpioSim, "gpio-sim", "", "run an emulated GPIO board, commanded on this unix socket (guichet-devsim's gpio commands)")
	flag.StringVar(&cfg.pinHash, "technician-pin-hash", "", "hash of the technician PIN (guichetctl pin-hash)")
	flag.StringVar(&cfg.laser, "laser", "", "CUPS queue of the laser printer (extracts); empty: the one -devices names, else none")
	flag.StringVar(&cfg.cups, "cups", "localhost:631", "CUPS server of the -laser queue")
	flag.StringVar(&cfg.regDir, "registry-dir", "", "development: run the central registry and its console in this process, over bbolt in this directory, and enrol the kiosk with it")
	flag.DurationVar(&cfg.compact, "compact-every", 10*time.Minute, "how often to compact the store when idle")
	flag.Parse()
	cfg.set = map[string]bool{}
	flag.Visit(func(f *flag.Flag) { cfg.set[f.Name] = true })

	log, logs := withRing(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, log, logs); err != nil {
		if errors.Is(err, errRestart) {
			log.Warn("stopping so that systemd starts the kiosk again with its new settings")
			os.Exit(settingsRestartCode)
		}
		log.Error("guichet stopped", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config, log *slog.Logger, logs *ring) error {
	if err := applySite(&cfg); err != nil {
		return err
	}
	p, err := pack.Embedded(cfg.pack)
	if err != nil {
		return err
	}
	if err := flow.CheckPack(p); err != nil {
		return fmt.Errorf("guichet: pack %s lacks what the screens need: %w", p.Code, err)
	}
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return fmt.Errorf("guichet: data directory: %w", err)
	}
	court, err := kioskCourt(p, cfg.court)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.regDir != "" {
		reg, err := embeddedRegistry(ctx, cfg.regDir, p, court, log)
		if err != nil {
			return err
		}
		defer reg.Close()
		id, err := kioskID(cfg, log)
		if err != nil {
			return err
		}
		if err := enrolLocally(ctx, reg, cfg.data, id, p, court, log); err != nil {
			return err
		}
	}
	st, err := openStore(cfg, p, log)
	if err != nil {
		return err
	}
	defer st.Close()
	kioskID, _ := kioskID(cfg, log)

	// Devices.
	paths := map[string]string{}
	if cfg.devices != "" {
		if paths, err = devpaths.Read(cfg.devices); err != nil {
			return err
		}
	}
	for name, v := range map[string]string{"idscan": cfg.idscan, "qrscan": cfg.qrscan, "payterm": cfg.payterm, "receipt": cfg.receipt} {
		switch {
		case v != "":
			paths[name] = v
		case paths[name] == "" && cfg.devDir != "":
			if p := filepath.Join(cfg.devDir, name); exists(p) {
				paths[name] = p
			}
		}
	}
	// guichet-devsim's emulated laser printer, unless -laser names one.
	if cfg.laser == "" && paths["laser"] != "" && paths["cups"] != "" {
		cfg.laser, cfg.cups = paths["laser"], paths["cups"]
	}
	ps := newPeripherals(p, log)

	// The sync client runs once the kiosk is enrolled (kiosk-identity.pem).
	link := &syncLink{}
	upd := newUpdateLink(st, log)
	go upd.run(ctx, 5*time.Second)
	if _, err := client.LoadIdentity(cfg.data); err == nil {
		if link, err = startSync(ctx, cfg.data, st, readingsWithUpdate(ps, upd), log); err != nil {
			return err
		}
	} else {
		log.Warn("not enrolled with a registry: requests stay queued on this kiosk", "why", err)
	}
	diag := &diagnostics{kioskID: kioskID, log: logs, ps: ps, st: st, upd: upd, started: time.Now(), logger: log}
	go diag.run(ctx, link, 5*time.Second)

	// Settings from operations apply at start, on probation until the
	// health check passes.
	fc := flow.Config{KioskCourt: court, Location: time.Local}
	probation, err := loadSettingsRecord(cfg.data)
	if err != nil {
		return err
	}
	var applied wire.Settings
	auditRollback := func(version uint64, msg string) {
		log.Error(msg)
		if _, err := st.RecordAudit(ctx, audit.System, "settings.rollback", fmt.Sprint(version), msg); err != nil {
			log.Error("audit", "err", err)
		}
	}
	if link.c != nil {
		latest := link.c.Settings()
		use, rolledBack, err := probation.choose(latest)
		if err != nil {
			return err
		}
		if rolledBack != "" {
			auditRollback(latest.Version, rolledBack)
		}
		applySettings(&cfg, &fc, use)
		applied = use
		if probation.onProbation() {
			log.Warn("new settings on probation until the health check passes", "version", use.Version, "kept", probation.rec.Good.Version)
		}
	}
	if path := paths["idscan"]; path != "" {
		ps.startIDScanner(ctx, path)
	}
	if path := paths["qrscan"]; path != "" {
		if err := ps.startQRScanner(ctx, path); err != nil {
			return err
		}
	}
	if path := paths["payterm"]; path != "" {
		ps.startPaymentTerminal(ctx, path)
	}
	switch {
	case cfg.gpioSim != "":
		if err := ps.startGPIOSim(ctx, cfg.gpioSim); err != nil {
			return err
		}
	case cfg.gpio != "":
		if err := ps.startGPIOHost(ctx, cfg.gpio); err != nil {
			return err
		}
	}

	// Receipts go through the durable print queue.
	var receipts *receipts
	if path := paths["receipt"]; path != "" {
		prof, err := escpos.ProfileNamed(cfg.printer)
		if err != nil {
			return err
		}
		printer, err := escpos.New(prof, escpos.Options{Logger: log, OnStatus: ps.onPrinterStatus})
		if err != nil {
			return err
		}
		ps.supervise(ctx, "receipt", "receipt printer", path, 115200, printer.Drive)
		q, err := printq.Open(filepath.Join(cfg.data, "printq.db"))
		if err != nil {
			return err
		}
		defer q.Close()
		k := receipt.Kiosk{ID: kioskID, Court: court, Location: time.Local}
		sp := &printq.Spooler{Queue: q, Printer: printer, Pack: p, Kiosk: k, Logger: log}
		receipts = newReceipts(sp, st, p, k)
		sp.OnEvent = func(e printq.Event) {
			receipts.onEvent(e)
			ps.onPrintEvent(e)
		}
		go sp.Run(ctx)
	}

	var documents flow.DocumentPrinter
	if cfg.laser != "" {
		lc := ipp.DefaultConfig()
		lc.Queue = cfg.laser
		host, port, err := net.SplitHostPort(cfg.cups)
		if err != nil {
			return fmt.Errorf("guichet: -cups %q: %w", cfg.cups, err)
		}
		lc.Host = host
		if lc.Port, err = strconv.Atoi(port); err != nil {
			return fmt.Errorf("guichet: -cups %q: bad port", cfg.cups)
		}
		l, err := startLaser(ctx, lc, ps)
		if err != nil {
			return err
		}
		documents = l
	}

	pinHash := cfg.pinHash
	if pinHash == "" && cfg.dev {
		salt := make([]byte, 16)
		rand.Read(salt)
		if pinHash, err = flow.HashPIN("1234", salt); err != nil {
			return err
		}
	}

	// The touchscreen: the flow decides, the ui draws.
	a := app.NewWithID("ma.gov.justice.guichet")
	a.Settings().SetTheme(ui.Theme())
	var screen atomic.Pointer[ui.Kiosk]
	screenLog := &screenLogger{log: log, sessions: newSessionState(log, cfg.window)}
	// The kiosk starts again (systemd, Restart=on-failure) with new settings
	// or a new enrolment; without systemd nothing would start it again.
	var restart, windowFailed atomic.Bool
	requestRestart := func() { restart.Store(true); cancel() }
	var restartOnce func()
	if os.Getenv("NOTIFY_SOCKET") != "" {
		restartOnce = requestRestart
	}
	deps := flow.Deps{
		Pack:       p,
		Store:      notifyingStore{Store: st, notify: link.notify},
		Payments:   ps,
		Tracker:    localTracker{st: st, lastSync: link.lastFeed},
		Fines:      fineLookup{link: link},
		Directory:  &directory{st: st},
		Extracts:   extractFetcher{link: link, pack: p, log: log},
		Technician: technician{ps: ps, kioskID: kioskID, court: court, receipts: receipts, link: link, data: cfg.data, trust: cfg.trust, restart: restartOnce, log: log},
		Speaker:    speech.New(log),
		Clock:      clock.System,
		Logger:     log,
		Rand:       rand.Reader,
		Changed: func() {
			if k := screen.Load(); k != nil {
				k.Changed()
			}
			screenLog.changed()
			ps.armReaders()
		},
	}
	if receipts != nil {
		deps.Receipts = receipts
	}
	if documents != nil {
		deps.Documents = documents
	}
	fc.TechnicianPINHash = pinHash
	f, err := flow.New(fc, deps)
	if err != nil {
		return err
	}
	defer f.Close()
	ps.setFlow(f)
	screenLog.flow.Store(f)

	w := a.NewWindow("Guichet")
	k := ui.New(f, p, ui.Options{Logger: log})
	screen.Store(k)
	w.SetPadded(false) // the layout is made for the panel's full 1280×800
	w.SetContent(k.Content())
	w.Resize(fyne.NewSize(1280, 800))
	w.SetFullScreen(cfg.fullscreen)
	w.SetMaster()

	go upd.pauseWhileActivating(ctx, f.SetPaused, time.Second)
	health := newHealthCheck(ps, st, link, log)
	health.onResult = func(ok bool, detail string) {
		if !probation.onProbation() {
			return
		}
		if ok {
			if err := probation.passed(); err != nil {
				log.Error("settings record", "err", err)
			}
			log.Info("settings passed the health check", "version", applied.Version)
			return
		}
		msg, err := probation.failed(detail)
		if err != nil {
			log.Error("settings record", "err", err)
		}
		auditRollback(applied.Version, msg)
		requestRestart()
	}
	go watchSettings(ctx, link, applied, probation, func() bool { return f.Screen().Kind == flow.KindAttract }, log, requestRestart)
	go link.reportConnectivity(ctx, f)
	go health.run(ctx, 90*time.Second)
	go keepAlive(ctx, log)
	go compactWhenIdle(ctx, st, func() bool { return f.Screen().Kind == flow.KindAttract }, cfg.compact, log)

	a.Lifecycle().SetOnStarted(func() {
		screenLog.changed()
		if !windowCreated(w) {
			// Fyne went on without a window (no display, or the graphics
			// driver refused one): nothing shows, so the kiosk is not up.
			log.Error("the kiosk's window could not be created: nothing shows on the screen (see Fyne's error above: display, graphics driver)")
			windowFailed.Store(true)
			cancel()
			return
		}
		log.Info("home screen is up", "pack", p.Code, "pack_version", p.Version, "languages", len(p.Languages), "services", len(p.Services), "court", court)
		health.homeScreenUp()
		if err := sdNotify("READY=1"); err != nil {
			log.Warn("could not tell systemd the kiosk is ready", "err", err)
		}
	})
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	w.ShowAndRun()
	if windowFailed.Load() {
		return errors.New("guichet: no window")
	}
	if restart.Load() {
		return errRestart
	}
	return nil
}

// windowCreated reports whether the window exists on the display (Fyne logs
// a window it could not create and carries on without it).
func windowCreated(w fyne.Window) bool {
	nw, ok := w.(driver.NativeWindow)
	if !ok {
		return true
	}
	created := true
	nw.RunNative(func(c any) {
		switch h := c.(type) {
		case driver.X11WindowContext:
			created = h.WindowHandle != 0
		case driver.WaylandWindowContext:
			created = h.WaylandSurface != 0
		}
	})
	return created
}

// screenLogger logs each new screen's kind and language (never its content,
// which may hold a citizen's data): the technician reads the journey in the
// log, and the real-window test follows it.
type screenLogger struct {
	log      *slog.Logger
	sessions *sessionState // nil: no updater to tell
	flow     atomic.Pointer[flow.Flow]
	last     atomic.Value // string
}

func (s *screenLogger) changed() {
	f := s.flow.Load()
	if f == nil {
		return
	}
	sc := f.Screen()
	s.sessions.observe(sc.Kind)
	key := fmt.Sprintf("%s/%s", sc.Kind, sc.Lang)
	if prev, _ := s.last.Swap(key).(string); prev != key {
		s.log.Info("screen", "kind", sc.Kind, "lang", sc.Lang)
	}
}

// applySite takes the kiosk's pack and court from what provisioning
// recorded (guichetctl provision, kiosk/site), where the command line does
// not name them.
func applySite(cfg *config) error {
	s, err := site.Read(cfg.data)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !cfg.set["pack"] {
		cfg.pack = s.CountryPack
	}
	if !cfg.set["court"] {
		cfg.court = s.Court
	}
	return nil
}

// kioskCourt is the court the kiosk stands in: the flag, or the pack's
// first first-instance court.
func kioskCourt(p *pack.Pack, id string) (string, error) {
	if id != "" {
		if _, ok := p.Court(id); !ok {
			return "", fmt.Errorf("guichet: -court %q is not a court of pack %s", id, p.Code)
		}
		return id, nil
	}
	if cs := p.CourtsOf(pack.FirstInstance); len(cs) > 0 {
		return cs[0].ID, nil
	}
	return p.Courts[0].ID, nil
}
