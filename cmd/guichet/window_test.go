package main

import (
	"bufio"
	"context"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRealWindow builds the kiosk, starts it in a real X server (Xvfb), waits
// for it to report the home screen, and checks the screen the X server holds:
// the same path `make run` takes without a display.
func TestRealWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kiosk with cgo and starts Xvfb")
	}
	for _, tool := range []string{"Xvfb", "xwd", "/usr/bin/convert"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is missing: images/install-host-packages.sh installs it", tool)
			}
			t.Skipf("%s is missing (make test installs it)", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "guichet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	display := startXvfb(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-data", filepath.Join(dir, "data"), "-dev", "-pack", "ma")
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "LANG=en_US.UTF-8")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()

	up := make(chan string, 1)
	go func() {
		var seen strings.Builder
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "home screen is up") {
				up <- sc.Text()
				return
			}
		}
		up <- "EXITED\n" + seen.String()
	}()
	select {
	case line := <-up:
		if strings.HasPrefix(line, "EXITED") {
			t.Fatalf("the kiosk stopped before showing the home screen:\n%s", line)
		}
		for _, want := range []string{"pack=ma", "languages=4"} {
			if !strings.Contains(line, want) {
				t.Errorf("start-up line %q lacks %q", line, want)
			}
		}
	case <-ctx.Done():
		t.Fatal("no home screen within 2 minutes")
	}
	time.Sleep(time.Second) // let the first frames reach the X server

	shot := filepath.Join(dir, "home.png")
	xwd := exec.Command("sh", "-c", fmt.Sprintf("xwd -root -silent -display %s | /usr/bin/convert xwd:- %s", display, shot))
	if out, err := xwd.CombinedOutput(); err != nil {
		t.Fatalf("screenshot: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The home screen is a light page with four blue language buttons: a
	// blank or black screen, or one without the buttons, fails.
	b := img.Bounds()
	var light, blue int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			switch {
			case r > 230 && g > 230 && bl > 230:
				light++
			case bl > 200 && r < 100 && g > 80 && g < 160:
				blue++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if light < total/3 {
		t.Errorf("only %d of %d sampled pixels are light: the page is not drawn", light, total)
	}
	if blue < total/20 {
		t.Errorf("only %d of %d sampled pixels are button blue: the language buttons are not drawn", blue, total)
	}
}

// startXvfb starts an X server on a free display and returns its name.
func startXvfb(t *testing.T) string {
	t.Helper()
	n := 120
	for ; n < 200; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); os.IsNotExist(err) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
				break
			}
		}
	}
	display := fmt.Sprintf(":%d", n)
	x := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		x.Process.Kill()
		x.Wait()
	})
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			return display
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("Xvfb did not start on %s", display)
	return ""
}
