package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"github.com/google/go-cmp/cmp"

	"guichet/drivers/bidi"
)

// mixedCases are the mixed lines the kiosk shows, with the pieces drawn
// from left to right as a reader of each script expects them, each in
// logical order: one piece per bidi run and font (Noto Naskh Arabic has no
// brackets, so a bracket in an Arabic run is a piece of its own; the ")"
// on the left of رادار is the logical closing bracket, drawn mirrored as
// "(": the golden file lists what is drawn). Isolates are written
// as the flow writes them: LRI … PDI around identifiers, FSI … PDI around
// names and amounts.
var mixedCases = []struct {
	name string
	text string
	dir  bidi.Direction
	want []string // pieces, left to right
}{
	{"tracking number in Arabic", "رقم التتبع \u2066K7MX-4HQ9-XR3T\u2069", bidi.RTL,
		[]string{"K7MX-4HQ9-XR3T", "رقم التتبع "}},
	{"file number isolated", "رقم الملف \u20662024-00123\u2069", bidi.RTL,
		[]string{"2024-00123", "رقم الملف "}},
	// Without the isolate the number after Arabic letters becomes an
	// Arabic number (W2) and its halves swap: what the isolates prevent.
	{"file number bare", "رقم الملف 2024-00123", bidi.RTL,
		[]string{"00123", "-", "2024", "رقم الملف "}},
	{"CIN", "رقم البطاقة: \u2066BK654321\u2069.", bidi.RTL,
		[]string{".", "BK654321", "رقم البطاقة: "}},
	{"PV number and brackets", "المحضر \u206620250117-RF-0042\u2069 (رادار)", bidi.RTL,
		[]string{")", "رادار", "(", " ", "20250117-RF-0042", "المحضر "}},
	{"amount in dirhams", "المبلغ: \u206820,00 درهم\u2069", bidi.RTL,
		[]string{" درهم", "20,00", "المبلغ: "}},
	{"date and time", "آخر تحديث \u20662026-03-10 09:20\u2069", bidi.RTL,
		[]string{"2026-03-10 09:20", "آخر تحديث "}},
	{"service title with brackets", "السجل العدلي (البطاقة رقم 3)", bidi.RTL,
		[]string{")", "3", "البطاقة رقم ", "(", "السجل العدلي "}},
	{"Arabic name in French", "Nom : \u2068العلوي\u2069 (père)", bidi.LTR,
		[]string{"Nom : ", "العلوي", " (père)"}},
	{"amount in French", "Payer \u206820,00\u00a0DH\u2069 (PV \u206620250117-RF-0042\u2069)", bidi.LTR,
		[]string{"Payer ", "20,00\u00a0DH", " (PV ", "20250117-RF-0042", ")"}},
	{"Tifinagh with a number", "ⴰⵙⵡⵉⵔ \u20662\u2069 ⵙⴳ \u20668\u2069", bidi.LTR,
		[]string{"ⴰⵙⵡⵉⵔ ", "2", " ⵙⴳ ", "8"}},
	{"Latin name in Arabic", "الاسم العائلي \u2068ELOUAZZANI\u2069", bidi.RTL,
		[]string{"ELOUAZZANI", "الاسم العائلي "}},
}

func TestMixedLinesReadInVisualOrder(t *testing.T) {
	test.NewTempApp(t)
	var all strings.Builder
	for _, tc := range mixedCases {
		t.Run(tc.name, func(t *testing.T) {
			txt := NewText(tc.text, tc.dir, 24, color.Black)
			w := test.NewTempWindow(t, container.NewWithoutLayout(txt))
			w.Resize(fyne.NewSize(900, 100))
			txt.Resize(fyne.NewSize(800, txt.MinSize().Height))
			lines := txt.Lines()
			if len(lines) != 1 {
				t.Fatalf("%d lines, want 1", len(lines))
			}
			var got []string
			for _, r := range lines[0] {
				got = append(got, r.Text)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("pieces of %q, left to right (-want +got):\n%s", tc.text, diff)
			}
			// The drawn pieces stand left to right without overlap, and a
			// right-to-left paragraph ends at the right edge.
			objs := test.WidgetRenderer(txt).Objects()
			var right float32
			fmt.Fprintf(&all, "%s (%v):\n", tc.name, tc.dir)
			for i, o := range objs {
				c := o.(*canvas.Text)
				if i > 0 && c.Position().X < right-0.5 {
					t.Errorf("piece %d %q starts at %.1f, before the end %.1f of the one on its left", i, c.Text, c.Position().X, right)
				}
				right = c.Position().X + c.Size().Width
				fmt.Fprintf(&all, "  %q at x=%.0f w=%.0f font=%s\n", c.Text, c.Position().X, c.Size().Width, c.FontSource.Name())
			}
			if tc.dir == bidi.RTL && (right < 799 || right > 801) {
				t.Errorf("right-to-left line ends at %.1f, want the right edge 800", right)
			}
			if tc.dir == bidi.LTR && objs[0].Position().X != 0 {
				t.Errorf("left-to-right line starts at %.1f, want 0", objs[0].Position().X)
			}
		})
	}
	golden(t, "mixed_lines.golden", all.String())
}

