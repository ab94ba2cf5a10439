package updatetest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"guichet/sync/update"
)

// StartBus runs a private dbus-daemon (Debian package dbus) on a socket in
// a temporary directory for the test and returns a connection to it.
// The test is skipped when dbus-daemon is not installed, and fails then
// under CI.
func StartBus(t testing.TB) (addr string) {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		// make test installs it (images/host-packages.txt): in CI a
		// missing bus is a failure, not a pass that proves nothing.
		if os.Getenv("CI") != "" {
			t.Fatal("dbus-daemon not installed (Debian package dbus)")
		}
		t.Skip("dbus-daemon not installed (Debian package dbus)")
	}
	dir, err := os.MkdirTemp("", "bus")
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "bus")
	cmd := exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address", "--address=unix:path="+sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case addr = <-line:
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not print its address")
	}
	if addr == "" {
		t.Fatal("dbus-daemon printed no address")
	}
	return addr
}

// Connect opens a private connection to the bus at addr.
func Connect(t testing.TB, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// FakeRAUC is a RAUC service for tests, exported on a real bus under
// RAUC's name, path and interface: two rootfs slots, A booted and good,
// B inactive. InstallBundle "writes" an existing file into the inactive
// slot and makes it primary; Reboot boots the primary, falling back to the
// other slot when the primary was marked bad.
type FakeRAUC struct {
	mu        sync.Mutex
	conn      *dbus.Conn
	props     *prop.Properties
	slots     []*fakeSlot
	booted    int
	primary   int
	Installed []string // bundles installed, in order
	Marks     []string // "good booted", "bad booted", … as called
}

type fakeSlot struct {
	name, bootname, bootStatus, bundle string
}

// StartFakeRAUC exports a FakeRAUC on the bus at addr.
func StartFakeRAUC(t testing.TB, addr string) *FakeRAUC {
	t.Helper()
	conn := Connect(t, addr)
	f := &FakeRAUC{conn: conn, slots: []*fakeSlot{{"rootfs.0", "A", "good", "factory"}, {"rootfs.1", "B", "bad", ""}}}
	if err := conn.Export(fakeMethods{f}, update.RAUCPath, update.RAUCInterface); err != nil {
		t.Fatal(err)
	}
	props, err := prop.Export(conn, update.RAUCPath, prop.Map{update.RAUCInterface: {
		"Operation":  {Value: "idle", Emit: prop.EmitTrue},
		"LastError":  {Value: "", Emit: prop.EmitTrue},
		"Compatible": {Value: "guichet-kiosk", Emit: prop.EmitConst},
		"BootSlot":   {Value: "A", Emit: prop.EmitTrue},
	}})
	if err != nil {
		t.Fatal(err)
	}
	f.props = props
	reply, err := conn.RequestName(update.RAUCService, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("requesting %s: %v (reply %d)", update.RAUCService, err, reply)
	}
	return f
}

// Booted returns the bootname and bundle of the slot running now.
func (f *FakeRAUC) Booted() (bootname, bundle, bootStatus string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := f.slots[f.booted]
	return s.bootname, s.bundle, s.bootStatus
}

// Reboot boots the primary slot, or the other one if it was marked bad
// (what the bootloader's boot counting does).
func (f *FakeRAUC) Reboot() {
	f.mu.Lock()
	next := f.primary
	if f.slots[next].bootStatus == "bad" {
		next = 1 - next
	}
	f.booted = next
	name := f.slots[next].bootname
	f.mu.Unlock()
	f.props.SetMust(update.RAUCInterface, "BootSlot", name)
}

type fakeMethods struct{ f *FakeRAUC }

func (m fakeMethods) InstallBundle(source string, args map[string]dbus.Variant) *dbus.Error {
	f := m.f
	go func() {
		time.Sleep(10 * time.Millisecond) // RAUC answers at once and reports completion later
		f.props.SetMust(update.RAUCInterface, "Operation", "installing")
		code := int32(0)
		if _, err := os.Stat(source); err != nil {
			code = 1
			f.props.SetMust(update.RAUCInterface, "LastError", fmt.Sprintf("Failed to open bundle: %v", err))
		} else {
			f.mu.Lock()
			other := 1 - f.booted
			f.slots[other].bundle = filepath.Base(source)
			f.slots[other].bootStatus = "" // not yet proven
			f.primary = other
			f.Installed = append(f.Installed, source)
			f.mu.Unlock()
		}
		f.props.SetMust(update.RAUCInterface, "Operation", "idle")
		f.conn.Emit(update.RAUCPath, update.RAUCInterface+".Completed", code)
	}()
	return nil
}

func (m fakeMethods) Mark(state, slot string) (string, string, *dbus.Error) {
	f := m.f
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.booted
	switch slot {
	case "booted":
	case "other":
		i = 1 - f.booted
	default:
		return "", "", dbus.MakeFailedError(fmt.Errorf("unknown slot %q", slot))
	}
	switch state {
	case "good", "bad":
		f.slots[i].bootStatus = state
	case "active":
		f.primary = i
		if f.slots[i].bootStatus == "bad" {
			f.slots[i].bootStatus = "good"
		}
	default:
		return "", "", dbus.MakeFailedError(fmt.Errorf("unknown state %q", state))
	}
	f.Marks = append(f.Marks, state+" "+slot)
	return f.slots[i].name, "marked slot " + f.slots[i].name + " as " + state, nil
}

func (m fakeMethods) GetPrimary() (string, *dbus.Error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	return m.f.slots[m.f.primary].name, nil
}

func (m fakeMethods) GetSlotStatus() ([]struct {
	Name  string
	Props map[string]dbus.Variant
}, *dbus.Error) {
	f := m.f
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []struct {
		Name  string
		Props map[string]dbus.Variant
	}
	for i, s := range f.slots {
		state := "inactive"
		if i == f.booted {
			state = "booted"
		}
		out = append(out, struct {
			Name  string
			Props map[string]dbus.Variant
		}{s.name, map[string]dbus.Variant{
			"class": dbus.MakeVariant("rootfs"), "device": dbus.MakeVariant("/dev/mmcblk0p" + fmt.Sprint(i+2)),
			"state": dbus.MakeVariant(state), "boot-status": dbus.MakeVariant(s.bootStatus), "bootname": dbus.MakeVariant(s.bootname),
		}})
	}
	return out, nil
}

// MarkPrimaryBad is what the bootloader does when the primary slot fails
// to boot as many times as it may try: the next Reboot falls back.
func (f *FakeRAUC) MarkPrimaryBad() {
	f.mu.Lock()
	f.slots[f.primary].bootStatus = "bad"
	f.mu.Unlock()
}
