package escpos

import (
	"errors"
	"fmt"
)

// The command bytes, as the Epson ESC/POS reference names them. Every
// function here appends one complete command to dst and returns the
// extended slice; none does I/O.
const (
	lf  = 0x0A
	esc = 0x1B
	gs  = 0x1D
	dle = 0x10
	eot = 0x04
	dc4 = 0x14
)

// Alignment is ESC a's justification.
type Alignment byte

// The justifications.
const (
	AlignLeft   Alignment = 0
	AlignCentre Alignment = 1
	AlignRight  Alignment = 2
)

// AppendInit appends ESC @: clear the print buffer and reset the modes.
func AppendInit(dst []byte) []byte { return append(dst, esc, '@') }

// AppendCodePage appends ESC t n: select the character table.
func AppendCodePage(dst []byte, c CodePage) []byte { return append(dst, esc, 't', c.Number) }

// AppendAlign appends ESC a n: justification of the lines (text and raster
// images) that start after it.
func AppendAlign(dst []byte, a Alignment) []byte { return append(dst, esc, 'a', byte(a)) }

// AppendBold appends ESC E n: emphasised mode on or off.
func AppendBold(dst []byte, on bool) []byte {
	n := byte(0)
	if on {
		n = 1
	}
	return append(dst, esc, 'E', n)
}

// ErrSize is returned for a character size outside 1–8.
var ErrSize = errors.New("escpos: character size must be 1 to 8 times")

// AppendSize appends GS ! n: character width and height multipliers, 1–8.
func AppendSize(dst []byte, width, height int) ([]byte, error) {
	if width < 1 || width > 8 || height < 1 || height > 8 {
		return dst, fmt.Errorf("%w: %d × %d", ErrSize, width, height)
	}
	return append(dst, gs, '!', byte((width-1)<<4|(height-1))), nil
}

// AppendFeedLines appends ESC d n: print the buffer and feed n lines
// (n ≤ 255).
func AppendFeedLines(dst []byte, n int) []byte {
	for ; n > 255; n -= 255 {
		dst = append(dst, esc, 'd', 255)
	}
	return append(dst, esc, 'd', byte(n))
}

// AppendFeedDots appends ESC J n: print the buffer and feed n dots; more
// than 255 dots take several commands.
func AppendFeedDots(dst []byte, n int) []byte {
	for ; n > 255; n -= 255 {
		dst = append(dst, esc, 'J', 255)
	}
	if n > 0 {
		dst = append(dst, esc, 'J', byte(n))
	}
	return dst
}

// AppendCut appends GS V m n, function B: feed the paper to the cutter
// plus n dots (n ≤ 255) and cut, fully (m = 65) or leaving a hinge
// (m = 66), so that the last printed line is never left before the blade.
func AppendCut(dst []byte, partial bool, n int) []byte {
	m := byte(65)
	if partial {
		m = 66
	}
	return append(dst, gs, 'V', m, byte(min(max(n, 0), 255)))
}

// MaxRasterBytes and MaxRasterRows bound one GS v 0 command.
const (
	MaxRasterBytes = 128  // bytes across (1024 dots)
	MaxRasterRows  = 4095 // rows down
)

// ErrRaster is returned for a raster band outside GS v 0's bounds.
var ErrRaster = errors.New("escpos: raster band out of bounds")

// AppendRaster appends GS v 0 0 xL xH yL yH d…: rows y0 to y1 (exclusive) of
// bm at normal density. The band's width is bm's stride in bytes; each row
// is sent most significant bit leftmost, 1 for a black dot.
//
// A printer reads DLE EOT, DLE ENQ and DLE DC4 as real-time commands
// wherever they appear, raster data included, and answers them; so a data
// byte 0x10 followed by 0x04, 0x05 or 0x14 is sent as 0x00 (one dot of the
// image left white) and the data never holds one.
func AppendRaster(dst []byte, bm *Bitmap, y0, y1 int) ([]byte, error) {
	x, y := bm.Stride, y1-y0
	if x < 1 || x > MaxRasterBytes || y < 1 || y > MaxRasterRows || y0 < 0 || y1 > bm.H {
		return dst, fmt.Errorf("%w: %d bytes × rows %d–%d of %d", ErrRaster, x, y0, y1, bm.H)
	}
	dst = append(dst, gs, 'v', '0', 0, byte(x), byte(x>>8), byte(y), byte(y>>8))
	start := len(dst)
	dst = append(dst, bm.Pix[y0*bm.Stride:y1*bm.Stride]...)
	defuse(dst[start:])
	return dst, nil
}

// defuse clears the DLE of every real-time command prefix in data.
func defuse(data []byte) {
	for i := 0; i+1 < len(data); i++ {
		if data[i] == dle && (data[i+1] == eot || data[i+1] == 0x05 || data[i+1] == dc4) {
			data[i] = 0
		}
	}
}

// QRLevel is a QR code's error correction level.
type QRLevel byte

// The levels, as GS ( k fn 69 numbers them.
const (
	QRLevelL QRLevel = 48
	QRLevelM QRLevel = 49
	QRLevelQ QRLevel = 50
	QRLevelH QRLevel = 51
)

// ErrQR is returned for a native QR code the printer cannot take.
var ErrQR = errors.New("escpos: native QR code out of bounds")

// AppendQR appends the printer's own QR code commands, GS ( k with
// cn = 49: model 2 (fn 65), module size in dots 1–16 (fn 67), error
// correction level (fn 69), store the payload (fn 80), print it (fn 81).
func AppendQR(dst []byte, payload []byte, module int, level QRLevel) ([]byte, error) {
	if len(payload) == 0 || len(payload) > 7089 || module < 1 || module > 16 || level < QRLevelL || level > QRLevelH {
		return dst, fmt.Errorf("%w: %d bytes, module %d, level %d", ErrQR, len(payload), module, level)
	}
	fn := func(dst []byte, f byte, args ...byte) []byte {
		p := len(args) + 2
		dst = append(dst, gs, '(', 'k', byte(p), byte(p>>8), 49, f)
		return append(dst, args...)
	}
	dst = fn(dst, 65, 50, 0)
	dst = fn(dst, 67, byte(module))
	dst = fn(dst, 69, byte(level))
	dst = fn(dst, 80, append([]byte{48}, payload...)...)
	return fn(dst, 81, 48), nil
}

// StatusKind is DLE EOT's n: which status byte the printer sends back.
type StatusKind byte

// The real-time statuses.
const (
	PrinterStatus  StatusKind = 1
	OfflineCause   StatusKind = 2
	ErrorCause     StatusKind = 3
	PaperSensor    StatusKind = 4
	statusKindLast            = PaperSensor
)

// AppendStatusQuery appends DLE EOT n for each kind: transmit the real-time
// status. The printer answers at once, one byte per query, whatever it is
// doing — which is why it must never be sent inside another command's
// data.
func AppendStatusQuery(dst []byte, kinds ...StatusKind) []byte {
	for _, k := range kinds {
		dst = append(dst, dle, eot, byte(k))
	}
	return dst
}

// AppendClearBuffers appends DLE DC4 fn=8: clear the receive and print
// buffers (Epson TM-T20II, TM-T88V and later), so that a job stopped by a
// fault does not resume from the middle once the fault is cleared.
func AppendClearBuffers(dst []byte) []byte {
	return append(dst, dle, dc4, 8, 1, 3, 20, 1, 6, 2, 8)
}
