// Command guichet-updater is the kiosk's update supervisor, a systemd unit
// apart from the kiosk it updates (the binary under test never decides its
// own rollback):
//
//	guichet-updater run     the daemon: check the repository, download, stage,
//	                        wait for the window, activate, supervise the
//	                        probation, commit or roll back (sync/update)
//	guichet-updater launch  what the kiosk unit runs: exec <data>/current/guichet,
//	                        or the factory binary when there is no current
//	guichet-updater status  print the updater's status.json
//
// Fail points for crash tests: GUICHET_UPDATER_FAILPOINT=name[,name…] makes
// the process SIGKILL itself when it reaches a named point (a state's
// "<state>.enter", "download.half", "download.complete", "stage.renamed",
// "activate.image", "activate.previous", "activate.current", "activate.restarted",
// "probation.healthy", "commit.done", "rollback.current", "rollback.marked",
// "rollback.restarted").
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // maintenance windows name their zone; the image need not ship tzdata

	"github.com/godbus/dbus/v5"

	"guichet/sync/client"
	"guichet/sync/update"
)

// The appliance's paths, shared with the image (images/).
const (
	defaultData        = "/var/lib/guichet"
	defaultFactory     = "/usr/lib/guichet/bin/guichet"
	defaultRootOfTrust = "/usr/lib/guichet/update/root.json"
	defaultUSB         = "/media/guichet-update"
	defaultVersionFile = "/usr/lib/guichet/version" // the factory binary's version, one line, written by the image build
)

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = runDaemon(ctx, os.Args[2:], log)
	case "launch":
		err = launch(os.Args[2:])
	case "status":
		err = status(os.Args[2:], os.Stdout)
	case "-h", "--help", "help":
		usage(os.Stdout)
		return
	default:
		fmt.Fprintf(os.Stderr, "guichet-updater: unknown command %q\n", os.Args[1])
		usage(os.Stderr)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "guichet-updater %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, `usage: guichet-updater COMMAND [FLAGS]

