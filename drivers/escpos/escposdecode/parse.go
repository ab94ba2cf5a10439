package escposdecode

import (
	"bytes"
	"fmt"
)

// Op names a command.
type Op string

// The commands the parser knows, by their Epson names.
const (
	OpText         Op = "text"      // a run of printable bytes (Data)
	OpLF           Op = "LF"        // print and line feed
	OpCR           Op = "CR"        // carriage return: ignored
	OpInit         Op = "ESC @"     // initialise
	OpCodePage     Op = "ESC t"     // N: code page number
	OpAlign        Op = "ESC a"     // N: 0 left, 1 centre, 2 right
	OpBold         Op = "ESC E"     // N: 1 on, 0 off
	OpSize         Op = "GS !"      // N: width multiplier, M: height multiplier (1–8)
	OpFeedLines    Op = "ESC d"     // N: lines
	OpFeedDots     Op = "ESC J"     // N: dots
	OpLineDefault  Op = "ESC 2"     // default line spacing
	OpLineSpacing  Op = "ESC 3"     // N: dots
	OpCut          Op = "GS V"      // N: 0 full, 1 partial; M: dots fed first
	OpRaster       Op = "GS v 0"    // N: mode (0–3), Width dots, Height rows, Data rows of Width/8 bytes
	OpQRModel      Op = "GS ( k 65" // N: 1 or 2
	OpQRSize       Op = "GS ( k 67" // N: module size in dots, 1–16
	OpQRErrorLevel Op = "GS ( k 69" // N: 0 L, 1 M, 2 Q, 3 H
	OpQRStore      Op = "GS ( k 80" // Data: the payload
	OpQRPrint      Op = "GS ( k 81" // print the stored symbol
	OpStatus       Op = "DLE EOT"   // N: 1–4
	OpClearBuffer  Op = "DLE DC4 8" // clear the receive and print buffers
)

// Command is one decoded command.
type Command struct {
	Offset int // of its first byte in the stream
	Len    int // bytes it took
	Op     Op
	N, M   int
	// Width and Height are a raster's size in dots.
	Width, Height int
	// Data is a text run's bytes, a raster's rows (Width/8 bytes each, most
	// significant bit leftmost, 1 = black) or a QR payload.
	Data []byte
}

// SyntaxError is a byte sequence the parser refuses.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("escposdecode: at byte %d: %s", e.Offset, e.Msg)
}

// Parser turns a byte stream fed in pieces of any size into commands. After
// an error it refuses everything: a printer that lost track of the command
// boundaries prints garbage from then on, and a test must see that.
type Parser struct {
	buf    []byte
	offset int // stream offset of buf[0]
	err    error
}

// Feed parses b, emitting every command completed so far in stream order;
// an incomplete command waits for the next Feed.
func (p *Parser) Feed(b []byte, emit func(Command)) error {
	if p.err != nil {
		return p.err
	}
	p.buf = append(p.buf, b...)
	for len(p.buf) > 0 {
		c, n, err := parseOne(p.buf)
		if err != nil {
			err.Offset += p.offset
			p.err = err
			return err
		}
		if n == 0 {
			break // incomplete
		}
		c.Offset = p.offset
		c.Len = n
		if c.Data != nil {
			c.Data = bytes.Clone(c.Data)
		}
		p.buf = p.buf[n:]
		p.offset += n
		emit(c)
	}
	if len(p.buf) == 0 {
		p.buf = p.buf[:0:0] // let a large raster's memory go
	}
	return nil
}

// Pending returns how many bytes wait for the rest of their command.
func (p *Parser) Pending() int { return len(p.buf) }

// Offset returns how many bytes have been parsed into commands.
func (p *Parser) Offset() int { return p.offset }

// Close reports a command left incomplete at the end of the stream.
func (p *Parser) Close() error {
	if p.err != nil {
		return p.err
	}
	if len(p.buf) > 0 {
		return &SyntaxError{p.offset, fmt.Sprintf("stream ends inside a command (% x)", head(p.buf))}
	}
	return nil
}

// Reset forgets any partial command, as DLE DC4 8 makes a printer do with
// the data it has received but not printed.
func (p *Parser) Reset() {
	p.offset += len(p.buf)
	p.buf = nil
	p.err = nil
}

func head(b []byte) []byte {
	if len(b) > 8 {
		return b[:8]
	}
	return b
}

const (
	lf  = 0x0A
	cr  = 0x0D
	esc = 0x1B
	gs  = 0x1D
	dle = 0x10
	eot = 0x04
	dc4 = 0x14
)

// clearBuffer is DLE DC4 fn=8 with its fixed parameters.
var clearBuffer = []byte{dle, dc4, 8, 1, 3, 20, 1, 6, 2, 8}