// TestMixedLinesRender keeps images of three mixed lines, as the test
// driver's painter draws them with the bundled fonts.
func TestMixedLinesRender(t *testing.T) {
	test.NewTempApp(t)
	for _, name := range []string{"tracking number in Arabic", "PV number and brackets", "Arabic name in French"} {
		for _, tc := range mixedCases {
			if tc.name != name {
				continue
			}
			txt := NewText(tc.text, tc.dir, 28, color.Black)
			bg := canvas.NewRectangle(color.White)
			box := container.NewStack(bg, txt)
			w := test.NewTempWindow(t, box)
			w.Resize(fyne.NewSize(560, 56))
			test.AssertRendersToImage(t, "mixed/"+strings.ReplaceAll(name, " ", "_")+".png", w.Canvas())
		}
	}
}

func TestWrappedArabicParagraph(t *testing.T) {
	test.NewTempApp(t)
	text := "طبقا للقانون رقم \u206609.08\u2069، تستعمل المعلومات التي تدخلونها لمعالجة طلبكم فقط، ويمكنكم الاتصال على \u20660537000000\u2069."
	txt := NewText(text, bidi.RTL, 24, color.Black)
	txt.MaxWidth = 420
	w := test.NewTempWindow(t, container.NewWithoutLayout(txt))
	w.Resize(fyne.NewSize(500, 400))
	txt.Resize(fyne.NewSize(420, txt.MinSize().Height))
	lines := txt.Lines()
	if len(lines) < 2 {
		t.Fatalf("%d lines at 420 wide, want the paragraph wrapped", len(lines))
	}
	joined := ""
	for _, l := range lines {
		for _, r := range l {
			joined += r.Text
		}
	}
	for _, id := range []string{"09.08", "0537000000"} {
		if !strings.Contains(joined, id) {
			t.Errorf("identifier %s split across lines or reordered: %q", id, joined)
		}
	}
	if h := txt.MinSize().Height; h < float32(len(lines))*24 {
		t.Errorf("min height %.0f for %d lines", h, len(lines))
	}
}

// FuzzTextLayout lays arbitrary lines out: it must not panic, must draw
// every character bidi keeps, once, and must place the pieces left to
// right.
func FuzzTextLayout(f *testing.F) {
	for _, tc := range mixedCases {
		f.Add(tc.text, tc.dir == bidi.RTL, float32(0))
		f.Add(tc.text, tc.dir == bidi.RTL, float32(120))
	}
	test.NewTempApp(f)
	f.Fuzz(func(t *testing.T, s string, rtl bool, width float32) {
		if len(s) > 300 || width < 0 || width > 2000 || width != width {
			return
		}
		dir := bidi.LTR
		if rtl {
			dir = bidi.RTL
		}
		txt := NewText(s, dir, 20, color.Black)
		txt.MaxWidth = width
		lines := txt.layout(width)
		var drawn, want []rune
		for _, l := range lines {
			x := float32(-1)
			for _, p := range l.runs {
				if p.x < x {
					t.Fatalf("%q: piece %q at %v before %v", s, p.Text, p.x, x)
				}
				x = p.x
				drawn = append(drawn, []rune(p.Text)...)
			}
		}
		for _, r := range bidi.VisualRuns(strings.TrimRight(s, " \n"), dir) {
			want = append(want, []rune(r.Text)...)
		}
		if a, b := sortedRunes(drawn), sortedRunes(want); strings.TrimSpace(a) != strings.TrimSpace(b) {
			t.Fatalf("%q: drawn %q, want the characters of %q", s, string(drawn), string(want))
		}
	})
}

func sortedRunes(rs []rune) string {
	c := append([]rune(nil), rs...)
	slices.Sort(c)
	return string(c)
}
