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
	if far, err = pollable(far); err != nil {
		near.Close()
		return nil, fmt.Errorf("serialtest: pty master: %w", err)
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

// pollable returns f anew in non-blocking mode, registered with Go's
// poller, so that deadlines work and Close ends a blocked Read or Write.
// creack/pty leaves the master in blocking mode (it calls Fd), where a
// Write into a full pty would block for ever, Unplug or not.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(old uintptr) { fd, dupErr = unix.FcntlInt(old, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, dupErr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
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

// Link points the stable path link at a device path, as udev does for
// /dev/guichet/…: the new link is made beside it and renamed over it, so the
// path never leads to nothing nor to a stale device. Emulators call it when
// plugged in.
func Link(link, target string) error {
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
