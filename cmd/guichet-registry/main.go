// Command guichet-registry is the ministry's central registry server.
//
//	guichet-registry init  -dir DIR -operator NAME [-password-file F] [-host NAME,…] [-database URL]
//	guichet-registry serve -dir DIR [-addr HOST:PORT] [-database URL]
//
// init creates the registry's CA, TLS key and certificate, HPKE key pair
// and first operator account (password from -password-file, or from
// GUICHET_REGISTRY_PASSWORD). serve runs the HTTPS API. Without -database
// the store is bbolt in DIR; with a postgres:// URL it is PostgreSQL, and
// several serve processes may share it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"guichet/sync/registry"
	"guichet/sync/registry/pgstore"
	"guichet/sync/registry/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

const usage = "usage: guichet-registry init|serve [flags] (-h for each)"

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
	srv, err := registry.New(registry.Config{Dir: *dir, Addr: *addr, Store: st, Logger: log, CertLifetime: *lifetime, MaxInFlight: *inflight, PollInterval: *poll})
	if err != nil {
		return err
	}
	defer srv.Close()
	return srv.ListenAndServe(ctx)
}
