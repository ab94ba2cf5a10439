// Package serialport opens the kiosk's serial devices (the ID-card scanner,
// the QR reader, a serial receipt printer) by their stable paths and keeps
// them open across unplugging. It is the only package that imports
// github.com/tarm/serial; everything else sees a drivers.Port.
//
// # Opening
//
// Open takes a Config from the kiosk's configuration: a stable path
// (/dev/serial/by-id/usb-… or a udev symlink such as /dev/guichet/idscan),
// the baud rate, parity and stop bits; data bits are always 8 and the line
// is raw (no echo, no CR/LF translation).
//
// # Timeouts and losses
//
// tarm/serial answers a read that found no data within the termios VTIME
// with (0, io.EOF), and a Linux tty that was hung up (its USB adapter
// unplugged, or a pseudo-terminal whose master closed) also answers
// (0, io.EOF) — at once, every time. Taking either for the other is the
// classic bug: a timeout read as a loss reopens the device every 100 ms; a
// loss read as a timeout spins forever on a dead file. Read therefore opens
// the port with VTIME = 0.1 s and decides, on every zero-byte answer:
//
//   - an error EIO, ENXIO or ENODEV from the read (or the write) is a loss:
//     ErrDeviceGone;
//   - three zero-byte answers in a row, each in under 50 ms (half the VTIME a
//     real timeout waits), are a hang-up: ErrDeviceGone;
//   - the stable path no longer exists, or leads to another device node
//     than the one opened (checked with stat(2) on every zero-byte answer,
//     at most ten times a second while idle): ErrDeviceGone;
//   - otherwise it is a timeout; Read keeps waiting until the read timeout
//     set with SetReadTimeout passes, then returns an error wrapping
//     os.ErrDeadlineExceeded, for which IsTimeout (and drivers.IsTimeout)
//     is true. The port stays usable.
//
// A read timeout is honoured to within 0.1 s (the VTIME granularity): a
// 150 ms timeout returns after about 200 ms. Data ends a Read at once.
// Close makes a blocked Read return os.ErrClosed within 0.1 s.
//
// # Supervision
//
// Supervisor keeps one device open through a drivers.Opener: open, hand the
// port to the device driver, and when the driver returns an error (a loss)
// or the stable path disappears (checked every PollInterval), close the
// port, wait (exponential backoff between MinBackoff and MaxBackoff), and
// open again. Each change of state is reported as a drivers.Health —
// connected, reconnecting, or failed after FailAfter failed opens in a row,
// with a reason a technician can act on ("not found at /dev/guichet/idscan:
// is the ID-card scanner plugged in?") — to OnHealth and through Health().
//
// # Testing
//
// Package serialtest makes raw-mode pseudo-terminal pairs: Open works on the
// near side as on a real tty, and an emulator plays the device on the far
// side (see drivers/idscan/idscansim).
//
// Limits: Linux only (termios, stat(2), Linux hang-up behaviour); 8 data
// bits; no hardware or software flow control, no mark or space parity, no
// 1.5 stop bits; no break detection; a pseudo-terminal ignores the baud
// rate, so tests see no wire delay unless the emulator paces its bytes.
package serialport
