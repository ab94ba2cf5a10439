package serialport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tarm/serial"

	"guichet/drivers"
)

// ErrDeviceGone says the device behind a port is no longer there: unplugged,
// switched off, or its stable path removed. The port is useless after it;
// close it and open the path again (Supervisor does).
var ErrDeviceGone = errors.New("device gone")

// Parity is the parity bit setting.
type Parity string

// The parities a kiosk's devices use.
const (
	ParityNone Parity = "none"
	ParityOdd  Parity = "odd"
	ParityEven Parity = "even"
)

// Config says how to open one serial device; it is part of the kiosk's
// configuration. In JSON the read timeout is a Go duration string:
//
//	{"path": "/dev/guichet/idscan", "baud": 9600, "parity": "none",
//	 "stop_bits": 1, "read_timeout": "100ms"}
type Config struct {
	// Path is a stable name for the device, one that survives replugging
	// and reboots: /dev/serial/by-id/usb-… or a udev symlink such as
	// /dev/guichet/idscan. Never /dev/ttyUSB0, whose number changes.
	Path string `json:"path"`
	// Baud is the line speed in bits per second (1200 … 4000000).
	Baud int `json:"baud"`
	// Parity is "none" (the default when empty), "odd" or "even".
	Parity Parity `json:"parity,omitempty"`
	// StopBits is 1 (the default when 0) or 2. Data bits are always 8.
	StopBits int `json:"stop_bits,omitempty"`
	// ReadTimeout is the port's initial read timeout (see
	// drivers.Port.SetReadTimeout); zero blocks until data arrives.
	ReadTimeout time.Duration `json:"read_timeout,omitempty"`
}

// configJSON is Config with the timeout as a duration string.
type configJSON struct {
	Path        string `json:"path"`
	Baud        int    `json:"baud"`
	Parity      Parity `json:"parity,omitempty"`
	StopBits    int    `json:"stop_bits,omitempty"`
	ReadTimeout string `json:"read_timeout,omitempty"`
}

// MarshalJSON writes the read timeout as a duration string ("100ms").
func (c Config) MarshalJSON() ([]byte, error) {
	j := configJSON{Path: c.Path, Baud: c.Baud, Parity: c.Parity, StopBits: c.StopBits}
	if c.ReadTimeout != 0 {
		j.ReadTimeout = c.ReadTimeout.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the read timeout as a duration string ("100ms") and
// checks the result with Validate.
func (c *Config) UnmarshalJSON(b []byte) error {
	var j configJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("serialport: config: %w", err)
	}
	out := Config{Path: j.Path, Baud: j.Baud, Parity: j.Parity, StopBits: j.StopBits}
	if j.ReadTimeout != "" {
		d, err := time.ParseDuration(j.ReadTimeout)
		if err != nil {
			return fmt.Errorf("serialport: config: read_timeout: %w", err)
		}
		out.ReadTimeout = d
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*c = out
	return nil
}

// bauds are the line speeds Linux (and tarm/serial) can set.
var bauds = map[int]bool{
	1200: true, 1800: true, 2400: true, 4800: true, 9600: true, 19200: true,
	38400: true, 57600: true, 115200: true, 230400: true, 460800: true,
	500000: true, 576000: true, 921600: true, 1000000: true, 1152000: true,
	1500000: true, 2000000: true, 2500000: true, 3000000: true,
	3500000: true, 4000000: true,
}

// Validate reports the first thing wrong with c, in words a technician can
// act on.
func (c Config) Validate() error {
	switch {
	case c.Path == "":
		return errors.New("serialport: config: path is empty")
	case !bauds[c.Baud]:
		return fmt.Errorf("serialport: config: baud %d is not a standard rate (9600, 19200, 38400, 57600, 115200, …)", c.Baud)
	case c.Parity != "" && c.Parity != ParityNone && c.Parity != ParityOdd && c.Parity != ParityEven:
		return fmt.Errorf("serialport: config: parity %q is not none, odd or even", c.Parity)
	case c.StopBits != 0 && c.StopBits != 1 && c.StopBits != 2:
		return fmt.Errorf("serialport: config: stop_bits %d is not 1 or 2", c.StopBits)
	case c.ReadTimeout < 0:
		return fmt.Errorf("serialport: config: read_timeout %v is negative", c.ReadTimeout)
	}
	return nil
}

// BitsPerChar is the number of bits one byte takes on the wire: a start bit,
// 8 data bits, the parity bit if any, and the stop bits.
func (c Config) BitsPerChar() int {
	bits := 1 + 8 + 1
	if c.Parity == ParityOdd || c.Parity == ParityEven {
		bits++
	}
	if c.StopBits == 2 {
		bits++
	}
	return bits
}

// WireTime is how long n bytes take on the wire at c's settings: the
// physical floor of any latency measured through the port.
func (c Config) WireTime(n int) time.Duration {
	if c.Baud <= 0 {
		return 0
	}
	return time.Duration(n) * time.Duration(c.BitsPerChar()) * time.Second / time.Duration(c.Baud)
}

// tick is the termios VTIME the port is opened with: each underlying read
// returns after at most this long without data, which is how Read notices
// its own timeout, a closed port, a vanished path and a hang-up.
const tick = 100 * time.Millisecond

// earlyEOFs is how many zero-byte reads in a row, each returning in less
// than half a tick, mean the tty was hung up.
const earlyEOFs = 3

// Open opens the serial device at cfg.Path (8 data bits, raw mode) and
// returns it as a drivers.Port. A missing path is an error wrapping
// fs.ErrNotExist, a permission problem one wrapping fs.ErrPermission.
func Open(cfg Config) (drivers.Port, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	parity := serial.ParityNone
	switch cfg.Parity {
	case ParityOdd:
		parity = serial.ParityOdd
	case ParityEven:
		parity = serial.ParityEven
	}
	stop := serial.Stop1
	if cfg.StopBits == 2 {
		stop = serial.Stop2
	}
	sp, err := serial.OpenPort(&serial.Config{
		Name:        cfg.Path,
		Baud:        cfg.Baud,
		Size:        8,
		Parity:      parity,
		StopBits:    stop,
		ReadTimeout: tick,
	})
	if err != nil {
		if errors.Is(err, syscall.ENOTTY) {
			return nil, fmt.Errorf("serialport: open %s: not a serial device: %w", cfg.Path, err)
		}
		return nil, fmt.Errorf("serialport: open %s: %w", cfg.Path, err)
	}
	// The device node the path led to when we opened it; a later Stat
	// showing another one (or none) means the device went away.
	fi, err := stat(cfg.Path)
	if err != nil {
		sp.Close()
		return nil, fmt.Errorf("serialport: open %s: %w", cfg.Path, err)
	}
	p := &port{path: cfg.Path, sp: sp, rdev: rdevOf(fi)}
	p.timeout.Store(int64(cfg.ReadTimeout))
	return p, nil
}

// Opener returns a drivers.Opener that opens cfg, for a Supervisor.
func Opener(cfg Config) drivers.Opener {
	return func(ctx context.Context) (drivers.Port, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return Open(cfg)
	}
}

// IsTimeout reports whether err is a read timeout rather than a failure; it
// is drivers.IsTimeout.
func IsTimeout(err error) bool { return drivers.IsTimeout(err) }

// stat is os.Stat; a test replaces it to hide a device's disappearance.
var stat = os.Stat

func rdevOf(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Rdev)
	}
	return 0
}

