package escpos

import (
	"bytes"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustBytes(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// The golden bytes come from the Epson ESC/POS command reference (the
// "Hex" line of each command's page), not from the code under test.
func TestCommandGolden(t *testing.T) {
	bm := NewBitmap(16, 2)
	bm.Pix = []byte{0xFF, 0x00, 0x81, 0x18}
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"ESC @ initialise", AppendInit(nil), []byte{0x1B, 0x40}},
		{"ESC t 16 WPC1252", AppendCodePage(nil, WPC1252), []byte{0x1B, 0x74, 0x10}},
		{"ESC t 19 PC858", AppendCodePage(nil, PC858), []byte{0x1B, 0x74, 0x13}},
		{"ESC a 0 left", AppendAlign(nil, AlignLeft), []byte{0x1B, 0x61, 0x00}},
		{"ESC a 1 centre", AppendAlign(nil, AlignCentre), []byte{0x1B, 0x61, 0x01}},
		{"ESC a 2 right", AppendAlign(nil, AlignRight), []byte{0x1B, 0x61, 0x02}},
		{"ESC E 1 bold", AppendBold(nil, true), []byte{0x1B, 0x45, 0x01}},
		{"ESC E 0 not bold", AppendBold(nil, false), []byte{0x1B, 0x45, 0x00}},
		{"GS ! 0x00 normal", mustBytes(AppendSize(nil, 1, 1)), []byte{0x1D, 0x21, 0x00}},
		{"GS ! 0x11 double", mustBytes(AppendSize(nil, 2, 2)), []byte{0x1D, 0x21, 0x11}},
		{"GS ! 0x10 double width", mustBytes(AppendSize(nil, 2, 1)), []byte{0x1D, 0x21, 0x10}},
		{"GS ! 0x77 eight times", mustBytes(AppendSize(nil, 8, 8)), []byte{0x1D, 0x21, 0x77}},
		{"ESC d 3", AppendFeedLines(nil, 3), []byte{0x1B, 0x64, 0x03}},
		{"ESC d 300 in two", AppendFeedLines(nil, 300), []byte{0x1B, 0x64, 0xFF, 0x1B, 0x64, 0x2D}},
		{"ESC J 40", AppendFeedDots(nil, 40), []byte{0x1B, 0x4A, 0x28}},
		{"ESC J 0 is nothing", AppendFeedDots(nil, 0), nil},
		{"GS V 66 0 partial cut", AppendCut(nil, true, 0), []byte{0x1D, 0x56, 0x42, 0x00}},
		{"GS V 65 16 full cut", AppendCut(nil, false, 16), []byte{0x1D, 0x56, 0x41, 0x10}},
		{
			"GS v 0 16x2",
			mustBytes(AppendRaster(nil, bm, 0, 2)),
			[]byte{0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x02, 0x00, 0xFF, 0x00, 0x81, 0x18},
		},
		{
			"GS v 0 second row",
			mustBytes(AppendRaster(nil, bm, 1, 2)),
			[]byte{0x1D, 0x76, 0x30, 0x00, 0x02, 0x00, 0x01, 0x00, 0x81, 0x18},
		},
		{
			"GS ( k QR",
			mustBytes(AppendQR(nil, []byte("AB"), 6, QRLevelM)),
			[]byte{
				0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00, // fn 65: model 2
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43, 0x06, // fn 67: module 6 dots
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 0x31, // fn 69: level M
				0x1D, 0x28, 0x6B, 0x05, 0x00, 0x31, 0x50, 0x30, 0x41, 0x42, // fn 80: store "AB"
				0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30, // fn 81: print
			},
		},
		{"DLE EOT 1–4", AppendStatusQuery(nil, PrinterStatus, OfflineCause, ErrorCause, PaperSensor), []byte{0x10, 0x04, 0x01, 0x10, 0x04, 0x02, 0x10, 0x04, 0x03, 0x10, 0x04, 0x04}},
		{"DLE DC4 8 clear buffers", AppendClearBuffers(nil), []byte{0x10, 0x14, 0x08, 0x01, 0x03, 0x14, 0x01, 0x06, 0x02, 0x08}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.got); diff != "" {
				t.Errorf("bytes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommandRefuses(t *testing.T) {
	bm := NewBitmap(8, 4)
	wide := NewBitmap(1032, 1)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"size 0", second(AppendSize(nil, 0, 1)), ErrSize},
		{"size 9", second(AppendSize(nil, 1, 9)), ErrSize},
		{"raster no rows", second(AppendRaster(nil, bm, 2, 2)), ErrRaster},
		{"raster past the end", second(AppendRaster(nil, bm, 2, 5)), ErrRaster},
		{"raster 129 bytes", second(AppendRaster(nil, wide, 0, 1)), ErrRaster},
		{"QR empty", second(AppendQR(nil, nil, 6, QRLevelM)), ErrQR},
		{"QR module 17", second(AppendQR(nil, []byte("x"), 17, QRLevelM)), ErrQR},
		{"QR level 52", second(AppendQR(nil, []byte("x"), 6, 52)), ErrQR},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: error %v, want %v", tt.name, tt.err, tt.want)
		}
	}
}

func second(_ []byte, err error) error { return err }

// TestRasterDefused: raster data never carries a real-time command the
// printer would answer in the middle of the image.
func TestRasterDefused(t *testing.T) {
	bm := NewBitmap(32, 2)
	bm.Pix = []byte{0x10, 0x04, 0x01, 0xFF, 0x10, 0x14, 0x10, 0x05}
	got := mustBytes(AppendRaster(nil, bm, 0, 2))
	want := []byte{0x1D, 0x76, 0x30, 0x00, 0x04, 0x00, 0x02, 0x00, 0x00, 0x04, 0x01, 0xFF, 0x00, 0x14, 0x00, 0x05}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defused raster (-want +got):\n%s", diff)
	}
	if !bytes.Equal(bm.Pix, []byte{0x10, 0x04, 0x01, 0xFF, 0x10, 0x14, 0x10, 0x05}) {
		t.Errorf("AppendRaster changed the bitmap itself")
	}
}
