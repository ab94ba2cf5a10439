package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/color"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/ui"
)

// BenchmarkColdStart measures what a buyer compares: from starting the
// kiosk to its home screen on the panel, and how much memory it then
// holds — next to Chromium in kiosk mode (Debian's chromium) showing the
// same home screen as a static page, on the same Xvfb, in the same run.
//
// Each iteration starts the kiosk, then Chromium (in turn, so that both
// see the same load), and the metrics are each one's mean, prefixed with
// its name: start-ms from the process start to the first frame in the X
// server that shows the start button (read back with xwd, polled every few
// tens of ms, which bounds the resolution), rss-MiB and pss-MiB the memory
// of the whole process tree 2 s later (RSS counts shared pages in each
// process, PSS shares them out), procs its number of processes; the
// kiosk's log-ms is when it logs "home screen is up". Chromium's start
// includes its own kiosk-mode window; the kiosk's includes opening the
// store, the print queue and guichet-devsim's devices. The page cache is
// warm (an untimed start of each comes first, which also makes the kiosk's
// development keys and Chromium's profile).
func BenchmarkColdStart(b *testing.B) {
	requireTools(b, "Xvfb", "xwd", "chromium")
	kioskBin, devsimBin := binaries(b)
	x := startXvfb(b, panel)
	p, err := pack.Embedded("ma")
	if err != nil {
		b.Fatal(err)
	}
	court, err := kioskCourt(p, "")
	if err != nil {
		b.Fatal(err)
	}
	o := newOracle(b, p, court)
	o.place(image.Rectangle{Max: panel})
	start := o.button(flow.TapStart)
	if start == nil {
		b.Fatal("the attract screen has no start button")
	}
	sr := o.rect(start)
	drawn := primaryDrawn(color.RGBAModel.Convert(start.Fill).(color.RGBA), sr.Dx()*sr.Dy()/2)

	dir := b.TempDir()
	devDir := filepath.Join(dir, "dev")
	if err := os.Mkdir(devDir, 0o755); err != nil {
		b.Fatal(err)
	}
	dev := startDevsim(b, devsimBin, devDir)
	data := filepath.Join(dir, "data")
	kiosk := func() startup {
		var s startup
		t0 := time.Now()
		kp := startKiosk(b, x, kioskBin, data, dev, "-fullscreen")
		logged := make(chan time.Duration, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := kp.log.waitLine(ctx, 0, func(l string) bool { return strings.Contains(l, "home screen is up") }); err == nil {
				logged <- time.Since(t0)
			}
			close(logged)
		}()
		s.frame = waitDrawn(b, x, t0, drawn)
		s.log = <-logged
		if s.log == 0 {
			b.Fatalf("the kiosk did not log its home screen:\n%s", tail(kp.log.text(), 20))
		}
		time.Sleep(2 * time.Second)
		s.mem = treeMemory(b, kp.cmd.Process.Pid)
		if err := kp.stop(); err != nil {
			b.Errorf("stopping the kiosk: %v", err)
		}
		waitGone(b, x, drawn)
		return s
	}

	page, err := writeAttractPage(o, filepath.Join(dir, "page"))
	if err != nil {
		b.Fatal(err)
	}
	profile := filepath.Join(dir, "profile")
	chromium := func() startup {
		var s startup
		t0 := time.Now()
		cmd := exec.Command("chromium", "--kiosk", "--no-sandbox", "--disable-gpu",
			"--disable-background-networking", "--disable-component-update", "--disable-sync",
			"--no-first-run", "--no-default-browser-check", "--password-store=basic",
			"--window-position=0,0", fmt.Sprintf("--window-size=%d,%d", panel.X, panel.Y),
			"--user-data-dir="+profile, "file://"+page)
		cmd.Env = x.env()
		logf, err := os.Create(filepath.Join(dir, "chromium.log"))
		if err != nil {
			b.Fatal(err)
		}
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
		// Its own process group: stopping it ends every process it
		// started, and nothing else.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
			}
		}
		defer stop()
		s.frame = waitDrawn(b, x, t0, drawn)
		time.Sleep(2 * time.Second)
		s.mem = treeMemory(b, cmd.Process.Pid)
		stop()
		waitGone(b, x, drawn)
		return s
	}

	// First starts, untimed: the kiosk's development keys, store and print
	// queue; Chromium's profile.
	kiosk()
	chromium()
	b.ResetTimer()
	var ks, cs []startup
	for range b.N {
		// In turn, so that both see the same load on a shared machine.
		ks = append(ks, kiosk())
		cs = append(cs, chromium())
	}
	report(b, "guichet-", ks, true)
	report(b, "chromium-", cs, false)
}

