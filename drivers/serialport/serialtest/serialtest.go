// Package serialtest makes pseudo-terminal pairs that stand in for serial
// devices: the near side (a /dev/pts/N path) is opened by the code under test
// exactly as a real /dev/ttyUSB0 would be, with drivers/serialport; the far
// side (the pty master) is where a test or an emulator plays the device.
//
// The near side is put in raw mode (no echo, no CR/LF translation, no
// signals), and is held open by the PTY itself so that its settings survive
// the driver closing and reopening it. Closing the far side hangs the near
// side up as unplugging a USB adapter does: the /dev/pts/N node disappears,
// a Read there returns 0 bytes at once (end of file; EIO on some kernels)
// and a Write fails with EIO.
//
// Limits: Linux pseudo-terminals only; a pty ignores baud rate, parity and
// stop bits, so timing is the emulator's business (see idscansim's pacing).
package serialtest

import (
	"fmt"
	"os"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// PTY is a pseudo-terminal pair standing in for one serial device.
type PTY struct {
	// Path is the near side, for serialport.Open: /dev/pts/N.
	Path string
	// Far is the device's side (the pty master): write what the device
	// sends, read what the host sent it. It supports deadlines.
	Far *os.File

	near *os.File // held open so the raw settings stay
}

// Open makes a pseudo-terminal pair with its near side in raw mode.
func Open() (*PTY, error) {
	far, near, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("serialtest: open pty: %w", err)
	}
	if err := makeRaw(near); err != nil {
		far.Close()
		near.Close()
		return nil, fmt.Errorf("serialtest: raw mode on %s: %w", near.Name(), err)
	}
	return &PTY{Path: near.Name(), Far: far, near: near}, nil
}

// Close closes both sides; a driver still reading the near side gets EIO.
func (p *PTY) Close() error {
	err := p.Far.Close()
	if err2 := p.near.Close(); err == nil {
		err = err2
	}
	return err
}

// Pair makes a pseudo-terminal pair for t and closes it when t ends. It
// returns the near side's path, for the code under test to open, and the far
// side, for the test to play the device on.
func Pair(t testing.TB) (devicePath string, far *os.File) {
	t.Helper()
	p, err := Open()
	if err != nil {
		t.Fatalf("serialtest.Pair: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return p.Path, p.Far
}

// makeRaw does what cfmakeraw(3) does, through the raw connection so the
// file stays in non-blocking (pollable) mode.
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioErr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN] = 1
		t.Cc[unix.VTIME] = 0
		ioErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err != nil {
		return err
	}
	return ioErr
}
