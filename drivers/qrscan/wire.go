package qrscan

// This file is the scanner's wire protocol, without I/O: how codes are
// framed on the way in and which trigger commands go out.

import (
	"bytes"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Suffix is the terminator the scanner appends to every code (its "suffix"
// setting; Honeywell's default on serial is CR).
type Suffix string

// The suffixes scanners are commonly set to.
const (
	SuffixCR   Suffix = "CR"
	SuffixLF   Suffix = "LF"
	SuffixCRLF Suffix = "CRLF"
	SuffixTab  Suffix = "TAB"
)

// Bytes returns the suffix's bytes on the wire.
func (s Suffix) Bytes() ([]byte, error) {
	switch s {
	case SuffixCR:
		return []byte{'\r'}, nil
	case SuffixLF:
		return []byte{'\n'}, nil
	case SuffixCRLF:
		return []byte{'\r', '\n'}, nil
	case SuffixTab:
		return []byte{'\t'}, nil
	}
	return nil, fmt.Errorf("qrscan: unknown suffix %q (want CR, LF, CRLF or TAB)", string(s))
}

// Framing says how codes arrive on the wire.
type Framing struct {
	// Prefix is what the scanner sends before every code ("" for none):
	// an STX, an AIM symbology identifier such as "]Q1", a fixed tag.
	Prefix string
	// Suffix ends every code.
	Suffix Suffix
	// MaxPayload is the longest code kept, in bytes (prefix and suffix not
	// counted). A longer one is dropped whole and reported as FrameTooLong.
	MaxPayload int
}

// FrameKind is what the framer made of one line.
type FrameKind int

// The kinds of frame.
const (
	// FrameCode is a code: UTF-8 text without control characters.
	FrameCode FrameKind = iota + 1
	// FrameTooLong is a line longer than MaxPayload; its bytes were not
	// kept.
	FrameTooLong
	// FrameGarbled is a line that is not text: line noise, a scanner set
	// to another baud rate, a binary code.
	FrameGarbled
)

func (k FrameKind) String() string {
	switch k {
	case FrameCode:
		return "code"
	case FrameTooLong:
		return "too long"
	case FrameGarbled:
		return "garbled"
	}
	return fmt.Sprintf("FrameKind(%d)", int(k))
}

// Frame is one line the scanner sent.
type Frame struct {
	Kind FrameKind
	// Payload is the code without prefix and suffix (FrameCode), or the
	// garbled bytes (FrameGarbled); empty for FrameTooLong.
	Payload string
	// Length is the line's length in bytes without the suffix (for
	// FrameTooLong, the bytes counted before the suffix arrived).
	Length int
	// Skipped counts bytes dropped before the prefix: noise that preceded
	// the code on the same line.
	Skipped int
}

// Framer splits the scanner's byte stream into frames. Its memory is fixed
// when it is made: whatever arrives, it holds at most MaxPayload plus the
// prefix and the suffix. It is not safe for concurrent use.
//
// Rules:
//   - A line ends with the exact suffix sequence. CR, LF and TAB around a
//     code are trimmed (a scanner set to CRLF while the kiosk expects CR
//     leaves a stray LF), and a line that is empty then is skipped.
//   - With a prefix, the code starts after the first occurrence of the
//     prefix in the line; bytes before it are counted in Skipped. A line
//     without the prefix is FrameGarbled.
//   - A line longer than MaxPayload (after the prefix) is FrameTooLong.
//   - A code must be UTF-8 without control characters, else FrameGarbled.
type Framer struct {
	prefix, suffix []byte
	max            int
	buf            []byte // the current line; cap fixed at NewFramer
	length         int    // bytes in the current line, kept or not
	over           bool   // the line outgrew buf: only its tail is kept
}

// NewFramer returns a framer for f.
func NewFramer(f Framing) (*Framer, error) {
	suffix, err := f.Suffix.Bytes()
	if err != nil {
		return nil, err
	}
	if f.MaxPayload <= 0 {
		return nil, fmt.Errorf("qrscan: MaxPayload %d must be positive", f.MaxPayload)
	}
	if bytes.Contains([]byte(f.Prefix), suffix) {
		return nil, fmt.Errorf("qrscan: prefix %q contains the suffix", f.Prefix)
	}
	// The line may hold noise before the prefix; allow as much noise as a
	// code, beyond which the line is too long anyway.
	limit := 2*len(f.Prefix) + f.MaxPayload + len(suffix)
	return &Framer{
		prefix: []byte(f.Prefix),
		suffix: suffix,
		max:    f.MaxPayload,
		buf:    make([]byte, 0, limit),
	}, nil
}

// Feed reads p and calls emit for every line it completes, in order.
func (f *Framer) Feed(p []byte, emit func(Frame)) {
	last := f.suffix[len(f.suffix)-1]
	for _, c := range p {
		f.length++
		if len(f.buf) == cap(f.buf) {
			// Too long already: keep only what could end the suffix.
			f.over = true
			n := copy(f.buf, f.buf[len(f.buf)-(len(f.suffix)-1):])
			f.buf = f.buf[:n]
		}
		f.buf = append(f.buf, c)
		if c != last || !bytes.HasSuffix(f.buf, f.suffix) {
			continue
		}
		line := f.buf[:len(f.buf)-len(f.suffix)]
		length := f.length - len(f.suffix)
		over := f.over
		f.buf, f.length, f.over = f.buf[:0], 0, false
		if fr, ok := f.frame(line, length, over); ok {
			emit(fr)
		}
	}
}

// Pending returns how many bytes of an unfinished line the framer holds.
func (f *Framer) Pending() int { return f.length }

// Reset drops an unfinished line (the scanner went quiet in the middle of
// a code, or the port was reopened) and returns how many bytes it had.
func (f *Framer) Reset() int {
	n := f.length
	f.buf, f.length, f.over = f.buf[:0], 0, false
	return n
}

func (f *Framer) frame(line []byte, length int, over bool) (Frame, bool) {
	if over {
		return Frame{Kind: FrameTooLong, Length: length}, true
	}
	skipped := 0
	if len(f.prefix) > 0 {
		i := bytes.Index(line, f.prefix)
		if i < 0 {
			if len(trim(line)) == 0 {
				return Frame{}, false
			}
			return Frame{Kind: FrameGarbled, Payload: string(line), Length: length}, true
		}
		skipped = i
		line = line[i+len(f.prefix):]
	}
	code := trim(line)
	if len(code) == 0 && skipped == 0 {
		return Frame{}, false
	}
	switch {
	case len(code) > f.max:
		return Frame{Kind: FrameTooLong, Length: length, Skipped: skipped}, true
	case len(code) == 0 || !IsText(code):
		return Frame{Kind: FrameGarbled, Payload: string(code), Length: length, Skipped: skipped}, true
	}
	return Frame{Kind: FrameCode, Payload: string(code), Length: length, Skipped: skipped}, true
}

// trim removes the CR, LF and TAB a scanner puts around a code.
func trim(b []byte) []byte {
	return bytes.Trim(b, "\r\n\t")
}

// IsText reports whether b is UTF-8 without control characters: what a code
// the kiosk reads can be.
func IsText(b []byte) bool {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || unicode.IsControl(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// TriggerProfile is the scanner's serial trigger command set.
type TriggerProfile string

// The trigger profiles.
const (
	// TriggerNone: the scanner reads on its own (presentation or continuous
	// mode); nothing is sent, and the kiosk ignores codes while disarmed.
	TriggerNone TriggerProfile = "none"
	// TriggerHoneywell: Honeywell's serial trigger, also documented by
	// Datalogic imagers: SYN T CR (16 54 0D) starts a scan, SYN U CR
	// (16 55 0D) stops it. The scanner must be in manual/serial trigger mode
	// (Honeywell TRGMOD0). A scan ends at the first code read, at SYN U CR,
	// or at the scanner's own read time-out, so the kiosk re-sends SYN T CR
	// after each read and every Retrigger while armed.
	TriggerHoneywell TriggerProfile = "honeywell"
	// TriggerCustom: Config.TriggerStart and TriggerStop, sent as given;
	// Config.TriggerOneShot says whether a read ends the scan.
	TriggerCustom TriggerProfile = "custom"
)

// Trigger is a profile's commands.
type Trigger struct {
	Profile TriggerProfile
	Start   []byte // nil for TriggerNone
	Stop    []byte
	// OneShot: a read (or the scanner's read time-out) ends the scan, so
	// Start must be sent again to keep scanning.
	OneShot bool
}

// Honeywell's serial trigger commands.
var (
	HoneywellStart = []byte{0x16, 'T', '\r'}
	HoneywellStop  = []byte{0x16, 'U', '\r'}
)

// TriggerFor returns the commands of profile; start, stop and oneShot are
// used by TriggerCustom only.
func TriggerFor(profile TriggerProfile, start, stop string, oneShot bool) (Trigger, error) {
	switch profile {
	case TriggerNone, "":
		return Trigger{Profile: TriggerNone}, nil
	case TriggerHoneywell:
		return Trigger{Profile: profile, Start: HoneywellStart, Stop: HoneywellStop, OneShot: true}, nil
	case TriggerCustom:
		if start == "" || stop == "" || start == stop {
			return Trigger{}, fmt.Errorf("qrscan: custom trigger needs distinct start and stop commands, got %q and %q", start, stop)
		}
		if bytes.Contains([]byte(start), []byte(stop)) || bytes.Contains([]byte(stop), []byte(start)) {
			return Trigger{}, fmt.Errorf("qrscan: custom trigger commands %q and %q contain one another", start, stop)
		}
		return Trigger{Profile: profile, Start: []byte(start), Stop: []byte(stop), OneShot: oneShot}, nil
	}
	return Trigger{}, fmt.Errorf("qrscan: unknown trigger profile %q (want none, honeywell or custom)", string(profile))
}

// Command is a trigger command as the scanner receives it.
type Command int

// The commands.
const (
	CommandStart Command = iota + 1
	CommandStop
)

func (c Command) String() string {
	switch c {
	case CommandStart:
		return "start"
	case CommandStop:
		return "stop"
	}
	return fmt.Sprintf("Command(%d)", int(c))
}

// CommandReader finds a trigger's commands in the bytes the host sends: the
// scanner's side of the protocol, used by qrscansim. Other bytes (menu
// commands, noise) are ignored. Its memory is fixed.
type CommandReader struct {
	t   Trigger
	buf []byte // the last bytes, as long as the longer command
}

// NewCommandReader returns a reader for t's commands.
func NewCommandReader(t Trigger) *CommandReader {
	return &CommandReader{t: t, buf: make([]byte, 0, max(len(t.Start), len(t.Stop)))}
}

// Feed reads p and calls emit for each command completed, in order.
func (r *CommandReader) Feed(p []byte, emit func(Command)) {
	if cap(r.buf) == 0 {
		return
	}
	for _, c := range p {
		if len(r.buf) == cap(r.buf) {
			n := copy(r.buf, r.buf[1:])
			r.buf = r.buf[:n]
		}
		r.buf = append(r.buf, c)
		switch {
		case bytes.HasSuffix(r.buf, r.t.Start):
			r.buf = r.buf[:0]
			emit(CommandStart)
		case bytes.HasSuffix(r.buf, r.t.Stop):
			r.buf = r.buf[:0]
			emit(CommandStop)
		}
	}
}