commands:
  run     the update daemon (systemd unit guichet-updater.service)
  launch  exec the current release of the kiosk, or the factory binary (guichet.service)
  status  print the update status as JSON`)
}

// failpoints returns the fail point hook of GUICHET_UPDATER_FAILPOINT.
func failpoints() func(string) {
	env := os.Getenv("GUICHET_UPDATER_FAILPOINT")
	if env == "" {
		return nil
	}
	set := map[string]bool{}
	for _, n := range strings.Split(env, ",") {
		set[strings.TrimSpace(n)] = true
	}
	return func(name string) {
		if set[name] {
			fmt.Fprintf(os.Stderr, "guichet-updater: fail point %s: SIGKILL\n", name)
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
}

func runDaemon(ctx context.Context, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	data := fs.String("data", defaultData, "the kiosk's data partition: releases/, current, previous, health/, session.state, update/")
	rootOfTrust := fs.String("root-of-trust", defaultRootOfTrust, "the release root.json pinned at provisioning; copied into <data>/update/tuf on first start")
	repo := fs.String("repo", "", "the update repository: an https:// URL (default: the enrolled registry's /v1/updates/) or a directory")
	usb := fs.String("usb", defaultUSB, "where a USB stick with a repository is mounted; preferred when present")
	identity := fs.String("identity", "", "directory of the kiosk's enrolment (mutual TLS to the registry); default <data>/kiosk, then <data>")
	caFile := fs.String("ca", "", "with an https -repo and no readable enrolment: the registry CA to pin (no client certificate; the metadata's signatures are the protection)")
	factoryVersion := fs.String("factory-version", "", "the version of the factory binary (MAJOR.MINOR.PATCH); default: the first line of "+defaultVersionFile)
	restartCmd := fs.String("restart", "systemctl restart guichet.service", "shell command that restarts the kiosk so that it runs <data>/current")
	window := fs.String("window", "02:00-05:00", "maintenance window HH:MM-HH:MM[@Zone] until the kiosk's session.state gives one")
	probation := fs.Duration("probation", 3*time.Minute, "how long a new release has to write its health report")
	poll := fs.Duration("poll", 15*time.Minute, "how often the repository is checked")
	wait := fs.Duration("wait-every", 30*time.Second, "how often the window is re-checked while a release waits")
	retry := fs.Duration("retry-after", 30*time.Second, "pause after a failed attempt")
	maxAttempts := fs.Int("max-attempts", 5, "failures (crashes included) of one state before giving up")
	maxBoots := fs.Int("max-boots", 3, "probation starts before a rollback")
	rauc := fs.Bool("rauc", false, "releases may carry a whole OS image: install it with RAUC over the system D-Bus, mark the slot good after probation")
	rebootCmd := fs.String("reboot", "systemctl reboot", "shell command that reboots the kiosk (after an OS image is installed, or to fall back from one)")
	staged := fs.Bool("staged", true, "install a published release only when the registry announced it to this kiosk (<data>/health/announcement.json) or a USB stick brings it")
	once := fs.Bool("once", false, "check once, carry a release found to committed or rolled back, and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := update.Config{DataDir: *data, Probation: *probation, PollEvery: *poll, WaitEvery: *wait, RetryAfter: *retry,
		MaxAttempts: *maxAttempts, MaxBoots: *maxBoots, Log: log, Failpoint: failpoints(),
		WatchFile: filepath.Join(*data, update.AnnouncementFile)}
	if *staged {
		cfg.Announced = update.AnnouncedGate(*data, *usb)
	}
	var err error
	if *factoryVersion == "" {
		*factoryVersion = imageVersion()
	}
	if *factoryVersion != "" {
		if cfg.FactoryVersion, err = update.ParseVersion(*factoryVersion); err != nil {
			return err
		}
	}
	if cfg.Window, err = update.ParseWindow(*window); err != nil {
		return err
	}
	if *restartCmd != "" {
		cmdline := *restartCmd
		cfg.Restart = func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			out, err := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %v: %s", cmdline, err, strings.TrimSpace(string(out)))
			}
			return nil
		}
	}
	if *rauc {
		conn, err := dbus.ConnectSystemBus()
		if err != nil {
			return fmt.Errorf("connecting to the system D-Bus for RAUC: %w", err)
		}
		defer conn.Close()
		r := update.NewRAUC(conn)
		cfg.ImageInstaller = r
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		if state, err := r.Describe(dctx); err != nil {
			log.Warn("guichet-updater: RAUC does not answer: whole-image updates will fail until it does (systemctl status rauc)", "err", err)
		} else {
			log.Info("guichet-updater: RAUC", "state", state)
		}
		cancel()
		cmdline := *rebootCmd
		cfg.Reboot = func(ctx context.Context) error {
			out, err := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s: %v: %s", cmdline, err, strings.TrimSpace(string(out)))
			}
			return nil
		}
	}
	net, err := networkSource(*repo, *identity, *data, *caFile)
	if err != nil {
		log.Warn("guichet-updater: no network repository; only a USB stick can bring updates", "err", err)
	}
	switch {
	case *usb != "" && net != nil:
		cfg.Source = update.PreferDir(*usb, net)
	case *usb != "":
		cfg.Source = update.PreferDir(*usb, nil)
	case net != nil:
		cfg.Source = net
	default:
		return fmt.Errorf("no repository: give -repo or -usb")
	}
	u, err := update.Open(cfg)
	if err != nil {
		return err
	}
	if root, err := os.ReadFile(*rootOfTrust); err == nil {
		if err := u.Pin(root); err != nil {
			u.Close()
			return err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		log.Warn("guichet-updater: reading the root of trust", "path", *rootOfTrust, "err", err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		for range hup {
			u.Nudge()
		}
	}()
	go watchdog(ctx)
	runErr := u.Run(ctx, *once)
	if err := u.Close(); err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// networkSource is the registry's repository over mutual TLS with the
// kiosk's enrolment, over TLS pinned to caFile, or a directory when repo
// is a path.
func networkSource(repo, identityDir, data, caFile string) (update.Source, error) {
	if repo != "" && !strings.Contains(repo, "://") {
		return update.DirSource(repo), nil
	}
	if strings.HasPrefix(repo, "http://") {
		return update.HTTPSource{BaseURL: repo, Client: &http.Client{Timeout: 10 * time.Minute}}, nil
	}
	dirs := []string{identityDir}
	if identityDir == "" {
		dirs = []string{filepath.Join(data, "kiosk"), data}
	}
	var id *client.Identity
	var err error
	for _, d := range dirs {
		if id, err = client.LoadIdentity(d); err == nil {
			identityDir = d
			break
		}
	}
	if id == nil {
		if caFile == "" || repo == "" {
			return nil, fmt.Errorf("no enrolment to reach the registry with (%v); give -repo https://…/v1/updates/ and -ca, or -identity", err)
		}
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: pool}, ResponseHeaderTimeout: time.Minute}
		return update.HTTPSource{BaseURL: repo, Client: &http.Client{Transport: tr}}, nil
	}
	if repo == "" {
		repo = strings.TrimSuffix(id.RegistryURL, "/") + "/v1/updates/"
	}
	identityFile := filepath.Join(identityDir, client.FileIdentity)
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS13,
			RootCAs:    id.CAPool(),
			// Re-read at every handshake: the kiosk renews its certificate.
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
				b, err := os.ReadFile(identityFile)
				if err != nil {
					return nil, err
				}
				c, err := tls.X509KeyPair(b, b)
				return &c, err
			},
		},
		ResponseHeaderTimeout: time.Minute,
	}
	return update.HTTPSource{BaseURL: repo, Client: &http.Client{Transport: tr}}, nil
}

// imageVersion is the factory binary's version as the image records it, or "".
func imageVersion() string {
	b, err := os.ReadFile(defaultVersionFile)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// watchdog tells systemd the daemon is alive (Type=notify, WatchdogSec=).
func watchdog(ctx context.Context) {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	notify := func(msg string) {
		c, err := net.Dial("unixgram", sock)
		if err != nil {
			return
		}
		c.Write([]byte(msg))
		c.Close()
	}
	notify("READY=1")
	usec, _ := strconv.ParseInt(os.Getenv("WATCHDOG_USEC"), 10, 64)
	if usec <= 0 {
		return
	}
	t := time.NewTicker(time.Duration(usec) * time.Microsecond / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			notify("STOPPING=1")
			return
		case <-t.C:
			notify("WATCHDOG=1")
		}
	}
}

// launch execs the kiosk: <data>/current/guichet, or the factory binary.
// Flags after "--" are passed to the kiosk. Its environment says which
// release it is (GUICHET_RELEASE) and where the files it shares with the
// updater are: GUICHET_HEALTH_FILE (its health report, written),
// GUICHET_SESSION_FILE (session state, written), GUICHET_ANNOUNCE_FILE (the
// registry's announcement, written) and GUICHET_UPDATE_STATUS (the
// updater's status.json, read). Files it writes must be readable by the
// updater whatever its umask (mode 0644).
func launch(args []string) error {
	fs := flag.NewFlagSet("launch", flag.ContinueOnError)
	data := fs.String("data", defaultData, "the kiosk's data partition")
	factory := fs.String("factory", defaultFactory, "the image's own kiosk binary, run when no release is current")
	factoryVersion := fs.String("factory-version", "", "its version; default: the first line of "+defaultVersionFile)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *factoryVersion == "" {
		*factoryVersion = imageVersion()
	}
	bin, version := *factory, *factoryVersion
	if t, err := os.Readlink(filepath.Join(*data, update.CurrentLink)); err == nil {
		p := filepath.Join(*data, t, update.BinaryName)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			bin, version = p, filepath.Base(t)
		} else {
			fmt.Fprintf(os.Stderr, "guichet-updater launch: %s has no kiosk binary (%v); running the factory one\n", t, err)
		}
	}
	env := append(os.Environ(),
		"GUICHET_RELEASE="+version,
		"GUICHET_SESSION_FILE="+filepath.Join(*data, update.SessionFile),
		"GUICHET_ANNOUNCE_FILE="+filepath.Join(*data, update.AnnouncementFile),
		"GUICHET_UPDATE_STATUS="+filepath.Join(*data, update.StateDirName, "status.json"))
	if version != "" {
		env = append(env, "GUICHET_HEALTH_FILE="+filepath.Join(*data, update.HealthDir, version+".json"))
	}
	conf, err := kioskArgs(*data)
	if err != nil {
		return err
	}
	argv := append(append([]string{bin}, conf...), fs.Args()...)
	return syscall.Exec(bin, argv, env)
}

// kioskConf is the image's file of the kiosk's arguments; a file of the
// same name on the data partition replaces it.
const kioskConf = "/etc/guichet/kiosk.conf"

// kioskArgs reads the kiosk's arguments: one per line, blank lines and
// lines starting with # skipped; <data>/kiosk.conf if there is one, else
// the image's.
func kioskArgs(data string) ([]string, error) {
	for _, path := range []string{filepath.Join(data, "kiosk.conf"), kioskConf} {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("guichet-updater launch: %w", err)
		}
		var args []string
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if l != "" && !strings.HasPrefix(l, "#") {
				args = append(args, l)
			}
		}
		return args, nil
	}
	return nil, nil
}

func status(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	data := fs.String("data", defaultData, "the kiosk's data partition")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(*data, update.StateDirName, "status.json"))
	if err != nil {
		return fmt.Errorf("no update status (is guichet-updater running?): %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
