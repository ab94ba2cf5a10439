// Package rootfs writes the files Guichet adds to a Debian root file
// system to make the appliance: the kiosk and updater units (sandboxed),
// the users (sysusers.d), the mounts (only the data partition writable),
// the udev rules and usbguard policy generated from images/peripherals,
// RAUC's configuration for the A/B roots with the Pi's trial boot, the
// hardware watchdog, journald's limits, and no getty anywhere.
//
// The static files live under files/ and are embedded; the rest is
// generated here from images/layout and images/peripherals so that the
// partition table, the device names and the policies have one source.
// images/build-image.sh copies the tree that Write makes over the root
// that mmdebstrap installs; the tests in this package check the same tree
// on the build host (systemd-analyze verify and security, shellcheck, and
// the invariants).
package rootfs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"guichet/images/layout"
	"guichet/images/peripherals"
)

//go:embed all:files
var files embed.FS

// Options are the inputs of a root file system.
type Options struct {
	// Keyring is the PEM certificate (chain) that RAUC bundles must be
	// signed by, written to /etc/rauc/keyring.pem. Nil writes none.
	Keyring []byte
	// Compatible is RAUC's compatible string; bundles for other hardware
	// are refused.
	Compatible string
	// KioskArgs are guichet's arguments, written one per line to
	// /etc/guichet/kiosk.conf. Nil writes the reference kiosk's.
	KioskArgs []string
}

// Compatible is the RAUC compatible string of the Raspberry Pi image.
const Compatible = "guichet-rpi-arm64"

// KeyringPath is where RAUC reads the bundle signers' certificates.
const KeyringPath = "/etc/rauc/keyring.pem"

// Units are the systemd units Guichet adds, with their drop-ins for
// Debian's units; every one is sandboxed (the tests check it).
var Units = []string{"guichet.service", "guichet-updater.service"}

// Capabilities are the capabilities each unit keeps (CapabilityBoundingSet=).
var Capabilities = map[string]string{
	"guichet.service":         "",
	"guichet-updater.service": "",
}

// DropIns are the Debian units Guichet confines further.
var DropIns = []string{"rauc.service", "usbguard.service"}

// Masked are the units that must never run on a kiosk: no login prompt on
// any terminal, no root shell on a boot failure, nothing that writes to
// the read-only root.
var Masked = []string{
	"getty@.service", "serial-getty@.service", "autovt@.service", "console-getty.service",
	"container-getty@.service", "getty.target", "getty-static.service",
	"debug-shell.service", "rescue.service", "rescue.target", "emergency.service", "emergency.target",
	"ctrl-alt-del.target", "systemd-ask-password-wall.path",
	// The login records (wtmp) are on the read-only root: writing the
	// boot's and shutdown's there only fails; the journal has them.
	"systemd-update-utmp.service", "systemd-update-utmp-runlevel.service",
}

// Enabled are the units started at boot, by the target that wants them.
var Enabled = map[string]string{
	"guichet.service":           "graphical.target",
	"guichet-updater.service":   "multi-user.target",
	"systemd-networkd.service":  "multi-user.target",
	"systemd-resolved.service":  "multi-user.target",
	"systemd-timesyncd.service": "sysinit.target",
	"usbguard.service":          "basic.target",
	"rauc.service":              "multi-user.target",
}

// DefaultKioskArgs are the reference kiosk's arguments. The pack, the
// court and the peripherals' paths are not among them: the kiosk takes the
// pack and court provisioning recorded, and each peripheral from its udev
// name under /dev/guichet.
var DefaultKioskArgs = []string{
	"-data", layout.DataDir + "/kiosk",
	"-fullscreen",
	"-gpio", "presence=GPIO17,servicekey=GPIO27:low,paperlow=GPIO5:low,help=GPIO6,ready=GPIO22,busy=GPIO23,fault=GPIO24",
}

