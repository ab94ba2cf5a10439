package rootfs_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"guichet/images/layout"
	"guichet/images/peripherals"
	"guichet/images/rootfs"
	"guichet/images/udevrule"
)

// tree writes the overlay into a fresh directory.
func tree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := rootfs.Write(dir, rootfs.Options{Keyring: []byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// verifyRoot is the overlay with the host's systemd units (Debian bookworm's
// systemd 252, as in the image) and an executable at every path the units
// start, so that systemd-analyze resolves every dependency and command
// inside the root. The executables are the host's true(1): the analysis
// checks that a unit names an executable, not what it does (make
// image-test verifies the units again in the real arm64 root).
func verifyRoot(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"systemd-analyze", "cp"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (Debian package systemd): %v", tool, err)
		}
	}
	dir := tree(t)
	if out, err := exec.Command("cp", "-a", "/lib/systemd/system", filepath.Join(dir, "lib/systemd/")).CombinedOutput(); err != nil {
		if err := os.MkdirAll(filepath.Join(dir, "lib/systemd"), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("cp", "-a", "/lib/systemd/system", filepath.Join(dir, "lib/systemd/")).CombinedOutput(); err != nil {
			t.Fatalf("copying the host's units: %v\n%s", err, out)
		}
		_ = out
	}
	truePath, err := exec.LookPath("true")
	if err != nil {
		t.Fatal(err)
	}
	for _, exe := range []string{"/usr/bin/cage", "/usr/lib/guichet/bin/guichet-updater"} {
		b, err := os.ReadFile(truePath)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, exe)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func analyze(dir string, args ...string) (string, error) {
	cmd := exec.Command("systemd-analyze", append([]string{"--root=" + dir}, args...)...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestUnitsVerify runs systemd-analyze verify on every unit Guichet adds.
// systemd 252 exits 0 on an unknown key, so any word it says is a failure;
// the broken copy shows that it does say something.
func TestUnitsVerify(t *testing.T) {
	dir := verifyRoot(t)
	for _, u := range rootfs.Units {
		out, err := analyze(dir, "verify", "etc/systemd/system/"+u)
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("systemd-analyze verify %s: %v\n%s", u, err, out)
		}
	}
	// The whole boot, with the mount units systemd makes from the image's
	// fstab: no ordering cycle (systemd would drop a job to break it — the
	// data partition's mount, say) and nothing else to say.
	gen := filepath.Join(t.TempDir(), "generator")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/lib/systemd/system-generators/systemd-fstab-generator", gen, gen, gen)
	cmd.Env = append(os.Environ(), "SYSTEMD_FSTAB="+filepath.Join(dir, "etc/fstab"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-fstab-generator on the image's fstab: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(gen, "var-lib-guichet.mount")); err != nil {
		t.Fatalf("systemd-fstab-generator made no mount unit for the data partition: %v", err)
	}
	if out, err := exec.Command("cp", "-a", gen+"/.", filepath.Join(dir, "etc/systemd/system")).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, err := analyze(dir, "verify", "lib/systemd/system/graphical.target"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify graphical.target (the whole boot): %v\n%s", err, out)
	}
	// A unit that needs /tmp's mount but runs before it: a cycle, found.
	grow := filepath.Join(dir, "etc/systemd/system/early.service")
	early := "[Unit]\nDefaultDependencies=no\nBefore=local-fs-pre.target\n[Service]\nType=oneshot\nExecStart=/usr/bin/cage\nPrivateTmp=yes\n"
	if err := os.WriteFile(grow, []byte(early), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/systemd/system/early.service", filepath.Join(dir, "etc/systemd/system/local-fs.target.wants/early.service")); err != nil {
		if err := os.MkdirAll(filepath.Join(dir, "etc/systemd/system/local-fs.target.wants"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/etc/systemd/system/early.service", filepath.Join(dir, "etc/systemd/system/local-fs.target.wants/early.service")); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := analyze(dir, "verify", "lib/systemd/system/graphical.target"); !strings.Contains(out, "ordering cycle") {
		t.Errorf("systemd-analyze verify of a boot with an ordering cycle said %q, want the cycle", out)
	}
	if err := os.Remove(grow); err != nil {
		t.Fatal(err)
	}

	unit := filepath.Join(dir, "etc/systemd/system/guichet.service")
	broken := strings.Replace(read(t, dir, "etc/systemd/system/guichet.service"), "\nProtectHome=", "\nProtectHom=", 1)
	if err := os.WriteFile(unit, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, _ := analyze(dir, "verify", "etc/systemd/system/guichet.service"); !strings.Contains(out, "ProtectHom") {
		t.Errorf("systemd-analyze verify of a unit with a misspelt key said %q, want a complaint about it", out)
	}
}

// TestUnitsSandboxed: systemd's own exposure score of each unit must be
// low, and each must carry the directives the appliance relies on.
func TestUnitsSandboxed(t *testing.T) {
	dir := verifyRoot(t)
	for _, u := range rootfs.Units {
		out, err := analyze(dir, "security", "--offline=true", "--threshold=20", "etc/systemd/system/"+u)
		if err != nil {
			t.Errorf("systemd-analyze security %s: exposure above 2.0 (%v):\n%s", u, err, out)
		}
		if !strings.Contains(out, "Overall exposure level for "+u) {
			t.Errorf("systemd-analyze security %s said no exposure level:\n%s", u, out)
		}
		keys := unitKeys(t, read(t, dir, "etc/systemd/system/"+u))
		want := map[string]string{"NoNewPrivileges": "yes", "ProtectSystem": "strict", "CapabilityBoundingSet": rootfs.Capabilities[u], "PrivateTmp": "yes", "ProtectHome": "yes", "ProtectKernelModules": "yes", "RestrictSUIDSGID": "yes"}
		if u == "guichet.service" {
			// Its session's runtime directory is under /run/user, which
			// ProtectHome= would hide: the homes are hidden by name.
			want["ProtectHome"] = "no"
			if got := strings.Join(keys["InaccessiblePaths"], " "); got != "/home /root" {
				t.Errorf("guichet.service: InaccessiblePaths=%q, want /home /root", got)
			}
		}
		if d := keys["DefaultDependencies"]; len(d) == 1 && d[0] == "no" {
			// Before the local file systems: a private /tmp would need
			// /tmp's mount first (an ordering cycle).
			delete(want, "PrivateTmp")
			if _, ok := keys["PrivateTmp"]; ok {
				t.Errorf("%s runs before the local file systems but sets PrivateTmp (an ordering cycle)", u)
			}
		}
		for k, want := range want {
			if got, ok := keys[k]; !ok || got[len(got)-1] != want {
				t.Errorf("%s: %s = %q, want %q", u, k, got, want)
			}
		}
		if user := keys["User"]; len(user) != 1 || user[0] == "root" && rootfs.Capabilities[u] == "" {
			t.Errorf("%s: User=%q; only a unit that keeps a capability may be root, and it must say so", u, user)
		}
		for _, p := range strings.Fields(strings.Join(keys["ReadWritePaths"], " ")) {
			if !strings.HasPrefix(p, layout.DataDir) && !strings.HasPrefix(p, "/run/") {
				t.Errorf("%s may write %s, outside the data partition and /run", u, p)
			}
		}
	}
	for _, u := range rootfs.DropIns {
		keys := unitKeys(t, read(t, dir, "etc/systemd/system/"+u+".d/50-guichet.conf"))
		if keys["NoNewPrivileges"] == nil || keys["ProtectHome"] == nil {
			t.Errorf("the drop-in for %s lacks NoNewPrivileges or ProtectHome: %v", u, keys)
		}
	}
	keys := unitKeys(t, read(t, dir, "etc/systemd/system/guichet.service"))
	for k, want := range map[string]string{"Restart": "on-failure", "User": "guichet", "Type": "notify", "NotifyAccess": "all", "ExecStart": "/usr/bin/cage -- /usr/lib/guichet/bin/guichet-updater launch"} {
		if got := keys[k]; len(got) == 0 || got[0] != want {
			t.Errorf("guichet.service: %s = %q, want %q", k, got, want)
		}
	}
	if keys["WatchdogSec"] == nil {
		t.Errorf("guichet.service has no WatchdogSec")
	}
	// Under the system-call filter, Mesa cannot tell GLFW's Wayland display
	// from an X11 one unless told or allowed mincore(2): without both, the
	// booted image showed no window ("Failed to get EGL display").
	if env := strings.Join(keys["Environment"], " "); !strings.Contains(env, "EGL_PLATFORM=wayland") {
		t.Errorf("guichet.service: Environment=%q lacks EGL_PLATFORM=wayland", env)
	}
	if f := keys["SystemCallFilter"]; len(f) == 0 || f[len(f)-1] != "mincore" {
		t.Errorf("guichet.service: SystemCallFilter=%q: the last must allow mincore", f)
	}
	if got := unitKeys(t, read(t, dir, "etc/systemd/system/guichet-updater.service"))["ExecStart"]; len(got) != 1 || got[0] != "/usr/lib/guichet/bin/guichet-updater run -rauc" {
		t.Errorf("guichet-updater.service: ExecStart = %q", got)
	}
}

func TestEscapePath(t *testing.T) {
	for _, p := range []string{layout.Data.Device(), "/var/lib/guichet", "/dev/mmcblk0p4", "/a.b/-c_d:e/"} {
		out, err := exec.Command("systemd-escape", "--path", p).Output()
		if err != nil {
			t.Fatalf("systemd-escape --path %s: %v", p, err)
		}
		if got, want := rootfs.EscapePath(p), strings.TrimSpace(string(out)); got != want {
			t.Errorf("EscapePath(%q) = %q, systemd-escape says %q", p, got, want)
		}
	}
}

func unitKeys(t *testing.T, text string) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("unit line %q is not KEY=VALUE", line)
		}
		keys[k] = append(keys[k], v)
	}
	return keys
}

// TestShellScripts: every shell script under images/ passes shellcheck.
func TestShellScripts(t *testing.T) {
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Fatalf("shellcheck not found (Debian package shellcheck, in images/host-packages.txt): %v", err)
	}
	var scripts []string
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".sh") || bytes.HasPrefix(b, []byte("#!/bin/sh")) || bytes.HasPrefix(b, []byte("#!/usr/bin/env bash")) || bytes.HasPrefix(b, []byte("#!/bin/bash")) {
			scripts = append(scripts, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"../build-image.sh", "../install-arm64-packages.sh", "../rootfs/files/usr/lib/guichet/rauc-boot"} {
		found := false
		for _, s := range scripts {
			found = found || s == want
		}
		if !found {
			t.Errorf("the walk missed %s (found %v)", want, scripts)
		}
	}
	out, err := exec.Command("shellcheck", append([]string{"-x"}, scripts...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// TestUsers: the kiosk's users have no shell, no password, no
// administrative group, and there is no sudo configuration at all.
func TestUsers(t *testing.T) {
	dir := tree(t)
	users := map[string]bool{}
	for _, line := range strings.Split(read(t, dir, "usr/lib/sysusers.d/guichet.conf"), "\n") {
		f := fields(line)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "u":
			if len(f) != 6 || f[5] != "/usr/sbin/nologin" {
				t.Errorf("sysusers: %q, want shell /usr/sbin/nologin", line)
			}
			users[f[1]] = true
		case "m":
			if f[2] != "guichet" {
				t.Errorf("sysusers: %q adds a user to group %s; only the kiosk's own group is allowed", line, f[2])
			}
		case "g":
		default:
			t.Errorf("sysusers: unexpected line %q", line)
		}
	}
	if !users["guichet"] || !users["guichet-updater"] {
		t.Errorf("sysusers makes %v, want guichet and guichet-updater", users)
	}
	for _, p := range []string{"etc/sudoers", "etc/sudoers.d"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("the root has %s", p)
		}
	}
	for _, line := range strings.Split(read(t, dir, "etc/pam.d/guichet-kiosk"), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0][0] != '#' && (f[0] == "auth" || strings.Contains(line, "pam_permit")) {
			t.Errorf("the kiosk's PAM stack grants something: %q", line)
		}
	}
	// No login on any terminal.
	for _, u := range []string{"getty@.service", "serial-getty@.service", "autovt@.service", "console-getty.service", "rescue.service", "emergency.service", "debug-shell.service"} {
		if target, err := os.Readlink(filepath.Join(dir, "etc/systemd/system", u)); err != nil || target != "/dev/null" {
			t.Errorf("%s is not masked: %q, %v", u, target, err)
		}
	}
	if !strings.Contains(read(t, dir, "etc/systemd/logind.conf.d/50-guichet.conf"), "NAutoVTs=0") {
		t.Errorf("logind may start gettys on demand (NAutoVTs not 0)")
	}
}

func fields(line string) []string {
	line = strings.TrimSpace(line)
	if line == "" || line[0] == '#' {
		return nil
	}
	var f []string
	for line != "" {
		if line[0] == '"' {
			end := strings.IndexByte(line[1:], '"')
			f = append(f, line[1:end+1])
			line = strings.TrimSpace(line[end+2:])
			continue
		}
		w, rest, _ := strings.Cut(line, " ")
		f = append(f, w)
		line = strings.TrimSpace(rest)
	}
	return f
}

// TestOnlyDataWritable: the root is mounted read-only, and the only
// writable disk mount is the data partition (and binds into it); the
// rest is tmpfs.
func TestOnlyDataWritable(t *testing.T) {
	dir := tree(t)
	mounts := 0
	for _, line := range strings.Split(read(t, dir, "etc/fstab"), "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0][0] == '#' {
			continue
		}
		if len(f) == 0 {
			continue
		}
		if len(f) != 6 {
			t.Errorf("fstab: %q has %d fields, want 6", line, len(f))
			continue
		}
		src, dst, typ, opts := f[0], f[1], f[2], ","+f[3]+","
		switch {
		case dst == "/":
			if !strings.Contains(opts, ",ro,") {
				t.Errorf("fstab mounts / writable: %q", line)
			}
		case typ == "tmpfs":
			if !strings.Contains(opts, ",nosuid,") || !strings.Contains(opts, ",size=") {
				t.Errorf("fstab: tmpfs %s without nosuid or a size: %q", dst, line)
			}
		case src == "PARTUUID="+layout.Data.PartUUID():
			mounts++
			if dst != layout.DataDir || typ != "ext4" {
				t.Errorf("fstab: the data partition at %s as %s, want %s ext4", dst, typ, layout.DataDir)
			}
		case typ == "none" && strings.Contains(opts, ",bind,"):
			if !strings.HasPrefix(src, layout.DataDir+"/") {
				t.Errorf("fstab: bind of %s, outside the data partition, onto %s", src, dst)
			}
		default:
			t.Errorf("fstab: %q is a writable mount that is neither the data partition nor tmpfs", line)
		}
	}
	if mounts != 1 {
		t.Errorf("fstab mounts the data partition %d times, want once", mounts)
	}
	for _, s := range layout.Slots {
		line, err := layout.Cmdline(s, "")
		if err != nil || !strings.Contains(" "+line+" ", " ro ") {
			t.Errorf("slot %s boots with %q, want the root read-only", s, line)
		}
	}
}

// device is how the kernel presents a peripheral to udev: its node (a
// CDC-ACM tty or a usblp printer), its USB interface and its USB device.
func device(p peripherals.Peripheral) *udevrule.Device {
	usb := &udevrule.Device{Kernel: "1-1.3", Subsystem: "usb", Driver: "usb",
		Attrs: map[string]string{"idVendor": strings.Split(p.ID(), ":")[0], "idProduct": strings.Split(p.ID(), ":")[1]},
		Env:   map[string]string{"DEVTYPE": "usb_device"}}
	intf := &udevrule.Device{Kernel: "1-1.3:1.0", Subsystem: "usb", Env: map[string]string{"DEVTYPE": "usb_interface"}, Parent: usb}
	switch p.Subsystem {
	case "tty":
		intf.Driver = "cdc_acm"
		return &udevrule.Device{Kernel: "ttyACM0", Subsystem: "tty", Parent: intf}
	case "usbmisc":
		intf.Driver = "usblp"
		return &udevrule.Device{Kernel: "lp0", Subsystem: "usbmisc", Parent: intf}
	}
	intf.Driver = "usbhid"
	return &udevrule.Device{Kernel: "event3", Subsystem: "input", Parent: intf}
}

// TestUdevRulesMatchPeripherals applies the image's rules to each
// peripheral as the kernel presents it, and to devices that are not the
// kiosk's: the peripherals get their /dev/guichet link, the kiosk's group
// and ModemManager's ignore mark; the others get nothing.
func TestUdevRulesMatchPeripherals(t *testing.T) {
	dir := tree(t)
	rules, err := udevrule.Parse(read(t, dir, "etc/udev/rules.d/70-guichet.rules"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range peripherals.Kiosk {
		node := device(p)
		got := udevrule.Apply(rules, node)
		if p.Name != "" {
			if len(got.Symlinks) != 1 || got.Symlinks[0] != "guichet/"+p.Name || got.Group != "guichet" || got.Mode != "0660" {
				t.Errorf("%s (%s): links %v group %q mode %q, want guichet/%s guichet 0660", p.What, p.ID(), got.Symlinks, got.Group, got.Mode, p.Name)
			}
			if got.Env["ID_MM_DEVICE_IGNORE"] != "1" {
				t.Errorf("%s (%s): ModemManager may probe its node", p.What, p.ID())
			}
		}
		usb := node.Parent.Parent
		if got := udevrule.Apply(rules, usb); got.Env["ID_MM_DEVICE_IGNORE"] != "1" || len(got.Symlinks) != 0 {
			t.Errorf("%s (%s) USB device: %+v, want ID_MM_DEVICE_IGNORE=1 and no link", p.What, p.ID(), got)
		}
	}
	// The GPIO header's chips are the kiosk's group's (a boot of the image
	// found /dev/gpiochip0 refused to the kiosk).
	if got := udevrule.Apply(rules, &udevrule.Device{Kernel: "gpiochip0", Subsystem: "gpio"}); got.Group != "guichet" || got.Mode != "0660" {
		t.Errorf("gpiochip0: group %q mode %q, want guichet 0660", got.Group, got.Mode)
	}
	if !strings.Contains(read(t, dir, "etc/systemd/system/guichet.service"), "DeviceAllow=char-gpiochip rw") {
		t.Error("guichet.service does not allow the GPIO chips")
	}
	for _, other := range []peripherals.Peripheral{
		{What: "a 3G modem", Subsystem: "tty", Vendor: 0x12d1, Product: 0x1506},
		{What: "a USB-serial cable", Subsystem: "tty", Vendor: 0x0403, Product: 0x6001},
		{What: "another printer", Subsystem: "usbmisc", Vendor: 0x04b8, Product: 0x0202},
	} {
		got := udevrule.Apply(rules, device(other))
		if len(got.Symlinks) != 0 || got.Group != "" || got.Env["ID_MM_DEVICE_IGNORE"] != "" {
			t.Errorf("%s (%s) got %+v from the kiosk's rules, want nothing", other.What, other.ID(), got)
		}
	}
}

// TestUSBGuardPolicy reads the generated policy: each peripheral and hub
// is allowed with exactly its interfaces; the implicit policy blocks the
// rest (a USB stick, a keyboard).
func TestUSBGuardPolicy(t *testing.T) {
	dir := tree(t)
	allowed := map[string]string{}
	for _, line := range strings.Split(read(t, dir, "etc/usbguard/rules.conf"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var id, rest string
		if !strings.HasPrefix(line, "allow id ") {
			t.Errorf("usbguard rule %q is not an allow by id", line)
			continue
		}
		id, rest, _ = strings.Cut(strings.TrimPrefix(line, "allow id "), " ")
		allowed[id] = rest
	}
	for _, p := range peripherals.Kiosk {
		want := "with-interface equals { " + strings.Join(p.Interfaces, " ") + " }"
		if allowed[p.ID()] != want {
			t.Errorf("usbguard allows %s (%s) with %q, want %q", p.What, p.ID(), allowed[p.ID()], want)
		}
	}
	for _, id := range []string{"0781:5567", "046d:c31c", "0403:6001"} {
		if _, ok := allowed[id]; ok {
			t.Errorf("usbguard allows %s", id)
		}
	}
	conf := read(t, dir, "etc/usbguard/usbguard-daemon.conf")
	for _, want := range []string{"ImplicitPolicyTarget=block", "PresentDevicePolicy=apply-policy", "RuleFile=/etc/usbguard/rules.conf"} {
		if !strings.Contains(conf, want+"\n") {
			t.Errorf("usbguard-daemon.conf lacks %s", want)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "etc/usbguard/rules.conf")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("usbguard refuses a rules file readable by others: %v %v", info.Mode(), err)
	}
}

// TestRAUCConf: the slots are the layout's roots, the backend and the
// keyring are where the image puts them.
func TestRAUCConf(t *testing.T) {
	dir := tree(t)
	conf := read(t, dir, "etc/rauc/system.conf")
	for _, want := range []string{"bootloader=custom", "bootloader-custom-backend=/usr/lib/guichet/rauc-boot", "path=/etc/rauc/keyring.pem",
		"[slot.rootfs.0]\ndevice=/dev/disk/by-partuuid/47434831-02\ntype=ext4\nbootname=A", "[slot.rootfs.1]\ndevice=/dev/disk/by-partuuid/47434831-03\ntype=ext4\nbootname=B",
		"data-directory=/var/lib/guichet/rauc"} {
		if !strings.Contains(conf, want) {
			t.Errorf("system.conf lacks %q:\n%s", want, conf)
		}
	}
	for _, p := range []string{"usr/lib/guichet/rauc-boot", "usr/lib/guichet/rauc-post-install", "etc/rauc/keyring.pem"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("the root lacks %s: %v", p, err)
		}
	}
}

// TestInitrdGrowsData: the initrd's script that grows the data partition
// is executable (initramfs-tools skips it otherwise), its hook puts every
// tool it calls and the layout into the initrd, and it never stops a boot:
// a missing layout or a data device that is no partition leave it with a
// sentence and exit 0. TestInitrdGrowsDataWithKlibc runs it as the initrd
// does; make image-test boots the image on a larger disk.
func TestInitrdGrowsData(t *testing.T) {
	dir := tree(t)
	hook := filepath.Join(dir, "etc/initramfs-tools/hooks/guichet-grow-data")
	script := filepath.Join(dir, "etc/initramfs-tools/scripts/local-premount/guichet-grow-data")
	for _, f := range []string{hook, script} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (%v): initramfs-tools would skip it", f, st.Mode())
		}
	}
	h := read(t, dir, "etc/initramfs-tools/hooks/guichet-grow-data")
	s := read(t, dir, "etc/initramfs-tools/scripts/local-premount/guichet-grow-data")
	for _, tool := range []string{"sfdisk", "e2fsck", "resize2fs", "dumpe2fs"} {
		if !strings.Contains(s, tool+" ") {
			t.Errorf("the script does not call %s; the test's list is stale", tool)
		}
		if !strings.Contains(h, "/usr/sbin/"+tool) {
			t.Errorf("the hook does not copy %s into the initrd", tool)
		}
	}
	if !strings.Contains(h, "/usr/lib/guichet/layout.env") || !strings.Contains(s, "DATA_DEVICE") {
		t.Errorf("the layout does not reach the script through the initrd")
	}
	if !strings.Contains(read(t, dir, "usr/lib/guichet/layout.env"), "DATA_DEVICE="+layout.Data.Device()) {
		t.Errorf("layout.env does not name the data partition %s", layout.Data.Device())
	}

	tmp := t.TempDir()
	notPart := filepath.Join(tmp, "not-a-partition")
	if err := os.WriteFile(notPart, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env := filepath.Join(tmp, "layout.env")
	if err := os.WriteFile(env, []byte("DATA_DEVICE="+notPart+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ layout, want string }{
		"no layout":     {filepath.Join(tmp, "missing.env"), "nothing grown"},
		"not partition": {env, notPart + " is not a partition"},
	} {
		logf := filepath.Join(tmp, name+".log")
		cmd := exec.Command("sh", script)
		cmd.Env = append(os.Environ(), "GUICHET_LAYOUT="+c.layout, "GUICHET_LOG="+logf)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s: the script failed (%v), which would stop the boot:\n%s", name, err, out)
		}
		b, _ := os.ReadFile(logf)
		if !strings.Contains(string(b), c.want) || !strings.HasPrefix(string(b), "<5>guichet-grow-data: ") {
			t.Errorf("%s: logged %q, want a kernel-log line with %q", name, b, c.want)
		}
	}
}

// TestInitrdGrowsDataWithKlibc runs the growth script with the initrd's
// shell and tools only — klibc's, and those the hook copies in — on a disk
// image file, with a /sys made for it: the table grows to the end of the
// disk, and a file system smaller than its partition (a power cut between
// the two steps) grows to it. A first version called sed and basename,
// which the initrd does not have, and grew nothing on the booted image.
func TestInitrdGrowsDataWithKlibc(t *testing.T) {
	const klibc = "/usr/lib/klibc/bin"
	if _, err := os.Stat(klibc + "/sh"); err != nil {
		t.Fatalf("klibc's shell not found (Debian package klibc-utils, in images/host-packages.txt): %v", err)
	}
	script := filepath.Join(tree(t), "etc/initramfs-tools/scripts/local-premount/guichet-grow-data")
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	mkdirs(t, bin)
	entries, err := os.ReadDir(klibc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(klibc, e.Name()), filepath.Join(bin, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range []string{"sfdisk", "e2fsck", "resize2fs", "dumpe2fs"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s not found (e2fsprogs, fdisk): %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	run := func(t *testing.T, dir string) string {
		t.Helper()
		logf := filepath.Join(dir, "kmsg")
		env := filepath.Join(dir, "layout.env")
		writeFile(t, env, "DATA_DEVICE="+filepath.Join(dir, "dev/vdz2")+"\n")
		cmd := exec.Command(klibc+"/sh", script)
		cmd.Env = []string{"PATH=" + bin, "GUICHET_LAYOUT=" + env, "GUICHET_LOG=" + logf, "GUICHET_SYSFS=" + filepath.Join(dir, "sys"), "GUICHET_DEV=" + filepath.Join(dir, "dev")}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("the script failed (%v), which would stop the boot:\n%s", err, out)
		}
		if strings.Contains(string(out), "not found") {
			t.Errorf("the script called a command the initrd does not have:\n%s", out)
		}
		b, _ := os.ReadFile(logf)
		return string(b)
	}
	// sysfs lays out a disk vdz of total sectors with partition 2 at
	// start, size sectors, as the kernel does: class/block/* are links
	// into the device tree, where a partition is a directory of its disk.
	sysfs := func(t *testing.T, dir string, total, start, size int) {
		t.Helper()
		disk := filepath.Join(dir, "sys/devices/block/vdz")
		mkdirs(t, filepath.Join(disk, "vdz2"), filepath.Join(dir, "sys/class/block"), filepath.Join(dir, "dev"))
		writeFile(t, filepath.Join(disk, "size"), strconv.Itoa(total)+"\n")
		writeFile(t, filepath.Join(disk, "vdz2/partition"), "2\n")
		writeFile(t, filepath.Join(disk, "vdz2/start"), strconv.Itoa(start)+"\n")
		writeFile(t, filepath.Join(disk, "vdz2/size"), strconv.Itoa(size)+"\n")
		for link, target := range map[string]string{"vdz": "../../devices/block/vdz", "vdz2": "../../devices/block/vdz/vdz2"} {
			if err := os.Symlink(target, filepath.Join(dir, "sys/class/block", link)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mkfs := func(t *testing.T, file string, fileMiB, fsMiB int) {
		t.Helper()
		writeFile(t, file, "")
		if err := os.Truncate(file, int64(fileMiB)<<20); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", file, strconv.Itoa(fsMiB)+"M").CombinedOutput(); err != nil {
			t.Fatalf("mke2fs: %v\n%s", err, out)
		}
	}
	fsMiB := func(t *testing.T, file string) int {
		t.Helper()
		out, err := exec.Command("dumpe2fs", "-h", file).CombinedOutput()
		if err != nil {
			t.Fatalf("dumpe2fs: %v\n%s", err, out)
		}
		var count int
		for _, line := range strings.Split(string(out), "\n") {
			if v, ok := strings.CutPrefix(line, "Block count:"); ok {
				count, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		return count * 4096 >> 20
	}

	t.Run("table", func(t *testing.T) {
		dir := t.TempDir()
		// A 64 MiB image written to a 128 MiB card: partition 2 (the
		// data) ends at 64 MiB.
		sysfs(t, dir, 262144, 65536, 65536)
		disk := filepath.Join(dir, "dev/vdz")
		writeFile(t, disk, "")
		if err := os.Truncate(disk, 64<<20); err != nil {
			t.Fatal(err)
		}
		table := "label: dos\nstart=2048, size=63488, type=c\nstart=65536, size=65536, type=83\n"
		cmd := exec.Command("sfdisk", "-q", disk)
		cmd.Stdin = strings.NewReader(table)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sfdisk: %v\n%s", err, out)
		}
		if err := os.Truncate(disk, 128<<20); err != nil {
			t.Fatal(err)
		}
		mkfs(t, filepath.Join(dir, "dev/vdz2"), 32, 32)
		logged := run(t, dir)
		out, err := exec.Command("sfdisk", "--dump", disk).CombinedOutput()
		if err != nil {
			t.Fatalf("sfdisk --dump: %v\n%s", err, out)
		}
		if !strings.Contains(string(out), "start=       65536, size=      196608") {
			t.Errorf("partition 2 does not reach the end of the disk:\n%s\nthe script logged:\n%s", out, logged)
		}
		if !strings.Contains(logged, "partition 2 of vdz grew from 32 MiB") {
			t.Errorf("logged %q", logged)
		}
		if !strings.Contains(string(out), "start=        2048, size=       63488, type=c") {
			t.Errorf("partition 1 changed:\n%s", out)
		}
	})
	t.Run("file system after a power cut", func(t *testing.T) {
		dir := t.TempDir()
		// The table grew (the partition ends at the disk's end) but the
		// file system kept its 16 MiB of a 96 MiB partition.
		sysfs(t, dir, 262144, 65536, 196608)
		writeFile(t, filepath.Join(dir, "dev/vdz"), "")
		part := filepath.Join(dir, "dev/vdz2")
		mkfs(t, part, 96, 16)
		logged := run(t, dir)
		if got := fsMiB(t, part); got != 96 {
			t.Errorf("the file system has %d MiB after the script, want 96; it logged:\n%s", got, logged)
		}
		if !strings.Contains(logged, "grew from 16 MiB to 96 MiB") {
			t.Errorf("logged %q", logged)
		}
		// A second start finds nothing to do.
		if again := run(t, dir); again != logged {
			t.Errorf("a second start did more: %q", strings.TrimPrefix(again, logged))
		}
	})
}

func mkdirs(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
