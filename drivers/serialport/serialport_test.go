package serialport_test

import (
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/drivers/serialport"
	"guichet/drivers/serialport/serialtest"
)

// stableLink makes a udev-style symlink to target in a temporary directory.
func stableLink(t *testing.T, target string) string {
	t.Helper()
	link := filepath.Join(t.TempDir(), "idscan")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

func openPort(t *testing.T, path string, timeout time.Duration) drivers.Port {
	t.Helper()
	p, err := serialport.Open(serialport.Config{Path: path, Baud: 9600, ReadTimeout: timeout})
	if err != nil {
		t.Fatalf("Open(%s) = %v", path, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// readResult is one Read's outcome, for reads run on a goroutine.
type readResult struct {
	data []byte
	err  error
	took time.Duration
}

func readAsync(p drivers.Port) <-chan readResult {
	c := make(chan readResult, 1)
	go func() {
		b := make([]byte, 64)
		start := time.Now()
		n, err := p.Read(b)
		c <- readResult{b[:n], err, time.Since(start)}
	}()
	return c
}

func await(t *testing.T, c <-chan readResult, within time.Duration) readResult {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(within):
		t.Fatalf("Read did not return within %v", within)
		return readResult{}
	}
}

func TestOpenReadWriteThroughStablePath(t *testing.T) {
	path, far := serialtest.Pair(t)
	p := openPort(t, stableLink(t, path), time.Second)

	line := "IDMAR<<Z123456<<<<<<<<<<<<<<<<\r"
	if _, err := far.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(line))
	if _, err := io.ReadFull(p, got); err != nil {
		t.Fatalf("ReadFull = %v", err)
	}
	if string(got) != line {
		t.Errorf("Read = %q, want %q", got, line)
	}

	if _, err := p.Write([]byte("\x16T\r")); err != nil {
		t.Fatalf("Write = %v", err)
	}
	far.SetReadDeadline(time.Now().Add(10 * time.Second))
	back := make([]byte, 3)
	if _, err := io.ReadFull(far, back); err != nil {
		t.Fatalf("far side read = %v", err)
	}
	if string(back) != "\x16T\r" {
		t.Errorf("far side got %q, want %q", back, "\x16T\r")
	}
}

func TestOpenEverySetting(t *testing.T) {
	path, _ := serialtest.Pair(t)
	for _, cfg := range []serialport.Config{
		{Baud: 9600},
		{Baud: 115200, Parity: serialport.ParityEven},
		{Baud: 19200, Parity: serialport.ParityOdd, StopBits: 2},
		{Baud: 1200, Parity: serialport.ParityNone, StopBits: 1},
	} {
		cfg.Path = path
		t.Run(string(cfg.Parity)+"/"+string(rune('0'+cfg.StopBits)), func(t *testing.T) {
			p, err := serialport.Open(cfg)
			if err != nil {
				t.Fatalf("Open(%+v) = %v", cfg, err)
			}
			p.Close()
		})
	}
}

func TestReadTimeoutIsNotALoss(t *testing.T) {
	path, far := serialtest.Pair(t)
	p := openPort(t, stableLink(t, path), 200*time.Millisecond)

	r := await(t, readAsync(p), 2*time.Second)
	if !serialport.IsTimeout(r.err) || !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read on a silent line = %v, want a timeout", r.err)
	}
	if errors.Is(r.err, serialport.ErrDeviceGone) || errors.Is(r.err, io.EOF) {
		t.Errorf("Read on a silent line = %v, must not say gone or EOF", r.err)
	}
	if r.took < 200*time.Millisecond || r.took > 600*time.Millisecond {
		t.Errorf("timeout of 200ms took %v, want 200ms to 600ms (0.1s granularity)", r.took)
	}

	// The port is still good.
	far.Write([]byte("A"))
	if r := await(t, readAsync(p), 2*time.Second); r.err != nil || string(r.data) != "A" {
		t.Errorf("Read after a timeout = %q, %v; want %q, nil", r.data, r.err, "A")
	}

	// A changed timeout applies to the next Read.
	if err := p.SetReadTimeout(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if r := await(t, readAsync(p), 2*time.Second); !drivers.IsTimeout(r.err) || r.took > 400*time.Millisecond {
		t.Errorf("Read with 100ms timeout = %v after %v, want a timeout within 400ms", r.err, r.took)
	}
	if err := p.SetReadTimeout(-time.Second); err == nil {
		t.Errorf("SetReadTimeout(-1s) = nil, want an error")
	}
}

func TestDataEndsABlockingReadAtOnce(t *testing.T) {
	path, far := serialtest.Pair(t)
	p := openPort(t, path, 0)
	c := readAsync(p)
	time.Sleep(250 * time.Millisecond) // several VTIME ticks pass with no data
	sent := time.Now()
	far.Write([]byte("<"))
	r := await(t, c, 2*time.Second)
	if r.err != nil || string(r.data) != "<" {
		t.Fatalf("Read = %q, %v; want %q, nil", r.data, r.err, "<")
	}
	if d := time.Since(sent); d > 50*time.Millisecond {
		t.Errorf("Read returned %v after the byte was sent, want under 50ms", d)
	}
}

// TestLossIsReported covers the ways a device vanishes: its far side closed
// (a hung-up tty, as an unplugged USB adapter), its stable symlink removed
// or pointed at another device. Each must end a Read blocked with no
// timeout, quickly, with ErrDeviceGone and not a timeout.
func TestLossIsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(t *testing.T, pty *serialtest.PTY, link string)
	}{
		{"far side closed", func(t *testing.T, pty *serialtest.PTY, link string) { pty.Close() }},
		{"far side closed and link removed", func(t *testing.T, pty *serialtest.PTY, link string) {
			pty.Close()
			os.Remove(link)
		}},
		{"link removed", func(t *testing.T, pty *serialtest.PTY, link string) { os.Remove(link) }},
		{"link points at another device", func(t *testing.T, pty *serialtest.PTY, link string) {
			other, _ := serialtest.Pair(t)
			tmp := link + ".new"
			if err := os.Symlink(other, tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, link); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pty, err := serialtest.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer pty.Close()
			link := stableLink(t, pty.Path)
			p := openPort(t, link, 0)

			c := readAsync(p)
			time.Sleep(150 * time.Millisecond) // the Read is blocked, waiting
			tc.lose(t, pty, link)
			r := await(t, c, 2*time.Second)
			if !errors.Is(r.err, serialport.ErrDeviceGone) {
				t.Errorf("Read after loss = %v, want ErrDeviceGone", r.err)
			}
			if serialport.IsTimeout(r.err) {
				t.Errorf("Read after loss = %v, must not be a timeout", r.err)
			}
		})
	}
}

