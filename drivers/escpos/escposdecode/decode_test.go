package escposdecode

import (
	"bytes"
	"errors"
	"image"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The byte strings below are written from the Epson ESC/POS command
// reference, not from drivers/escpos.
var parseTests = []struct {
	name string
	in   []byte
	want []Command
}{
	{"initialise", []byte{0x1B, 0x40}, []Command{{Op: OpInit}}},
	{"code page PC858", []byte{0x1B, 0x74, 19}, []Command{{Op: OpCodePage, N: 19}}},
	{"code page WPC1252", []byte{0x1B, 0x74, 16}, []Command{{Op: OpCodePage, N: 16}}},
	{"centre, ASCII form", []byte{0x1B, 0x61, '1'}, []Command{{Op: OpAlign, N: 1}}},
	{"right", []byte{0x1B, 0x61, 2}, []Command{{Op: OpAlign, N: 2}}},
	{"bold on, only bit 0 counts", []byte{0x1B, 0x45, 0xFF}, []Command{{Op: OpBold, N: 1}}},
	{"bold off", []byte{0x1B, 0x45, 0xFE}, []Command{{Op: OpBold, N: 0}}},
	{"double width and height", []byte{0x1D, 0x21, 0x11}, []Command{{Op: OpSize, N: 2, M: 2}}},
	{"eight by eight", []byte{0x1D, 0x21, 0x77}, []Command{{Op: OpSize, N: 8, M: 8}}},
	{"feed 3 lines", []byte{0x1B, 0x64, 3}, []Command{{Op: OpFeedLines, N: 3}}},
	{"feed 40 dots", []byte{0x1B, 0x4A, 40}, []Command{{Op: OpFeedDots, N: 40}}},
	{"line spacing", []byte{0x1B, 0x33, 24, 0x1B, 0x32}, []Command{{Op: OpLineSpacing, N: 24}, {Op: OpLineDefault}}},
	{"full cut", []byte{0x1D, 0x56, 0}, []Command{{Op: OpCut, N: 0}}},
	{"partial cut, ASCII form", []byte{0x1D, 0x56, '1'}, []Command{{Op: OpCut, N: 1}}},
	{"feed and partial cut", []byte{0x1D, 0x56, 66, 80}, []Command{{Op: OpCut, N: 1, M: 80}}},
	{"status 4", []byte{0x10, 0x04, 4}, []Command{{Op: OpStatus, N: 4}}},
	{"clear buffers", []byte{0x10, 0x14, 8, 1, 3, 20, 1, 6, 2, 8}, []Command{{Op: OpClearBuffer}}},
	{"text and LF", []byte("Re\xe7u\n"), []Command{{Op: OpText, Data: []byte("Re\xe7u")}, {Op: OpLF}}},
	{"CR LF", []byte("A\r\n"), []Command{{Op: OpText, Data: []byte("A")}, {Op: OpCR}, {Op: OpLF}}},
	{
		"raster 16x2",
		[]byte{0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0xFF, 0x00, 0x00, 0xFF},
		[]Command{{Op: OpRaster, N: 0, Width: 16, Height: 2, Data: []byte{0xFF, 0, 0, 0xFF}}},
	},
	{
		"QR functions",
		[]byte{
			0x1D, 0x28, 0x6B, 4, 0, 49, 65, 50, 0, // model 2
			0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6, // module 6 dots
			0x1D, 0x28, 0x6B, 3, 0, 49, 69, 49, // level M
			0x1D, 0x28, 0x6B, 5, 0, 49, 80, 48, 'H', 'i', // store "Hi"
			0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, // print
		},
		[]Command{
			{Op: OpQRModel, N: 2}, {Op: OpQRSize, N: 6}, {Op: OpQRErrorLevel, N: 1},
			{Op: OpQRStore, Data: []byte("Hi")}, {Op: OpQRPrint},
		},
	},
}

var badTests = []struct {
	name   string
	in     []byte
	offset int
	msg    string
}{
	{"unknown control", []byte("ok\x07"), 2, "unknown control byte 0x07"},
	{"unknown ESC", []byte{0x1B, 0x21, 0}, 0, "unknown command ESC 0x21"},
	{"unknown GS", []byte{0x1D, 0x6B, 0}, 0, "unknown command GS 0x6b"},
	{"code page 99", []byte{0x1B, 0x74, 99}, 2, "code page not supported"},
	{"justification 3", []byte{0x1B, 0x61, 3}, 2, "justification out of range"},
	{"size 9", []byte{0x1D, 0x21, 0x08}, 2, "size out of range"},
	{"cut mode 2", []byte{0x1D, 0x56, 2}, 2, "cut mode not supported"},
	{"raster 0 wide", []byte{0x1D, 0x76, 0x30, 0, 0, 0, 1, 0}, 4, "width 0 bytes"},
	{"raster 129 wide", []byte{0x1D, 0x76, 0x30, 0, 129, 0, 1, 0}, 4, "width 129 bytes"},
	{"raster 4096 high", []byte{0x1D, 0x76, 0x30, 0, 1, 0, 0, 16}, 6, "height 4096 rows"},
	{"raster mode 4", []byte{0x1D, 0x76, 0x30, 4, 1, 0, 1, 0, 0}, 3, "mode 4"},
	{"GS v 1", []byte{0x1D, 0x76, 0x31}, 2, "only GS v 0"},
	{"status 5", []byte{0x10, 0x04, 5}, 2, "out of range"},
	{"DLE ENQ", []byte{0x10, 0x05, 1}, 0, "unknown command DLE 0x05"},
	{"clear buffer wrong", []byte{0x10, 0x14, 8, 1, 3, 20, 1, 6, 2, 7}, 9, "fixed parameters"},
	{"PDF417", []byte{0x1D, 0x28, 0x6B, 3, 0, 48, 67, 3}, 5, "only QR code"},
	{"QR size 17", []byte{0x1D, 0x28, 0x6B, 3, 0, 49, 67, 17}, 7, "module size 17"},
	{"QR size wrong length", []byte{0x1D, 0x28, 0x6B, 4, 0, 49, 67, 3, 0}, 3, "parameter length 4"},
	{"QR transmit size", []byte{0x1D, 0x28, 0x6B, 3, 0, 49, 82, 48}, 6, "not supported"},
	{"after a good command", []byte{0x1B, 0x40, 0x1B, 0x99}, 2, "unknown command ESC 0x99"},
}

func ignoreOffsets() cmp.Option {
	return cmpopts.IgnoreFields(Command{}, "Offset", "Len")
}

func TestParse(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Command
			var p Parser
			if err := p.Feed(tt.in, func(c Command) { got = append(got, c) }); err != nil {
				t.Fatalf("Feed(% x) = %v", tt.in, err)
			}
			if err := p.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreOffsets()); diff != "" {
				t.Errorf("Feed(% x) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestParseByteByByte feeds every table stream one byte at a time: commands
// straddling reads come out the same (text runs may split).
func TestParseByteByByte(t *testing.T) {
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			var got []Command
			var p Parser
			for i := range tt.in {
				if err := p.Feed(tt.in[i:i+1], func(c Command) { got = append(got, c) }); err != nil {
					t.Fatalf("Feed byte %d: %v", i, err)
				}
			}
			if err := p.Close(); err != nil {
				t.Fatalf("Close() = %v", err)
			}
			if diff := cmp.Diff(tt.want, joinText(got), ignoreOffsets()); diff != "" {
				t.Errorf("byte by byte (-want +got):\n%s", diff)
			}
		})
	}
}

