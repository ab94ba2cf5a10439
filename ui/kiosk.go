package ui

import (
	"image/color"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"

	"guichet/drivers/bidi"
	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
)

// Options size the touchscreen.
type Options struct {
	// Size is the window's size in Fyne units (1280×800 if zero).
	Size fyne.Size
	// DPI is the panel's dots per inch at Fyne scale 1 (96 if zero): touch
	// targets are at least 9 mm at this density (TargetSize).
	DPI    float32
	Logger *slog.Logger
}

// MinTarget is the smallest touch target in Fyne units whatever the
// density: 72 units are 9 mm up to 203 DPI and larger below.
const MinTarget = 72

// TargetSize is the side of the smallest touch target, in Fyne units, for
// a panel of dpi dots per inch: 9 mm (EN 301 549 and ADA reach guidance
// call for large targets; 9 mm is the common kiosk minimum), and never
// less than MinTarget.
func TargetSize(dpi float32) float32 {
	mm9 := float32(math.Ceil(float64(9 / 25.4 * dpi)))
	return max(mm9, MinTarget)
}

// Kiosk is the touchscreen: it renders the flow's view-model and sends taps
// and keys back. Its widgets are fields so that tests reach them the way a
// finger would; they are rebuilt with every screen.
type Kiosk struct {
	flow *flow.Flow
	pack *pack.Pack
	opts Options
	log  *slog.Logger

	root  *fyne.Container
	shown flow.Screen

	contrast  bool                     // the app's theme is the high-contrast one
	rowPage   int                      // the UI's own page of long tables (review)
	shift     bool                     // Latin keyboard in lower case
	layoutFor map[string]flow.Keyboard // keyboard layout chosen per field

	// The current screen's widgets.
	Title   *Text
	Lines   []*Text
	Buttons map[string]*Button // every flow button by id, and rows.prev / rows.next
	Keys    map[string]*Button // keyboard keys by the text they type, KeyShift, layout switches
	Field   *Field
}

// UI-only buttons.
const (
	TapRowsPrev = "rows.prev"
	TapRowsNext = "rows.next"
)

