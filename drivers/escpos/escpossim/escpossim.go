package escpossim

import (
	"errors"
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"guichet/drivers/escpos"
	"guichet/drivers/escpos/escposdecode"
	"guichet/drivers/serialport/serialtest"
)

// Options configure the emulated printer. Zero values take the defaults.
type Options struct {
	// Name is the stable path's file name in the directory (default
	// "receipt").
	Name string
	// Width is the printable width in dots (default 576, an 80 mm roll).
	Width int
	// Paper is the length of the loaded roll in dot rows; 0 never ends.
	Paper int
	// NearEnd is how many rows before the roll's end the near-end sensor
	// trips (default 800, 10 cm).
	NearEnd int
}

// Receipt is one piece of paper that came out.
type Receipt struct {
	Image   *image.Gray
	Lines   []string // native text lines, decoded
	QRCodes []string // payloads of native QR codes
	// Partial marks a piece that ends where the paper ran out, not at a
	// cut.
	Partial bool
}

// Sim is an emulated receipt printer on a pseudo-terminal. Its methods
// are safe for concurrent use.
type Sim struct {
	opts Options
	link string

	mu        sync.Mutex
	pty       *serialtest.PTY // nil while unplugged
	closed    bool
	silent    bool
	parser    escposdecode.Parser
	paper     *escposdecode.Paper
	err       error                  // the first command the printer refused
	pending   []escposdecode.Command // received while stopped, printed when it restarts
	rt        []byte                 // the tail of a real-time command split across reads
	paperOut  bool
	coverOpen bool
	budget    int // rows of the roll; 0: endless
	rollStart int // sheet row where the roll began
	lastCut   int // sheet row of the last cut (or the roll's start)
	lastLine  int // index in paper.Lines at lastCut
	lastQR    int
	receipts  []Receipt
	queries   int
	received  int
	changed   chan struct{}
	done      sync.WaitGroup
}

// New plugs an emulated printer in, with its roll loaded: a pseudo-terminal
// whose near side is reachable at the stable path dir/Name.
func New(dir string, opts Options) (*Sim, error) {
	if opts.Name == "" {
		opts.Name = "receipt"
	}
	if opts.Width == 0 {
		opts.Width = 576
	}
	if opts.NearEnd == 0 {
		opts.NearEnd = 800
	}
	s := &Sim{
		opts:    opts,
		link:    filepath.Join(dir, opts.Name),
		paper:   escposdecode.NewPaper(opts.Width),
		budget:  opts.Paper,
		changed: make(chan struct{}),
	}
	if err := s.Replug(); err != nil {
		return nil, err
	}
	return s, nil
}

// Path is the stable path to open the printer by.
func (s *Sim) Path() string { return s.link }

// Status returns what the printer would answer to DLE EOT 1–4 now.
func (s *Sim) Status() escpos.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

func (s *Sim) statusLocked() escpos.Status {
	left := -1
	if s.budget > 0 {
		left = s.budget - (s.paper.Rows() - s.rollStart)
	}
	return escpos.Status{
		Offline:      s.paperOut || s.coverOpen,
		CoverOpen:    s.coverOpen,
		PaperEndStop: s.paperOut,
		PaperEnd:     s.paperOut,
		PaperNearEnd: s.paperOut || (left >= 0 && left < s.opts.NearEnd),
	}
}

// PaperOut ends the roll now, in the middle of a receipt if one is
// printing: what was printed since the last cut comes out as a partial
// piece, and whatever the printer receives waits until LoadPaper.
func (s *Sim) PaperOut() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endRollLocked(s.paper.Rows())
}

// PaperOutAfter ends the roll after rows more dot rows.
func (s *Sim) PaperOutAfter(rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.budget = s.paper.Rows() - s.rollStart + max(rows, 1)
}

// LoadPaper loads a new roll of rows dot rows (0: endless): the printer
// comes back online and prints what it had received and not cleared.
func (s *Sim) LoadPaper(rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paperOut = false
	s.budget = rows
	s.rollStart = s.paper.Rows()
	s.lastCut, s.lastLine, s.lastQR = s.rollStart, len(s.paper.Lines), len(s.paper.QRCodes)
	s.resumeLocked()
	s.notifyLocked()
}

// OpenCover opens the printer's cover: printing stops.
func (s *Sim) OpenCover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coverOpen = true
	s.notifyLocked()
}

// CloseCover closes it: printing resumes.
func (s *Sim) CloseCover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coverOpen = false
	s.resumeLocked()
	s.notifyLocked()
}

