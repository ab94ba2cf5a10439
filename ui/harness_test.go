package ui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// screenSize is the reference kiosk: a 15.6" 1280×800 panel.
var screenSize = fyne.NewSize(1280, 800)

// rig is a touchscreen on a flow on fakes, in Fyne's test driver.
type rig struct {
	*flowtest.Kit
	K *Kiosk
	W fyne.Window
}

func newRig(t testing.TB, code string, cfg flow.Config) *rig {
	t.Helper()
	test.NewTempApp(t).Settings().SetTheme(Theme())
	kit := flowtest.New(t, code, cfg)
	k := New(kit.Flow, kit.Pack, Options{Size: screenSize})
	kit.OnChange(k.Changed)
	w := test.NewTempWindow(t, k.Content())
	w.Resize(screenSize)
	return &rig{Kit: kit, K: k, W: w}
}

// tap taps the widget of a flow button, failing when the screen shows none.
func (r *rig) tap(t testing.TB, id string) {
	t.Helper()
	b := r.K.Buttons[id]
	if b == nil {
		t.Fatalf("screen %s shows no button %q (it shows %v)", r.K.Screen().Kind, id, keysOf(r.K.Buttons))
	}
	test.Tap(b)
}

// typeText types on the on-screen keyboard, key by key; characters the
// shown layout lacks go through the field's focus, as a hardware keyboard
// would send them.
func (r *rig) typeText(t testing.TB, text string) {
	t.Helper()
	for _, c := range text {
		key := string(c)
		if b := r.K.Keys[key]; b != nil {
			test.Tap(b)
			continue
		}
		if shift := r.K.Keys[KeyShift]; shift != nil {
			test.Tap(shift)
			if b := r.K.Keys[key]; b != nil {
				test.Tap(b)
				test.Tap(r.K.Keys[KeyShift])
				continue
			}
			test.Tap(r.K.Keys[KeyShift])
		}
		if r.K.Field == nil {
			t.Fatalf("no field to type %q into", key)
		}
		test.Type(r.K.Field, key)
	}
}

// do applies a step of the test citizen through the widgets.
func (r *rig) do(t testing.TB, st flowtest.Step) {
	t.Helper()
	switch {
	case st.Tap != "":
		r.tap(t, st.Tap)
	case st.Field != "":
		r.typeText(t, st.Text)
	case st.Card != nil:
		r.CardRead(*st.Card) // the device bridge, not a widget
	case st.Scan != "":
		r.Scanned(st.Scan)
	}
}

func keysOf(m map[string]*Button) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// dump writes the widget tree as the screen shows it: every text run with
// its position and every button with its id and place, in reading order
// of the tree. It is the compact markup the goldens keep.
func dump(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(o fyne.CanvasObject, origin fyne.Position)
	walk = func(o fyne.CanvasObject, origin fyne.Position) {
		if !o.Visible() {
			return
		}
		pos := origin.Add(o.Position())
		switch w := o.(type) {
		case *Button:
			fmt.Fprintf(&b, "button %q at %.0f,%.0f size %.0fx%.0f", w.ID, pos.X, pos.Y, w.Size().Width, w.Size().Height)
			if w.Disabled {
				b.WriteString(" disabled")
			}
			if w.Selected {
				b.WriteString(" selected")
			}
			b.WriteString("\n")
		case *canvas.Text:
			if w.Text != "" {
				fmt.Fprintf(&b, "  text %q at %.0f,%.0f\n", w.Text, pos.X, pos.Y)
			}
			return
		}
		switch w := o.(type) {
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c, pos)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(w).Objects() {
				walk(c, pos)
			}
		}
	}
	walk(o, fyne.Position{})
	return b.String()
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); first difference:\n%s", name, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, w, g)
		}
	}
	return ""
}

func flowtestPlan(lang, service string) flowtest.Plan {
	return flowtest.Plan{Lang: lang, Service: service}
}