// New builds the touchscreen for a flow and its pack and renders the
// current screen. Wire the flow's Deps.Changed to (*Kiosk).Changed.
func New(f *flow.Flow, p *pack.Pack, opts Options) *Kiosk {
	if opts.Size.IsZero() {
		opts.Size = fyne.NewSize(1280, 800)
	}
	if opts.DPI <= 0 {
		opts.DPI = 96
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Kiosk{flow: f, pack: p, opts: opts, log: opts.Logger, root: container.NewStack(), layoutFor: map[string]flow.Keyboard{}}
	k.render(f.Screen())
	return k
}

// Content is the window's content; it never changes, the screens inside do.
func (k *Kiosk) Content() fyne.CanvasObject { return k.root }

// Screen is the view-model last rendered.
func (k *Kiosk) Screen() flow.Screen { return k.shown }

// Changed is the flow's Deps.Changed: safe from any goroutine, it renders
// the flow's current screen on Fyne's goroutine. It does no I/O.
func (k *Kiosk) Changed() {
	if k == nil {
		return
	}
	fyne.Do(func() {
		s := k.flow.Screen()
		if s.Seq == k.shown.Seq && k.root.Objects != nil {
			return
		}
		k.render(s)
	})
}

// repaint renders the last screen again after a UI-only change.
func (k *Kiosk) repaint() { k.render(k.shown) }

func (k *Kiosk) palette() *palette { return paletteFor(k.shown.Access.HighContrast) }
func (k *Kiosk) sizes() sizes      { return sizesFor(k.shown.Access.LargeText) }
func (k *Kiosk) target() float32   { return TargetSize(k.opts.DPI) }

const margin = 24

func (k *Kiosk) bodyWidth() float32 { return k.opts.Size.Width - 2*margin }

func screenDir(s flow.Screen) bidi.Direction {
	if s.RTL {
		return bidi.RTL
	}
	return bidi.LTR
}

// langDir is the direction of a language of the pack.
func (k *Kiosk) langDir(code string, s flow.Screen) bidi.Direction {
	if code == "" {
		return screenDir(s)
	}
	if l, ok := k.pack.Language(code); ok && l.RTL {
		return bidi.RTL
	}
	return bidi.LTR
}

// mirror reverses a row of objects on a right-to-left screen.
func mirror(rtl bool, objs []fyne.CanvasObject) []fyne.CanvasObject {
	if !rtl {
		return objs
	}
	out := make([]fyne.CanvasObject, len(objs))
	for i, o := range objs {
		out[len(objs)-1-i] = o
	}
	return out
}

// iconColor is the theme colour that draws icons on a button whose text
// has colour c: the theme's dark colour for dark text.
func (k *Kiosk) iconColor(c color.Color) fyne.ThemeColorName {
	r, g, b, _ := c.RGBA()
	dark := (299*r+587*g+114*b)/1000 < 0x8000
	if dark != k.contrast { // normal: dark text on light; contrast: the theme's text is light
		return theme.ColorNameForeground
	}
	return theme.ColorNameBackground
}

// flowButton makes a button that taps the flow.
func (k *Kiosk) flowButton(b flow.Button, min fyne.Size) *Button {
	p, sz := k.palette(), k.sizes()
	fill, text := p.buttonColors(b.Role)
	dir := k.langDir(b.Lang, k.shown)
	id := b.ID
	btn := NewButton(id, b.Label, dir, sz.button, fill, text, min, func() { k.flow.Tap(id) })
	btn.Disabled, btn.Selected, btn.Border = b.Disabled, b.Selected, p.selected
	btn.IconColor = k.iconColor(text)
	k.Buttons[id] = btn
	return btn
}

// localButton makes a button the UI handles itself.
func (k *Kiosk) localButton(id, label string, icon fyne.Resource, tapped func()) *Button {
	p, sz := k.palette(), k.sizes()
	t := k.target()
	b := NewButton(id, label, screenDir(k.shown), sz.button, p.secondary, p.secondaryText, fyne.NewSize(t*2, t), tapped)
	b.Icon, b.IconColor = icon, k.iconColor(p.secondaryText)
	k.Buttons[id] = b
	return b
}

// render builds the widgets of a screen.
func (k *Kiosk) render(s flow.Screen) {
	if s.Kind != k.shown.Kind || (s.Field == nil) != (k.shown.Field == nil) || s.Field != nil && k.shown.Field != nil && s.Field.ID != k.shown.Field.ID {
		k.rowPage = 0
		k.shift = false
	}
	if s.Kind == flow.KindAttract {
		clear(k.layoutFor)
	}
	if s.Access.HighContrast != k.contrast {
		// The app's theme follows the session so that Fyne's own pieces
		// (the icons) take the high-contrast colours too.
		k.contrast = s.Access.HighContrast
		fyne.CurrentApp().Settings().SetTheme(kioskTheme{contrast: k.contrast})
	}
	k.shown = s
	k.Buttons = map[string]*Button{}
	k.Keys = map[string]*Button{}
	k.Field = nil
	k.Title = nil
	k.Lines = nil
	p := k.palette()

	header := k.header(s)
	footer := k.footer(s)
	body := k.body(s)
	bg := canvas.NewRectangle(p.background)
	content := container.NewBorder(header, footer, nil, nil, container.New(layout.NewCustomPaddedLayout(4, 4, margin, margin), body))
	objs := []fyne.CanvasObject{bg}
	if s.Kind == flow.KindAttract {
		// A touch anywhere wakes the kiosk.
		objs = append(objs, NewOverlay(p.background, func() { k.flow.Tap(flow.TapStart) }))
	}
	// No container.NewThemeOverride: Fyne keeps every object under an
	// override in a map it never empties, and a screen is rebuilt at every
	// tap. The widgets here take their colours from the palette instead.
	objs = append(objs, content)
	if s.Countdown != nil {
		objs = append(objs, k.countdown(s))
	}
	k.root.Objects = objs
	k.root.Refresh()
}

// header is the toolbar and the title.
func (k *Kiosk) header(s flow.Screen) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	var parts []fyne.CanvasObject
	if len(s.Toolbar) > 0 {
		t := k.target()
		var langs, tools []fyne.CanvasObject
		for _, b := range s.Toolbar {
			if strings.HasPrefix(b.ID, flow.PrefixLanguage) {
				langs = append(langs, k.flowButton(b, fyne.NewSize(t*1.6, t)))
				continue
			}
			if s.Access.LargeText {
				// Icons only: with larger labels the bar would not fit.
				b.Label = ""
			}
			btn := k.flowButton(b, fyne.NewSize(t, t))
			btn.Icon = toolIcon(b.ID)
			tools = append(tools, btn)
		}
		row := append(append(langs, layout.NewSpacer()), tools...)
		parts = append(parts, container.NewHBox(mirror(s.RTL, row)...))
	}
	if s.Title != "" && !compact(s) {
		k.Title = NewText(s.Title, k.langDir(s.Lang, s), sz.title, p.text)
		k.Title.Bold = true
		k.Title.MaxWidth = k.bodyWidth()
		if s.Kind == flow.KindAttract || s.Kind == flow.KindLanguage {
			k.Title.Align = fyne.TextAlignCenter
		}
		parts = append(parts, container.New(layout.NewCustomPaddedLayout(8, 0, margin, margin), k.Title))
	}
	return container.NewVBox(parts...)
}

