package update_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

// machine simulates a kiosk with A/B OS slots under RAUC: the updater
// runs until it asks for a reboot; the machine then reboots (the RAUC
// emulator boots its primary slot, or falls back), starts the kiosk, and
// runs the updater again.
type machine struct {
	t      *testing.T
	data   string
	rauc   *update.RAUC
	fake   *updatetest.FakeRAUC
	boot   atomic.Int64
	src    update.Source
	root   []byte
	health func(version string) bool // the kiosk's health check on this boot, by version
	// bootFails, when set, makes the bootloader give up on the slot it was
	// asked to boot (the new OS does not come up).
	bootFails bool
	reboots   int
}

func (m *machine) startKiosk() {
	t, err := os.Readlink(filepath.Join(m.data, update.CurrentLink))
	if err != nil {
		return // the factory kiosk; nothing to report
	}
	v, _ := update.ParseVersion(filepath.Base(t))
	ok := m.health(v.String())
	update.WriteHealthReport(filepath.Join(m.data, update.HealthDir), update.HealthReport{Version: v, WrittenAt: time.Now(),
		HomeScreenRendered: true, PeripheralsAnswered: ok, StoreOpened: true, RegistryReachedOrQueueIntact: true})
}

func (m *machine) run() {
	for i := 0; i < 10; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		rebooting := false
		u, err := update.Open(update.Config{DataDir: m.data, FactoryVersion: update.Version{Major: 1}, Source: m.src,
			Clock: func() time.Time { return t0 }, ImageInstaller: m.rauc, RetryAfter: 10 * time.Millisecond, Probation: 2 * time.Second,
			BootID:  func() string { return fmt.Sprint(m.boot.Load()) },
			Restart: func(context.Context) error { m.startKiosk(); return nil },
			Reboot:  func(context.Context) error { rebooting = true; cancel(); return nil }})
		if err != nil {
			m.t.Fatal(err)
		}
		u.Pin(m.root)
		if err := u.Run(ctx, true); err != nil {
			m.t.Fatal(err)
		}
		u.Close() // systemd stops the updater cleanly for the reboot
		cancel()
		if !rebooting {
			return
		}
		m.reboots++
		if m.bootFails {
			m.fake.MarkPrimaryBad() // the bootloader's attempts ran out
			m.bootFails = false
		}
		m.fake.Reboot()
		m.boot.Add(1)
		m.startKiosk()
	}
	m.t.Fatal("the machine kept rebooting")
}

func newMachine(t *testing.T) *machine {
	addr := updatetest.StartBus(t)
	m := &machine{t: t, data: t.TempDir(), fake: updatetest.StartFakeRAUC(t, addr), health: func(string) bool { return true }}
	m.rauc = update.NewRAUC(updatetest.Connect(t, addr))
	repo := updatetest.NewRepo(t, t0)
	repo.Publish("2.0.0", "", map[string][]byte{"guichet": []byte("kiosk 2.0.0"), "os.raucb": []byte("squashfs of the OS 2.0")}, func(s *update.ReleaseSpec) {
		s.ActivateBy = t0
		for i := range s.Files {
			if s.Files[i].Name == "os.raucb" {
				s.Files[i].Kind = update.KindImage
			}
		}
	})
	m.src, m.root = update.DirSource(repo.Dir), repo.Root()
	return m
}

func TestImageReleaseCommitsAndMarksGoodAfterProbation(t *testing.T) {
	m := newMachine(t)
	m.run()
	s, _ := update.ReadStatus(m.data)
	slot, bundle, boot := m.fake.Booted()
	if s.Committed != "2.0.0" || slot != "B" || bundle != "os.raucb" || boot != "good" || m.reboots != 1 {
		t.Fatalf("committed %q on slot %s (%s, %s) after %d reboots; want 2.0.0 on B, good, 1 reboot", s.Committed, slot, bundle, boot, m.reboots)
	}
	if diff := cmp.Diff([]string{"good booted"}, m.fake.Marks); diff != "" {
		t.Errorf("RAUC marks (-want +got):\n%s", diff)
	}
}

func TestImageReleaseFallsBackWhenTheApplicationFails(t *testing.T) {
	m := newMachine(t)
	m.health = func(v string) bool { return v != "2.0.0" }
	m.run()
	s, _ := update.ReadStatus(m.data)
	slot, _, _ := m.fake.Booted()
	if s.Committed != "1.0.0" || slot != "A" || s.LastRollback == nil || !strings.Contains(s.LastRollback.Reason, "peripherals did not answer") {
		t.Fatalf("committed %q on slot %s, rollback %+v; want 1.0.0 back on A with the reason", s.Committed, slot, s.LastRollback)
	}
	if _, err := os.Readlink(filepath.Join(m.data, update.CurrentLink)); err == nil {
		t.Error("current still points at a release; want the factory kiosk")
	}
	if diff := cmp.Diff([]string{"bad booted", "active other"}, m.fake.Marks); diff != "" {
		t.Errorf("RAUC marks (-want +got):\n%s", diff)
	}
}

func TestImageReleaseWhoseOSDoesNotBoot(t *testing.T) {
	m := newMachine(t)
	m.bootFails = true
	m.run()
	s, _ := update.ReadStatus(m.data)
	slot, _, _ := m.fake.Booted()
	if s.Committed != "1.0.0" || slot != "A" || s.LastRollback == nil || !strings.Contains(s.LastRollback.Reason, "did not boot") {
		t.Fatalf("committed %q on slot %s, rollback %+v; want 1.0.0 on A, the OS did not boot", s.Committed, slot, s.LastRollback)
	}
	if len(m.fake.Marks) != 0 {
		t.Errorf("RAUC marks %v, want none (never mark the old slot)", m.fake.Marks)
	}
}
