// Package udevrule reads the subset of udev's rules language that the
// appliance's rules use, and applies rules to a device, so the tests can
// show which /dev/guichet links and properties a device would get without
// a kernel, sysfs or udevd.
//
// Supported (udev(7)): one rule per line, comma-separated KEY OP "VALUE";
// match keys ACTION, KERNEL, SUBSYSTEM, DRIVER, ATTR{f}, ENV{k} on the
// device itself and KERNELS, SUBSYSTEMS, DRIVERS, ATTRS{f} on the device or
// one of its parents (all such keys of a rule on the same one), with == and
// != and shell globs (*, ?, [...], and | between alternatives); assignment
// keys SYMLINK, ENV{k}, GROUP, OWNER, MODE with =, += and :=. Anything else
// (GOTO, LABEL, RUN, IMPORT, PROGRAM, line continuations) is an error: the
// appliance's rules do not use it, and a rule this package cannot read is
// a rule its tests cannot check.
package udevrule

import (
	"fmt"
	"path"
	"strings"
)

// Key is one KEY{attr} OP "value" of a rule.
type Key struct {
	Name  string // ATTRS, SYMLINK, ...
	Attr  string // the {…} part, if any
	Op    string // ==, !=, =, +=, :=
	Value string
}

// Rule is one line of a rules file.
type Rule struct {
	Line int
	Keys []Key
}

// Device is a device as udev sees it: its own values and its parents'.
type Device struct {
	Kernel    string            // sysname: ttyACM0, lp0, 1-1.2
	Subsystem string            // tty, usbmisc, usb
	Driver    string            // cdc_acm, usblp
	Attrs     map[string]string // sysfs attributes: idVendor, idProduct
	Env       map[string]string // properties: DEVTYPE, ID_MM_DEVICE_IGNORE
	Parent    *Device
}

// Result is what the rules did to a device.
type Result struct {
	Symlinks []string
	Env      map[string]string
	Group    string
	Owner    string
	Mode     string
}

var matchKeys = map[string]bool{"ACTION": true, "KERNEL": true, "SUBSYSTEM": true, "DRIVER": true, "ATTR": true, "ENV": true,
	"KERNELS": true, "SUBSYSTEMS": true, "DRIVERS": true, "ATTRS": true}
var assignKeys = map[string]bool{"SYMLINK": true, "ENV": true, "GROUP": true, "OWNER": true, "MODE": true}
var withAttr = map[string]bool{"ATTR": true, "ATTRS": true, "ENV": true}

// Parse reads a rules file.
func Parse(text string) ([]Rule, error) {
	var rules []Rule
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			return nil, fmt.Errorf("udevrule: line %d: line continuations are not supported", n)
		}
		r := Rule{Line: n}
		rest := line
		for rest != "" {
			k, after, err := parseKey(rest)
			if err != nil {
				return nil, fmt.Errorf("udevrule: line %d: %w", n, err)
			}
			r.Keys = append(r.Keys, k)
			rest = strings.TrimSpace(after)
			if rest == "" {
				break
			}
			if rest[0] != ',' {
				return nil, fmt.Errorf("udevrule: line %d: want a comma before %q", n, rest)
			}
			rest = strings.TrimSpace(rest[1:])
			if rest == "" {
				return nil, fmt.Errorf("udevrule: line %d: a comma ends the rule", n)
			}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func parseKey(s string) (Key, string, error) {
	var k Key
	i := 0
	for i < len(s) && (s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_') {
		i++
	}
	k.Name = s[:i]
	if k.Name == "" {
		return k, "", fmt.Errorf("want a key at %q", s)
	}
	s = s[i:]
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return k, "", fmt.Errorf("%s{ is not closed", k.Name)
		}
		k.Attr = s[1:end]
		if k.Attr == "" {
			return k, "", fmt.Errorf("%s{} names nothing", k.Name)
		}
		s = s[end+1:]
	}
	if withAttr[k.Name] != (k.Attr != "") {
		if withAttr[k.Name] {
			return k, "", fmt.Errorf("key %s needs an {attribute}", k.Name)
		}
		return k, "", fmt.Errorf("key %s takes no {attribute}", k.Name)
	}
	s = strings.TrimLeft(s, " \t")
	for _, op := range []string{"==", "!=", "+=", ":=", "="} {
		if strings.HasPrefix(s, op) {
			k.Op = op
			s = s[len(op):]
			break
		}
	}
	if k.Op == "" {
		return k, "", fmt.Errorf("key %s has no operator", k.Name)
	}
	isMatch := k.Op == "==" || k.Op == "!="
	if isMatch && !matchKeys[k.Name] || !isMatch && !assignKeys[k.Name] {
		return k, "", fmt.Errorf("key %s %s is not supported", k.Name, k.Op)
	}
	s = strings.TrimLeft(s, " \t")
	if !strings.HasPrefix(s, `"`) {
		return k, "", fmt.Errorf("the value of %s is not quoted", k.Name)
	}
	end := strings.IndexByte(s[1:], '"')
	if end < 0 {
		return k, "", fmt.Errorf("the value of %s is not closed", k.Name)
	}
	k.Value = s[1 : end+1]
	return k, s[end+2:], nil
}