// toolIcon is a toolbar button's icon. It is looked up when drawn, not at
// package initialisation: theme icons need the running app.
func toolIcon(id string) fyne.Resource {
	switch id {
	case flow.TapHelp:
		return theme.HelpIcon()
	case flow.TapLargeText:
		return theme.ZoomInIcon()
	case flow.TapHighContrast:
		return theme.ColorAchromaticIcon()
	case flow.TapSpeech:
		return theme.VolumeUpIcon()
	}
	return nil
}

// footer is the navigation bar and the status strip.
func (k *Kiosk) footer(s flow.Screen) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	t := k.target()
	var nav []fyne.CanvasObject
	if s.Back != nil {
		b := k.flowButton(*s.Back, fyne.NewSize(t*2.5, t))
		b.Icon = theme.NavigateBackIcon()
		if s.RTL {
			b.Icon = theme.NavigateNextIcon()
		}
		nav = append(nav, b)
	}
	nav = append(nav, layout.NewSpacer())
	if !bodyButtons(s.Kind) {
		for _, b := range s.Buttons {
			nav = append(nav, k.flowButton(b, fyne.NewSize(t*3, t)))
		}
	}
	strip := []fyne.CanvasObject{k.stripText(s.Status.OnlineText, s, p.stripText, sz)}
	if !s.Status.Online {
		strip[0].(*Text).Color = p.stripAlert
	}
	strip = append(strip, layout.NewSpacer())
	if s.Status.PrinterText != "" {
		strip = append(strip, k.stripText(s.Status.PrinterText, s, p.stripAlert, sz))
	}
	if s.Status.QueueDepth >= 0 {
		strip = append(strip, k.stripText("Q "+strconv.Itoa(s.Status.QueueDepth), s, p.stripText, sz))
	}
	// The strip is in the language of its texts: on the attract screen,
	// the pack's default, whose direction the screen itself does not have.
	stripRTL := k.langDir(s.Status.Lang, s) == bidi.RTL
	stripBox := container.NewStack(canvas.NewRectangle(p.strip), container.New(layout.NewCustomPaddedLayout(6, 6, margin, margin), container.NewHBox(mirror(stripRTL, strip)...)))
	return container.NewVBox(container.New(layout.NewCustomPaddedLayout(8, 8, margin, margin), container.NewHBox(mirror(s.RTL, nav)...)), stripBox)
}

func (k *Kiosk) stripText(s string, sc flow.Screen, c color.Color, sz sizes) *Text {
	t := NewText(s, k.langDir(sc.Status.Lang, sc), sz.strip, c)
	k.Lines = append(k.Lines, t)
	return t
}

// compact reports whether a screen drops its title and hints to make room:
// a field in larger-text mode, where the field's label is the heading.
func compact(s flow.Screen) bool {
	return s.Access.LargeText && s.Field != nil
}

// bodyButtons are the screens whose buttons are their content: a grid in
// the body rather than the navigation bar.
func bodyButtons(kind flow.Kind) bool {
	switch kind {
	case flow.KindAttract, flow.KindLanguage, flow.KindServices, flow.KindPayMethod, flow.KindFines, flow.KindHelp:
		return true
	}
	return false
}