// port is a tarm/serial port opened with VTIME = tick, turned into a
// drivers.Port whose Read tells a timeout from a lost device.
type port struct {
	path    string
	sp      *serial.Port
	rdev    uint64
	timeout atomic.Int64 // time.Duration
	closed  atomic.Bool
}

func (p *port) SetReadTimeout(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("serialport: %s: negative read timeout %v", p.path, d)
	}
	p.timeout.Store(int64(d))
	return nil
}

func (p *port) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	var deadline time.Time
	if d := time.Duration(p.timeout.Load()); d > 0 {
		deadline = time.Now().Add(d)
	}
	early := 0
	for {
		if p.closed.Load() {
			return 0, fmt.Errorf("serialport: read %s: %w", p.path, os.ErrClosed)
		}
		start := time.Now()
		n, err := p.sp.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil && err != io.EOF {
			return 0, p.classify("read", err)
		}
		// Zero bytes, reported by tarm/serial as io.EOF: either VTIME
		// passed without data (a timeout) or the tty was hung up, which
		// answers at once, every time.
		if p.closed.Load() {
			return 0, fmt.Errorf("serialport: read %s: %w", p.path, os.ErrClosed)
		}
		if time.Since(start) < tick/2 {
			if early++; early >= earlyEOFs {
				return 0, fmt.Errorf("serialport: read %s: %w: hung up (reads end at once)", p.path, ErrDeviceGone)
			}
		} else {
			early = 0
		}
		if err := p.checkPath(); err != nil {
			return 0, fmt.Errorf("serialport: read %s: %w", p.path, err)
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, fmt.Errorf("serialport: read %s: %w", p.path, os.ErrDeadlineExceeded)
		}
	}
}

func (p *port) Write(b []byte) (int, error) {
	if p.closed.Load() {
		return 0, fmt.Errorf("serialport: write %s: %w", p.path, os.ErrClosed)
	}
	n, err := p.sp.Write(b)
	if err != nil {
		return n, p.classify("write", err)
	}
	return n, nil
}

func (p *port) Close() error {
	if p.closed.Swap(true) {
		return fmt.Errorf("serialport: close %s: %w", p.path, os.ErrClosed)
	}
	// Waits for a Read in progress, at most one tick.
	if err := p.sp.Close(); err != nil {
		return fmt.Errorf("serialport: close %s: %w", p.path, err)
	}
	return nil
}

// checkPath reports ErrDeviceGone when the stable path no longer exists or
// leads to another device node than the one opened.
func (p *port) checkPath() error {
	fi, err := stat(p.path)
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: %s no longer exists", ErrDeviceGone, p.path)
	case err != nil:
		return nil // cannot tell; the read itself will fail if it is gone
	case rdevOf(fi) != p.rdev:
		return fmt.Errorf("%w: %s now leads to another device", ErrDeviceGone, p.path)
	}
	return nil
}

// classify wraps an I/O error, marking the ones that mean the device is gone.
func (p *port) classify(op string, err error) error {
	switch {
	case p.closed.Load() || errors.Is(err, os.ErrClosed):
		return fmt.Errorf("serialport: %s %s: %w", op, p.path, os.ErrClosed)
	case errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		return fmt.Errorf("serialport: %s %s: %w: %w", op, p.path, ErrDeviceGone, err)
	}
	return fmt.Errorf("serialport: %s %s: %w", op, p.path, err)
}