// parseOne parses the command at the start of b. It returns n = 0 when b
// holds only the beginning of a command.
func parseOne(b []byte) (Command, int, *SyntaxError) {
	bad := func(at int, format string, a ...any) (Command, int, *SyntaxError) {
		return Command{}, 0, &SyntaxError{at, fmt.Sprintf(format, a...)}
	}
	c := b[0]
	switch {
	case c >= 0x20:
		n := 0
		for n < len(b) && b[n] >= 0x20 {
			n++
		}
		// A text run ends at a control byte or at the end of what has
		// arrived; either way it is complete as far as it goes.
		return Command{Op: OpText, Data: b[:n]}, n, nil
	case c == lf:
		return Command{Op: OpLF}, 1, nil
	case c == cr:
		return Command{Op: OpCR}, 1, nil
	case c == esc:
		if len(b) < 2 {
			return Command{}, 0, nil
		}
		switch b[1] {
		case '@':
			return Command{Op: OpInit}, 2, nil
		case '2':
			return Command{Op: OpLineDefault}, 2, nil
		}
		if len(b) < 3 {
			switch b[1] {
			case 't', 'a', 'E', 'd', 'J', '3':
				return Command{}, 0, nil
			}
			return bad(0, "unknown command ESC 0x%02x", b[1])
		}
		n := int(b[2])
		switch b[1] {
		case 't':
			switch n {
			case 0, 2, 16, 19:
				return Command{Op: OpCodePage, N: n}, 3, nil
			}
			return bad(2, "ESC t %d: code page not supported (0, 2, 16, 19)", n)
		case 'a':
			switch n {
			case 0, 1, 2:
			case 48, 49, 50:
				n -= 48
			default:
				return bad(2, "ESC a %d: justification out of range", n)
			}
			return Command{Op: OpAlign, N: n}, 3, nil
		case 'E':
			return Command{Op: OpBold, N: n & 1}, 3, nil
		case 'd':
			return Command{Op: OpFeedLines, N: n}, 3, nil
		case 'J':
			return Command{Op: OpFeedDots, N: n}, 3, nil
		case '3':
			return Command{Op: OpLineSpacing, N: n}, 3, nil
		}
		return bad(0, "unknown command ESC 0x%02x", b[1])
	case c == gs:
		if len(b) < 2 {
			return Command{}, 0, nil
		}
		switch b[1] {
		case '!':
			if len(b) < 3 {
				return Command{}, 0, nil
			}
			n := b[2]
			if n&0x88 != 0 {
				return bad(2, "GS ! 0x%02x: size out of range", n)
			}
			return Command{Op: OpSize, N: int(n>>4) + 1, M: int(n&7) + 1}, 3, nil
		case 'V':
			if len(b) < 3 {
				return Command{}, 0, nil
			}
			switch m := b[2]; m {
			case 0, 48:
				return Command{Op: OpCut, N: 0}, 3, nil
			case 1, 49:
				return Command{Op: OpCut, N: 1}, 3, nil
			case 65, 66:
				if len(b) < 4 {
					return Command{}, 0, nil
				}
				return Command{Op: OpCut, N: int(m - 65), M: int(b[3])}, 4, nil
			default:
				return bad(2, "GS V %d: cut mode not supported", m)
			}
		case 'v':
			return parseRaster(b)
		case '(':
			return parseFunction(b)
		}
		return bad(0, "unknown command GS 0x%02x", b[1])
	case c == dle:
		if len(b) < 2 {
			return Command{}, 0, nil
		}
		switch b[1] {
		case eot:
			if len(b) < 3 {
				return Command{}, 0, nil
			}
			if n := b[2]; n >= 1 && n <= 4 {
				return Command{Op: OpStatus, N: int(n)}, 3, nil
			}
			return bad(2, "DLE EOT %d: status kind out of range (1–4)", b[2])
		case dc4:
			for i := 2; i < len(clearBuffer); i++ {
				if i >= len(b) {
					return Command{}, 0, nil
				}
				if b[i] != clearBuffer[i] {
					return bad(i, "DLE DC4: only fn 8 (clear buffers) with its fixed parameters is supported")
				}
			}
			return Command{Op: OpClearBuffer}, len(clearBuffer), nil
		}
		return bad(0, "unknown command DLE 0x%02x", b[1])
	}
	return bad(0, "unknown control byte 0x%02x", c)
}