// body is the screen's content.
func (k *Kiosk) body(s flow.Screen) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	box := container.NewVBox()
	for _, l := range s.Lines {
		if l.Role == flow.RoleHint && compact(s) {
			continue
		}
		size := sz.body
		switch l.Role {
		case flow.RoleHeading, flow.RoleEmphasis:
			size = sz.heading
		case flow.RoleHint:
			size = sz.hint
		}
		t := NewText(l.Text, k.langDir(l.Lang, s), size, p.textColor(l.Role))
		t.Bold = l.Role == flow.RoleHeading || l.Role == flow.RoleEmphasis || l.Role == flow.RoleError
		t.MaxWidth = k.bodyWidth()
		if s.Kind == flow.KindAttract || s.Kind == flow.KindLanguage {
			t.Align = fyne.TextAlignCenter
		}
		k.Lines = append(k.Lines, t)
		box.Add(t)
	}
	if s.Field != nil {
		k.Field = k.newField(s.Field, s)
		box.Add(k.Field)
		switch {
		case len(s.Field.Choices) > 0 || s.Field.Keyboard == flow.KeyboardNone:
			box.Add(k.grid(s, s.Field.Choices, 2))
		default:
			kb := k.layoutFor[s.Field.ID]
			if kb == "" || !containsKeyboard(s.Field.Keyboards, kb) {
				kb = s.Field.Keyboard
			}
			box.Add(k.keyboard(s.Field, kb))
		}
	}
	if len(s.Rows) > 0 {
		box.Add(k.table(s))
	}
	if bodyButtons(s.Kind) && len(s.Buttons) > 0 {
		cols := 2
		if s.Kind == flow.KindAttract {
			cols = 1
		}
		box.Add(k.grid(s, s.Buttons, cols))
	}
	if s.Paging != nil {
		box.Add(k.paging(s))
	}
	return box
}

func containsKeyboard(ks []flow.Keyboard, kb flow.Keyboard) bool {
	for _, x := range ks {
		if x == kb {
			return true
		}
	}
	return false
}

// grid lays buttons out in columns, mirrored on a right-to-left screen.
func (k *Kiosk) grid(s flow.Screen, bs []flow.Button, cols int) fyne.CanvasObject {
	t := k.target()
	w := (k.bodyWidth() - float32(cols-1)*12) / float32(cols)
	h := t * 1.2
	if len(bs) > 2*cols { // four rows or more: the plain target
		h = t
	}
	var cells []fyne.CanvasObject
	for _, b := range bs {
		cells = append(cells, k.flowButton(b, fyne.NewSize(w, h)))
	}
	return container.NewGridWithColumns(cols, mirrorRows(cells, cols, s.RTL)...)
}

// mirrorRows reverses each row of a grid for right-to-left scripts, so the
// first item stands where an Arabic reader starts.
func mirrorRows(items []fyne.CanvasObject, columns int, rtl bool) []fyne.CanvasObject {
	if !rtl {
		return items
	}
	out := make([]fyne.CanvasObject, 0, len(items)+columns)
	for start := 0; start < len(items); start += columns {
		row := append([]fyne.CanvasObject(nil), items[start:min(start+columns, len(items))]...)
		for len(row) < columns {
			// pad a short last row so that, reversed, its items keep to the right
			row = append(row, layout.NewSpacer())
		}
		for i := len(row) - 1; i >= 0; i-- {
			out = append(out, row[i])
		}
	}
	return out
}

// paging is the row of page buttons.
func (k *Kiosk) paging(s flow.Screen) fyne.CanvasObject {
	t := k.target()
	prev := k.flowButton(s.Paging.Prev, fyne.NewSize(t*3, t))
	next := k.flowButton(s.Paging.Next, fyne.NewSize(t*3, t))
	label := NewText(s.Paging.Label, bidi.LTR, k.sizes().body, k.palette().text)
	k.Lines = append(k.Lines, label)
	return container.NewHBox(mirror(s.RTL, []fyne.CanvasObject{layout.NewSpacer(), prev, label, next, layout.NewSpacer()})...)
}

// rowsPerPage is how many table rows fit above the navigation bar.
func (k *Kiosk) rowsPerPage(s flow.Screen) int {
	if s.Access.LargeText {
		return 2
	}
	return 4
}

