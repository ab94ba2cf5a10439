package idscansim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"guichet/drivers/idscan"
	"guichet/drivers/mrz"
	"guichet/drivers/serialport/serialtest"
)

// ErrUnplugged is returned by the sending methods while the reader is
// unplugged, or when Unplug cuts a sending short.
var ErrUnplugged = errors.New("idscansim: reader unplugged")

// Options configure a Sim; the zero value is a reader sending at full pty
// speed with CR after each line and no STX/ETX.
type Options struct {
	// Name is the stable symlink's file name in the directory; "idscan"
	// when empty.
	Name string
	// Baud, when set, paces the bytes as a line at that rate would carry
	// them (10 bits a byte: 8N1); zero sends them at once.
	Baud int
	// Framing is what the reader sends: its Terminator (CR when TermAny)
	// and whether it wraps each MRZ in STX … ETX.
	Framing idscan.Framing
	// Seed makes Noise reproducible; zero is seed 1.
	Seed uint64
}

// Sim is one emulated reader. Its methods are safe for concurrent use;
// sendings are serialised, and Unplug cuts one short.
type Sim struct {
	link string
	opts Options
	term []byte

	mu     sync.Mutex
	pty    *serialtest.PTY // nil while unplugged
	closed bool
	last   []string // the last card's lines, for HalfLine

	send sync.Mutex // one sending at a time
	rng  *rand.Rand
}

// New starts a reader whose stable symlink is placed in dir.
func New(dir string, opts Options) (*Sim, error) {
	if err := opts.Framing.Validate(); err != nil {
		return nil, fmt.Errorf("idscansim: %w", err)
	}
	if opts.Name == "" {
		opts.Name = "idscan"
	}
	if opts.Baud < 0 {
		return nil, fmt.Errorf("idscansim: negative baud %d", opts.Baud)
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	term := opts.Framing.Terminator
	if term == idscan.TermAny {
		term = idscan.TermCR
	}
	s := &Sim{
		link: filepath.Join(dir, opts.Name),
		opts: opts,
		term: []byte(term),
		rng:  rand.New(rand.NewPCG(opts.Seed, 0x1d5ca4)),
	}
	if err := s.plug(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the stable path the driver opens (dir/Name).
func (s *Sim) Path() string { return s.link }

// DevicePath is the pty the stable path leads to now (/dev/pts/N), or ""
// while unplugged.
func (s *Sim) DevicePath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pty == nil {
		return ""
	}
	return s.pty.Path
}

// Plugged reports whether the reader is plugged in.
func (s *Sim) Plugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pty != nil
}

func (s *Sim) plug() error {
	pty, err := serialtest.Open()
	if err != nil {
		return fmt.Errorf("idscansim: %w", err)
	}
	if err := serialtest.Link(s.link, pty.Path); err != nil {
		pty.Close()
		return fmt.Errorf("idscansim: %w", err)
	}
	s.pty = pty
	go drain(pty.Far) // the reader ignores what the host sends
	return nil
}

// drain reads and drops the host's bytes until the pty closes.
func drain(f *os.File) { io.Copy(io.Discard, f) }

// Unplug pulls the reader's cable: the pty closes, so the driver's reads
// end, and the stable symlink disappears. A sending in progress stops with
// ErrUnplugged. Unplugging an unplugged reader does nothing.
func (s *Sim) Unplug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pty == nil {
		return nil
	}
	err := s.pty.Close()
	if rmErr := os.Remove(s.link); err == nil && !errors.Is(rmErr, os.ErrNotExist) {
		err = rmErr
	}
	s.pty = nil
	if err != nil {
		return fmt.Errorf("idscansim: unplug: %w", err)
	}
	return nil
}

// Replug plugs the reader back in: a new pty behind the same stable path.
// Replugging a plugged reader does nothing.
func (s *Sim) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("idscansim: replug: closed")
	}
	if s.pty != nil {
		return nil
	}
	return s.plug()
}

// Close unplugs the reader for good.
func (s *Sim) Close() error {
	err := s.Unplug()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return err
}

// Encode returns the bytes the reader sends for an MRZ's lines.
func (s *Sim) Encode(lines []string) []byte {
	var b bytes.Buffer
	if s.opts.Framing.STXETX {
		b.WriteByte(idscan.STX)
	}
	for _, l := range lines {
		b.WriteString(l)
		b.Write(s.term)
	}
	if s.opts.Framing.STXETX {
		b.WriteByte(idscan.ETX)
	}
	return b.Bytes()
}

// Insert lays a card on the reader: it sends the card's MRZ lines as the
// reader would, returning when the last byte is out.
func (s *Sim) Insert(ctx context.Context, lines []string) error {
	s.mu.Lock()
	s.last = append([]string(nil), lines...)
	s.mu.Unlock()
	return s.Send(ctx, s.Encode(lines))
}

// InsertDocument lays a card made from doc (see mrz.Format) on the reader.
func (s *Sim) InsertDocument(ctx context.Context, doc mrz.Document) error {
	lines, err := mrz.Format(doc)
	if err != nil {
		return fmt.Errorf("idscansim: %w", err)
	}
	return s.Insert(ctx, lines)
}

// HalfLine sends what a card pulled away mid-read leaves: the first half of
// the first line of the last card inserted (of the first sample card if
// none), after the STX when framed, and then nothing.
func (s *Sim) HalfLine(ctx context.Context) error {
	s.mu.Lock()
	lines := s.last
	s.mu.Unlock()
	if len(lines) == 0 {
		lines = SampleCards(time.Now())[0].Lines
	}
	var b []byte
	if s.opts.Framing.STXETX {
		b = append(b, idscan.STX)
	}
	b = append(b, lines[0][:len(lines[0])/2]...)
	return s.Send(ctx, b)
}