// startup is one measured start.
type startup struct {
	frame, log time.Duration
	mem        memory
}

// report adds one program's means to the benchmark's metrics, under units
// prefixed with its name.
func report(b *testing.B, prefix string, all []startup, logged bool) {
	var frame, log time.Duration
	var rss, pss, procs float64
	for _, s := range all {
		frame += s.frame
		log += s.log
		rss += float64(s.mem.rssKiB) / 1024
		pss += float64(s.mem.pssKiB) / 1024
		procs += float64(s.mem.procs)
	}
	n := float64(len(all))
	b.ReportMetric(float64(frame.Milliseconds())/n, prefix+"start-ms")
	if logged {
		b.ReportMetric(float64(log.Milliseconds())/n, prefix+"log-ms")
	}
	b.ReportMetric(rss/n, prefix+"rss-MiB")
	b.ReportMetric(pss/n, prefix+"pss-MiB")
	b.ReportMetric(procs/n, prefix+"procs")
}

// primaryDrawn says whether a frame shows the home screen's start button:
// at least min pixels of its fill colour.
func primaryDrawn(fill color.RGBA, min int) func(*image.RGBA) bool {
	return func(img *image.RGBA) bool {
		n := 0
		for i := 0; i+3 < len(img.Pix); i += 4 {
			if img.Pix[i] == fill.R && img.Pix[i+1] == fill.G && img.Pix[i+2] == fill.B {
				if n++; n >= min {
					return true
				}
			}
		}
		return false
	}
}

// waitDrawn polls the screen until drawn, and returns the time since t0.
func waitDrawn(tb testing.TB, x *xserver, t0 time.Time, drawn func(*image.RGBA) bool) time.Duration {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		img, err := x.screenshot(ctx)
		if err != nil {
			tb.Fatalf("no home screen within a minute: %v", err)
		}
		if drawn(img) {
			return time.Since(t0)
		}
	}
}

// waitGone waits for the home screen to leave the screen after a stop, so
// that the next start is not measured on a stale frame.
func waitGone(tb testing.TB, x *xserver, drawn func(*image.RGBA) bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		img, err := x.screenshot(ctx)
		if err != nil {
			tb.Fatalf("the home screen stayed on the screen after the stop: %v", err)
		}
		if !drawn(img) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// memory is what a process tree holds.
type memory struct {
	rssKiB, pssKiB int64
	procs          int
}

// treeMemory sums the resident and proportional set sizes of pid and all
// its descendants, from /proc.
func treeMemory(tb testing.TB, pid int) memory {
	tb.Helper()
	children := map[int][]int{}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone
		}
		// pid (comm) state ppid …: comm may hold spaces and parentheses.
		rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if pp, err := strconv.Atoi(f[1]); err == nil {
			children[pp] = append(children[pp], p)
		}
	}
	var m memory
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		queue = append(queue, children[p]...)
		rss := procField(fmt.Sprintf("/proc/%d/status", p), "VmRSS:")
		pss := procField(fmt.Sprintf("/proc/%d/smaps_rollup", p), "Pss:")
		if rss < 0 {
			continue // gone, or a zombie
		}
		m.rssKiB += rss
		m.pssKiB += max(pss, 0)
		m.procs++
	}
	return m
}

