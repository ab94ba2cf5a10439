package udevrule_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"guichet/images/udevrule"
)

var parseCases = []struct {
	text string
	err  string // "" for none
}{
	{`SUBSYSTEM=="tty", ATTRS{idVendor}=="0db5", SYMLINK+="guichet/idscan", MODE="0660"`, ""},
	{"# a comment\n\nKERNEL==\"lp[0-9]*\", GROUP=\"lp\"\n", ""},
	{`ENV{DEVTYPE}=="usb_device", ENV{ID_MM_DEVICE_IGNORE}="1"`, ""},
	{`SUBSYSTEM=="tty" SYMLINK+="x"`, "want a comma"},
	{`SUBSYSTEM=="tty",`, "comma ends"},
	{`ATTRS=="x"`, "needs an {attribute}"},
	{`SUBSYSTEM{x}=="tty"`, "takes no {attribute}"},
	{`ATTRS{idVendor=="x"`, "not closed"},
	{`SUBSYSTEM="tty"`, "not supported"},
	{`SYMLINK=="x"`, "not supported"},
	{`RUN+="/bin/sh"`, "not supported"},
	{`SUBSYSTEM==tty`, "not quoted"},
	{`SUBSYSTEM=="tty`, "not closed"},
	{`SUBSYSTEM`, "no operator"},
	{"SUBSYSTEM==\"tty\", \\", "continuations"},
	{`==""`, "want a key"},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		_, err := udevrule.Parse(tc.text)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tc.text, err, tc.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rules, err := udevrule.Parse(text)
		if err != nil {
			return
		}
		for _, r := range rules {
			if len(r.Keys) == 0 {
				t.Fatalf("Parse(%q) gave a rule with no keys at line %d", text, r.Line)
			}
			for _, k := range r.Keys {
				if k.Name == "" || k.Op == "" || strings.Contains(k.Value, `"`) {
					t.Fatalf("Parse(%q) gave key %+v", text, k)
				}
			}
		}
		// Applying what parsed never panics.
		udevrule.Apply(rules, &udevrule.Device{Kernel: "ttyACM0", Subsystem: "tty", Parent: &udevrule.Device{Subsystem: "usb", Attrs: map[string]string{"idVendor": "0db5"}}})
	})
}

func usbSerial(vendor, product string) *udevrule.Device {
	usb := &udevrule.Device{Kernel: "1-1.2", Subsystem: "usb", Driver: "usb", Attrs: map[string]string{"idVendor": vendor, "idProduct": product}, Env: map[string]string{"DEVTYPE": "usb_device"}}
	intf := &udevrule.Device{Kernel: "1-1.2:1.0", Subsystem: "usb", Driver: "cdc_acm", Attrs: map[string]string{"bInterfaceClass": "02"}, Env: map[string]string{"DEVTYPE": "usb_interface"}, Parent: usb}
	return &udevrule.Device{Kernel: "ttyACM0", Subsystem: "tty", Parent: intf}
}

func TestApply(t *testing.T) {
	rules, err := udevrule.Parse(`
SUBSYSTEM=="tty", KERNEL=="ttyACM*|ttyUSB*", ATTRS{idVendor}=="0db5", ATTRS{idProduct}=="0139", SYMLINK+="guichet/idscan", MODE="0660", ENV{ID_MM_DEVICE_IGNORE}="1"
SUBSYSTEM=="tty", ATTRS{idVendor}=="0db5", ATTRS{bInterfaceClass}=="02", SYMLINK+="wrong"
SUBSYSTEM!="tty", GROUP="nobody"
ENV{ID_MM_DEVICE_IGNORE}=="1", GROUP="guichet"
`)
	if err != nil {
		t.Fatal(err)
	}
	got := udevrule.Apply(rules, usbSerial("0db5", "0139"))
	want := udevrule.Result{Symlinks: []string{"guichet/idscan"}, Env: map[string]string{"ID_MM_DEVICE_IGNORE": "1"}, Group: "guichet", Mode: "0660"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply(ID reader) (-want +got):\n%s", diff)
	}
	// idVendor and bInterfaceClass are on two different parents: the second rule never matches.
	got = udevrule.Apply(rules, usbSerial("0db5", "9999"))
	if len(got.Symlinks) != 0 || got.Group != "" {
		t.Errorf("Apply(other product) = %+v, want nothing", got)
	}
}
