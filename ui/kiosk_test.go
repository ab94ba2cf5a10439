package ui

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/pack"
)

var keyLike = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// screenDump is the golden text of one screen: its kind, then every
// button and text piece with its place. The keyboard is summarised, and
// the toolbar and status strip are written once per journey.
func screenDump(k *Kiosk, first bool) string {
	s := k.Screen()
	var b strings.Builder
	fmt.Fprintf(&b, "== %s lang=%s rtl=%v\n", s.Kind, s.Lang, s.RTL)
	skip := map[*Button]bool{}
	for _, key := range k.Keys {
		skip[key] = true
	}
	if !first {
		for _, tb := range s.Toolbar {
			skip[k.Buttons[tb.ID]] = true
		}
	}
	if len(k.Keys) > 0 {
		fmt.Fprintf(&b, "keyboard %s: %d keys\n", s.Field.Keyboard, len(k.Keys))
	}
	var walk func(o fyne.CanvasObject, origin fyne.Position, quiet bool)
	walk = func(o fyne.CanvasObject, origin fyne.Position, quiet bool) {
		if !o.Visible() {
			return
		}
		pos := origin.Add(o.Position())
		switch w := o.(type) {
		case *Button:
			quiet = skip[w]
			if !quiet {
				fmt.Fprintf(&b, "button %q at %.0f,%.0f %.0fx%.0f", w.ID, pos.X, pos.Y, w.Size().Width, w.Size().Height)
				if w.Disabled {
					b.WriteString(" disabled")
				}
				if w.Selected {
					b.WriteString(" selected")
				}
				b.WriteString("\n")
			}
		case *canvas.Text:
			if !quiet && w.Text != "" {
				fmt.Fprintf(&b, "  %q at %.0f,%.0f\n", w.Text, pos.X, pos.Y)
			}
			return
		}
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c, pos, quiet)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c, pos, quiet)
			}
		}
	}
	walk(k.Content(), fyne.Position{}, false)
	return b.String()
}

// checkScreen checks what every screen must satisfy.
func checkScreen(t *testing.T, k *Kiosk, target float32) {
	t.Helper()
	s := k.Screen()
	for id, b := range k.Buttons {
		if sz := b.Size(); sz.Width < target || sz.Height < target {
			t.Errorf("screen %s: button %q is %.0f×%.0f, smaller than the %.0f touch target", s.Kind, id, sz.Width, sz.Height, target)
		}
	}
	for _, key := range k.Keys {
		if sz := key.Size(); sz.Width < target || sz.Height < target {
			t.Errorf("screen %s: key %q is %.0f×%.0f, smaller than the %.0f touch target", s.Kind, key.ID, sz.Width, sz.Height, target)
		}
	}
	// Nothing overflows: no two touch targets overlap, and every one is
	// inside the window.
	type rect struct {
		id         string
		x, y, w, h float32
	}
	var rects []rect
	for id, b := range k.Buttons {
		p := absPos(k.Content(), b)
		rects = append(rects, rect{id, p.X, p.Y, b.Size().Width, b.Size().Height})
	}
	for id, b := range k.Keys {
		p := absPos(k.Content(), b)
		rects = append(rects, rect{"key " + id, p.X, p.Y, b.Size().Width, b.Size().Height})
	}
	for i, a := range rects {
		if a.x < 0 || a.y < 0 || a.x+a.w > screenSize.Width+0.5 || a.y+a.h > screenSize.Height+0.5 {
			t.Errorf("screen %s: %s at %.0f,%.0f %.0fx%.0f leaves the window", s.Kind, a.id, a.x, a.y, a.w, a.h)
		}
		for _, b := range rects[i+1:] {
			if a.x < b.x+b.w-0.5 && b.x < a.x+a.w-0.5 && a.y < b.y+b.h-0.5 && b.y < a.y+a.h-0.5 {
				t.Errorf("screen %s: %s (%.0f,%.0f %.0fx%.0f) and %s (%.0f,%.0f %.0fx%.0f) overlap", s.Kind, a.id, a.x, a.y, a.w, a.h, b.id, b.x, b.y, b.w, b.h)
			}
		}
	}
	for _, text := range allTexts(k.Content()) {
		if keyLike.MatchString(text) {
			t.Errorf("screen %s shows the message key %q", s.Kind, text)
		}
	}
	for _, id := range []string{flow.TapLargeText, flow.TapHighContrast} {
		if s.Kind != flow.KindTechPIN && s.Kind != flow.KindTechnician && k.Buttons[id] == nil {
			t.Errorf("screen %s has no %s button", s.Kind, id)
		}
	}
	if s.Back != nil {
		back := k.Buttons[s.Back.ID]
		x := absX(k.Content(), back)
		mid := screenSize.Width / 2
		if s.RTL && x < mid || !s.RTL && x > mid {
			t.Errorf("screen %s (rtl %v): back button at x=%.0f, on the wrong side", s.Kind, s.RTL, x)
		}
	}
	if s.RTL && k.Title != nil {
		objs := test.WidgetRenderer(k.Title).Objects()
		last := objs[len(objs)-1]
		right := absX(k.Content(), k.Title) + last.Position().X + last.Size().Width
		if right < screenSize.Width-2*margin-2 {
			t.Errorf("screen %s: Arabic title ends at x=%.0f, not at the right margin", s.Kind, right)
		}
	}
}