// Noise sends n random bytes of any value, like a reader's power-up
// garbage. A real reader falls silent afterwards; the driver discards the
// noise when its inter-character timeout passes or a line ends.
func (s *Sim) Noise(ctx context.Context, n int) error {
	b := make([]byte, n)
	s.mu.Lock()
	for i := range b {
		b[i] = byte(s.rng.UintN(256))
	}
	s.mu.Unlock()
	return s.Send(ctx, b)
}

// Send sends raw bytes as the reader would, paced at the baud rate.
func (s *Sim) Send(ctx context.Context, b []byte) error {
	s.send.Lock()
	defer s.send.Unlock()
	s.mu.Lock()
	pty := s.pty
	s.mu.Unlock()
	if pty == nil {
		return ErrUnplugged
	}
	// A cancelled ctx ends a write blocked on a full pty; the deadline is
	// cleared again for the next sending.
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		pty.Far.SetWriteDeadline(time.Now())
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
			pty.Far.SetWriteDeadline(time.Time{})
		}
	}()

	if s.opts.Baud == 0 {
		_, err := pty.Far.Write(b)
		return s.sendErr(ctx, err)
	}
	perByte := 10 * time.Second / time.Duration(s.opts.Baud)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for sent := 0; sent < len(b); {
		// Byte i is fully on the wire (i+1) byte times after the start.
		due := min(int(time.Since(start)/perByte), len(b))
		if due > sent {
			n, err := pty.Far.Write(b[sent:due])
			sent += n
			if err != nil {
				return s.sendErr(ctx, err)
			}
			continue
		}
		timer.Reset(time.Until(start.Add(time.Duration(sent+1) * perByte)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
	return nil
}

func (s *Sim) sendErr(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, os.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded) && !s.Plugged():
		return ErrUnplugged
	}
	return fmt.Errorf("idscansim: %w", err)
}

// Card is a sample card: its name for devsim's commands, what it tests,
// and its MRZ lines.
type Card struct {
	Name  string
	About string
	Lines []string
}

// SampleCards returns cards for trying the kiosk, with dates around now:
//
//	cnie            a valid Moroccan CNIE (TD1), CIN BE123456 in line 1's optional data
//	cnie-expired    the same holder's card, expired two years ago
//	cnie-bad-check  the valid card with its document number check digit wrong
//	passport        a valid Moroccan passport (TD3)
//	visa            a valid visa (MRV-A): readable, but not an identity document
func SampleCards(now time.Time) []Card {
	y, m, d := now.Date()
	if d > 28 {
		d = 28 // the same day exists in every month and year
	}
	in := func(years int) mrz.Date { return mrz.Date{Year: y + years, Month: int(m), Day: d} }
	cnie := mrz.Document{
		Format: mrz.TD1, DocumentCode: "I", IssuingState: "MAR",
		DocumentNumber: "ZT0418273", OptionalData1: "BE123456",
		BirthDate:  mrz.Date{Year: 1988, Month: 3, Day: 4},
		ExpiryDate: in(7), Sex: "F", Nationality: "MAR",
		Surname: "EL ALAOUI", GivenNames: []string{"FATIMA", "ZAHRA"},
	}
	expired := cnie
	expired.DocumentNumber = "ZT0211904"
	expired.ExpiryDate = in(-2)
	passport := mrz.Document{
		Format: mrz.TD3, DocumentCode: "P", IssuingState: "MAR",
		DocumentNumber: "TM4127785", OptionalData1: "",
		BirthDate:  mrz.Date{Year: 1979, Month: 11, Day: 23},
		ExpiryDate: in(3), Sex: "M", Nationality: "MAR",
		Surname: "BENNANI", GivenNames: []string{"YOUSSEF"},
	}
	visa := mrz.Document{
		Format: mrz.MRVA, DocumentCode: "V", IssuingState: "UTO",
		DocumentNumber: "L8988901C", BirthDate: mrz.Date{Year: 1974, Month: 8, Day: 12},
		ExpiryDate: in(1), Sex: "F", Nationality: "UTO",
		Surname: "ERIKSSON", GivenNames: []string{"ANNA", "MARIA"},
	}
	cards := []Card{
		{Name: "cnie", About: "valid Moroccan CNIE (TD1)", Lines: mustFormat(cnie)},
		{Name: "cnie-expired", About: "Moroccan CNIE that expired two years ago", Lines: mustFormat(expired)},
		{Name: "cnie-bad-check", About: "Moroccan CNIE whose document number check digit is wrong", Lines: mustFormat(cnie)},
		{Name: "passport", About: "valid Moroccan passport (TD3)", Lines: mustFormat(passport)},
		{Name: "visa", About: "valid visa (MRV-A), not an identity document", Lines: mustFormat(visa)},
	}
	// Break the check digit after the document number (line 1, position 15).
	bad := []byte(cards[2].Lines[0])
	bad[14] = '0' + (bad[14]-'0'+1)%10
	cards[2].Lines[0] = string(bad)
	return cards
}

// Sample returns the sample card called name, and false if there is none.
func Sample(name string, now time.Time) (Card, bool) {
	for _, c := range SampleCards(now) {
		if c.Name == name {
			return c, true
		}
	}
	return Card{}, false
}

func mustFormat(doc mrz.Document) []string {
	lines, err := mrz.Format(doc)
	if err != nil {
		panic("idscansim: sample card: " + err.Error())
	}
	return lines
}
