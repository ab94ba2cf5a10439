package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/sync/registry"
	rstore "guichet/sync/registry/store"
	updater "guichet/sync/update"
	"guichet/sync/update/updatetest"
)

// TestRolloutReachesTheUpdater follows a release from signing to the
// kiosk: published with the release keys, served by the registry, offered
// to this kiosk by a staged rollout through its change feed, passed by the
// kiosk to the updater, which then — and only then — downloads, verifies
// and installs it, and commits it once the new kiosk reports healthy.
func TestRolloutReachesTheUpdater(t *testing.T) {
	repo := updatetest.NewRepo(t, time.Now().Add(-time.Hour))
	repo.Publish("1.4.2", "", map[string][]byte{updater.BinaryName: []byte("#!/bin/sh\necho kiosk 1.4.2\n")},
		func(s *updater.ReleaseSpec) { s.ActivateBy = time.Now().Add(-time.Minute) }) // a security release: no waiting for the window
	k := startOnlineKiosk(t, func(c *registry.Config) { c.UpdatesDir = repo.Dir })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	// The updater of this kiosk, reaching the registry over HTTPS.
	data := t.TempDir()
	pool := x509.NewCertPool()
	pool.AddCert(k.c.Identity().CA)
	src := updater.HTTPSource{BaseURL: strings.TrimSuffix(k.reg.PublicURL(), "/") + registry.PathUpdates,
		Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13}}}}
	u, err := updater.Open(updater.Config{DataDir: data, FactoryVersion: updater.Version{Major: 1, Minor: 4, Patch: 1}, Source: src,
		Restart: updatetest.HealthyKiosk(data), Announced: updater.AnnouncedGate(data, ""), WaitEvery: 10 * time.Millisecond,
		RetryAfter: 10 * time.Millisecond, Probation: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	if err := u.Pin(repo.Root()); err != nil {
		t.Fatal(err)
	}
	link := &updateLink{st: k.st, announceFile: filepath.Join(data, updater.AnnouncementFile), log: slog.New(slog.DiscardHandler)}

	// Published but not offered: the updater leaves it.
	if err := u.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if s, _ := u.Status(); s.State != updater.Idle || !strings.Contains(s.Reason, "not announced") {
		t.Fatalf("before the rollout: %+v", s)
	}

	// Operations roll it out to this kiosk as the pilot.
	if _, err := k.reg.StartRollout(ctx, devOperator, registry.RolloutSpec{Version: "1.4.2",
		Stages: []rstore.RolloutStage{{Name: "pilot", Kiosks: []string{"ma-e2e-01"}}, {Name: "all", Percent: 100}}}); err != nil {
		t.Fatal(err)
	}
	k.sync(t)
	if err := link.passAnnouncement(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(data, updater.HealthDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := u.Run(ctx, true); err != nil {
		t.Fatal(err)
	}
	s, _ := u.Status()
	if s.Committed != "1.4.2" {
		t.Fatalf("after the announcement the updater is %+v, want 1.4.2 committed", s)
	}
	b, err := os.ReadFile(filepath.Join(data, updater.CurrentLink, updater.BinaryName))
	if err != nil || !strings.Contains(string(b), "kiosk 1.4.2") {
		t.Fatalf("current/guichet = %q, %v", b, err)
	}
}