// absX is an object's x within the content.
func absX(root, target fyne.CanvasObject) float32 { return absPos(root, target).X }

// absPos is an object's position within the content ({-1,-1} if absent).
func absPos(root, target fyne.CanvasObject) fyne.Position {
	found := fyne.NewPos(-1, -1)
	var walk func(o fyne.CanvasObject, at fyne.Position)
	walk = func(o fyne.CanvasObject, at fyne.Position) {
		at = at.Add(o.Position())
		if o == target {
			found = at
			return
		}
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c, at)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c, at)
			}
		}
	}
	walk(root, fyne.Position{})
	return found
}

// allTexts is every string drawn on the screen, and every Text's whole
// paragraph: what a test searches for data that must be gone.
func allTexts(root fyne.CanvasObject) []string {
	var out []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *canvas.Text:
			out = append(out, w.Text)
			return
		case *Text:
			out = append(out, w.Text)
		}
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c)
			}
		}
	}
	walk(root)
	return out
}

// TestTapThroughEveryService walks every service of every pack in every
// language with taps and key presses on the widgets, checks every screen,
// and keeps each journey's screens in a golden file.
func TestTapThroughEveryService(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p, err := pack.Embedded(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Languages {
			for _, sv := range p.Services {
				t.Run(code+"/"+l.Code+"/"+sv.ID, func(t *testing.T) {
					r := newRig(t, code, flow.Config{})
					target := TargetSize(96)
					plan := flowtest.Plan{Lang: l.Code, Service: sv.ID}
					var journey strings.Builder
					var seen uint64 = ^uint64(0)
					for i := 0; i < 200; i++ {
						s := r.K.Screen()
						if s.Seq != seen {
							seen = s.Seq
							checkScreen(t, r.K, target)
							journey.WriteString(screenDump(r.K, i == 0))
						}
						st, done := r.Next(s, plan)
						if done {
							break
						}
						r.do(t, st)
					}
					end := r.K.Screen().Kind
					switch sv.ID {
					case "directory":
						if end != flow.KindDirectory {
							t.Errorf("journey ends on %s, want directory results", end)
						}
					default:
						if end != flow.KindDone {
							t.Errorf("journey ends on %s, want done", end)
						}
					}
					golden(t, "journeys/"+code+"-"+l.Code+"-"+sv.ID+".golden", journey.String())
				})
			}
		}
	}
}

