package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The binaries are built once per test run, into a directory TestMain
// removes.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binaries builds the kiosk and guichet-devsim (with cgo: the kiosk links
// Fyne's OpenGL driver) and returns their paths.
func binaries(tb testing.TB) (kiosk, devsim string) {
	tb.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "guichet-bin-"); buildErr != nil {
			return
		}
		for _, b := range [][2]string{{"guichet", "."}, {"guichet-devsim", "../guichet-devsim"}} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, b[0]), b[1])
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "guichet"), filepath.Join(buildDir, "guichet-devsim")
}

// devsim is a running guichet-devsim: the emulated ID-card reader, QR
// reader, payment terminal and receipt printer, scripted on its socket.
type devsim struct {
	dir  string
	sock string
}

func startDevsim(tb testing.TB, bin, dir string) *devsim {
	tb.Helper()
	d := &devsim{dir: dir, sock: filepath.Join(dir, "devsim.sock")}
	cmd := exec.Command(bin, "-dir", dir, "-gpio-sim", filepath.Join(dir, "gpio.sock"))
	logf, err := os.Create(filepath.Join(dir, "devsim.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logf.Close(); close(exited) }()
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		if st, err := os.Stat(d.devicesEnv()); err == nil && st.Size() > 0 && exists(d.sock) {
			return d
		}
		select {
		case <-exited:
			out, _ := os.ReadFile(filepath.Join(dir, "devsim.log"))
			tb.Fatalf("guichet-devsim stopped:\n%s", out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatal("guichet-devsim wrote no devices.env within 20 s")
		}
	}
}

func (d *devsim) devicesEnv() string { return filepath.Join(d.dir, "devices.env") }
func (d *devsim) gpioSock() string   { return filepath.Join(d.dir, "gpio.sock") }

// exec runs one devsim command on its socket, as a technician does with
// socat, and returns the answer.
func (d *devsim) exec(ctx context.Context, line string) (string, error) {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "unix", d.sock)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := fmt.Fprintln(conn, line); err != nil {
		return "", err
	}
	conn.(*net.UnixConn).CloseWrite()
	out, err := io.ReadAll(conn)
	reply := strings.TrimSpace(string(out))
	if err != nil {
		return reply, err
	}
	if msg, ok := strings.CutPrefix(reply, "error: "); ok {
		return "", fmt.Errorf("devsim %q: %s", line, msg)
	}
	return reply, nil
}

// kioskProc is a running kiosk whose log the test follows.
type kioskProc struct {
	cmd    *exec.Cmd
	data   string
	log    *logFollower
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// startKiosk starts the kiosk binary on the X server with the devices of
// d, in development mode, with its store under data.
func startKiosk(tb testing.TB, x *xserver, bin, data string, d *devsim, extra ...string) *kioskProc {
	tb.Helper()
	return startKioskEnv(tb, x, bin, data, d, nil, extra...)
}

// startKioskEnv is startKiosk with more environment variables (what
// systemd and the updater give the kiosk).
func startKioskEnv(tb testing.TB, x *xserver, bin, data string, d *devsim, env []string, extra ...string) *kioskProc {
	tb.Helper()
	args := append([]string{"-data", data, "-dev", "-pack", "ma", "-devices", d.devicesEnv(), "-gpio-sim", d.gpioSock()}, extra...)
	k := &kioskProc{cmd: exec.Command(bin, args...), data: data, log: newLogFollower(), exited: make(chan struct{})}
	k.cmd.Env = append(x.env(), env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	k.cmd.Stdout, k.cmd.Stderr = pw, pw
	if err := k.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	pw.Close()
	go k.log.follow(pr)
	go func() {
		k.err = k.cmd.Wait()
		close(k.exited)
	}()
	tb.Cleanup(func() { k.stop() })
	return k
}

// stop ends the kiosk as systemd would (SIGTERM), killing it after 15 s.
func (k *kioskProc) stop() error {
	select {
	case <-k.exited:
		return k.err
	default:
	}
	k.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-k.exited:
		return k.err
	case <-time.After(15 * time.Second):
		k.cmd.Process.Kill()
		<-k.exited
		return errors.New("the kiosk did not stop within 15 s of SIGTERM")
	}
}

// logFollower keeps the kiosk's log lines and wakes waiters at each one.
type logFollower struct {
	mu    sync.Mutex
	lines []string
	wake  chan struct{}
	ended bool
}

func newLogFollower() *logFollower { return &logFollower{wake: make(chan struct{})} }

func (l *logFollower) follow(r io.ReadCloser) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		close(l.wake)
		l.wake = make(chan struct{})
		l.mu.Unlock()
	}
	l.mu.Lock()
	l.ended = true
	close(l.wake)
	l.wake = make(chan struct{})
	l.mu.Unlock()
}

// mark is the number of lines so far: waitLine(…, mark, …) looks only at
// what comes after it.
func (l *logFollower) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func (l *logFollower) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// waitLine waits for a line after from that match accepts.
func (l *logFollower) waitLine(ctx context.Context, from int, match func(string) bool) (string, error) {
	for {
		l.mu.Lock()
		for i := from; i < len(l.lines); i++ {
			if match(l.lines[i]) {
				line := l.lines[i]
				l.mu.Unlock()
				return line, nil
			}
		}
		from = len(l.lines)
		wake, ended := l.wake, l.ended
		l.mu.Unlock()
		if ended {
			return "", errors.New("the kiosk's log ended (it stopped)")
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

var screenLine = regexp.MustCompile(`msg=screen kind=(\S+) lang=(\S*)`)

// screenOf parses a `screen` log line: the kind and language of the
// screen the kiosk shows.
func screenOf(line string) (kind, lang string, ok bool) {
	m := screenLine.FindStringSubmatch(line)
	if m == nil {
		return "", "", false
	}
	return m[1], strings.Trim(m[2], `"`), true
}

// waitScreen waits for the kiosk to log that it shows a screen of kind in
// lang, after from.
func (l *logFollower) waitScreen(ctx context.Context, from int, kind, lang string) error {
	_, err := l.waitLine(ctx, from, func(s string) bool {
		k, lg, ok := screenOf(s)
		return ok && k == kind && lg == lang
	})
	if err != nil {
		return fmt.Errorf("waiting for the %s screen in %q: %w", kind, lang, err)
	}
	return nil
}
