package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"guichet/drivers/idscan/idscansim"
	"guichet/drivers/mrz"
	"guichet/kiosk/clock"
	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/pack"
	"guichet/ui"
)

// oracle is the touchscreen the real kiosk should be showing: the same
// flow, pack and ui, wired as run wires them but on fakes, rendered by
// Fyne's test driver at the real window's size. The real-window test taps
// the real kiosk and the oracle alike; the oracle says where a button
// stands (so that a tap lands on it) and what the next frame must look
// like (each button's fill where the oracle draws it).
type oracle struct {
	pack *pack.Pack
	flow *flow.Flow
	k    *ui.Kiosk
	w    fyne.Window
	// origin is where the content's top left corner is on the X screen,
	// inner the size the real window gives it.
	origin  image.Point
	inner   fyne.Size
	laidOut fyne.Size // the layout size of the last frame that matched
	maxMin  fyne.Size // the largest minimum size of the screens so far
}

func newOracle(tb testing.TB, p *pack.Pack, court string) *oracle {
	tb.Helper()
	test.NewTempApp(tb).Settings().SetTheme(ui.Theme())
	clk := clock.NewFake(time.Now())
	o := &oracle{pack: p}
	var err error
	// The same dependencies as run gives the flow, no more: a service
	// the real kiosk cannot offer must be missing here too.
	o.flow, err = flow.New(flow.Config{KioskCourt: court, Location: time.Local}, flow.Deps{
		Pack:       p,
		Store:      flowtest.NewStore(clk),
		Payments:   &flowtest.Payments{},
		Receipts:   &flowtest.Printer{},
		Tracker:    &flowtest.Tracker{},
		Technician: &flowtest.Technician{},
		Clock:      clk, // never moves: no idle timeout in the oracle
		Rand:       bytes.NewReader(bytes.Repeat([]byte("oracle-rand-src!"), 1<<10)),
		Changed: func() {
			if o.k != nil {
				o.k.Changed()
			}
		},
		Go: func(f func()) { f() },
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(o.flow.Close)
	o.k = ui.New(o.flow, p, ui.Options{})
	o.w = test.NewTempWindow(tb, o.k.Content())
	o.w.SetPadded(false)
	o.w.Resize(fyne.NewSize(1280, 800))
	return o
}

// place puts the oracle's content where the real window's content is.
func (o *oracle) place(r image.Rectangle) {
	o.origin, o.laidOut = r.Min, fyne.Size{}
	o.inner = fyne.NewSize(float32(r.Dx()), float32(r.Dy()))
	o.w.Resize(o.inner)
}

// sizes are the sizes at which Fyne's OpenGL canvas may have laid the
// screen out. When a screen's minimum size is larger than the window, the
// canvas grows to it (the overflow is cut off at the window's edge) and
// shrinks back only when the window reports its size again, so the layout
// may be at the window's size, at this screen's minimum size, or at the
// largest minimum size seen so far. A window at least as large as every
// screen has one size.
func (o *oracle) sizes() []fyne.Size {
	min := o.k.Content().MinSize()
	o.maxMin = o.maxMin.Max(min)
	var out []fyne.Size
	for _, w := range []float32{o.inner.Width, max(o.inner.Width, min.Width), max(o.inner.Width, o.maxMin.Width)} {
		for _, h := range []float32{o.inner.Height, max(o.inner.Height, min.Height), max(o.inner.Height, o.maxMin.Height)} {
			if s := fyne.NewSize(w, h); !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// fit lays the screen out at the size that last matched the real one.
func (o *oracle) fit() {
	s := o.laidOut
	if s == (fyne.Size{}) {
		s = o.sizes()[0]
	}
	if c := o.k.Content(); c.Size() != s {
		c.Resize(s)
	}
}

func (o *oracle) screen() flow.Screen { return o.k.Screen() }

// button is a flow button or a keyboard key of the screen shown.
func (o *oracle) button(id string) *ui.Button {
	if b := o.k.Buttons[id]; b != nil && b.Visible() {
		return b
	}
	if b := o.k.Keys[id]; b != nil && b.Visible() {
		return b
	}
	return nil
}

// rect is where an object of the oracle's screen stands on the X screen.
func (o *oracle) rect(obj fyne.CanvasObject) image.Rectangle {
	o.fit()
	return o.at(obj)
}

// at is where obj stands in the oracle's current layout.
func (o *oracle) at(obj fyne.CanvasObject) image.Rectangle {
	d := fyne.CurrentApp().Driver()
	p := d.AbsolutePositionForObject(obj).Subtract(d.AbsolutePositionForObject(o.k.Content()))
	min := o.origin.Add(image.Pt(int(p.X+0.5), int(p.Y+0.5)))
	s := obj.Size()
	return image.Rectangle{Min: min, Max: min.Add(image.Pt(int(s.Width+0.5), int(s.Height+0.5)))}
}

// buttons are the screen's enabled buttons and keys, each once.
func (o *oracle) buttons() []*ui.Button {
	var out []*ui.Button
	seen := map[*ui.Button]bool{}
	for _, m := range []map[string]*ui.Button{o.k.Buttons, o.k.Keys} {
		for _, b := range m {
			if b == nil || seen[b] || !b.Visible() || b.Disabled {
				continue
			}
			seen[b] = true
			out = append(out, b)
		}
	}
	return out
}

// mismatch says how a frame differs from the oracle's screen ("" when it
// does not): every enabled button must show its fill colour just inside
// its four corners (clear of the rounded corner, the selection border and
// the label) and 3 px inside the middle of each edge (inside the border of
// a selected one), so that a button 4 px off is found. Text is not compared: the real window draws it with
// OpenGL, the oracle with a software painter. Points off the screen are
// not looked at (a layout wider than the window is cut at its edge).
func (o *oracle) mismatch(img *image.RGBA) string {
	var first string
	for _, size := range o.sizes() {
		o.k.Content().Resize(size)
		why := o.mismatchAt(img)
		if why == "" {
			o.laidOut = size
			return ""
		}
		if first == "" {
			first = why
		}
	}
	return first
}

func (o *oracle) mismatchAt(img *image.RGBA) string {
	var bad []string
	bs := o.buttons()
	for _, b := range bs {
		r := o.at(b)
		mx, my := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2
		if !image.Pt(mx, my).In(img.Bounds()) {
			bad = append(bad, fmt.Sprintf("%q at %v is off the screen", b.ID, r))
			continue
		}
		want := color.RGBAModel.Convert(b.Fill).(color.RGBA)
		const in = 11
		edge := 3
		if b.Selected {
			edge = 9 // inside the 6-unit selection border
		}
		points := []image.Point{
			{r.Min.X + in, r.Min.Y + in}, {r.Max.X - 1 - in, r.Min.Y + in}, {r.Min.X + in, r.Max.Y - 1 - in}, {r.Max.X - 1 - in, r.Max.Y - 1 - in},
			{r.Min.X + edge, my}, {r.Max.X - 1 - edge, my}, {mx + in, r.Min.Y + edge}, {mx + in, r.Max.Y - 1 - edge},
		}
		var wrong []string
		for _, p := range points {
			if !p.In(img.Bounds()) {
				continue
			}
			if px := img.RGBAAt(p.X, p.Y); !near(px, want) {
				wrong = append(wrong, fmt.Sprintf("%v is %v", p, px))
			}
		}
		// One point may fall on a glyph of a label that fills its button.
		if len(wrong) > 1 {
			bad = append(bad, fmt.Sprintf("%q at %v, fill %v: %s", b.ID, r, want, strings.Join(wrong, ", ")))
		}
	}
	if len(bs) == 0 {
		return "the oracle shows no button"
	}
	if len(bad) > 0 {
		if len(bad) > 3 {
			bad = append(bad[:3], fmt.Sprintf("and %d more", len(bad)-3))
		}
		return fmt.Sprintf("%s screen: %s", o.screen().Kind, strings.Join(bad, "; "))
	}
	return ""
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) bool { return x-y < 5 || y-x < 5 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B)
}

// sampleCard is the flow's card for one of guichet-devsim's sample cards,
// read as the kiosk reads it (drivers/mrz with the pack's national number,
// then cardOf).
func sampleCard(tb testing.TB, p *pack.Pack, name string) flow.Card {
	tb.Helper()
	c, ok := idscansim.Sample(name, time.Now())
	if !ok {
		tb.Fatalf("idscansim has no sample card %q", name)
	}
	loc := p.MRZNationalNumber
	m, err := mrz.Parse(c.Lines, mrz.Options{NationalNumber: mrz.Location{Field: loc.Field, Pattern: loc.Pattern, IssuingStates: loc.IssuingStates}})
	if err != nil {
		tb.Fatalf("sample card %q: %v", name, err)
	}
	return cardOf(m)
}