func joinText(cs []Command) []Command {
	var out []Command
	for _, c := range cs {
		if n := len(out); n > 0 && c.Op == OpText && out[n-1].Op == OpText {
			out[n-1].Data = append(out[n-1].Data, c.Data...)
			continue
		}
		out = append(out, c)
	}
	return out
}

func TestParseRefuses(t *testing.T) {
	for _, tt := range badTests {
		t.Run(tt.name, func(t *testing.T) {
			var p Parser
			err := p.Feed(tt.in, func(Command) {})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Feed(% x) = %v, want a SyntaxError", tt.in, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("Feed(% x) = %v, want offset %d and %q", tt.in, err, tt.offset, tt.msg)
			}
			if err2 := p.Feed([]byte{0x1B, 0x40}, func(Command) {}); err2 == nil {
				t.Errorf("Feed after an error = nil, want the error again")
			}
		})
	}
}

func TestCloseIncomplete(t *testing.T) {
	for _, in := range [][]byte{{0x1B}, {0x1D, 0x76, 0x30, 0, 2, 0, 2, 0, 0xFF}, {0x10, 0x14, 8, 1}} {
		var p Parser
		if err := p.Feed(in, func(Command) {}); err != nil {
			t.Fatalf("Feed(% x) = %v", in, err)
		}
		if p.Pending() != len(in) {
			t.Errorf("Pending() = %d, want %d", p.Pending(), len(in))
		}
		if err := p.Close(); err == nil {
			t.Errorf("Close() after % x = nil, want an error", in)
		}
	}
}