// table draws rows: label and value, and the same in the other script
// beside them (Arabic always on the right). Long tables are paged here.
func (k *Kiosk) table(s flow.Screen) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	rows := s.Rows
	per := k.rowsPerPage(s)
	pages := (len(rows) + per - 1) / per
	if s.Paging != nil || pages <= 1 {
		pages = 1
	} else {
		k.rowPage = min(k.rowPage, pages-1)
		rows = rows[k.rowPage*per : min((k.rowPage+1)*per, len(rows))]
	}
	t := k.target()
	box := container.NewVBox()
	for _, r := range rows {
		cellW := k.bodyWidth() - t - 12
		if r.OtherLang != "" {
			cellW = (k.bodyWidth() - t - 24) / 2
		}
		own := k.cell(r.Label, r.Value, k.langDir(s.Lang, s), r.Role, cellW)
		cells := []fyne.CanvasObject{own}
		if r.OtherLang != "" {
			other := k.cell(r.LabelOther, r.ValueOther, k.langDir(r.OtherLang, s), r.Role, cellW)
			// The Arabic half stands on the right, whichever is the session's.
			if s.RTL {
				cells = []fyne.CanvasObject{other, own}
			} else {
				cells = append(cells, other)
			}
		}
		line := container.NewGridWithColumns(len(cells), cells...)
		var row fyne.CanvasObject = line
		if r.Edit != "" {
			edit := k.flowButton(flow.Button{ID: r.Edit, Role: flow.RoleSecondary}, fyne.NewSize(t, t))
			edit.Icon = theme.DocumentCreateIcon()
			row = container.NewBorder(nil, nil, pick(!s.RTL, nil, edit), pick(s.RTL, nil, edit), line)
		}
		sep := canvas.NewRectangle(p.secondary)
		sep.SetMinSize(fyne.NewSize(1, 2))
		box.Add(row)
		box.Add(sep)
	}
	if pages > 1 {
		prev := k.localButton(TapRowsPrev, "", theme.MoveUpIcon(), func() { k.rowPage--; k.repaint() })
		next := k.localButton(TapRowsNext, "", theme.MoveDownIcon(), func() { k.rowPage++; k.repaint() })
		prev.Disabled, next.Disabled = k.rowPage == 0, k.rowPage >= pages-1
		label := NewText(strconv.Itoa(k.rowPage+1)+" / "+strconv.Itoa(pages), bidi.LTR, sz.body, p.text)
		k.Lines = append(k.Lines, label)
		box.Add(container.NewHBox(mirror(s.RTL, []fyne.CanvasObject{layout.NewSpacer(), prev, label, next, layout.NewSpacer()})...))
	}
	return box
}

func pick(cond bool, a, b fyne.CanvasObject) fyne.CanvasObject {
	if cond {
		return a
	}
	return b
}

// cell is a label over its value, in one language's direction.
func (k *Kiosk) cell(label, value string, dir bidi.Direction, role flow.Role, width float32) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	l := NewText(label, dir, sz.body*0.8, p.hint)
	l.MaxWidth = width
	v := NewText(value, dir, sz.body, p.textColor(role))
	v.Bold = true
	v.MaxWidth = width
	k.Lines = append(k.Lines, l, v)
	return container.NewVBox(l, v)
}

// countdown is the idle warning over the screen.
func (k *Kiosk) countdown(s flow.Screen) fyne.CanvasObject {
	p, sz := k.palette(), k.sizes()
	c := s.Countdown
	dir := screenDir(s)
	text := NewText(c.Text, dir, sz.heading, p.primaryText)
	text.Bold, text.Align, text.MaxWidth = true, fyne.TextAlignCenter, k.bodyWidth()*0.7
	secs := NewText(strconv.Itoa(c.SecondsLeft), bidi.LTR, sz.title*2, p.emphasis)
	secs.Align = fyne.TextAlignCenter
	if s.Access.HighContrast {
		text.Color = p.text
	}
	k.Lines = append(k.Lines, text, secs)
	card := container.NewVBox(text, secs)
	if c.Extend != nil {
		t := k.target()
		card.Add(k.flowButton(*c.Extend, fyne.NewSize(t*4, t*1.3)))
	}
	panel := canvas.NewRectangle(p.strip)
	panel.CornerRadius = 16
	tapped := func() {}
	if c.Extend != nil {
		tapped = func() { k.flow.Tap(flow.TapExtend) }
	}
	return container.NewStack(
		NewOverlay(p.overlay, tapped),
		container.NewCenter(container.NewStack(panel, container.NewPadded(container.NewPadded(card)))),
	)
}