// Write makes the tree in dir (which must exist; usually empty).
func Write(dir string, opt Options) error {
	if opt.Compatible == "" {
		opt.Compatible = Compatible
	}
	if opt.KioskArgs == nil {
		opt.KioskArgs = DefaultKioskArgs
	}
	err := fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "files"), "/")
		dst := filepath.Join(dir, filepath.FromSlash(rel))
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, modeOf(rel))
	})
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	gen := map[string]string{
		"etc/fstab":                         Fstab(),
		"etc/rauc/system.conf":              RAUCSystemConf(opt.Compatible),
		"etc/udev/rules.d/70-guichet.rules": UdevRules(),
		"etc/usbguard/rules.conf":           USBGuardRules(),
		"usr/lib/guichet/layout.env":        LayoutEnv(),
		"etc/guichet/kiosk.conf":            KioskConf(opt.KioskArgs),
		"etc/hostname":                      "guichet\n",
	}
	if opt.Keyring != nil {
		gen[strings.TrimPrefix(KeyringPath, "/")] = string(opt.Keyring)
	}
	names := make([]string, 0, len(gen))
	for n := range gen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		dst := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
		if err := os.WriteFile(dst, []byte(gen[n]), modeOf(n)); err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
	}
	for _, u := range Masked {
		if err := symlink("/dev/null", filepath.Join(dir, "etc/systemd/system", u)); err != nil {
			return err
		}
	}
	for u, target := range Enabled {
		if err := symlink("/lib/systemd/system/"+u, filepath.Join(dir, "etc/systemd/system", target+".wants", u)); err != nil {
			return err
		}
	}
	// Guichet's own units are in /etc/systemd/system: link them there.
	for _, u := range Units {
		if Enabled[u] == "" {
			continue // started by another unit, not by a target
		}
		link := filepath.Join(dir, "etc/systemd/system", Enabled[u]+".wants", u)
		if err := os.Remove(link); err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
		if err := symlink("/etc/systemd/system/"+u, link); err != nil {
			return err
		}
	}
	if err := symlink("/lib/systemd/system/graphical.target", filepath.Join(dir, "etc/systemd/system/default.target")); err != nil {
		return err
	}
	// Mount points on the read-only root for what lives on the data partition.
	for _, d := range []string{"var/lib/guichet", "var/log/journal", "var/lib/systemd", "boot/firmware"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return fmt.Errorf("rootfs: %w", err)
		}
	}
	return nil
}