func TestPaperText(t *testing.T) {
	in := []byte("\x1b@\x1bt\x13\x1ba\x01\x1bE\x01\x1d!\x11Re\x87u\n\x1d!\x00\x1bE\x00\x1ba\x00Total 20,00 \xd5\n")
	res, err := Decode(in, 576)
	if err != nil {
		t.Fatal(err)
	}
	want := []Line{
		{Text: "Reçu", Align: 1, Bold: true, Width: 2, Height: 2, Top: 0, Columns: 8},
		{Text: "Total 20,00 €", Align: 0, Width: 1, Height: 1, Top: 48, Columns: 13},
	}
	if diff := cmp.Diff(want, res.Lines); diff != "" {
		t.Errorf("Lines (-want +got):\n%s", diff)
	}
	if got, wantRows := res.Rows(), 48+30; got != wantRows {
		t.Errorf("Rows() = %d, want %d", got, wantRows)
	}
	img := res.Image()
	// The double-size heading is centred: ink only in its middle 96 dots.
	if inkIn(img, image.Rect(0, 0, 240, 48)) || !inkIn(img, image.Rect(240, 0, 336, 48)) {
		t.Errorf("centred heading: ink outside the middle or none in it")
	}
}

func TestPaperCodePages(t *testing.T) {
	tests := []struct {
		page byte
		in   byte
		want string
	}{
		{19, 0x87, "ç"}, {19, 0x82, "é"}, {19, 0xD5, "€"}, {19, 0x85, "à"},
		{16, 0xE7, "ç"}, {16, 0x80, "€"}, {16, 0x9C, "œ"},
		{0, 0x87, "ç"}, {2, 0xD5, "ı"},
	}
	for _, tt := range tests {
		res, err := Decode([]byte{0x1B, 0x74, tt.page, tt.in, '\n'}, 384)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Lines[0].Text; got != tt.want {
			t.Errorf("page %d byte %#x = %q, want %q", tt.page, tt.in, got, tt.want)
		}
	}
}

func TestPaperWrap(t *testing.T) {
	res, err := Decode(append(bytes.Repeat([]byte("x"), 33), '\n'), 384)
	if err != nil {
		t.Fatal(err)
	}
	if res.Wrapped != 1 || len(res.Lines) != 2 || len(res.Lines[0].Text) != 32 {
		t.Errorf("33 columns on 32: Wrapped = %d, lines %q; want 1 wrap after 32", res.Wrapped, res.Text())
	}
}

