package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real-window tests need an X server without a screen (Xvfb), a way to
// read its frame buffer (xwd) and to tap and type into it (xdotool). They
// skip without them on a developer's machine and fail on CI, where
// images/install-host-packages.sh must have installed them.
func requireTools(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				tb.Fatalf("%s is missing: images/install-host-packages.sh installs it", tool)
			}
			tb.Skipf("%s is missing (images/install-host-packages.sh installs it; make test does)", tool)
		}
	}
}

// xserver is an Xvfb display the size of the reference kiosk panel.
type xserver struct {
	display string
	size    image.Point
}

// startXvfb starts an X server on a free display, stopped when tb ends.
func startXvfb(tb testing.TB, size image.Point, extra ...string) *xserver {
	tb.Helper()
	for n := 120; n < 400; n++ {
		if x := tryXvfb(tb, n, size, extra...); x != nil {
			return x
		}
	}
	tb.Fatal("no free X display between :120 and :399")
	return nil
}

// tryXvfb starts Xvfb on display n, or returns nil when the display is
// taken (another test may take it between our check and the start).
func tryXvfb(tb testing.TB, n int, size image.Point, extra ...string) *xserver {
	sock, lock := fmt.Sprintf("/tmp/.X11-unix/X%d", n), fmt.Sprintf("/tmp/.X%d-lock", n)
	if exists(sock) || exists(lock) {
		return nil
	}
	display := fmt.Sprintf(":%d", n)
	args := append([]string{display, "-screen", "0", fmt.Sprintf("%dx%dx24", size.X, size.Y), "-nolisten", "tcp", "-noreset"}, extra...)
	cmd := exec.Command("Xvfb", args...)
	var out bytes.Buffer
	cmd.Stderr = &out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("Xvfb: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(15 * time.Second)
	for !exists(sock) {
		select {
		case <-exited:
			tb.Logf("Xvfb %s did not start: %s", display, strings.TrimSpace(out.String()))
			return nil
		case <-deadline:
			cmd.Process.Kill()
			<-exited
			tb.Fatalf("Xvfb %s: no socket after 15 s: %s", display, out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	return &xserver{display: display, size: size}
}

// env is the environment of a program that draws on the server.
func (x *xserver) env() []string {
	env := append(os.Environ(), "DISPLAY="+x.display)
	// Fyne cannot parse the POSIX locale names C and POSIX as languages.
	if l := os.Getenv("LANG"); l == "" || l == "C" || l == "POSIX" || strings.HasPrefix(l, "C.") {
		env = append(env, "LANG=en_US.UTF-8")
	}
	return env
}

func (x *xserver) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = x.env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// screenshot reads the whole screen with xwd, as `make run` does.
func (x *xserver) screenshot(ctx context.Context) (*image.RGBA, error) {
	out, err := x.run(ctx, "xwd", "-root", "-silent")
	if err != nil {
		return nil, err
	}
	return decodeXWD(bytes.NewReader(out))
}

// click taps at p, in screen pixels.
func (x *xserver) click(ctx context.Context, p image.Point) error {
	_, err := x.run(ctx, "xdotool", "mousemove", strconv.Itoa(p.X), strconv.Itoa(p.Y), "click", "1")
	return err
}

// typeText types s on the X server's keyboard, as a technician's USB
// keyboard would; xdotool maps characters missing from the keymap itself.
func (x *xserver) typeText(ctx context.Context, s string) error {
	_, err := x.run(ctx, "xdotool", "type", "--delay", "60", "--", s)
	return err
}

// window finds the top-level window named name and returns its place.
func (x *xserver) window(ctx context.Context, name string) (image.Rectangle, error) {
	out, err := x.run(ctx, "xdotool", "search", "--name", "^"+name+"$", "getwindowgeometry", "--shell")
	if err != nil {
		return image.Rectangle{}, err
	}
	v := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if k, val, ok := strings.Cut(sc.Text(), "="); ok {
			n, err := strconv.Atoi(val)
			if err == nil {
				v[k] = n
			}
		}
	}
	if v["WIDTH"] == 0 || v["HEIGHT"] == 0 {
		return image.Rectangle{}, fmt.Errorf("xdotool getwindowgeometry: no geometry in %q", out)
	}
	return image.Rect(v["X"], v["Y"], v["X"]+v["WIDTH"], v["Y"]+v["HEIGHT"]), nil
}

// decodeXWD decodes an X Window Dump in ZPixmap format with 24 or 32 bits
// per pixel and true-colour masks, which is what `xwd -root` writes for a
// 24-bit Xvfb screen.
func decodeXWD(r io.Reader) (*image.RGBA, error) {
	var h [25]uint32
	if err := binary.Read(r, binary.BigEndian, &h); err != nil {
		return nil, fmt.Errorf("xwd: header: %w", err)
	}
	headerSize, version, format := h[0], h[1], h[2]
	width, height, byteOrder := int(h[4]), int(h[5]), h[7]
	bpp, bytesPerLine := int(h[11]), int(h[12])
	masks := [3]uint32{h[14], h[15], h[16]}
	ncolors := h[19]
	switch {
	case version != 7:
		return nil, fmt.Errorf("xwd: file version %d, want 7", version)
	case format != 2:
		return nil, fmt.Errorf("xwd: pixmap format %d, want ZPixmap (2)", format)
	case bpp != 24 && bpp != 32:
		return nil, fmt.Errorf("xwd: %d bits per pixel, want 24 or 32", bpp)
	case width <= 0 || height <= 0 || width > 1<<14 || height > 1<<14 || bytesPerLine < width*bpp/8:
		return nil, fmt.Errorf("xwd: bad geometry %dx%d, %d bytes a line", width, height, bytesPerLine)
	case headerSize < 100 || headerSize > 1<<16:
		return nil, fmt.Errorf("xwd: header size %d", headerSize)
	}
	// The window name, then the colour map (12 bytes an entry).
	if _, err := io.CopyN(io.Discard, r, int64(headerSize-100)+int64(ncolors)*12); err != nil {
		return nil, fmt.Errorf("xwd: header: %w", err)
	}
	data := make([]byte, bytesPerLine*height)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, fmt.Errorf("xwd: pixels: %w", err)
	}
	var shift [3]uint
	for i, m := range masks {
		if m == 0 {
			return nil, errors.New("xwd: not a true-colour image")
		}
		for m&1 == 0 {
			m >>= 1
			shift[i]++
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	step := bpp / 8
	for y := 0; y < height; y++ {
		line := data[y*bytesPerLine:]
		o := img.Pix[y*img.Stride:]
		for x := 0; x < width; x++ {
			b := line[x*step : x*step+step]
			var v uint32
			if byteOrder == 0 { // LSBFirst
				for i := step - 1; i >= 0; i-- {
					v = v<<8 | uint32(b[i])
				}
			} else {
				for i := 0; i < step; i++ {
					v = v<<8 | uint32(b[i])
				}
			}
			o[4*x] = uint8((v & masks[0]) >> shift[0])
			o[4*x+1] = uint8((v & masks[1]) >> shift[1])
			o[4*x+2] = uint8((v & masks[2]) >> shift[2])
			o[4*x+3] = 0xFF
		}
	}
	return img, nil
}

// blankness says why a frame is not a drawn screen ("" when it is): a
// screen with one colour nearly everywhere, or hardly any colours, shows
// nothing a citizen could read.
func blankness(img *image.RGBA) string {
	counts := map[color.RGBA]int{}
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			counts[img.RGBAAt(x, y)]++
			n++
		}
	}
	top := 0
	for _, c := range counts {
		top = max(top, c)
	}
	switch {
	case len(counts) < 8:
		return fmt.Sprintf("only %d colours", len(counts))
	case top*100 > n*97:
		return fmt.Sprintf("%d%% of the screen is one colour", top*100/n)
	}
	return ""
}

func samePixels(a, b *image.RGBA) bool {
	return a != nil && b != nil && a.Rect == b.Rect && bytes.Equal(a.Pix, b.Pix)
}

// writePNG saves a frame.
func writePNG(path string, img image.Image) error {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
