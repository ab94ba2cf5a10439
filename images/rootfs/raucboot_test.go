package rootfs_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"guichet/images/layout"
	"guichet/images/rootfs"
)

// kiosk is a boot partition in a directory, the kernel command line and
// systemd's reboot parameter in files, and the real rauc-boot script.
type kiosk struct {
	t                          *testing.T
	script, boot, cmdline, rbp string
}

func newKiosk(t *testing.T) *kiosk {
	dir := tree(t)
	k := &kiosk{t: t, script: filepath.Join(dir, "usr/lib/guichet/rauc-boot"), boot: filepath.Join(dir, "boot/firmware"),
		cmdline: filepath.Join(t.TempDir(), "cmdline"), rbp: filepath.Join(t.TempDir(), "reboot-param")}
	for _, s := range layout.Slots {
		line, err := layout.Cmdline(s, "")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(k.boot, s.BootDir()), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(k.boot, s.BootDir(), "cmdline.txt"), []byte(line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(k.boot, "config.txt"), []byte(rootfs.BootConfig(layout.SlotA)), 0o644); err != nil {
		t.Fatal(err)
	}
	k.bootInto(layout.SlotA)
	return k
}

// bootInto is what the firmware does on a reset: the tryboot flag is
// consumed, and the kernel of the chosen slot starts.
func (k *kiosk) bootInto(s layout.Slot) {
	line, _ := layout.Cmdline(s, "")
	os.Remove(k.rbp)
	if err := os.WriteFile(k.cmdline, []byte(line+"\n"), 0o644); err != nil {
		k.t.Fatal(err)
	}
}

// reset boots what the firmware would pick: tryboot.txt if the flag was set.
func (k *kiosk) reset() layout.Slot {
	cfg := "config.txt"
	if b, err := os.ReadFile(k.rbp); err == nil && strings.Contains(string(b), "tryboot") {
		if _, err := os.Stat(filepath.Join(k.boot, "tryboot.txt")); err == nil {
			cfg = "tryboot.txt"
		}
	}
	b, err := os.ReadFile(filepath.Join(k.boot, cfg))
	if err != nil {
		k.t.Fatal(err)
	}
	s := layout.SlotA
	if strings.Contains(string(b), "\nos_prefix=b/\n") {
		s = layout.SlotB
	}
	k.bootInto(s)
	return s
}

func (k *kiosk) run(args ...string) (string, error) {
	cmd := exec.Command("sh", append([]string{k.script}, args...)...)
	cmd.Env = append(os.Environ(), "GUICHET_BOOT_DIR="+k.boot, "GUICHET_CMDLINE="+k.cmdline, "GUICHET_REBOOT_PARAM="+k.rbp,
		"GUICHET_LAYOUT="+filepath.Join(filepath.Dir(k.script), "layout.env"))
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (k *kiosk) must(want string, args ...string) {
	k.t.Helper()
	got, err := k.run(args...)
	if err != nil || got != want {
		k.t.Fatalf("rauc-boot %s = %q, %v, want %q", strings.Join(args, " "), got, err, want)
	}
}

// TestRAUCBootTrial walks an update through the backend as RAUC and the
// firmware would: install to B, trial boot, commit; then an update that
// fails its trial and falls back by itself.
func TestRAUCBootTrial(t *testing.T) {
	k := newKiosk(t)
	k.must("A", "get-primary")
	k.must("good", "get-state", "B")

	// RAUC installed B: it becomes primary for one trial boot only.
	k.must("", "set-primary", "B")
	k.must("B", "get-primary")
	if got := k.reset(); got != layout.SlotB {
		t.Fatalf("the reboot after set-primary B booted %s, want B on trial", got)
	}
	k.must("A", "get-primary") // not committed yet: a reset would go back to A
	k.must("", "set-state", "B", "good")
	k.must("B", "get-primary")
	if got := k.reset(); got != layout.SlotB {
		t.Fatalf("after marking B good a reset booted %s, want B", got)
	}

	// The next update, to A, hangs on its trial: the watchdog resets.
	k.must("", "set-primary", "A")
	if got := k.reset(); got != layout.SlotA {
		t.Fatalf("trial boot went to %s, want A", got)
	}
	if got := k.reset(); got != layout.SlotB {
		t.Fatalf("the reset during A's trial booted %s, want B (fallback)", got)
	}
	k.must("B", "get-primary")
	k.must("", "set-state", "A", "bad")
	k.must("bad", "get-state", "A")
	k.must("B", "get-primary")

	// Errors a technician can act on.
	if out, err := k.run("set-primary", "C"); err == nil || !strings.Contains(out, "no slot 'C'") {
		t.Errorf("set-primary C = %q, %v, want a refusal", out, err)
	}
	if err := os.Remove(filepath.Join(k.boot, "a/cmdline.txt")); err != nil {
		t.Fatal(err)
	}
	if out, err := k.run("set-primary", "A"); err == nil || !strings.Contains(out, "has no kernel") {
		t.Errorf("set-primary A without its kernel = %q, %v, want a refusal", out, err)
	}
}

// TestRAUCBootInstallKernel copies a root's newest kernel, initrd and
// device trees, as the image builder and RAUC's post-install do.
func TestRAUCBootInstallKernel(t *testing.T) {
	k := newKiosk(t)
	root := t.TempDir()
	for name, body := range map[string]string{
		"boot/vmlinuz-6.1.0-9-arm64": "old", "boot/initrd.img-6.1.0-9-arm64": "old initrd",
		"boot/vmlinuz-6.1.0-10-arm64": "kernel", "boot/initrd.img-6.1.0-10-arm64": "initrd",
		"usr/lib/linux-image-6.1.0-10-arm64/broadcom/bcm2711-rpi-4-b.dtb": "dtb",
		"usr/lib/linux-image-6.1.0-10-arm64/broadcom/bcm2837-rpi-3-b.dtb": "dtb3",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dest := filepath.Join(k.boot, "b")
	k.must("", "install-kernel", root, dest)
	for name, want := range map[string]string{"vmlinuz": "kernel", "initrd.img": "initrd", "bcm2711-rpi-4-b.dtb": "dtb", "bcm2837-rpi-3-b.dtb": "dtb3", "kernel-version": "6.1.0-10-arm64\n"} {
		if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != want {
			t.Errorf("b/%s = %q, %v, want %q", name, b, err, want)
		}
	}
	if out, err := k.run("install-kernel", t.TempDir(), dest); err == nil || !strings.Contains(out, "no kernel") {
		t.Errorf("install-kernel from an empty root = %q, %v, want a refusal", out, err)
	}
}
