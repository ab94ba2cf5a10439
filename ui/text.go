package ui

import (
	"image/color"
	"slices"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"

	"guichet/drivers/bidi"
)

// Text is a paragraph of text drawn in visual order: the one widget every
// screen uses for every string, so that mixed Arabic, Latin and digits read
// correctly everywhere.
//
// Fyne shapes a run of one direction correctly but lays a mixed line out in
// logical order. Text therefore wraps the paragraph into lines, asks
// drivers/bidi (UAX #9) for each line's runs in visual order, and places
// one canvas.Text per run from left to right, each with the bundled font of
// its script. A right-to-left run made only of neutrals (a closing bracket
// after a number) is given in its visual form, mirrored, since the shaper
// would take it for left-to-right.
type Text struct {
	widget.BaseWidget

	Text string
	// Dir is the paragraph direction: bidi.RTL for an Arabic screen,
	// bidi.LTR otherwise, bidi.Auto to follow the first strong letter.
	Dir bidi.Direction
	// Align is relative to the paragraph direction: Leading is the right
	// edge of a right-to-left paragraph.
	Align    fyne.TextAlign
	TextSize float32
	Bold     bool
	Color    color.Color
	// MaxWidth is where the paragraph wraps; 0 keeps it on one line.
	MaxWidth float32

	memo textMemo
}

// textMemo keeps the last layout: Fyne asks for sizes often.
type textMemo struct {
	text            string
	dir             bidi.Direction
	textSize, width float32
	bold            bool
	lines           []textLine
}

// textLine is one laid-out line: its runs in visual order.
type textLine struct {
	runs   []placedRun
	width  float32
	height float32
}

// placedRun is a run ready to draw.
type placedRun struct {
	bidi.Run
	shown  string // the string given to canvas.Text
	font   fyne.Resource
	x, w   float32
	height float32
}

// NewText returns a paragraph.
func NewText(s string, dir bidi.Direction, size float32, c color.Color) *Text {
	t := &Text{Text: s, Dir: dir, TextSize: size, Color: c}
	t.ExtendBaseWidget(t)
	return t
}

// RTL reports whether the paragraph reads right to left.
func (t *Text) RTL() bool {
	switch t.Dir {
	case bidi.RTL:
		return true
	case bidi.LTR:
		return false
	}
	return firstStrongRTL(t.Text)
}

func firstStrongRTL(s string) bool {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Arabic, r), unicode.Is(unicode.Hebrew, r):
			return true
		case unicode.IsLetter(r):
			return false
		}
	}
	return false
}

func (t *Text) dir() bidi.Direction {
	if t.RTL() {
		return bidi.RTL
	}
	return bidi.LTR
}

func (t *Text) textSize() float32 {
	if t.TextSize > 0 {
		return t.TextSize
	}
	return 22
}

// measure returns a string's width and height in a run's font.
func (t *Text) measure(s string, font fyne.Resource) (float32, float32) {
	sz, _ := fyne.CurrentApp().Driver().RenderedTextSize(s, t.textSize(), fyne.TextStyle{}, font)
	return sz.Width, sz.Height
}

// runsOf places the visual runs of one line. A run is drawn as one or
// more pieces, one per font: the bundled fonts do not all cover the same
// punctuation (Noto Naskh Arabic has no brackets), and a Fyne text with a
// font source has no fallback. The pieces of a right-to-left run go right
// to left.
func (t *Text) runsOf(runs []bidi.Run) textLine {
	var l textLine
	for _, r := range runs {
		if r.Text == "" {
			continue
		}
		pieces := t.pieces(r)
		if r.RTL {
			slices.Reverse(pieces)
		}
		for _, p := range pieces {
			p.w, p.height = t.measure(p.shown, p.font)
			p.x = l.width
			l.width += p.w
			l.height = max(l.height, p.height)
			l.runs = append(l.runs, p)
		}
	}
	if l.height == 0 {
		_, l.height = t.measure("Ag", scriptFont("Latn", t.Bold))
	}
	return l
}

// pieces splits a run where its font changes, in logical order.
func (t *Text) pieces(r bidi.Run) []placedRun {
	pref := scriptOf(r.Text)
	var out []placedRun
	start, cur := 0, ""
	flush := func(end int) {
		if end <= start {
			return
		}
		seg := r.Text[start:end]
		p := placedRun{Run: r, shown: seg, font: scriptFont(cur, t.Bold)}
		p.Run.Text = seg
		if r.RTL && !firstStrongRTL(seg) {
			p.shown = bidi.Visual(seg, bidi.RTL)
		}
		out = append(out, p)
	}
	for i, c := range r.Text {
		sc := fontScriptFor(c, pref)
		if i == 0 {
			cur = sc
		}
		if sc != cur {
			flush(i)
			start, cur = i, sc
		}
	}
	flush(len(r.Text))
	return out
}

