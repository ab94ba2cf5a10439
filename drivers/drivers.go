// Package drivers declares the small interfaces the kiosk's devices are built
// on, the periph.io way: a port, a pin, and the devices' events. Each device
// has its own package whose constructor takes these interfaces only, so it is
// tested against an emulator or a fake instead of hardware. Only
// drivers/serialport imports github.com/tarm/serial and only drivers/gpio
// imports periph.io's host drivers.
package drivers

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// Port is a byte stream to a device: a serial line, a pseudo-terminal, a USB
// printer-class file or a TCP socket.
//
// Read returns (0, ErrTimeout)-style errors through IsTimeout rather than
// io.EOF: a port whose read deadline passed is not a lost device.
type Port interface {
	io.ReadWriteCloser
	// SetReadTimeout bounds each Read; zero blocks until data arrives.
	SetReadTimeout(d time.Duration) error
}

// Health is a device's state as the UI, the technician screen and telemetry
// report it.
type Health struct {
	Device string    // the configured name: "idscan", "qrscan", "receipt", ...
	Path   string    // the stable path it is opened by
	State  State     // connected, reconnecting or failed
	Reason string    // why it is not connected, in words a technician can act on
	Since  time.Time // when State last changed
}

// State is the connection state of a device.
type State string

const (
	Connected    State = "connected"
	Reconnecting State = "reconnecting"
	Failed       State = "failed"
)

// Opener opens a device's port; the supervisor calls it again after a loss.
type Opener func(ctx context.Context) (Port, error)

// IsTimeout reports whether err from a Port's Read is a read timeout (the
// deadline set by SetReadTimeout passed with no data) rather than a failure:
// os.ErrDeadlineExceeded, or any error in the chain with a Timeout() method
// that returns true (as net.Error has).
func IsTimeout(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
