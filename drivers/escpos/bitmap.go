package escpos

import (
	"image"
)

// Bitmap is a 1-bit image as GS v 0 sends it: Stride bytes a row, the most
// significant bit leftmost, 1 for a black dot.
type Bitmap struct {
	W, H   int
	Stride int
	Pix    []byte
}

// NewBitmap returns a white bitmap; its width is rounded up to whole bytes.
func NewBitmap(w, h int) *Bitmap {
	stride := (w + 7) / 8
	return &Bitmap{W: w, H: h, Stride: stride, Pix: make([]byte, stride*h)}
}

// Set blackens the dot at (x, y); dots outside are ignored.
func (b *Bitmap) Set(x, y int) {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return
	}
	b.Pix[y*b.Stride+x/8] |= 0x80 >> (x % 8)
}

// At reports whether the dot at (x, y) is black.
func (b *Bitmap) At(x, y int) bool {
	if x < 0 || y < 0 || x >= b.W || y >= b.H {
		return false
	}
	return b.Pix[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Ink returns the smallest rectangle holding every black dot, empty when
// there is none.
func (b *Bitmap) Ink() image.Rectangle {
	r := image.Rectangle{Min: image.Pt(b.W, b.H)}
	for y := 0; y < b.H; y++ {
		row := b.Pix[y*b.Stride : (y+1)*b.Stride]
		for i, v := range row {
			if v == 0 {
				continue
			}
			x0 := i*8 + leadingZeros(v)
			x1 := i*8 + 8 - trailingZeros(v)
			r.Min.X, r.Max.X = min(r.Min.X, x0), max(r.Max.X, x1)
			r.Min.Y, r.Max.Y = min(r.Min.Y, y), max(r.Max.Y, y+1)
		}
	}
	if r.Max.X <= r.Min.X {
		return image.Rectangle{}
	}
	return r
}

func leadingZeros(v byte) int {
	n := 0
	for v&0x80 == 0 {
		v <<= 1
		n++
	}
	return n
}

func trailingZeros(v byte) int {
	n := 0
	for v&1 == 0 {
		v >>= 1
		n++
	}
	return n
}

// Crop returns the columns [x0, x1) of rows [y0, y1) as a new bitmap; x0
// must be a multiple of 8.
func (b *Bitmap) Crop(x0, x1, y0, y1 int) *Bitmap {
	out := NewBitmap(x1-x0, y1-y0)
	for y := y0; y < y1; y++ {
		copy(out.Pix[(y-y0)*out.Stride:(y-y0+1)*out.Stride], b.Pix[y*b.Stride+x0/8:])
	}
	// Clear the bits past x1 in the last byte of each row.
	if rem := out.W % 8; rem != 0 {
		mask := byte(0xFF) << (8 - rem)
		for y := 0; y < out.H; y++ {
			out.Pix[y*out.Stride+out.Stride-1] &= mask
		}
	}
	return out
}

// Draw copies src's black dots onto b with src's top left at (x, y).
func (b *Bitmap) Draw(src *Bitmap, x, y int) {
	for sy := 0; sy < src.H; sy++ {
		for sx := 0; sx < src.W; sx++ {
			if src.At(sx, sy) {
				b.Set(x+sx, y+sy)
			}
		}
	}
}

// Gray returns the bitmap as a black-on-white image.
func (b *Bitmap) Gray() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, b.W, max(b.H, 1)))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for y := 0; y < b.H; y++ {
		for x := 0; x < b.W; x++ {
			if b.At(x, y) {
				img.Pix[y*img.Stride+x] = 0
			}
		}
	}
	return img
}
