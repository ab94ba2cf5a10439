package qrscansim

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"guichet/drivers/qrscan"
	"guichet/drivers/serialport/serialtest"
)

// Options configure the emulated scanner. Zero values take the defaults.
type Options struct {
	// Name is the stable path's file name in the directory (default
	// "qrscan").
	Name string
	// Prefix and Suffix frame every code, as the scanner is set up
	// (Suffix defaults to CR).
	Prefix string
	Suffix qrscan.Suffix
	// Trigger is the serial trigger command set the scanner obeys (default
	// none: it reads on its own). TriggerStart, TriggerStop and
	// TriggerOneShot define qrscan.TriggerCustom.
	Trigger                   qrscan.TriggerProfile
	TriggerStart, TriggerStop string
	TriggerOneShot            bool
	// ReadTimeout ends a triggered scan that read nothing, as the
	// scanner's own read time-out does; 0 never ends it.
	ReadTimeout time.Duration
	// Seed makes Noise reproducible.
	Seed uint64
}

// MaxInView is how many presented codes wait for the scanner to read them.
const MaxInView = 16

// Sim is an emulated serial QR/barcode scanner on a pseudo-terminal. Its
// methods are safe for concurrent use.
type Sim struct {
	opts    Options
	trigger qrscan.Trigger
	suffix  []byte
	link    string

	mu       sync.Mutex
	pty      *serialtest.PTY // nil while unplugged
	far      *os.File        // pollable duplicate of pty.Far: Close ends a Read
	closed   bool
	scanning bool     // triggered (always true without a trigger while plugged)
	inView   []string // codes presented and not yet read
	last     string   // the last code presented, for HalfLine
	timeout  *time.Timer
	rng      *rand.Rand
	starts   int
	stops    int
	changed  chan struct{} // closed and replaced at every state change
	done     sync.WaitGroup
}

// New plugs an emulated scanner in: a pseudo-terminal whose near side is
// reachable at the stable path dir/Name, a symbolic link the Sim owns.
func New(dir string, opts Options) (*Sim, error) {
	if opts.Name == "" {
		opts.Name = "qrscan"
	}
	if opts.Suffix == "" {
		opts.Suffix = qrscan.SuffixCR
	}
	suffix, err := opts.Suffix.Bytes()
	if err != nil {
		return nil, fmt.Errorf("qrscansim: %w", err)
	}
	t, err := qrscan.TriggerFor(opts.Trigger, opts.TriggerStart, opts.TriggerStop, opts.TriggerOneShot)
	if err != nil {
		return nil, fmt.Errorf("qrscansim: %w", err)
	}
	s := &Sim{
		opts:    opts,
		trigger: t,
		suffix:  suffix,
		link:    filepath.Join(dir, opts.Name),
		rng:     rand.New(rand.NewPCG(opts.Seed, 0x51)),
		changed: make(chan struct{}),
	}
	if err := s.Replug(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the stable path to open the scanner by; it survives Unplug and
// Replug, though it leads nowhere while unplugged.
func (s *Sim) Path() string { return s.link }

// Scan presents a code to the scanner. It is sent at once when the scanner
// is reading (always without a trigger; between a start command and a
// read, a stop command or the read time-out with one); otherwise it waits
// in view, up to MaxInView codes, until the host triggers a scan. A
// one-shot trigger reads one code per start command.
func (s *Sim) Scan(payload string) error {
	if strings.Contains(payload, string(s.suffix)) {
		return fmt.Errorf("qrscansim: the code %q holds the suffix", payload)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("qrscansim: closed")
	}
	if len(s.inView) == MaxInView {
		return fmt.Errorf("qrscansim: %d codes already wait in view", MaxInView)
	}
	s.inView = append(s.inView, payload)
	s.last = payload
	return s.readLocked()
}

// Withdraw takes away the codes waiting in view; it returns how many.
func (s *Sim) Withdraw() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.inView)
	s.inView = nil
	return n
}

