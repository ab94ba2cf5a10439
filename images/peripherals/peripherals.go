// Package peripherals is the kiosk's bill of USB devices: which vendor and
// product identify the ID-card reader, the QR reader, the receipt printer,
// the payment terminal, the laser printer and the touchscreen, and the
// stable name each gets under /dev/guichet. The image's udev rules and its
// usbguard policy are generated from this one table (images/rootfs), and
// the emulated devices (drivers/devsim) present the same identities, so a
// rule that would miss the real device misses the emulated one in the
// tests too.
//
// The identities are those of the reference kiosk's peripherals; a kiosk
// built with other models changes them here, and nowhere else.
package peripherals

import "fmt"

// Peripheral is one USB device the kiosk may use.
type Peripheral struct {
	Name      string // stable name: the udev link /dev/guichet/<Name> ("" for none)
	What      string // what a technician calls it
	Subsystem string // the kernel subsystem of its device node: tty, usbmisc (usblp), input
	Vendor    uint16 // USB idVendor
	Product   uint16 // USB idProduct
	// Interfaces is the device's interface classes as usbguard's
	// with-interface sees them ("02:02:01" CDC ACM, "07:01:02" printer).
	Interfaces []string
}

// ID is the device's identity as usbguard and lsusb write it.
func (p Peripheral) ID() string { return fmt.Sprintf("%04x:%04x", p.Vendor, p.Product) }

// Kiosk lists the reference kiosk's peripherals.
var Kiosk = []Peripheral{
	{Name: "idscan", What: "ID-card (MRZ) reader", Subsystem: "tty", Vendor: 0x0db5, Product: 0x0139, Interfaces: []string{"02:02:01", "0a:00:00"}},
	{Name: "qrscan", What: "QR code reader", Subsystem: "tty", Vendor: 0x0c2e, Product: 0x0b61, Interfaces: []string{"02:02:01", "0a:00:00"}},
	{Name: "payterm", What: "payment terminal", Subsystem: "tty", Vendor: 0x0b00, Product: 0x0084, Interfaces: []string{"02:02:01", "0a:00:00"}},
	{Name: "receipt", What: "receipt printer (ESC/POS, 80 mm)", Subsystem: "usbmisc", Vendor: 0x04b8, Product: 0x0e28, Interfaces: []string{"07:01:02"}},
	{Name: "laser", What: "laser printer (IPP through CUPS)", Subsystem: "usbmisc", Vendor: 0x03f0, Product: 0x002a, Interfaces: []string{"07:01:02", "07:01:04"}},
	{Name: "", What: "touchscreen", Subsystem: "input", Vendor: 0x222a, Product: 0x0001, Interfaces: []string{"03:00:00"}},
}

// Named returns the peripheral with that stable name.
func Named(name string) (Peripheral, bool) {
	for _, p := range Kiosk {
		if p.Name == name && name != "" {
			return p, true
		}
	}
	return Peripheral{}, false
}
