package idscan

// This file is the reader's wire protocol, pure: bytes and their arrival
// times in, MRZ candidates out. No I/O, no clock of its own.

import (
	"fmt"
	"time"
)

// The framing bytes of readers that wrap their output.
const (
	STX = 0x02 // start of text: opens a frame
	ETX = 0x03 // end of text: closes it
)

// The terminators a reader can be set to end its lines with.
const (
	TermAny  = "" // not said; the emulator sends CR
	TermCR   = "\r"
	TermLF   = "\n"
	TermCRLF = "\r\n"
)

// Framing says how a reader delimits the MRZ on the wire.
type Framing struct {
	// Terminator is what the reader ends each line with: TermAny (""),
	// TermCR, TermLF or TermCRLF. The Assembler ends a line at any CR or
	// LF whatever this says (neither can occur inside an MRZ, so a reader
	// set differently from the kiosk still reads); it is what the emulator
	// sends and what WireLen counts.
	Terminator string `json:"terminator,omitempty"`
	// STXETX: each MRZ comes as STX, its lines, ETX; bytes outside a frame
	// are noise. The terminator after the last line is optional.
	STXETX bool `json:"stx_etx,omitempty"`
}

// Validate reports a terminator Assembler cannot work with.
func (f Framing) Validate() error {
	switch f.Terminator {
	case TermAny, TermCR, TermLF, TermCRLF:
		return nil
	}
	return fmt.Errorf("idscan: framing: terminator %q is not \"\", \"\\r\", \"\\n\" or \"\\r\\n\"", f.Terminator)
}

// Line widths of the ICAO 9303 layouts and the lines each has.
const (
	widthTD1 = 30 // 3 lines
	widthTD2 = 36 // 2 lines; also MRV-B
	widthTD3 = 44 // 2 lines; also MRV-A
	maxWidth = widthTD3
	// partialMin is the shortest run of MRZ-like text taken for a cut-off
	// read rather than noise.
	partialMin = 10
)

// MaxBuffered is the most bytes an Assembler ever holds, whatever it is fed:
// the lines of one MRZ and one line in progress.
const MaxBuffered = 4 * maxWidth

// linesFor says how many lines an MRZ of lines width w has; 0 for no MRZ.
func linesFor(w int) int {
	switch w {
	case widthTD1:
		return 3
	case widthTD2, widthTD3:
		return 2
	}
	return 0
}

// isMRZChar reports whether c belongs to the MRZ alphabet: A–Z, 0–9 and <.
func isMRZChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '<'
}

// Candidate is what an Assembler makes of one read.
type Candidate struct {
	// Lines are a complete MRZ as far as shape goes: 3 lines of 30
	// characters or 2 of 36 or 44, all of the same width, each of A–Z, 0–9
	// and < only. Check digits are Parse's business. Nil when Partial.
	Lines []string
	// Partial marks a read that began like an MRZ and did not finish as
	// one: a line cut short or too long, a character outside the alphabet,
	// lines missing, a gap in the middle. The reader saw a card but could
	// not read it whole, which a citizen fixes by placing it flat.
	Partial bool
	// At is when the read's last byte arrived.
	At time.Time
}

// Stats counts what an Assembler saw, for the technician screen.
type Stats struct {
	Candidates int // complete MRZs
	Partials   int // reads cut short
	NoiseBytes int // bytes discarded as noise (power-up garbage, banners)
}