// Silence makes the printer stop answering (switched off behind a cable
// that stays plugged in), or answer again.
func (s *Sim) Silence(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = on
}

// Receipts returns the pieces that came out so far.
func (s *Sim) Receipts() []Receipt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Receipt(nil), s.receipts...)
}

// Err returns the first command the printer refused: a protocol error of
// the host.
func (s *Sim) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Counts returns how many status queries (DLE EOT n) the printer received,
// answered or not, and how many bytes in all.
func (s *Sim) Counts() (queries, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries, s.received
}

// Pending returns how many received commands wait for the printer to
// restart.
func (s *Sim) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// Changed returns a channel closed at the next change: a piece of paper
// out, a fault, a command refused, a plug or unplug.
func (s *Sim) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// Unplug pulls the printer's cable: the pseudo-terminal hangs up and the
// stable path disappears. The printer keeps its paper and its modes.
func (s *Sim) Unplug() error {
	s.mu.Lock()
	p := s.pty
	if p == nil {
		s.mu.Unlock()
		return errors.New("escpossim: already unplugged")
	}
	s.pty = nil
	s.notifyLocked()
	s.mu.Unlock()
	err := os.Remove(s.link)
	if cerr := p.Close(); err == nil {
		err = cerr
	}
	s.done.Wait()
	if err != nil {
		return fmt.Errorf("escpossim: unplug: %w", err)
	}
	return nil
}

// Replug plugs the cable back in, on a new pseudo-terminal behind the same
// stable path; a command cut short by the unplugging is forgotten.
func (s *Sim) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("escpossim: closed")
	}
	if s.pty != nil {
		return errors.New("escpossim: already plugged in")
	}
	p, err := serialtest.Open()
	if err != nil {
		return fmt.Errorf("escpossim: %w", err)
	}
	if err := serialtest.Link(s.link, p.Path); err != nil {
		p.Close()
		return fmt.Errorf("escpossim: %w", err)
	}
	s.pty = p
	s.parser.Reset()
	s.rt = nil
	s.notifyLocked()
	s.done.Add(1)
	go s.listen(p)
	return nil
}

// Close unplugs the printer for good.
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

