// Command guichet-registry is the ministry's central registry server.
//
//	guichet-registry init   -dir DIR -operator NAME [-password-file F] [-host NAME,…] [-database URL]
//	guichet-registry serve  -dir DIR [-addr HOST:PORT] [-console HOST:PORT] [-console-http] [-database URL]
//	guichet-registry keygen -dir DIR -account NAME [-name-latin N] [-name-arabic N] [-database URL]
//	guichet-registry keys   -dir DIR
//
// init creates the registry's CA, TLS key and certificate, HPKE key pair
// and first operator account (password from -password-file, or from
// GUICHET_REGISTRY_PASSWORD). serve runs the HTTPS API and the web console
// (sync/registry/console) on its own address: HTTPS with the registry's
// certificate, or plain HTTP on loopback with -console-http; -console ""
// turns it off. keygen gives a clerk's or prosecutor's account a new
// bulletin n°3 signing key and retires the old one. keys prints the
// registry's document keys as the trust file kiosk images carry
// (guichet/sync/trustfile, /etc/guichet/registry-keys.json): the keys that
// sign enrolment tickets and published documents. Without -database the
// store is bbolt in DIR; with a postgres:// URL it is PostgreSQL, and
// several serve processes may share it.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"guichet/sync/registry"
	"guichet/sync/registry/console"
	"guichet/sync/registry/pgstore"
	"guichet/sync/registry/store"
	"guichet/sync/trustfile"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = "usage: guichet-registry init|serve|keygen|keys [flags] (-h for each)"

func run(ctx context.Context, args []string, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	switch args[0] {
	case "init":
		return runInit(ctx, args[1:], stderr)
	case "serve":
		return runServe(ctx, args[1:], stderr, log)
	case "keygen":
		return runKeygen(ctx, args[1:], stderr)
	case "keys":
		return runKeys(args[1:], os.Stdout, stderr)
	}
	return fmt.Errorf("guichet-registry: unknown command %q; %s", args[0], usage)
}

// openStore opens PostgreSQL when dsn is set; nil means the default bbolt.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	if dsn == "" {
		return nil, nil
	}
	return pgstore.Open(ctx, dsn)
}

func runInit(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data directory to create")
	op := fs.String("operator", "", "the first operator account")
	pwFile := fs.String("password-file", "", "file holding its password (default: $GUICHET_REGISTRY_PASSWORD)")
	hosts := fs.String("host", "", "comma-separated host names and addresses of the server certificate")
	dsn := fs.String("database", "", "PostgreSQL URL (default: bbolt in -dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *op == "" {
		return errors.New("guichet-registry init: -dir and -operator are required")
	}
	pw := os.Getenv("GUICHET_REGISTRY_PASSWORD")
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("guichet-registry init: %w", err)
		}
		pw = strings.TrimRight(string(b), "\r\n")
	}
	st, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	var hs []string
	if *hosts != "" {
		hs = strings.Split(*hosts, ",")
	}
	if err := registry.Init(ctx, *dir, registry.InitOptions{Hostnames: hs, Operator: *op, Password: pw, Store: st}); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "registry initialised in %s; kiosks pin %s/%s\n", *dir, *dir, registry.FileCACert)
	return nil
}

func runServe(ctx context.Context, args []string, stderr io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data directory made by init")
	addr := fs.String("addr", "127.0.0.1:8443", "listen address")
	dsn := fs.String("database", "", "PostgreSQL URL (default: bbolt in -dir)")
	lifetime := fs.Duration("cert-lifetime", 7*24*time.Hour, "lifetime of kiosk certificates")
	inflight := fs.Int("max-inflight", 64, "concurrent kiosk POSTs before 503")
	poll := fs.Duration("poll", 2*time.Second, "long-poll re-check of the store (changes made by other processes)")
	conAddr := fs.String("console", console.DefaultAddr, `web console listen address ("" for none)`)
	conHTTP := fs.Bool("console-http", false, "serve the console over plain HTTP (loopback addresses only)")
	updates := fs.String("updates", "", "update repository served to kiosks under /v1/updates/ (as guichetctl release writes it)")
	public := fs.String("public-url", "", "the address kiosks reach this registry at, written into enrolment tickets (default https:// and -addr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("guichet-registry serve: -dir is required")
	}
	st, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	srv, err := registry.New(registry.Config{Dir: *dir, Addr: *addr, Store: st, Logger: log, CertLifetime: *lifetime, MaxInFlight: *inflight, PollInterval: *poll,
		UpdatesDir: *updates, PublicURL: *public})
	if err != nil {
		return err
	}
	defer srv.Close()
	if *conAddr == "" {
		return srv.ListenAndServe(ctx)
	}
	con, err := console.New(console.Config{Registry: srv, Dir: *dir, Addr: *conAddr, PlainHTTP: *conHTTP, Logger: log})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe(ctx) }()
	go func() { errc <- con.ListenAndServe(ctx) }()
	err = <-errc // the first to stop stops the other
	cancel()
	return errors.Join(err, <-errc)
}

func runKeygen(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data directory made by init")
	account := fs.String("account", "", "the clerk's or prosecutor's account")
	latin := fs.String("name-latin", "", "the signer's name printed under the signature (default: the previous key's)")
	arabic := fs.String("name-arabic", "", "the same in Arabic letters")
	dsn := fs.String("database", "", "PostgreSQL URL (default: bbolt in -dir)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *account == "" {
		return errors.New("guichet-registry keygen: -dir and -account are required")
	}
	st, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	if st != nil {
		defer st.Close()
	}
	srv, err := registry.New(registry.Config{Dir: *dir, Store: st})
	if err != nil {
		return err
	}
	defer srv.Close()
	con, err := console.New(console.Config{Registry: srv, Dir: *dir})
	if err != nil {
		return err
	}
	k, err := con.NewSigningKey(ctx, "guichet-registry keygen", *account, *latin, *arabic)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "signing key %s for %s (%s, %s)\n", k.ID, k.Account, k.Role, k.Court)
	return nil
}

// runKeys prints the registry's document keys in the trust-file format. It
// reads the key file itself rather than opening the registry, so it runs
// beside a serving registry (whose store is locked).
func runKeys(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keys", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data directory made by init")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("guichet-registry keys: -dir is required")
	}
	path := filepath.Join(*dir, registry.FileDocKey)
	b, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("guichet-registry keys: no document key at %s: run guichet-registry init -dir %s, or serve once (it makes the key of an older registry)", path, *dir)
	}
	if err != nil {
		return fmt.Errorf("guichet-registry keys: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return fmt.Errorf("guichet-registry keys: %s holds no PEM PRIVATE KEY", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return fmt.Errorf("guichet-registry keys: %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return fmt.Errorf("guichet-registry keys: %s is not an Ed25519 key", path)
	}
	pub := priv.Public().(ed25519.PublicKey)
	out, err := trustfile.Marshal(map[string]ed25519.PublicKey{registry.DocumentKeyID(pub): pub})
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}
