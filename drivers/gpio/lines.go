package gpio

import (
	"fmt"
	"strings"
	"unicode"
)

// ParseLines reads the kiosk header's wiring in one line, as a flag
// carries it: comma-separated ROLE=LINE[:low][:nopull], where ROLE is an
// input (presence, servicekey, paperlow, help) or a light (ready, busy,
// fault) and LINE the kernel's line name ("GPIO17") or chip/offset
// ("gpiochip0/17"). ":low" makes an input active low (a switch to ground)
// or the lights on when low (then every light must say it); ":nopull"
// leaves an input's line without pull resistor (a driven sensor output).
// Roles left out are not fitted. For example:
//
//	presence=GPIO17,servicekey=GPIO27:low,paperlow=GPIO5:low,help=GPIO6,ready=GPIO22,busy=GPIO23,fault=GPIO24
func ParseLines(s string) (Config, error) {
	var c Config
	if len(s) > 1024 {
		return c, fmt.Errorf("gpio: lines: %d bytes, limit 1024", len(s))
	}
	seen := map[string]bool{}
	ledsLow := -1 // unknown, 0 high, 1 low
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		role, spec, ok := strings.Cut(item, "=")
		if !ok {
			return Config{}, fmt.Errorf("gpio: lines: %q is not ROLE=LINE", item)
		}
		role = strings.ToLower(strings.TrimSpace(role))
		parts := strings.Split(strings.TrimSpace(spec), ":")
		name := parts[0]
		if err := checkLineName(name); err != nil {
			return Config{}, fmt.Errorf("gpio: lines: %s: %w", role, err)
		}
		low, nopull := false, false
		for _, o := range parts[1:] {
			switch strings.ToLower(o) {
			case "low":
				low = true
			case "nopull":
				nopull = true
			default:
				return Config{}, fmt.Errorf("gpio: lines: %s: unknown option %q (low, nopull)", role, o)
			}
		}
		if seen[role] {
			return Config{}, fmt.Errorf("gpio: lines: %s given twice", role)
		}
		seen[role] = true
		in := Input(role)
		if field := c.name(in); field != nil {
			*field = name
			*c.ActiveLow.flag(in) = low
			*c.NoPull.flag(in) = nopull
			continue
		}
		led := c.ledName(LED(role))
		if led == nil {
			return Config{}, fmt.Errorf("gpio: lines: unknown role %q (presence, servicekey, paperlow, help, ready, busy, fault)", role)
		}
		if nopull {
			return Config{}, fmt.Errorf("gpio: lines: %s: nopull is for inputs, not lights", role)
		}
		l := 0
		if low {
			l = 1
		}
		if ledsLow >= 0 && ledsLow != l {
			return Config{}, fmt.Errorf("gpio: lines: the lights must all be active low or all active high")
		}
		ledsLow = l
		*led = name
	}
	c.LEDsActiveLow = ledsLow == 1
	if err := c.checkLines(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Lines writes c's wiring in ParseLines' form.
func (c Config) Lines() string {
	var parts []string
	for _, in := range Inputs {
		name := c.Name(in)
		if name == "" {
			continue
		}
		p := string(in) + "=" + name
		if c.ActiveLow.Of(in) {
			p += ":low"
		}
		if c.NoPull.Of(in) {
			p += ":nopull"
		}
		parts = append(parts, p)
	}
	for _, led := range LEDs {
		name := c.LEDName(led)
		if name == "" {
			continue
		}
		p := string(led) + "=" + name
		if c.LEDsActiveLow {
			p += ":low"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ",")
}

func checkLineName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("a line name is 1 to 64 characters")
	}
	for _, r := range name {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_-./", r)) {
			return fmt.Errorf("line name %q: only ASCII letters, digits, '_', '-', '.' and '/'", name)
		}
	}
	return nil
}
