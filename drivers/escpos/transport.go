package escpos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"guichet/drivers"
)

// DefaultTCPPort is the raw printing port ("JetDirect") of network
// receipt printers.
const DefaultTCPPort = "9100"

// OpenUSB returns an Opener for a USB printer-class device file
// (/dev/usb/lp0, or a udev symlink such as /dev/guichet/receipt). The
// kernel's usblp driver carries the printer's status answers back on
// reads of the same file.
func OpenUSB(path string) drivers.Opener {
	return func(ctx context.Context) (drivers.Port, error) {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("escpos: open %s: %w", path, err)
		}
		return newFilePort(f), nil
	}
}

// DialTCP returns an Opener for a network printer's raw port: addr is
// host:port, host alone meaning port 9100.
func DialTCP(addr string) drivers.Opener {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(addr, DefaultTCPPort)
	}
	return func(ctx context.Context) (drivers.Port, error) {
		var d net.Dialer
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		c, err := d.DialContext(dctx, "tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("escpos: dial %s: %w", addr, err)
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(15 * time.Second)
		}
		return &connPort{c: c}, nil
	}
}

// connPort is a TCP connection as a drivers.Port.
type connPort struct {
	c       net.Conn
	timeout time.Duration
}

func (p *connPort) SetReadTimeout(d time.Duration) error { p.timeout = d; return nil }

func (p *connPort) Read(b []byte) (int, error) {
	var deadline time.Time
	if p.timeout > 0 {
		deadline = time.Now().Add(p.timeout)
	}
	if err := p.c.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	n, err := p.c.Read(b)
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("escpos: the printer closed the connection: %w", err)
	}
	return n, err
}

func (p *connPort) Write(b []byte) (int, error) {
	// A printer that stopped reading (buffer full, paper out) must not
	// block the kiosk for ever.
	p.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	return p.c.Write(b)
}

func (p *connPort) Close() error { return p.c.Close() }

// filePort is a device file as a drivers.Port. When the file supports
// deadlines (the kernel driver implements poll) reads use them; otherwise
// one goroutine reads ahead and Read waits for it with a timer.
type filePort struct {
	f       *os.File
	timeout time.Duration

	pollable bool
	once     sync.Once
	data     chan []byte
	readErr  chan error
	pending  []byte
}

func newFilePort(f *os.File) *filePort {
	p := &filePort{f: f}
	p.pollable = f.SetReadDeadline(time.Time{}) == nil
	return p
}

func (p *filePort) SetReadTimeout(d time.Duration) error { p.timeout = d; return nil }

func (p *filePort) Read(b []byte) (int, error) {
	if p.pollable {
		var deadline time.Time
		if p.timeout > 0 {
			deadline = time.Now().Add(p.timeout)
		}
		if err := p.f.SetReadDeadline(deadline); err != nil {
			return 0, err
		}
		n, err := p.f.Read(b)
		if n == 0 && errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("escpos: %s: device gone: %w", p.f.Name(), err)
		}
		return n, err
	}
	p.once.Do(p.readAhead)
	if len(p.pending) == 0 {
		var timer <-chan time.Time
		if p.timeout > 0 {
			t := time.NewTimer(p.timeout)
			defer t.Stop()
			timer = t.C
		}
		select {
		case d := <-p.data:
			p.pending = d
		case err := <-p.readErr:
			return 0, err
		case <-timer:
			return 0, os.ErrDeadlineExceeded
		}
	}
	n := copy(b, p.pending)
	p.pending = p.pending[n:]
	return n, nil
}

func (p *filePort) readAhead() {
	p.data = make(chan []byte, 16)
	p.readErr = make(chan error, 1)
	go func() {
		for {
			buf := make([]byte, 256)
			n, err := p.f.Read(buf)
			if n > 0 {
				p.data <- buf[:n]
			}
			if err != nil {
				p.readErr <- fmt.Errorf("escpos: read %s: %w", p.f.Name(), err)
				return
			}
		}
	}()
}

func (p *filePort) Write(b []byte) (int, error) { return p.f.Write(b) }

func (p *filePort) Close() error { return p.f.Close() }
