package main

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/site"
	"guichet/sync/wire"
)

func TestSettingsProbation(t *testing.T) {
	dir := t.TempDir()
	load := func() *settingsProbation {
		t.Helper()
		p, err := loadSettingsRecord(dir)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	salt := make([]byte, 16)
	rand.Read(salt)
	pin, _ := flow.HashPIN("482915", salt)
	v2 := wire.Settings{Version: 2, IdleTimeout: wire.Duration(90 * time.Second), PrinterProfile: "58mm", TechnicianPINHash: pin, MaintenanceWindow: "01:30-04:00"}

	// A start with new settings tries them; the health check passes: kept.
	p := load()
	use, rolled, err := p.choose(v2)
	if err != nil || use.Version != 2 || rolled != "" || !p.onProbation() {
		t.Fatalf("choose(v2) = v%d, %q, %v; want v2 on probation", use.Version, rolled, err)
	}
	var cfg config
	fc := flow.Config{}
	applySettings(&cfg, &fc, use)
	if cfg.printer != "58mm" || cfg.pinHash != pin || fc.Session.IdleTimeout != 90*time.Second || cfg.window != "01:30-04:00" {
		t.Errorf("applied: printer %q, idle %v, window %q", cfg.printer, fc.Session.IdleTimeout, cfg.window)
	}
	if err := p.passed(); err != nil {
		t.Fatal(err)
	}
	if use, _, _ := load().choose(v2); use.Version != 2 || load().onProbation() {
		t.Errorf("after passing, a start uses v%d on probation %v; want v2 kept", use.Version, load().onProbation())
	}

	// Version 3 crashes the kiosk before its health check, at every start:
	// after two such starts the third goes back to version 2, for good.
	v3 := v2
	v3.Version, v3.IdleTimeout = 3, wire.Duration(5*time.Minute)
	for start := 1; start <= 2; start++ {
		if use, rolled, _ := load().choose(v3); use.Version != 3 || rolled != "" {
			t.Fatalf("start %d with v3: v%d, %q", start, use.Version, rolled)
		}
	}
	use, rolled, _ = load().choose(v3)
	if use.Version != 2 || !strings.Contains(rolled, "version 3 did not pass the health check in 2 starts") {
		t.Fatalf("third start with v3: v%d, %q; want back to v2", use.Version, rolled)
	}
	if use, rolled, _ := load().choose(v3); use.Version != 2 || rolled != "" {
		t.Errorf("v3 tried again: v%d, %q", use.Version, rolled)
	}

	// Version 4 starts but fails its health check: given up at once.
	v4 := v2
	v4.Version = 4
	p = load()
	if use, _, _ := p.choose(v4); use.Version != 4 {
		t.Fatal("v4 not tried")
	}
	msg, err := p.failed("receipt did not answer")
	if err != nil || !strings.Contains(msg, "back to version 2") {
		t.Errorf("failed = %q, %v", msg, err)
	}
	if use, _, _ := load().choose(v4); use.Version != 2 {
		t.Errorf("v4 tried again after failing its health check")
	}

	// Version 5 names a PIN hash the kiosk cannot use: refused before it
	// is tried.
	v5 := v2
	v5.Version, v5.TechnicianPINHash = 5, "pbkdf2-sha256$1$AAAA$BBBB"
	use, rolled, _ = load().choose(v5)
	if use.Version != 2 || !strings.Contains(rolled, "version 5 refused") {
		t.Errorf("v5: v%d, %q", use.Version, rolled)
	}
}

func TestApplySite(t *testing.T) {
	dir := t.TempDir()
	cfg := config{data: dir, pack: "ma", set: map[string]bool{}}
	if err := applySite(&cfg); err != nil || cfg.pack != "ma" || cfg.court != "" {
		t.Fatalf("never provisioned: %+v, %v", cfg, err)
	}
	if err := site.Write(dir, site.Site{CountryPack: "tg", Court: "tpi-lome", SetAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if err := applySite(&cfg); err != nil || cfg.pack != "tg" || cfg.court != "tpi-lome" {
		t.Errorf("provisioned for Lomé: pack %s, court %s, %v", cfg.pack, cfg.court, err)
	}
	given := config{data: dir, pack: "ma", court: "tpi-rabat", set: map[string]bool{"pack": true, "court": true}}
	if err := applySite(&given); err != nil || given.pack != "ma" || given.court != "tpi-rabat" {
		t.Errorf("the command line lost to the site file: %+v", given)
	}
}