func TestPaperRaster(t *testing.T) {
	in := []byte{0x1B, 0x61, 1, 0x1D, 0x76, 0x30, 0, 1, 0, 2, 0, 0x81, 0x7E, '\n'}
	res, err := Decode(in, 384)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rasters) != 1 {
		t.Fatalf("Rasters = %d, want 1", len(res.Rasters))
	}
	r := res.Rasters[0]
	if r.Left != (384-8)/2 || r.Top != 0 {
		t.Errorf("raster at (%d, %d), want centred at (188, 0)", r.Left, r.Top)
	}
	var row0, row1 string
	for x := 0; x < 8; x++ {
		row0 += bit(r.Image, x, 0)
		row1 += bit(r.Image, x, 1)
	}
	if row0 != "#......#" || row1 != ".######." {
		t.Errorf("raster rows %q %q, want #......# .######.", row0, row1)
	}
	if got := res.Rows(); got != 2+30 {
		t.Errorf("Rows() = %d, want 32 (2 rows, then an empty line)", got)
	}
}

func TestPaperRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		msg  string
	}{
		{"raster after text", []byte{'A', 0x1D, 0x76, 0x30, 0, 1, 0, 1, 0, 0xFF}, "text in the line buffer"},
		{"raster too wide", append([]byte{0x1D, 0x76, 0x30, 0, 49, 0, 1, 0}, make([]byte, 49)...), "392 dots wide"},
		{"QR without data", []byte{0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48}, "no data stored"},
		{"text never printed", []byte("tail"), "never printed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in, 384)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Decode(% x) = %v, want an error with %q", tt.in, err, tt.msg)
			}
		})
	}
}

func TestPaperNativeQR(t *testing.T) {
	NeedZbar(t)
	payload := "https://suivi.justice.gov.ma/t/K7MX4HQ9XR3T"
	in := []byte{0x1B, 0x61, 1, 0x1D, 0x28, 0x6B, 3, 0, 49, 67, 6, 0x1D, 0x28, 0x6B, byte(len(payload) + 3), 0, 49, 80, 48}
	in = append(in, payload...)
	in = append(in, 0x1D, 0x28, 0x6B, 3, 0, 49, 81, 48, 0x1B, 0x64, 4)
	res, err := Decode(in, 576)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "qr.png")
	if err := WritePNG(path, res.Image()); err != nil {
		t.Fatal(err)
	}
	got, err := ScanQR(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{payload}, got); diff != "" {
		t.Errorf("zbarimg (-want +got):\n%s", diff)
	}
}

func TestCuts(t *testing.T) {
	res, err := Decode([]byte{'A', '\n', 0x1D, 0x56, 66, 40}, 384)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{30 + 40}, res.Cuts); diff != "" {
		t.Errorf("Cuts (-want +got):\n%s", diff)
	}
}

func bit(img *image.Gray, x, y int) string {
	if img.GrayAt(x, y).Y == 0 {
		return "#"
	}
	return "."
}

func inkIn(img *image.Gray, r image.Rectangle) bool {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.GrayAt(x, y).Y == 0 {
				return true
			}
		}
	}
	return false
}

// FuzzParse: the parser never panics, and feeding a stream in two pieces
// gives the same commands (text runs joined) as feeding it whole.
func FuzzParse(f *testing.F) {
	for _, tt := range parseTests {
		f.Add(tt.in, uint8(len(tt.in)/2))
	}
	for _, tt := range badTests {
		f.Add(tt.in, uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8) {
		var whole, split []Command
		var p1, p2 Parser
		err1 := p1.Feed(in, func(c Command) { whole = append(whole, c) })
		at := min(int(cut), len(in))
		err2 := p2.Feed(in[:at], func(c Command) { split = append(split, c) })
		if err2 == nil {
			err2 = p2.Feed(in[at:], func(c Command) { split = append(split, c) })
		}
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("whole: %v, split at %d: %v", err1, at, err2)
		}
		if err1 == nil {
			if diff := cmp.Diff(joinText(whole), joinText(split), ignoreOffsets()); diff != "" {
				t.Fatalf("split at %d differs (-whole +split):\n%s", at, diff)
			}
		}
		paper := NewPaper(576)
		for _, c := range whole {
			if paper.Apply(c) != nil {
				break
			}
			if paper.Rows() > 1<<14 {
				break
			}
		}
	})
}