func TestArabicScreensMirror(t *testing.T) {
	for _, lang := range []string{"ar", "fr"} {
		t.Run(lang, func(t *testing.T) {
			r := newRig(t, "ma", flow.Config{})
			r.tap(t, flow.TapStart)
			r.tap(t, flow.PrefixLanguage+lang)
			// The first service stands where the reader starts: top right in
			// Arabic, top left in French.
			first := r.K.Buttons[flow.PrefixService+r.Pack.Services[0].ID]
			second := r.K.Buttons[flow.PrefixService+r.Pack.Services[1].ID]
			x1, x2 := absX(r.K.Content(), first), absX(r.K.Content(), second)
			if lang == "ar" && x1 <= x2 || lang == "fr" && x1 >= x2 {
				t.Errorf("%s: first service at x=%.0f, second at x=%.0f", lang, x1, x2)
			}
			// The help button and the language buttons swap sides.
			help, other := absX(r.K.Content(), r.K.Buttons[flow.TapHelp]), absX(r.K.Content(), r.K.Buttons[flow.PrefixLanguage+"zgh"])
			if lang == "ar" && help >= other || lang == "fr" && help <= other {
				t.Errorf("%s: help at x=%.0f, Tamazight at x=%.0f", lang, help, other)
			}
		})
	}
}

func TestKeyboardTypesAndSwitches(t *testing.T) {
	r := newRig(t, "ma", flow.Config{})
	plan := flowtest.Plan{Lang: "fr", Service: "bulletin3"}
	for i := 0; i < 40 && r.K.Field == nil; i++ {
		st, _ := r.Next(r.K.Screen(), plan)
		r.do(t, st)
	}
	// surname_ar: the Arabic keyboard only.
	if r.K.Keys["ض"] == nil || r.K.Keys["A"] != nil {
		t.Fatalf("the Arabic name field shows keys %v", keysOfButtons(r.K.Keys))
	}
	for _, c := range []string{"ع", "ل", "ي"} {
		test.Tap(r.K.Keys[c])
	}
	test.Tap(r.K.Buttons[flow.TapErase])
	test.Type(r.K.Field, "و")
	if got := r.K.Screen().Field.Value; got != "علو" {
		t.Errorf("typed ع ل ي, erase, و: value %q, want علو", got)
	}
	// Go to birth_place, a text field: Latin first with Arabic and digits
	// a tap away.
	for i := 0; i < 20 && r.K.Screen().Field.ID != "birth_place"; i++ {
		st, _ := r.Next(r.K.Screen(), plan)
		r.do(t, st)
	}
	if r.K.Keys["A"] == nil || r.K.Keys[keyLayout+string(flow.KeyboardArabic)] == nil {
		t.Fatalf("text field keys %v", keysOfButtons(r.K.Keys))
	}
	test.Tap(r.K.Keys["F"])
	test.Tap(r.K.Keys[KeyShift])
	test.Tap(r.K.Keys["è"])
	test.Tap(r.K.Keys["s"])
	if got := r.K.Screen().Field.Value; got != "Fès" {
		t.Errorf("typed F shift è s: %q", got)
	}
	test.Tap(r.K.Keys[keyLayout+string(flow.KeyboardArabic)])
	if r.K.Keys["ض"] == nil {
		t.Fatal("layout switch did not show the Arabic keys")
	}
	test.Tap(r.K.Keys[KeySpace])
	test.Tap(r.K.Keys["ف"])
	if got := r.K.Screen().Field.Value; got != "Fès ف" {
		t.Errorf("value %q", got)
	}
}

func keysOfButtons(m map[string]*Button) []string { return keysOf(m) }

func TestTouchTargets(t *testing.T) {
	for _, tc := range []struct {
		dpi  float32
		want float32
	}{
		{96, 72}, {160, 72}, {203, 72}, {220, 78}, {300, 107},
	} {
		if got := TargetSize(tc.dpi); got != tc.want {
			t.Errorf("TargetSize(%v) = %v, want %v", tc.dpi, got, tc.want)
		}
		if mm := TargetSize(tc.dpi) / tc.dpi * 25.4; mm < 9 {
			t.Errorf("TargetSize(%v) is %.1f mm", tc.dpi, mm)
		}
	}
}

