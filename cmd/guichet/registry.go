package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"guichet/kiosk/pack"
	"guichet/sync/client"
	"guichet/sync/registry"
	"guichet/sync/registry/console"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// The embedded registry of `make run` (-registry-dir): development only, with
// accounts whose password is printed in the log.
const (
	devOperator = "operations"
	devClerk    = "greffier"
	devProsec   = "procureur"
	devPassword = "guichet-dev-password"
)

// embeddedRegistry runs the central registry and its console in this
// process, over bbolt in dir, so that a request submitted on screen shows in
// the console at once.
func embeddedRegistry(ctx context.Context, dir string, p *pack.Pack, court string, log *slog.Logger) (*registry.Server, error) {
	if _, err := os.Stat(filepath.Join(dir, registry.FileCAKey)); errors.Is(err, fs.ErrNotExist) {
		if err := registry.Init(ctx, dir, registry.InitOptions{Operator: devOperator, Password: devPassword}); err != nil {
			return nil, err
		}
	}
	reg, err := registry.New(registry.Config{Dir: dir, Logger: log.With("part", "registry")})
	if err != nil {
		return nil, err
	}
	ln, err := reg.Listen()
	if err != nil {
		reg.Close()
		return nil, err
	}
	go reg.Serve(ctx, ln)

	con, err := console.New(console.Config{Registry: reg, Dir: dir, Addr: console.DefaultAddr, PlainHTTP: true, Logger: log.With("part", "console")})
	if err != nil {
		return nil, err
	}
	cln, err := con.Listen()
	if err != nil {
		return nil, fmt.Errorf("guichet: console: %w", err)
	}
	go con.Serve(ctx, cln)
	if err := devAccounts(ctx, reg, con, court); err != nil {
		return nil, err
	}
	if _, err := reg.Store().Document(ctx, wire.DocProfessionals); errors.Is(err, store.ErrNotFound) {
		if err := seedDevRegistry(ctx, reg, p, time.Now()); err != nil {
			return nil, err
		}
	}
	log.Warn("development registry and console running in the kiosk's process",
		"registry", reg.Addr(), "console", con.URL(),
		"accounts", devOperator+", "+devClerk+", "+devProsec, "password", devPassword)
	return reg, nil
}

// devAccounts makes the development accounts that are missing (a registry
// database removed by hand leaves the keys but no account).
func devAccounts(ctx context.Context, reg *registry.Server, con *console.Console, court string) error {
	st := reg.Store()
	if _, err := st.Account(ctx, devOperator); errors.Is(err, store.ErrNotFound) {
		hash, err := registry.HashPassword(devPassword)
		if err != nil {
			return err
		}
		if err := st.PutAccount(ctx, store.Account{Name: devOperator, Role: store.RoleOperator, PasswordHash: hash, CreatedAt: time.Now().UTC()}); err != nil {
			return err
		}
	}
	for _, a := range []console.NewAccount{
		{NewAccount: registry.NewAccount{Name: devClerk, Role: store.RoleClerk, Court: court, Password: devPassword}, NameLatin: "Nadia Benjelloun", NameArabic: "نادية بنجلون"},
		{NewAccount: registry.NewAccount{Name: devProsec, Role: store.RoleProsecutor, Court: court, Password: devPassword}, NameLatin: "Youssef Alaoui", NameArabic: "يوسف العلوي"},
	} {
		if _, err := st.Account(ctx, a.Name); err == nil {
			continue
		}
		if err := con.CreateAccount(ctx, devOperator, a); err != nil {
			return fmt.Errorf("guichet: console account %s: %w", a.Name, err)
		}
	}
	return nil
}

// enrolLocally enrols the kiosk with the embedded registry once: a token
// issued by the development operator, then the same enrolment a technician
// runs with a token from operations.
func enrolLocally(ctx context.Context, reg *registry.Server, data, kioskID string, p *pack.Pack, court string, log *slog.Logger) error {
	if id, err := client.LoadIdentity(data); err == nil && len(id.DocumentKeys) > 0 {
		return nil
	}
	// Not enrolled yet, or enrolled before the registry gave its document
	// keys: enrol (again).
	tok, err := reg.IssueToken(ctx, devOperator, registry.TokenSpec{Court: court, CountryPack: p.Code, PackVersion: p.Version})
	if err != nil {
		return err
	}
	id, err := client.Enrol(ctx, client.EnrolOptions{Dir: data, KioskID: kioskID, SoftwareVersion: version, RegistryURL: "https://" + reg.Addr(), Token: tok.Token, Trust: reg.CAPool()})
	if err != nil {
		return err
	}
	log.Info("kiosk enrolled with the development registry", "kiosk", id.KioskID, "court", court)
	return nil
}