// InView returns how many codes wait for a trigger.
func (s *Sim) InView() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.inView)
}

// Noise sends n random bytes of every value, as a noisy line or a
// scanner powering up does, whatever the trigger state. It returns the
// bytes sent.
func (s *Sim) Noise(n int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	return b, s.writeLocked(b)
}

// HalfLine sends the prefix and the first half of the last code presented
// (or of a receipt's QR code) with no suffix: a transmission cut short.
func (s *Sim) HalfLine() error {
	s.mu.Lock()
	code := s.last
	s.mu.Unlock()
	if code == "" {
		code = "https://suivi.justice.gov.ma/t/K7MX4HQ9XR33"
	}
	return s.Raw([]byte(s.opts.Prefix + code[:len(code)/2]))
}

// Raw sends bytes as they are, whatever the trigger state.
func (s *Sim) Raw(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writeLocked(b)
}

// Scanning reports whether the scanner is reading (triggered).
func (s *Sim) Scanning() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scanning
}

// Plugged reports whether the scanner is plugged in.
func (s *Sim) Plugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pty != nil
}

// Commands returns how many start and stop commands the scanner obeyed.
func (s *Sim) Commands() (starts, stops int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts, s.stops
}

// Changed returns a channel closed at the next change of state (a command
// obeyed, a code sent, a plug or unplug); tests wait on it instead of
// sleeping. Take the channel before checking the state, so that a change
// between the two is not missed.
func (s *Sim) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Unplug pulls the scanner out: the pseudo-terminal hangs up (a host
// reading it gets an error) and the stable path disappears. Codes in view
// are kept; a triggered scan ends.
func (s *Sim) Unplug() error {
	s.mu.Lock()
	p := s.pty
	if p == nil {
		s.mu.Unlock()
		return errors.New("qrscansim: already unplugged")
	}
	far := s.far
	s.pty, s.far = nil, nil
	s.setScanningLocked(false)
	s.notifyLocked()
	s.mu.Unlock()
	err := os.Remove(s.link)
	far.Close() // wakes the listener
	s.done.Wait()
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("qrscansim: unplug: %w", err)
	}
	return nil
}

// Replug plugs the scanner back in on a new pseudo-terminal behind the
// same stable path. It comes up idle: with a trigger it waits for a start
// command.
func (s *Sim) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("qrscansim: closed")
	}
	if s.pty != nil {
		return errors.New("qrscansim: already plugged in")
	}
	p, err := serialtest.Open()
	if err != nil {
		return fmt.Errorf("qrscansim: %w", err)
	}
	far, err := pollable(p.Far)
	if err != nil {
		p.Close()
		return fmt.Errorf("qrscansim: %w", err)
	}
	if err := serialtest.Link(s.link, p.Path); err != nil {
		far.Close()
		p.Close()
		return fmt.Errorf("qrscansim: %w", err)
	}
	s.pty, s.far = p, far
	s.setScanningLocked(s.trigger.Start == nil)
	s.notifyLocked()
	s.done.Add(1)
	go s.listen(p, far)
	return s.readLocked()
}

// Close unplugs the scanner for good and removes its stable path.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	plugged := s.pty != nil
	s.mu.Unlock()
	if plugged {
		return s.Unplug()
	}
	return nil
}