func TestLargeTextAndContrastOneTapAway(t *testing.T) {
	r := newRig(t, "ma", flow.Config{})
	// On the attract screen already: the toggle wakes the kiosk.
	r.tap(t, flow.TapLargeText)
	if s := r.K.Screen(); s.Kind != flow.KindLanguage || !s.Access.LargeText {
		t.Fatalf("large text from attract: %s %+v", s.Kind, s.Access)
	}
	normal := sizesFor(false).title
	if got := r.K.Title.TextSize; got <= normal {
		t.Errorf("title size %.0f in large-text mode, want more than %.0f", got, normal)
	}
	r.tap(t, flow.TapHighContrast)
	if got := r.K.Title.Color; got != contrastPalette.text {
		t.Errorf("title colour %v in high contrast, want %v", got, contrastPalette.text)
	}
	r.tap(t, flow.PrefixLanguage+"ar")
	if s := r.K.Screen(); !s.Access.LargeText || !s.Access.HighContrast {
		t.Errorf("settings lost on the next screen: %+v", s.Access)
	}
}

func TestStatusStrip(t *testing.T) {
	r := newRig(t, "ma", flow.Config{})
	r.SetConnectivity(flow.Connectivity{Online: true, LastSync: flowtest.Start.Add(-3 * 60e9)})
	r.SetPrinter(flow.PrinterPaperLow)
	texts := strings.Join(allTexts(r.K.Content()), "|")
	for _, want := range []string{r.Pack.Message("ar", "strip.online"), "2026-03-10 09:27", r.Pack.Message("ar", "strip.paper_low")} {
		if !strings.Contains(texts, want) {
			t.Errorf("status strip lacks %q: %s", want, texts)
		}
	}
	if strings.Contains(texts, "Q 0") {
		t.Error("queue depth shown to citizens")
	}
	r.ServiceKey(true)
	r.typeText(t, flowtest.PIN)
	r.tap(t, flow.TapNext)
	if got := r.K.Screen().Kind; got != flow.KindTechnician {
		t.Fatalf("technician login: %s", got)
	}
	if texts := strings.Join(allTexts(r.K.Content()), "|"); !strings.Contains(texts, "Q 0") {
		t.Errorf("technician screen lacks the queue depth: %s", texts)
	}
}

func TestCountdownOverlay(t *testing.T) {
	r := newRig(t, "ma", flow.Config{})
	r.tap(t, flow.TapStart)
	r.tap(t, flow.PrefixLanguage+"fr")
	r.Clock.Advance(95e9)
	s := r.K.Screen()
	if s.Countdown == nil || r.K.Buttons[flow.TapExtend] == nil {
		t.Fatalf("no countdown with more time after 95 s: %+v", s.Countdown)
	}
	if texts := strings.Join(allTexts(r.K.Content()), "|"); !strings.Contains(texts, "25") {
		t.Errorf("countdown does not show the seconds left: %s", texts)
	}
	r.tap(t, flow.TapExtend)
	if r.K.Screen().Countdown != nil {
		t.Error("countdown still shown after more time")
	}
}

// TestLargeTextFits walks requests in larger-text mode: every screen must
// still fit, without overlapping targets.
func TestLargeTextFits(t *testing.T) {
	for _, lang := range []string{"ar", "fr", "zgh"} {
		for _, sv := range []string{"bulletin3", "directory", "radar_fine"} {
			t.Run(lang+"/"+sv, func(t *testing.T) {
				r := newRig(t, "ma", flow.Config{})
				r.tap(t, flow.TapLargeText)
				plan := flowtest.Plan{Lang: lang, Service: sv}
				var seen uint64 = ^uint64(0)
				for i := 0; i < 200; i++ {
					s := r.K.Screen()
					if s.Seq != seen {
						seen = s.Seq
						checkScreen(t, r.K, TargetSize(96))
					}
					st, done := r.Next(s, plan)
					if done {
						break
					}
					r.do(t, st)
				}
			})
		}
	}
}