func TestWriteAfterFarSideClosedIsGone(t *testing.T) {
	pty, err := serialtest.Open()
	if err != nil {
		t.Fatal(err)
	}
	p := openPort(t, pty.Path, 0)
	pty.Close()
	if _, err := p.Write([]byte("\x16U\r")); !errors.Is(err, serialport.ErrDeviceGone) {
		t.Errorf("Write after loss = %v, want ErrDeviceGone", err)
	}
}

func TestCloseEndsABlockedRead(t *testing.T) {
	path, _ := serialtest.Pair(t)
	p, err := serialport.Open(serialport.Config{Path: path, Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	c := readAsync(p)
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	if err := p.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	r := await(t, c, time.Second)
	if !errors.Is(r.err, os.ErrClosed) {
		t.Errorf("Read after Close = %v, want os.ErrClosed", r.err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Errorf("Close took %v to end the Read, want under 300ms", d)
	}
	if err := p.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if _, err := p.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Close = %v, want os.ErrClosed", err)
	}
}

func TestOpenErrors(t *testing.T) {
	regular := filepath.Join(t.TempDir(), "not-a-tty")
	os.WriteFile(regular, []byte("x"), 0o600)
	missing := filepath.Join(t.TempDir(), "idscan")

	_, err := serialport.Open(serialport.Config{Path: missing, Baud: 9600})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want fs.ErrNotExist", err)
	}
	_, err = serialport.Open(serialport.Config{Path: regular, Baud: 9600})
	if err == nil {
		t.Errorf("Open(regular file) = nil error, want one")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  serialport.Config
		ok   bool
	}{
		{"minimal", serialport.Config{Path: "/dev/guichet/idscan", Baud: 9600}, true},
		{"full", serialport.Config{Path: "/dev/guichet/qrscan", Baud: 115200, Parity: "even", StopBits: 2, ReadTimeout: time.Second}, true},
		{"no path", serialport.Config{Baud: 9600}, false},
		{"odd baud", serialport.Config{Path: "/dev/x", Baud: 9601}, false},
		{"zero baud", serialport.Config{Path: "/dev/x"}, false},
		{"mark parity", serialport.Config{Path: "/dev/x", Baud: 9600, Parity: "mark"}, false},
		{"three stop bits", serialport.Config{Path: "/dev/x", Baud: 9600, StopBits: 3}, false},
		{"negative timeout", serialport.Config{Path: "/dev/x", Baud: 9600, ReadTimeout: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Errorf("Validate(%+v) = %v, want ok %v", tc.cfg, err, tc.ok)
			}
		})
	}
}

func TestConfigJSON(t *testing.T) {
	in := `{"path":"/dev/serial/by-id/usb-Access_IS_ATOM-if00","baud":9600,"parity":"even","stop_bits":2,"read_timeout":"150ms"}`
	var cfg serialport.Config
	if err := json.Unmarshal([]byte(in), &cfg); err != nil {
		t.Fatalf("Unmarshal = %v", err)
	}
	want := serialport.Config{Path: "/dev/serial/by-id/usb-Access_IS_ATOM-if00", Baud: 9600, Parity: serialport.ParityEven, StopBits: 2, ReadTimeout: 150 * time.Millisecond}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("Unmarshal mismatch (-want +got):\n%s", diff)
	}
	out, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != in {
		t.Errorf("Marshal = %s, want %s", out, in)
	}
	for _, bad := range []string{
		`{"path":"/dev/x","baud":9600,"read_timeout":"soon"}`,
		`{"path":"/dev/x","baud":9601}`,
		`{"path":"","baud":9600}`,
		`[1]`,
	} {
		if err := json.Unmarshal([]byte(bad), &cfg); err == nil {
			t.Errorf("Unmarshal(%s) = nil error, want one", bad)
		}
	}
}

func TestWireTime(t *testing.T) {
	for _, tc := range []struct {
		cfg   serialport.Config
		bytes int
		want  time.Duration
	}{
		// A TD1 MRZ: 90 characters and 3 CRs at 9600 8N1.
		{serialport.Config{Baud: 9600}, 93, 96875 * time.Microsecond},
		{serialport.Config{Baud: 9600, Parity: serialport.ParityEven}, 96, 110 * time.Millisecond},
		{serialport.Config{Baud: 115200, StopBits: 2}, 0, 0},
		{serialport.Config{Baud: 1200, StopBits: 2, Parity: serialport.ParityOdd}, 10, 100 * time.Millisecond},
	} {
		if got := tc.cfg.WireTime(tc.bytes); got != tc.want {
			t.Errorf("%+v.WireTime(%d) = %v, want %v", tc.cfg, tc.bytes, got, tc.want)
		}
	}
}