// Assembler turns a reader's byte stream into MRZ candidates. Feed it bytes
// as they arrive, with their arrival time, and call Expire when nothing has
// arrived for a while. It holds at most MaxBuffered bytes. It is not safe
// for concurrent use.
//
// A line is MRZ-shaped when it has 30, 36 or 44 characters, all from A–Z,
// 0–9 and <. Lines of one width are collected until there are as many as
// the layout has (3 of 30, 2 of 36 or 44); then they are a Candidate. A
// line that is not MRZ-shaped but looks like part of one (at least 10
// printable characters, four in five from the MRZ alphabet), or a gap
// longer than the inter-character timeout in the middle of a read, makes
// the read Partial. Anything else — power-up garbage, control bytes, a
// firmware banner — is noise, dropped silently; when noise breaks into
// collected lines, the read is Partial. One attempt (a burst of bytes with
// no gap longer than the inter-character timeout, or one STX frame) gives
// at most one Partial, so the citizen sees one message per try.
type Assembler struct {
	framing Framing
	gap     time.Duration

	// The line in progress. line holds at most maxWidth bytes; n counts
	// all of them, mrz those in the MRZ alphabet, and bad is set when one
	// was not printable ASCII.
	line   []byte
	n, mrz int
	bad    bool

	lines   []string // MRZ-shaped lines of the read in progress
	broken  bool     // STX/ETX: the frame holds something else than MRZ lines
	like    bool     // STX/ETX: the frame holds MRZ-like text
	inFrame bool

	last     time.Time // arrival of the last byte
	pending  bool      // bytes of an unfinished read are held
	reported bool      // this attempt already gave a Partial
	out      []Candidate
	stats    Stats
}

// NewAssembler returns an Assembler for framing f (see Framing.Validate; an
// unknown terminator is taken as TermAny) that discards a read in progress
// when no byte arrives for interChar; zero or less never does.
func NewAssembler(f Framing, interChar time.Duration) *Assembler {
	if f.Validate() != nil {
		f.Terminator = TermAny
	}
	return &Assembler{framing: f, gap: interChar, line: make([]byte, 0, maxWidth)}
}

// Stats returns the counts so far.
func (a *Assembler) Stats() Stats { return a.stats }

// Buffered returns how many bytes the Assembler holds (at most MaxBuffered).
func (a *Assembler) Buffered() int {
	n := len(a.line)
	for _, l := range a.lines {
		n += len(l)
	}
	return n
}

// Deadline returns when the read in progress will be discarded if no byte
// arrives, and false when none is in progress or there is no timeout.
func (a *Assembler) Deadline() (time.Time, bool) {
	if !a.pending || a.gap <= 0 {
		return time.Time{}, false
	}
	return a.last.Add(a.gap), true
}

// Feed takes bytes that arrived at time at and returns the candidates they
// complete, in order (nil when none). A gap since the previous bytes longer
// than the inter-character timeout first ends the read in progress.
func (a *Assembler) Feed(p []byte, at time.Time) []Candidate {
	a.out = nil
	if len(p) == 0 {
		return nil
	}
	a.expire(at)
	a.last = at
	for _, c := range p {
		a.feedByte(c)
	}
	return a.out
}

// Expire ends the read in progress if no byte has arrived for longer than
// the inter-character timeout before now, and returns the Partial candidate
// that makes, if any.
func (a *Assembler) Expire(now time.Time) []Candidate {
	a.out = nil
	a.expire(now)
	return a.out
}

func (a *Assembler) expire(now time.Time) {
	if a.gap > 0 && now.Sub(a.last) > a.gap {
		if a.pending {
			a.abandon()
		}
		a.reported = false // what comes next is another attempt
	}
}

func (a *Assembler) feedByte(c byte) {
	if a.framing.STXETX {
		switch {
		case c == STX:
			a.abandon() // a new frame ends any other
			a.inFrame, a.pending, a.reported = true, true, false
			return
		case !a.inFrame:
			a.stats.NoiseBytes++
			return
		case c == ETX:
			a.endFrame()
			return
		}
	}
	a.pending = true
	if c == '\r' || c == '\n' {
		a.endLine()
		return
	}
	a.addByte(c)
}

func (a *Assembler) addByte(c byte) {
	a.n++
	if isMRZChar(c) {
		a.mrz++
	} else if c < 0x20 || c > 0x7e {
		a.bad = true
	}
	if len(a.line) < maxWidth {
		a.line = append(a.line, c)
	}
}