// listen obeys the host's commands until the pty goes away.
func (s *Sim) listen(p *serialtest.PTY, far *os.File) {
	defer s.done.Done()
	r := qrscan.NewCommandReader(s.trigger)
	var buf [64]byte
	for {
		n, err := far.Read(buf[:])
		if n > 0 {
			s.mu.Lock()
			if s.pty == p {
				r.Feed(buf[:n], s.obeyLocked)
			}
			s.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

func (s *Sim) obeyLocked(c qrscan.Command) {
	switch c {
	case qrscan.CommandStart:
		s.starts++
		s.setScanningLocked(true)
		if err := s.readLocked(); err != nil {
			return
		}
	case qrscan.CommandStop:
		s.stops++
		s.setScanningLocked(false)
	}
	s.notifyLocked()
}

// setScanningLocked changes the trigger state and the read time-out.
func (s *Sim) setScanningLocked(on bool) {
	s.scanning = on
	if s.timeout != nil {
		s.timeout.Stop()
		s.timeout = nil
	}
	if on && s.trigger.Start != nil && s.opts.ReadTimeout > 0 {
		p := s.pty
		s.timeout = time.AfterFunc(s.opts.ReadTimeout, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.pty == p && s.scanning {
				s.scanning = false
				s.notifyLocked()
			}
		})
	}
}

// readLocked sends the codes in view the scanner can read now.
func (s *Sim) readLocked() error {
	for s.pty != nil && s.scanning && len(s.inView) > 0 {
		code := s.inView[0]
		s.inView = s.inView[1:]
		if err := s.writeLocked([]byte(s.opts.Prefix + code + string(s.suffix))); err != nil {
			return err
		}
		if s.trigger.OneShot {
			s.setScanningLocked(false)
		}
	}
	s.notifyLocked()
	return nil
}

func (s *Sim) writeLocked(b []byte) error {
	if s.pty == nil {
		return errors.New("qrscansim: unplugged")
	}
	if _, err := s.far.Write(b); err != nil {
		return fmt.Errorf("qrscansim: write: %w", err)
	}
	return nil
}

func (s *Sim) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Exec runs one command line, for guichet-devsim:
//
//	scan <code>      present a code (the rest of the line, spaces included)
//	noise <n>        send n random bytes
//	half             send half a code, no suffix
//	raw <hex>        send bytes given in hexadecimal ("16540d")
//	withdraw         take away the codes waiting in view
//	unplug, replug   pull the scanner out, plug it back in
//	status           report plugged, scanning and codes in view
//
// It returns what to print.
func (s *Sim) Exec(line string) (string, error) {
	cmd, arg, _ := strings.Cut(strings.TrimLeft(line, " \t"), " ")
	switch cmd {
	case "scan":
		if arg == "" {
			return "", errors.New("qrscansim: scan what? scan <code>")
		}
		return "", s.Scan(arg)
	case "noise":
		n, err := strconv.Atoi(strings.TrimSpace(arg))
		if err != nil || n < 0 || n > 1<<16 {
			return "", fmt.Errorf("qrscansim: noise %q: want a byte count up to 65536", arg)
		}
		_, err = s.Noise(n)
		return "", err
	case "half":
		return "", s.HalfLine()
	case "raw":
		b, err := hex.DecodeString(strings.TrimSpace(arg))
		if err != nil {
			return "", fmt.Errorf("qrscansim: raw %q: %w", arg, err)
		}
		return "", s.Raw(b)
	case "withdraw":
		return fmt.Sprintf("%d codes withdrawn", s.Withdraw()), nil
	case "unplug":
		return "", s.Unplug()
	case "replug":
		return "", s.Replug()
	case "status":
		s.mu.Lock()
		defer s.mu.Unlock()
		return fmt.Sprintf("plugged=%v scanning=%v in_view=%d starts=%d stops=%d path=%s",
			s.pty != nil, s.scanning, len(s.inView), s.starts, s.stops, s.link), nil
	}
	return "", fmt.Errorf("qrscansim: unknown command %q (scan, noise, half, raw, withdraw, unplug, replug, status)", cmd)
}

// pollable returns a non-blocking duplicate of the pty master, which the
// runtime's poller serves: closing it ends a Read in progress at once. (The
// master creack/pty returns is in blocking mode, and closing a blocking file
// waits for the Read on it, so the pty would not hang up on Unplug.)
func pollable(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var dupErr error
	if err := rc.Control(func(orig uintptr) { fd, dupErr = syscall.Dup(int(orig)) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, fmt.Errorf("dup pty master: %w", dupErr)
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, fmt.Errorf("pty master non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}
