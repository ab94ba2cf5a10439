package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"guichet/drivers/bidi"
	"guichet/kiosk/flow"
)

// Field shows the field being filled: its label, its value in a box, the
// hint and the error. It takes the focus so that a hardware keyboard (the
// developer's, or the test driver's test.Type) types into it like the
// on-screen one.
type Field struct {
	widget.BaseWidget

	ID    string
	Label *Text
	Value *Text
	Hint  *Text
	Error *Text

	flow    *flow.Flow
	content fyne.CanvasObject
	focused bool
}

func (k *Kiosk) newField(fv *flow.FieldView, s flow.Screen) *Field {
	p, sz := k.palette(), k.sizes()
	dir := screenDir(s)
	width := k.bodyWidth()
	f := &Field{ID: fv.ID, flow: k.flow}
	label := fv.Label
	if fv.Required {
		label += " *"
	}
	f.Label = NewText(label, dir, sz.body*1.1, p.text)
	f.Label.Bold, f.Label.MaxWidth = true, width
	f.Value = NewText(fv.Value, bidi.Auto, sz.title, p.text)
	f.Value.Align = fyne.TextAlignLeading
	if s.RTL && fv.Value == "" {
		f.Value.Dir = bidi.RTL
	}
	f.Hint = NewText(fv.Hint, dir, sz.hint, p.hint)
	f.Hint.MaxWidth = width
	f.Error = NewText(fv.Error, dir, sz.body, p.errorText)
	f.Error.Bold, f.Error.MaxWidth = true, width
	box := canvas.NewRectangle(p.fieldBox)
	box.StrokeColor, box.StrokeWidth, box.CornerRadius = p.fieldBorder, 3, 6
	valueRow := container.NewStack(box, container.NewPadded(f.Value))
	if s.RTL {
		f.Value.Align = fyne.TextAlignTrailing
		if f.Value.RTL() {
			f.Value.Align = fyne.TextAlignLeading
		}
	}
	parts := []fyne.CanvasObject{f.Label}
	if fv.Hint != "" {
		parts = append(parts, f.Hint)
	}
	if fv.Choices == nil {
		parts = append(parts, container.New(&minHeight{h: sz.title * 1.3}, valueRow))
	}
	if fv.Error != "" {
		parts = append(parts, f.Error)
	}
	f.content = container.NewVBox(parts...)
	f.ExtendBaseWidget(f)
	return f
}

func (f *Field) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(f.content) }

// Tapped focuses the field.
func (f *Field) Tapped(*fyne.PointEvent) {
	if c := fyne.CurrentApp().Driver().CanvasForObject(f); c != nil {
		c.Focus(f)
	}
}

func (f *Field) FocusGained() { f.focused = true }
func (f *Field) FocusLost()   { f.focused = false }

// TypedRune types a character into the field.
func (f *Field) TypedRune(r rune) { f.flow.Type(f.ID, string(r)) }

// TypedKey erases with Backspace and goes on with Return.
func (f *Field) TypedKey(e *fyne.KeyEvent) {
	switch e.Name {
	case fyne.KeyBackspace:
		f.flow.Tap(flow.TapErase)
	case fyne.KeyReturn, fyne.KeyEnter:
		f.flow.Tap(flow.TapNext)
	}
}

// minHeight is a layout that gives its objects at least h of height.
type minHeight struct{ h float32 }

func (m *minHeight) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objects {
		s = s.Max(o.MinSize())
	}
	return fyne.NewSize(s.Width, max(s.Height, m.h))
}

func (m *minHeight) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Resize(size)
		o.Move(fyne.NewPos(0, 0))
	}
}