// procField reads a "Name: N kB" line of a /proc file (-1 when missing).
func procField(path, name string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

// writeAttractPage writes the oracle's attract screen as a static HTML page
// in dir, with the bundled fonts beside it, and returns its path: every
// rectangle, text run and icon the kiosk draws, at its place, in its
// colours and fonts — the texts are the pack's, laid out by our own bidi
// layer, so the page shows exactly what the kiosk does.
func writeAttractPage(o *oracle, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if o.screen().Kind != flow.KindAttract {
		return "", fmt.Errorf("the oracle shows %s, not the attract screen", o.screen().Kind)
	}
	o.fit()
	bg := ui.Theme().Color(theme.ColorNameBackground, theme.VariantLight)
	var body strings.Builder
	fonts := map[string]string{} // resource name → CSS family
	var fontErr error
	walkTree(o.k.Content(), fyne.Position{}, func(obj fyne.CanvasObject, pos fyne.Position) {
		size := obj.Size()
		box := fmt.Sprintf("left:%.1fpx;top:%.1fpx;width:%.1fpx;height:%.1fpx", pos.X, pos.Y, size.Width, size.Height)
		switch c := obj.(type) {
		case *canvas.Rectangle:
			_, _, _, a := c.FillColor.RGBA()
			if a == 0 && c.StrokeWidth == 0 {
				return
			}
			style := box + ";background:" + css(c.FillColor) + fmt.Sprintf(";border-radius:%.1fpx", c.CornerRadius)
			if c.StrokeWidth > 0 && c.StrokeColor != nil {
				style += fmt.Sprintf(";border:%.1fpx solid %s", c.StrokeWidth, css(c.StrokeColor))
			}
			fmt.Fprintf(&body, "<div style=\"%s\"></div>\n", style)
		case *canvas.Text:
			if c.Text == "" {
				return
			}
			family := "sans-serif"
			if c.FontSource != nil {
				name := c.FontSource.Name()
				if _, ok := fonts[name]; !ok {
					fonts[name] = fmt.Sprintf("f%d", len(fonts))
					if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), c.FontSource.Content(), 0o644); err != nil {
						fontErr = err
					}
				}
				family = fonts[name]
			}
			align := map[fyne.TextAlign]string{fyne.TextAlignLeading: "left", fyne.TextAlignCenter: "center", fyne.TextAlignTrailing: "right"}[c.Alignment]
			weight := "normal"
			if c.TextStyle.Bold {
				weight = "bold"
			}
			fmt.Fprintf(&body, "<div style=\"%s;font-family:%s;font-size:%.1fpx;line-height:%.1fpx;color:%s;text-align:%s;font-weight:%s\">%s</div>\n",
				box, family, c.TextSize, c.MinSize().Height, css(c.Color), align, weight, html.EscapeString(c.Text))
		case *canvas.Image:
			if c.Resource == nil {
				return
			}
			mime := "image/png"
			if strings.HasSuffix(c.Resource.Name(), ".svg") || strings.Contains(string(c.Resource.Content()[:min(len(c.Resource.Content()), 100)]), "<svg") {
				mime = "image/svg+xml"
			}
			fmt.Fprintf(&body, "<img style=\"%s;object-fit:contain\" src=\"data:%s;base64,%s\">\n", box, mime, base64.StdEncoding.EncodeToString(c.Resource.Content()))
		}
	})
	if fontErr != nil {
		return "", fontErr
	}
	var faces strings.Builder
	for name, family := range fonts {
		fmt.Fprintf(&faces, "@font-face{font-family:%s;src:url(%q)}\n", family, filepath.Base(name))
	}
	page := fmt.Sprintf(`<!doctype html>
<html><head><meta charset="utf-8"><title>Guichet</title>
<style>
%shtml,body{margin:0;padding:0;overflow:hidden;background:%s}
body{position:relative;width:%dpx;height:%dpx}
div,img{position:absolute;box-sizing:border-box;white-space:pre;overflow:visible}
</style></head><body>
%s</body></html>
`, faces.String(), css(bg), panel.X, panel.Y, body.String())
	path := filepath.Join(dir, "attract.html")
	return path, os.WriteFile(path, []byte(page), 0o644)
}

// walkTree visits every visible object with its position in the tree.
func walkTree(obj fyne.CanvasObject, origin fyne.Position, visit func(fyne.CanvasObject, fyne.Position)) {
	if !obj.Visible() {
		return
	}
	pos := origin.Add(obj.Position())
	visit(obj, pos)
	switch w := obj.(type) {
	case *fyne.Container:
		for _, c := range w.Objects {
			walkTree(c, pos, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(w).Objects() {
			walkTree(c, pos, visit)
		}
	}
}

func css(c color.Color) string {
	n := color.NRGBAModel.Convert(c).(color.NRGBA)
	return fmt.Sprintf("rgba(%d,%d,%d,%.3f)", n.R, n.G, n.B, float64(n.A)/255)
}
