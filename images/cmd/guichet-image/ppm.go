package main

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
	"strconv"
)

// maxPPMPixels bounds the picture a screendump may announce (8K × 8K), so
// a corrupt header cannot ask for gigabytes.
const maxPPMPixels = 8192 * 8192

// decodePPM reads a binary PPM (P6, 8 bits a channel): what qemu's
// monitor writes for "screendump".
func decodePPM(r io.Reader) (*image.RGBA, error) {
	br := bufio.NewReader(r)
	var fields [4]int
	magic, err := ppmToken(br)
	if err != nil {
		return nil, fmt.Errorf("ppm: reading the header: %w", err)
	}
	if magic != "P6" {
		return nil, fmt.Errorf("ppm: not a binary PPM (starts %q, want P6)", magic)
	}
	for i := 1; i < 4; i++ {
		tok, err := ppmToken(br)
		if err != nil {
			return nil, fmt.Errorf("ppm: reading the header: %w", err)
		}
		n, err := strconv.Atoi(tok)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("ppm: header field %q is not a positive number", tok)
		}
		fields[i] = n
	}
	w, h, maxval := fields[1], fields[2], fields[3]
	if maxval != 255 {
		return nil, fmt.Errorf("ppm: %d levels a channel; only 255 is read", maxval)
	}
	if w > 8192 || h > 8192 || w*h > maxPPMPixels {
		return nil, fmt.Errorf("ppm: %d×%d is larger than a screen", w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	row := make([]byte, 3*w)
	for y := 0; y < h; y++ {
		if _, err := io.ReadFull(br, row); err != nil {
			return nil, fmt.Errorf("ppm: the picture ends at row %d of %d: %w", y, h, err)
		}
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{row[3*x], row[3*x+1], row[3*x+2], 0xff})
		}
	}
	return img, nil
}

// ppmToken reads one header field: skips white space and # comments, then
// reads up to the white space that ends the field (and consumes it, as the
// single byte before the pixels must be).
func ppmToken(br *bufio.Reader) (string, error) {
	var tok []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return "", err
		}
		switch {
		case c == '#' && len(tok) == 0:
			if _, err := br.ReadString('\n'); err != nil {
				return "", io.ErrUnexpectedEOF
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(tok) > 0 {
				return string(tok), nil
			}
		default:
			if len(tok) >= 16 {
				return "", errors.New("a header field longer than 16 bytes")
			}
			tok = append(tok, c)
		}
	}
}

// colours counts the distinct colours of img, stopping at limit: a window
// that drew something has many; a black or blank screen has one or two.
func colours(img *image.RGBA, limit int) int {
	seen := map[uint32]bool{}
	p := img.Pix
	for i := 0; i+3 < len(p) && len(seen) < limit; i += 4 {
		seen[uint32(p[i])<<16|uint32(p[i+1])<<8|uint32(p[i+2])] = true
	}
	return len(seen)
}
