// Package devpaths reads the kiosk's devices file: one NAME=PATH line per
// peripheral (idscan, qrscan, payterm, receipt, and with the emulated laser
// printer laser and cups), blank lines and #-comments ignored. guichet-devsim
// writes it for its emulated devices (DIR/devices.env); the kiosk's -devices
// flag and `guichetctl provision -devices` read it.
package devpaths

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Dir is where the appliance's udev rules (images/rootfs) link each
// peripheral under its stable name: Dir/idscan, Dir/receipt, …
const Dir = "/dev/guichet"

// maxLine bounds one line.
const maxLine = 4096

// Parse reads NAME=PATH lines. name says where they come from, for errors.
func Parse(r io.Reader, name string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("devpaths: %s line %d: %q is not NAME=PATH", name, n, line)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("devpaths: %s: %w", name, err)
	}
	return out, nil
}

// Read reads the devices file at path.
func Read(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("devpaths: devices file: %w", err)
	}
	defer f.Close()
	return Parse(f, path)
}
