package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"guichet/kiosk/pack"
	"guichet/kiosk/seal"
	"guichet/kiosk/store"
)

// The files of a kiosk's data directory. Enrolment (with the registry)
// writes kiosk-id and registry.pub; -dev creates them locally.
const (
	kioskIDFile     = "kiosk-id"
	registryKeyFile = "registry.pub"
	devRegistryKey  = "registry-dev.key" // the private half, dev mode only
	storeFile       = "kiosk.db"
)

func openStore(cfg config, p *pack.Pack, log *slog.Logger) (*store.Store, error) {
	id, err := kioskID(cfg, log)
	if err != nil {
		return nil, err
	}
	key, err := registryKey(cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(cfg.data, storeFile), store.Options{
		RegistryKey: key,
		KioskID:     id,
		Logger:      log,
	})
	if err != nil {
		return nil, err
	}
	for _, a := range st.Alarms() {
		log.Error("store alarm", "kind", a.Kind, "message", a.Message, "moved_to", a.MovedTo)
	}
	log.Info("store open", "path", st.Path(), "kiosk", id, "pack", p.Code)
	return st, nil
}

func kioskID(cfg config, log *slog.Logger) (string, error) {
	path := filepath.Join(cfg.data, kioskIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		return strings.TrimSpace(string(b)), nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("guichet: kiosk identity: %w", err)
	}
	// A kiosk never enrolled starts with an id of its own, so that the
	// technician can enrol it from its screen; the enrolment ticket may
	// give it another.
	prefix := "new-"
	if cfg.dev {
		prefix = "dev-"
	}
	var r [6]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	id := prefix + hex.EncodeToString(r[:])
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("guichet: kiosk identity: %w", err)
	}
	log.Warn("kiosk identity created: not enrolled yet", "kiosk", id, "path", path)
	return id, nil
}

func registryKey(cfg config, log *slog.Logger) (*seal.PublicKey, error) {
	path := filepath.Join(cfg.data, registryKeyFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var k seal.PublicKey
		if err := k.UnmarshalText([]byte(strings.TrimSpace(string(b)))); err != nil {
			return nil, fmt.Errorf("guichet: registry key %s: %w", path, err)
		}
		return &k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("guichet: registry key: %w", err)
	}
	if !cfg.dev {
		// Not enrolled: the kiosk starts and shows its screens, but takes
		// no request (the store refuses to seal without the key) until a
		// technician enrols it.
		log.Warn("not enrolled: no request can be accepted until a technician enrols the kiosk (technician screen, test scan, the ticket from operations; or guichetctl provision)")
		return nil, nil
	}
	// Development only: a local registry key pair, so that requests are
	// sealed exactly as in production. The private half stays beside it for
	// the embedded registry to open them.
	priv, err := seal.GenerateKey()
	if err != nil {
		return nil, err
	}
	privBytes, err := priv.Bytes()
	if err != nil {
		return nil, err
	}
	pub, err := priv.Public().MarshalText()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(cfg.data, devRegistryKey), []byte(hex.EncodeToString(privBytes)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, append(pub, '\n'), 0o644); err != nil {
		return nil, err
	}
	log.Warn("development registry key created", "public", path)
	return priv.Public(), nil
}
