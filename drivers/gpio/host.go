package gpio

import (
	"fmt"
	"strconv"
	"strings"

	"periph.io/x/conn/v3/driver/driverreg"
	pgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3/gpioioctl"

	"guichet/kiosk/clock"
)

// OpenHost opens the lines cfg names on this machine's GPIO character
// devices (/dev/gpiochipN, the kernel's GPIO v2 ioctl interface) and
// returns the Board on them.
//
// Only periph's character-device driver is loaded, not all of host.Init():
// the sysfs interface is deprecated and the memory-mapped SoC drivers need
// /dev/mem or /dev/gpiomem, which a locked-down kiosk does not grant. A
// name is looked up in gpioreg (the kernel's line names, "GPIO17" on a
// Raspberry Pi) and then as chip/offset ("gpiochip0/17", or the chip's
// label instead of its name).
func OpenHost(cfg Config, clk clock.Clock) (*Board, error) {
	if err := cfg.checkLines(); err != nil {
		return nil, err
	}
	if _, err := driverreg.Init(); err != nil {
		return nil, fmt.Errorf("gpio: %w", err)
	}
	var pins Pins
	var opened []*gpioioctl.GPIOLine
	get := func(role, name string) (pgpio.PinIO, error) {
		p, err := lookup(name)
		if err != nil {
			return nil, fmt.Errorf("gpio: %s: %w", role, err)
		}
		if l, ok := p.(*gpioioctl.GPIOLine); ok {
			opened = append(opened, l)
		}
		return p, nil
	}
	release := func() {
		for _, l := range opened {
			l.Close()
		}
	}
	for _, in := range Inputs {
		name := cfg.Name(in)
		if name == "" {
			continue
		}
		p, err := get(string(in), name)
		if err != nil {
			release()
			return nil, err
		}
		*pins.inputField(in) = p
	}
	for _, led := range LEDs {
		name := cfg.LEDName(led)
		if name == "" {
			continue
		}
		p, err := get("light "+string(led), name)
		if err != nil {
			release()
			return nil, err
		}
		*pins.ledField(led) = p
	}
	b, err := New(pins, cfg, clk)
	if err != nil {
		release()
		return nil, err
	}
	b.release = release
	return b, nil
}

// checkLines refuses a line configured for two uses.
func (c Config) checkLines() error {
	used := map[string]string{}
	check := func(role, name string) error {
		if name == "" {
			return nil
		}
		if other, ok := used[name]; ok {
			return fmt.Errorf("gpio: line %q is configured for both %s and %s", name, other, role)
		}
		used[name] = role
		return nil
	}
	for _, in := range Inputs {
		if err := check(string(in), c.Name(in)); err != nil {
			return err
		}
	}
	for _, led := range LEDs {
		if err := check("light "+string(led), c.LEDName(led)); err != nil {
			return err
		}
	}
	return nil
}

// lookup finds a line by name, then as chip/offset.
func lookup(name string) (pgpio.PinIO, error) {
	if p := gpioreg.ByName(name); p != nil {
		return p, nil
	}
	if chip, off, ok := strings.Cut(name, "/"); ok {
		n, err := strconv.Atoi(off)
		if err == nil && n >= 0 {
			for _, c := range gpioioctl.Chips {
				if (c.Name() == chip || c.Label() == chip) && n < c.LineCount() {
					return c.ByNumber(n), nil
				}
			}
		}
	}
	if len(gpioioctl.Chips) == 0 {
		return nil, fmt.Errorf("no GPIO line %q: this machine has no GPIO character device (/dev/gpiochipN) the kiosk can open", name)
	}
	return nil, fmt.Errorf("no GPIO line %q: give a line name (gpioinfo lists them) or chip/offset such as %s/17", name, gpioioctl.Chips[0].Name())
}