// EscapePath is systemd-escape --path: the unit name of a path, as
// systemd-fsck@ and the mount units spell it.
func EscapePath(p string) string {
	p = strings.Trim(p, "/")
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == ':', c == '.' && i > 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\x%02x`, c)
		}
	}
	return b.String()
}

func symlink(target, link string) error {
	if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("rootfs: %w", err)
	}
	if err := os.Symlink(target, link); err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	return nil
}

func modeOf(rel string) fs.FileMode {
	switch {
	case path.Dir(rel) == "usr/lib/guichet" && !strings.HasSuffix(rel, ".env"):
		return 0o755
	case strings.HasPrefix(rel, "etc/initramfs-tools/"):
		// initramfs-tools skips a hook or script that is not executable.
		return 0o755
	case strings.HasPrefix(rel, "etc/usbguard/"):
		return 0o600
	}
	return 0o644
}

// Fstab is /etc/fstab. The root is mounted read-only by the kernel's
// command line (layout.Cmdline) and stays so; the data partition is the
// only writable disk, and the journal and systemd's state are bound onto
// it. /tmp and /var/tmp are tmpfs.
func Fstab() string {
	d := layout.Data
	var b strings.Builder
	b.WriteString("# Generated from images/layout by images/rootfs. The root stays read-only (ro on the\n")
	b.WriteString("# kernel command line); the data partition is the only writable disk.\n")
	fmt.Fprintf(&b, "PARTUUID=%s\t%s\text4\trw,nosuid,nodev,noexec,noatime\t0\t2\n", d.PartUUID(), d.MountPoint)
	fmt.Fprintf(&b, "%s/log/journal\t/var/log/journal\tnone\tbind,x-systemd.requires-mounts-for=%s\t0\t0\n", d.MountPoint, d.MountPoint)
	fmt.Fprintf(&b, "%s/system/systemd\t/var/lib/systemd\tnone\tbind,x-systemd.requires-mounts-for=%s\t0\t0\n", d.MountPoint, d.MountPoint)
	b.WriteString("tmpfs\t/tmp\ttmpfs\tnosuid,nodev,noexec,mode=1777,size=64M\t0\t0\n")
	b.WriteString("tmpfs\t/var/tmp\ttmpfs\tnosuid,nodev,noexec,mode=1777,size=16M\t0\t0\n")
	return b.String()
}

// RAUCSystemConf is /etc/rauc/system.conf: the two roots as RAUC slots
// with bootnames A and B, switched by the custom bootloader backend
// /usr/lib/guichet/rauc-boot (the Pi's tryboot), RAUC's state on the data
// partition.
func RAUCSystemConf(compatible string) string {
	var b strings.Builder
	b.WriteString("# Generated from images/layout by images/rootfs.\n")
	fmt.Fprintf(&b, "[system]\ncompatible=%s\nbootloader=custom\nbundle-formats=-plain\ndata-directory=%s/rauc\nmountprefix=/run/rauc\n\n", compatible, layout.DataDir)
	fmt.Fprintf(&b, "[keyring]\npath=%s\n\n", KeyringPath)
	b.WriteString("[handlers]\nbootloader-custom-backend=/usr/lib/guichet/rauc-boot\npost-install=/usr/lib/guichet/rauc-post-install\n")
	for _, s := range layout.Slots {
		p, _ := layout.Root(s)
		fmt.Fprintf(&b, "\n[slot.%s]\ndevice=%s\ntype=ext4\nbootname=%s\n", p.Name, p.Device(), s)
	}
	return b.String()
}

// LayoutEnv is /usr/lib/guichet/layout.env, the layout for shell scripts.
func LayoutEnv() string {
	var b strings.Builder
	b.WriteString("# Generated from images/layout by images/rootfs.\n")
	fmt.Fprintf(&b, "BOOT_DEVICE=%s\nROOT_A_DEVICE=%s\nROOT_B_DEVICE=%s\nDATA_DEVICE=%s\nDATA_DIR=%s\n",
		layout.Boot.Device(), layout.RootA.Device(), layout.RootB.Device(), layout.Data.Device(), layout.DataDir)
	return b.String()
}

// KioskConf is /etc/guichet/kiosk.conf: guichet's arguments, one per line.
func KioskConf(args []string) string {
	return "# guichet's arguments, one per line; /var/lib/guichet/kiosk.conf overrides this file.\n" + strings.Join(args, "\n") + "\n"
}

// UdevRules is /etc/udev/rules.d/70-guichet.rules: each peripheral's
// device node linked as /dev/guichet/<name>, owned by the kiosk's group,
// and marked for ModemManager to leave alone.
func UdevRules() string {
	var b strings.Builder
	b.WriteString("# Generated from images/peripherals by images/rootfs: the kiosk's peripherals under\n")
	b.WriteString("# /dev/guichet, readable by the kiosk only, and never probed by ModemManager.\n")
	for _, p := range peripherals.Kiosk {
		fmt.Fprintf(&b, "\n# %s\n", p.What)
		fmt.Fprintf(&b, "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n", p.Vendor, p.Product)
		if p.Name == "" {
			continue
		}
		kernel := ""
		switch p.Subsystem {
		case "tty":
			kernel = "tty[A-Z]*[0-9]*"
		case "usbmisc":
			kernel = "lp[0-9]*"
		}
		fmt.Fprintf(&b, "SUBSYSTEM==\"%s\", KERNEL==\"%s\", ATTRS{idVendor}==\"%04x\", ATTRS{idProduct}==\"%04x\", SYMLINK+=\"guichet/%s\", GROUP=\"guichet\", MODE=\"0660\", ENV{ID_MM_DEVICE_IGNORE}=\"1\"\n",
			p.Subsystem, kernel, p.Vendor, p.Product, p.Name)
	}
	// The GPIO header (presence sensor, service key, paper switch, help
	// button, lights): its character devices for the kiosk's group.
	b.WriteString("\n# the GPIO header's character devices\nSUBSYSTEM==\"gpio\", KERNEL==\"gpiochip[0-9]*\", GROUP=\"guichet\", MODE=\"0660\"\n")
	return b.String()
}

// Hubs are the USB devices usbguard allows besides the peripherals: the
// kernel's root hubs and the Raspberry Pi 4's VL805 hub. A device behind
// any hub is still checked.
var Hubs = []string{"1d6b:0002", "1d6b:0003", "2109:3431"}

// USBGuardRules is /etc/usbguard/rules.conf: the hubs and the kiosk's
// peripherals, each only with the interfaces it should have (a "printer"
// that also offers a keyboard interface is blocked); everything else is
// blocked by usbguard's implicit policy.
func USBGuardRules() string {
	var b strings.Builder
	b.WriteString("# Generated from images/peripherals by images/rootfs. Anything not allowed here is blocked.\n")
	for _, h := range Hubs {
		fmt.Fprintf(&b, "allow id %s with-interface equals { 09:00:* }\n", h)
	}
	for _, p := range peripherals.Kiosk {
		fmt.Fprintf(&b, "allow id %s with-interface equals { %s }\n", p.ID(), strings.Join(p.Interfaces, " "))
	}
	return b.String()
}

// BootConfig is the Pi firmware's config.txt (or tryboot.txt) booting a
// slot: the 64-bit kernel, initrd, device trees and cmdline.txt from the
// slot's directory on the boot partition.
func BootConfig(s layout.Slot) string {
	return "# Raspberry Pi firmware configuration, generated by images/rootfs. os_prefix names the\n" +
		"# root to boot: config.txt the committed one, tryboot.txt the one on trial\n" +
		"# (see /usr/lib/guichet/rauc-boot).\n" +
		"[all]\narm_64bit=1\nkernel=vmlinuz\ninitramfs initrd.img followkernel\ncmdline=cmdline.txt\n" +
		"upstream_kernel=1\nenable_uart=1\ndisable_overscan=1\ndisable_splash=1\navoid_warnings=1\n" +
		"os_prefix=" + s.BootDir() + "/\n"
}
