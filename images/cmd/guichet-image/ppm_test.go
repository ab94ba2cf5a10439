package main

import (
	"bytes"
	"image/color"
	"strings"
	"testing"
)

func TestDecodePPM(t *testing.T) {
	// 2×2 with a comment, as netpbm allows and qemu does not write.
	src := "P6\n# qemu\n2 2\n255\n" + string([]byte{
		255, 0, 0, 0, 255, 0,
		0, 0, 255, 10, 20, 30,
	})
	img, err := decodePPM(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 2 || b.Dy() != 2 {
		t.Fatalf("bounds %v", b)
	}
	if got := img.RGBAAt(1, 1); got != (color.RGBA{10, 20, 30, 255}) {
		t.Errorf("pixel (1,1) = %v", got)
	}
	if got := img.RGBAAt(1, 0); got != (color.RGBA{0, 255, 0, 255}) {
		t.Errorf("pixel (1,0) = %v", got)
	}
	if n := colours(img, 100); n != 4 {
		t.Errorf("colours = %d, want 4", n)
	}
	if n := colours(img, 2); n != 2 {
		t.Errorf("colours stops at its limit: got %d", n)
	}
}

func TestDecodePPMRefuses(t *testing.T) {
	for name, src := range map[string]string{
		"P3 text":     "P3\n1 1\n255\n0 0 0\n",
		"16 bits":     "P6\n1 1\n65535\n\x00\x00\x00\x00\x00\x00",
		"huge":        "P6\n100000 100000\n255\n",
		"short":       "P6\n2 2\n255\n\x00\x00\x00",
		"no header":   "",
		"zero width":  "P6\n0 1\n255\n",
		"long field":  "P6\n11111111111111111111 1\n255\n",
		"not numbers": "P6\nab 1\n255\n",
	} {
		if _, err := decodePPM(strings.NewReader(src)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func FuzzDecodePPM(f *testing.F) {
	f.Add([]byte("P6\n1 1\n255\n\x01\x02\x03"))
	f.Add([]byte("P6 # c\n2 1 255 abcdef"))
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := decodePPM(bytes.NewReader(b))
		if err != nil {
			return
		}
		if n := len(img.Pix) / 4 * 3; n > len(b) {
			t.Fatalf("%d pixel bytes from %d bytes of input", n, len(b))
		}
	})
}