func (s *Sim) listen(p *serialtest.PTY) {
	defer s.done.Done()
	buf := make([]byte, 4096)
	for {
		n, err := p.Far.Read(buf)
		if n > 0 {
			s.mu.Lock()
			if s.pty == p {
				s.feedLocked(buf[:n])
			}
			s.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// feedLocked takes bytes from the host: real-time commands are answered as
// they arrive, wherever they are; the rest is parsed and printed, or kept
// while the printer is stopped.
func (s *Sim) feedLocked(b []byte) {
	s.received += len(b)
	s.realtimeLocked(b)
	if s.err != nil {
		return
	}
	if err := s.parser.Feed(b, s.commandLocked); err != nil && s.err == nil {
		s.err = err
		s.notifyLocked()
	}
}

// realtimeLocked answers DLE EOT n found in the raw stream, as a printer's
// receive interrupt does, even inside another command's data.
func (s *Sim) realtimeLocked(b []byte) {
	s.rt = append(s.rt, b...)
	i := 0
	for ; i+2 < len(s.rt); i++ {
		if s.rt[i] == 0x10 && s.rt[i+1] == 0x04 && s.rt[i+2] >= 1 && s.rt[i+2] <= 4 {
			s.answerLocked(escpos.StatusKind(s.rt[i+2]))
			i += 2
		}
	}
	s.rt = append(s.rt[:0], s.rt[i:]...)
}

func (s *Sim) answerLocked(k escpos.StatusKind) {
	s.queries++
	if s.silent || s.pty == nil {
		return
	}
	s.pty.Far.Write([]byte{s.statusLocked().Encode(k)})
}

func (s *Sim) commandLocked(c escposdecode.Command) {
	switch {
	case c.Op == escposdecode.OpStatus:
		return // answered as it arrived
	case c.Op == escposdecode.OpClearBuffer:
		s.pending = nil
		if !s.silent && s.pty != nil {
			s.pty.Far.Write([]byte{0x37, 0x25, 0x00})
		}
		return
	case s.paperOut || s.coverOpen || len(s.pending) > 0:
		s.pending = append(s.pending, c)
		return
	}
	s.applyLocked(c)
}

func (s *Sim) applyLocked(c escposdecode.Command) {
	if err := s.paper.Apply(c); err != nil {
		if s.err == nil {
			s.err = err
			s.notifyLocked()
		}
		return
	}
	if c.Op == escposdecode.OpCut {
		cut := s.paper.Cuts[len(s.paper.Cuts)-1]
		s.pieceLocked(cut, false)
		s.notifyLocked()
	}
	if s.budget > 0 && s.paper.Rows()-s.rollStart >= s.budget {
		s.endRollLocked(s.rollStart + s.budget)
	}
}

// endRollLocked ends the roll at sheet row end.
func (s *Sim) endRollLocked(end int) {
	if s.paperOut {
		return
	}
	s.paperOut = true
	if end > s.lastCut {
		s.pieceLocked(end, true)
	}
	s.notifyLocked()
}

// pieceLocked records the paper from the last cut to row end as a piece.
func (s *Sim) pieceLocked(end int, partial bool) {
	img := s.paper.Image()
	end = min(end, img.Bounds().Dy())
	piece := image.NewGray(image.Rect(0, 0, img.Bounds().Dx(), max(end-s.lastCut, 1)))
	draw.Draw(piece, piece.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(piece, piece.Bounds(), img, image.Pt(0, s.lastCut), draw.Src)
	r := Receipt{Image: piece, Partial: partial}
	for _, l := range s.paper.Lines[s.lastLine:] {
		if l.Top < end {
			r.Lines = append(r.Lines, l.Text)
		}
	}
	r.QRCodes = append(r.QRCodes, s.paper.QRCodes[s.lastQR:]...)
	s.receipts = append(s.receipts, r)
	s.lastCut, s.lastLine, s.lastQR = end, len(s.paper.Lines), len(s.paper.QRCodes)
}

// resumeLocked prints what waited while the printer was stopped.
func (s *Sim) resumeLocked() {
	for len(s.pending) > 0 && !s.paperOut && !s.coverOpen {
		c := s.pending[0]
		s.pending = s.pending[1:]
		s.applyLocked(c)
	}
}

func (s *Sim) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SaveReceipts writes each piece of paper as dir/receipt-N.png and returns
// the paths.
func (s *Sim) SaveReceipts(dir string) ([]string, error) {
	var paths []string
	for i, r := range s.Receipts() {
		p := filepath.Join(dir, fmt.Sprintf("receipt-%d.png", i+1))
		if err := escposdecode.WritePNG(p, r.Image); err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// Exec runs one command line, for guichet-devsim:
//
//	paper-out             the roll ends now
//	paper-out-after <n>   the roll ends after n more dot rows
//	load-paper [rows]     load a new roll (endless without rows)
//	cover-open, cover-close
//	silent on|off         stop or resume answering status queries
//	unplug, replug        pull the cable, plug it back
//	save <dir>            write the pieces of paper out so far as PNG
//	status                report the status, pieces out and pending commands
func (s *Sim) Exec(line string) (string, error) {
	cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	switch cmd {
	case "paper-out":
		s.PaperOut()
		return "", nil
	case "paper-out-after", "load-paper":
		n := 0
		if arg != "" || cmd == "paper-out-after" {
			var err error
			if n, err = strconv.Atoi(arg); err != nil || n < 0 {
				return "", fmt.Errorf("escpossim: %s %q: want a number of dot rows", cmd, arg)
			}
		}
		if cmd == "load-paper" {
			s.LoadPaper(n)
		} else {
			s.PaperOutAfter(n)
		}
		return "", nil
	case "cover-open":
		s.OpenCover()
		return "", nil
	case "cover-close":
		s.CloseCover()
		return "", nil
	case "silent":
		s.Silence(arg != "off")
		return "", nil
	case "unplug":
		return "", s.Unplug()
	case "replug":
		return "", s.Replug()
	case "save":
		if arg == "" {
			return "", errors.New("escpossim: save where? save <dir>")
		}
		paths, err := s.SaveReceipts(arg)
		return strings.Join(paths, "\n"), err
	case "status":
		s.mu.Lock()
		defer s.mu.Unlock()
		return fmt.Sprintf("plugged=%v status=%q pieces=%d pending=%d queries=%d bytes=%d err=%v path=%s",
			s.pty != nil, s.statusLocked().String(), len(s.receipts), len(s.pending), s.queries, s.received, s.err, s.link), nil
	}
	return "", fmt.Errorf("escpossim: unknown command %q (paper-out, paper-out-after, load-paper, cover-open, cover-close, silent, unplug, replug, save, status)", cmd)
}