// layout wraps the paragraph for a width (0: one line) and orders each line.
func (t *Text) layout(width float32) []textLine {
	m := &t.memo
	if m.lines != nil && m.text == t.Text && m.dir == t.Dir && m.textSize == t.textSize() && m.width == width && m.bold == t.Bold {
		return m.lines
	}
	lines := t.layoutNow(width)
	*m = textMemo{text: t.Text, dir: t.Dir, textSize: t.textSize(), width: width, bold: t.Bold, lines: lines}
	return lines
}

func (t *Text) layoutNow(width float32) []textLine {
	text := strings.TrimRight(t.Text, " \n")
	dir := t.dir()
	ends := t.breaks(text, dir, width)
	lines, err := bidi.VisualLines(text, dir, ends)
	if err != nil { // ends come from the text itself
		lines = [][]bidi.Run{bidi.VisualRuns(text, dir)}
	}
	out := make([]textLine, 0, len(lines))
	for _, runs := range lines {
		out = append(out, t.runsOf(runs))
	}
	return out
}

// breaks chooses where lines end: after the last space that keeps the line
// within width (greedy), at every newline, or inside a word too long for a
// line.
func (t *Text) breaks(text string, dir bidi.Direction, width float32) []int {
	var ends []int
	start := 0
	for start < len(text) {
		end := len(text)
		if nl := strings.IndexByte(text[start:], '\n'); nl >= 0 {
			end = start + nl + 1
		}
		if width <= 0 || t.lineWidth(text[start:end], dir) <= width {
			ends = append(ends, end)
			start = end
			continue
		}
		// The longest prefix ending at a space that fits.
		cut := -1
		for i := start + 1; i < end; i++ {
			if text[i] == ' ' && t.lineWidth(text[start:i], dir) <= width {
				cut = i + 1
			} else if text[i] == ' ' && cut >= 0 {
				break
			}
		}
		if cut < 0 { // one word wider than the line: cut it by characters
			cut = start
			for i := range text[start:end] {
				if i > 0 && t.lineWidth(text[start:start+i], dir) > width {
					break
				}
				cut = start + i
			}
			if cut <= start {
				cut = end
			}
		}
		ends = append(ends, cut)
		start = cut
	}
	return ends
}

func (t *Text) lineWidth(s string, dir bidi.Direction) float32 {
	return t.runsOf(bidi.VisualRuns(strings.TrimRight(s, " \n"), dir)).width
}

// Lines returns the pieces of each line in visual order, as laid out at
// the widget's width: each is a bidi run, or the part of one drawn in one
// font (Run.Text is the piece's text, in logical order). Tests check them.
func (t *Text) Lines() [][]bidi.Run {
	var out [][]bidi.Run
	for _, l := range t.layout(t.wrapWidth(t.Size().Width)) {
		var runs []bidi.Run
		for _, r := range l.runs {
			runs = append(runs, r.Run)
		}
		out = append(out, runs)
	}
	return out
}

func (t *Text) wrapWidth(width float32) float32 {
	w := t.MaxWidth
	if width > 0 && (w <= 0 || width < w) && t.MaxWidth > 0 {
		w = width
	}
	return w
}

func (t *Text) MinSize() fyne.Size {
	t.ExtendBaseWidget(t)
	lines := t.layout(t.MaxWidth)
	var w, h float32
	for _, l := range lines {
		w = max(w, l.width)
		h += l.height
	}
	return fyne.NewSize(w, h)
}

func (t *Text) CreateRenderer() fyne.WidgetRenderer {
	t.ExtendBaseWidget(t)
	r := &textRenderer{t: t}
	r.build(t.Size())
	return r
}

type textRenderer struct {
	t       *Text
	objects []fyne.CanvasObject
}

// build lays the paragraph out in size and makes one canvas.Text per run.
func (r *textRenderer) build(size fyne.Size) {
	t := r.t
	lines := t.layout(t.wrapWidth(size.Width))
	r.objects = r.objects[:0]
	rtl := t.RTL()
	y := float32(0)
	for _, l := range lines {
		x0 := float32(0)
		switch {
		case t.Align == fyne.TextAlignCenter:
			x0 = (size.Width - l.width) / 2
		case (t.Align == fyne.TextAlignLeading) == rtl:
			x0 = size.Width - l.width
		}
		for _, p := range l.runs {
			c := canvas.NewText(p.shown, t.Color)
			c.TextSize = t.textSize()
			c.FontSource = p.font
			c.Move(fyne.NewPos(x0+p.x, y+(l.height-p.height)/2))
			c.Resize(fyne.NewSize(p.w, p.height))
			r.objects = append(r.objects, c)
		}
		y += l.height
	}
}

func (r *textRenderer) Layout(size fyne.Size) { r.build(size) }
func (r *textRenderer) MinSize() fyne.Size    { return r.t.MinSize() }
func (r *textRenderer) Refresh() {
	r.build(r.t.Size())
	canvas.Refresh(r.t)
}
func (r *textRenderer) Objects() []fyne.CanvasObject { return r.objects }
func (r *textRenderer) Destroy()                     {}