// lineKind classifies the line in progress.
type lineKind int

const (
	kindEmpty lineKind = iota
	kindNoise
	kindLike   // looks like part of an MRZ, but is not an MRZ line
	kindShaped // an MRZ line
)

func (a *Assembler) kind() lineKind {
	switch {
	case a.n == 0:
		return kindEmpty
	case a.mrz == a.n && linesFor(a.n) > 0:
		return kindShaped
	case !a.bad && a.n >= partialMin && a.n <= maxWidth+partialMin && 5*a.mrz >= 4*a.n:
		return kindLike
	}
	return kindNoise
}

func (a *Assembler) resetLine() {
	a.line, a.n, a.mrz, a.bad = a.line[:0], 0, 0, false
}

// endLine handles a complete line.
func (a *Assembler) endLine() {
	k := a.kind()
	var text string
	if k == kindShaped {
		text = string(a.line)
	}
	n := a.n
	a.resetLine()

	if a.framing.STXETX {
		switch k {
		case kindShaped:
			if len(a.lines) < 3 {
				a.lines = append(a.lines, text)
			} else {
				a.broken = true
			}
		case kindLike:
			a.broken, a.like = true, true
		case kindNoise:
			a.broken = true
			a.stats.NoiseBytes += n
		}
		return
	}

	switch k {
	case kindShaped:
		if len(a.lines) > 0 && len(a.lines[0]) != len(text) {
			a.partial() // lines of another layout: the earlier read was cut
		}
		a.lines = append(a.lines, text)
		if len(a.lines) == linesFor(len(text)) {
			a.emit(Candidate{Lines: a.lines, At: a.last})
			a.lines = nil
		}
	case kindLike:
		a.partial()
	case kindNoise:
		if len(a.lines) > 0 {
			a.partial()
		} else {
			a.stats.NoiseBytes += n
		}
	}
	// Without frames a read is in progress only while lines are collected.
	a.pending = len(a.lines) > 0
}

// endFrame handles an ETX.
func (a *Assembler) endFrame() {
	if a.n > 0 { // the last line's terminator is optional
		a.endLine()
	}
	lines := a.lines
	switch {
	case !a.broken && len(lines) > 0 && len(lines) == linesFor(len(lines[0])) && sameWidth(lines):
		a.emit(Candidate{Lines: lines, At: a.last})
	case a.like || len(lines) > 0:
		a.partial()
	}
	a.resetLine()
	a.lines, a.broken, a.like, a.inFrame, a.pending = nil, false, false, false, false
}

func sameWidth(lines []string) bool {
	for _, l := range lines {
		if len(l) != len(lines[0]) {
			return false
		}
	}
	return true
}

// abandon ends the read in progress without its end: at a gap, or at an
// STX that starts another frame.
func (a *Assembler) abandon() {
	k := a.kind()
	n := a.n
	a.resetLine()
	switch {
	case len(a.lines) > 0 || k == kindLike || k == kindShaped || a.like:
		a.partial()
	default:
		a.stats.NoiseBytes += n
	}
	a.lines, a.broken, a.like, a.inFrame, a.pending = nil, false, false, false, false
}

// partial reports the read in progress as cut short, once per attempt, and
// forgets it.
func (a *Assembler) partial() {
	a.lines = nil
	if a.reported {
		return
	}
	a.reported = true
	a.stats.Partials++
	a.out = append(a.out, Candidate{Partial: true, At: a.last})
}

func (a *Assembler) emit(c Candidate) {
	a.reported = false
	a.stats.Candidates++
	a.out = append(a.out, c)
}

// WireLen is how many bytes a reader set to f sends for lines: each line
// and its terminator (CR when TermAny), and STX and ETX if framed.
func (f Framing) WireLen(lines []string) int {
	term := len(f.Terminator)
	if term == 0 {
		term = 1
	}
	n := 0
	for _, l := range lines {
		n += len(l) + term
	}
	if f.STXETX {
		n += 2
	}
	return n
}