// glob matches udev's patterns: shell globs, alternatives split by |.
func glob(pattern, s string) bool {
	for _, alt := range strings.Split(pattern, "|") {
		if ok, err := path.Match(alt, s); err == nil && ok {
			return true
		}
	}
	return false
}

func (k Key) matchOn(d *Device) bool {
	var v string
	var ok bool
	switch k.Name {
	case "KERNEL", "KERNELS":
		v, ok = d.Kernel, true
	case "SUBSYSTEM", "SUBSYSTEMS":
		v, ok = d.Subsystem, true
	case "DRIVER", "DRIVERS":
		v, ok = d.Driver, true
	case "ATTR", "ATTRS":
		v, ok = d.Attrs[k.Attr]
	case "ENV":
		v, ok = d.Env[k.Attr]
	case "ACTION":
		v, ok = "add", true
	}
	m := ok && glob(k.Value, v)
	if k.Op == "!=" {
		return !m
	}
	return m
}

func parentKey(name string) bool {
	return name == "KERNELS" || name == "SUBSYSTEMS" || name == "DRIVERS" || name == "ATTRS"
}

// Apply runs the rules in order on an "add" of dev, as udevd would, and
// says what they set.
func Apply(rules []Rule, dev *Device) Result {
	res := Result{Env: map[string]string{}}
	for k, v := range dev.Env {
		res.Env[k] = v
	}
	for _, r := range rules {
		self := *dev
		self.Env = res.Env
		if !matches(r, &self) {
			continue
		}
		for _, k := range r.Keys {
			switch k.Name {
			case "SYMLINK":
				if k.Op != "+=" {
					res.Symlinks = nil
				}
				res.Symlinks = append(res.Symlinks, strings.Fields(k.Value)...)
			case "ENV":
				if k.Op != "==" && k.Op != "!=" {
					res.Env[k.Attr] = k.Value
				}
			case "GROUP":
				res.Group = k.Value
			case "OWNER":
				res.Owner = k.Value
			case "MODE":
				res.Mode = k.Value
			}
		}
	}
	return res
}

func matches(r Rule, dev *Device) bool {
	var parents []Key
	for _, k := range r.Keys {
		if k.Op != "==" && k.Op != "!=" {
			continue
		}
		if parentKey(k.Name) {
			parents = append(parents, k)
			continue
		}
		if !k.matchOn(dev) {
			return false
		}
	}
	if len(parents) == 0 {
		return true
	}
	for d := dev; d != nil; d = d.Parent {
		all := true
		for _, k := range parents {
			if !k.matchOn(d) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