// parseRaster parses GS v 0 m xL xH yL yH d1…dk.
func parseRaster(b []byte) (Command, int, *SyntaxError) {
	if len(b) < 8 {
		if len(b) >= 3 && b[2] != '0' {
			return Command{}, 0, &SyntaxError{2, fmt.Sprintf("GS v 0x%02x: only GS v 0 is supported", b[2])}
		}
		return Command{}, 0, nil
	}
	if b[2] != '0' {
		return Command{}, 0, &SyntaxError{2, fmt.Sprintf("GS v 0x%02x: only GS v 0 is supported", b[2])}
	}
	m := int(b[3])
	switch m {
	case 0, 1, 2, 3:
	case 48, 49, 50, 51:
		m -= 48
	default:
		return Command{}, 0, &SyntaxError{3, fmt.Sprintf("GS v 0 mode %d out of range", b[3])}
	}
	x := int(b[4]) + int(b[5])<<8
	y := int(b[6]) + int(b[7])<<8
	if x < 1 || x > 128 {
		return Command{}, 0, &SyntaxError{4, fmt.Sprintf("GS v 0: width %d bytes out of range (1–128)", x)}
	}
	if y < 1 || y > 4095 {
		return Command{}, 0, &SyntaxError{6, fmt.Sprintf("GS v 0: height %d rows out of range (1–4095)", y)}
	}
	n := 8 + x*y
	if len(b) < n {
		return Command{}, 0, nil
	}
	return Command{Op: OpRaster, N: m, Width: x * 8, Height: y, Data: b[8:n]}, n, nil
}

// parseFunction parses GS ( k pL pH cn fn [parameters]: only the QR code
// functions (cn = 49) are accepted.
func parseFunction(b []byte) (Command, int, *SyntaxError) {
	if len(b) < 3 {
		return Command{}, 0, nil
	}
	if b[2] != 'k' {
		return Command{}, 0, &SyntaxError{2, fmt.Sprintf("GS ( 0x%02x: only GS ( k is supported", b[2])}
	}
	if len(b) < 7 {
		return Command{}, 0, nil
	}
	p := int(b[3]) + int(b[4])<<8
	if p < 2 {
		return Command{}, 0, &SyntaxError{3, fmt.Sprintf("GS ( k: parameter length %d too short", p)}
	}
	if b[5] != 49 {
		return Command{}, 0, &SyntaxError{5, fmt.Sprintf("GS ( k cn=%d: only QR code (49) is supported", b[5])}
	}
	fn := b[6]
	want := map[byte]int{65: 4, 67: 3, 69: 3, 81: 3}
	if w, fixed := want[fn]; fixed && p != w {
		return Command{}, 0, &SyntaxError{3, fmt.Sprintf("GS ( k fn=%d: parameter length %d, want %d", fn, p, w)}
	}
	if fn == 80 && p < 4 {
		return Command{}, 0, &SyntaxError{3, fmt.Sprintf("GS ( k fn=80: parameter length %d holds no data", p)}
	}
	n := 5 + p
	if len(b) < n {
		return Command{}, 0, nil
	}
	args := b[7:n]
	switch fn {
	case 65: // model: n1 = 49 (model 1) or 50 (model 2), n2 = 0
		if (args[0] != 49 && args[0] != 50) || args[1] != 0 {
			return Command{}, 0, &SyntaxError{7, fmt.Sprintf("GS ( k fn=65: model %d %d out of range", args[0], args[1])}
		}
		return Command{Op: OpQRModel, N: int(args[0]) - 48}, n, nil
	case 67:
		if args[0] < 1 || args[0] > 16 {
			return Command{}, 0, &SyntaxError{7, fmt.Sprintf("GS ( k fn=67: module size %d out of range (1–16)", args[0])}
		}
		return Command{Op: OpQRSize, N: int(args[0])}, n, nil
	case 69:
		if args[0] < 48 || args[0] > 51 {
			return Command{}, 0, &SyntaxError{7, fmt.Sprintf("GS ( k fn=69: error correction level %d out of range (48–51)", args[0])}
		}
		return Command{Op: OpQRErrorLevel, N: int(args[0]) - 48}, n, nil
	case 80:
		if args[0] != 48 {
			return Command{}, 0, &SyntaxError{7, fmt.Sprintf("GS ( k fn=80: m=%d, want 48", args[0])}
		}
		return Command{Op: OpQRStore, Data: args[1:]}, n, nil
	case 81:
		if args[0] != 48 {
			return Command{}, 0, &SyntaxError{7, fmt.Sprintf("GS ( k fn=81: m=%d, want 48", args[0])}
		}
		return Command{Op: OpQRPrint}, n, nil
	}
	return Command{}, 0, &SyntaxError{6, fmt.Sprintf("GS ( k cn=49 fn=%d: QR function not supported", fn)}
}
