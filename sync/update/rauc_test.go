package update_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

// The RAUC client against a RAUC service on a real D-Bus daemon (the
// service is an emulator exported under RAUC's name and interface).
func TestRAUCOverDBus(t *testing.T) {
	addr := updatetest.StartBus(t)
	fake := updatetest.StartFakeRAUC(t, addr)
	r := update.NewRAUC(updatetest.Connect(t, addr))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	slots, err := r.Slots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []update.Slot{
		{Name: "rootfs.0", Class: "rootfs", Device: "/dev/mmcblk0p2", State: "booted", BootStatus: "good", Bootname: "A"},
		{Name: "rootfs.1", Class: "rootfs", Device: "/dev/mmcblk0p3", State: "inactive", BootStatus: "bad", Bootname: "B"},
	}
	if diff := cmp.Diff(want, slots); diff != "" {
		t.Fatalf("Slots (-want +got):\n%s", diff)
	}
	if got, err := r.Describe(ctx); err != nil || got != "booted A, next A; rootfs.0 (A) booted good, rootfs.1 (B) inactive bad" {
		t.Fatalf("Describe = %q, %v", got, err)
	}
	bundle := filepath.Join(t.TempDir(), "guichet-os-2.0.raucb")
	os.WriteFile(bundle, []byte("squashfs…"), 0o644)
	if err := r.Install(ctx, bundle); err != nil {
		t.Fatal(err)
	}
	if p, err := r.Primary(ctx); err != nil || p != "rootfs.1" {
		t.Fatalf("Primary after install = %q, %v; want rootfs.1", p, err)
	}
	fake.Reboot()
	if b, err := r.BootSlot(ctx); err != nil || b != "B" {
		t.Fatalf("BootSlot after reboot = %q, %v", b, err)
	}
	if got, err := r.Describe(ctx); err != nil || !strings.HasPrefix(got, "booted B, next B; ") {
		t.Fatalf("Describe after reboot = %q, %v", got, err)
	}
	// The application's probation passed on the new OS: mark it good.
	if err := r.MarkGood(ctx); err != nil {
		t.Fatal(err)
	}
	if name, bundleName, status := fake.Booted(); name != "B" || bundleName != "guichet-os-2.0.raucb" || status != "good" {
		t.Fatalf("booted %s %s %s, want B with the bundle, good", name, bundleName, status)
	}
	// A bundle that is not there: RAUC's LastError is the reason.
	err = r.Install(ctx, filepath.Join(t.TempDir(), "missing.raucb"))
	if err == nil || !strings.Contains(err.Error(), "Failed to open bundle") {
		t.Fatalf("Install(missing) = %v, want RAUC's last error", err)
	}
	// A failed probation: booted marked bad, the other active, and the
	// next boot is the previous OS.
	if err := r.MarkBadAndFallBack(ctx); err != nil {
		t.Fatal(err)
	}
	fake.Reboot()
	if name, _, _ := fake.Booted(); name != "A" {
		t.Fatalf("after the fall back, booted %s, want A", name)
	}
	if diff := cmp.Diff([]string{"good booted", "bad booted", "active other"}, fake.Marks); diff != "" {
		t.Errorf("marks (-want +got):\n%s", diff)
	}
}
