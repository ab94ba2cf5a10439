package peripherals_test

import (
	"testing"

	"guichet/drivers/devsim"
	"guichet/images/peripherals"
)

func TestIdentitiesUnique(t *testing.T) {
	ids, names := map[string]string{}, map[string]bool{}
	for _, p := range peripherals.Kiosk {
		if other, ok := ids[p.ID()]; ok {
			t.Errorf("%s and %s share the identity %s: udev and usbguard could not tell them apart", p.What, other, p.ID())
		}
		ids[p.ID()] = p.What
		if p.Name != "" && names[p.Name] {
			t.Errorf("two peripherals are named %s", p.Name)
		}
		names[p.Name] = true
		if len(p.Interfaces) == 0 {
			t.Errorf("%s lists no USB interface: usbguard would block it", p.What)
		}
	}
}

// TestEveryEmulatedDeviceHasAnIdentity starts the emulated peripherals the
// kiosk is developed against and checks that each has its row here, of a
// kind that gets a device node: a device the kiosk opens would otherwise
// have no /dev/guichet link, and usbguard would block it.
func TestEveryEmulatedDeviceHasAnIdentity(t *testing.T) {
	d, err := devsim.Start(devsim.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for name := range d.Paths() {
		p, ok := peripherals.Named(name)
		if !ok {
			t.Errorf("the emulated %s has no identity in peripherals.Kiosk", name)
			continue
		}
		if p.Subsystem != "tty" && p.Subsystem != "usbmisc" {
			t.Errorf("%s is in subsystem %s, which makes no device node the kiosk can open", name, p.Subsystem)
		}
	}
	if len(d.Paths()) == 0 {
		t.Errorf("devsim started no device")
	}
}
