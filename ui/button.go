package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"guichet/drivers/bidi"
)

// Button is a touch target: a rounded rectangle with a Text label, at least
// Min in size. ID is the flow's button id (or a key's text).
type Button struct {
	widget.BaseWidget

	ID       string
	Label    *Text
	Fill     color.Color
	Border   color.Color // drawn when Selected
	Min      fyne.Size
	Disabled bool
	Selected bool
	// Icon, when set, is drawn before the label (or alone without one), in
	// the theme colour IconColor (Foreground if empty).
	Icon      fyne.Resource
	IconColor fyne.ThemeColorName
	OnTapped  func()
}

// NewButton returns a button whose label wraps within the button's width.
func NewButton(id, label string, dir bidi.Direction, size float32, fill, text color.Color, min fyne.Size, tapped func()) *Button {
	b := &Button{ID: id, Fill: fill, Min: min, OnTapped: tapped}
	b.Label = NewText(label, dir, size, text)
	b.Label.Align = fyne.TextAlignCenter
	if min.Width >= wrapFrom {
		b.Label.MaxWidth = min.Width - 2*buttonPadding
	}
	b.ExtendBaseWidget(b)
	return b
}

const buttonPadding = 12

// wrapFrom is the width from which a button's label wraps to its width;
// a narrower button grows with its label instead (a word is never cut).
const wrapFrom = 200

// Tapped runs the button's action unless it is disabled.
func (b *Button) Tapped(*fyne.PointEvent) {
	if b.Disabled || b.OnTapped == nil {
		return
	}
	b.OnTapped()
}

func (b *Button) MinSize() fyne.Size {
	b.ExtendBaseWidget(b)
	l := b.Label.MinSize()
	w := l.Width + 2*buttonPadding
	if b.Icon != nil {
		w += b.iconSize()
		if b.Label.Text != "" {
			w += buttonPadding
		}
		if b.Label.MaxWidth > 0 {
			// The label wraps within the button less the icon.
			b.Label.MaxWidth = max(b.Min.Width-3*buttonPadding-b.iconSize(), 40)
			l = b.Label.MinSize()
		}
	}
	return fyne.NewSize(max(b.Min.Width, w), max(b.Min.Height, l.Height+2*buttonPadding))
}

func (b *Button) iconSize() float32 { return max(b.Label.textSize()*1.3, 24) }

func (b *Button) CreateRenderer() fyne.WidgetRenderer {
	b.ExtendBaseWidget(b)
	bg := canvas.NewRectangle(b.Fill)
	bg.CornerRadius = 10
	r := &buttonRenderer{b: b, bg: bg}
	if b.Icon != nil {
		name := b.IconColor
		if name == "" {
			name = theme.ColorNameForeground
		}
		r.icon = canvas.NewImageFromResource(theme.NewColoredResource(b.Icon, name))
		r.icon.FillMode = canvas.ImageFillContain
	}
	r.Refresh()
	return r
}

type buttonRenderer struct {
	b    *Button
	bg   *canvas.Rectangle
	icon *canvas.Image
}

func (r *buttonRenderer) Layout(size fyne.Size) {
	r.bg.Resize(size)
	left, width := float32(buttonPadding), size.Width-2*buttonPadding
	if r.icon != nil {
		is := r.b.iconSize()
		if r.b.Label.Text == "" {
			r.icon.Resize(fyne.NewSize(is, is))
			r.icon.Move(fyne.NewPos((size.Width-is)/2, (size.Height-is)/2))
			return
		}
		// The icon stands where the label's reading starts.
		if r.b.Label.RTL() {
			r.icon.Move(fyne.NewPos(size.Width-buttonPadding-is, (size.Height-is)/2))
		} else {
			r.icon.Move(fyne.NewPos(buttonPadding, (size.Height-is)/2))
			left += is + buttonPadding
		}
		r.icon.Resize(fyne.NewSize(is, is))
		width -= is + buttonPadding
	}
	if r.b.Label.MaxWidth > 0 {
		r.b.Label.MaxWidth = max(width, 40)
	}
	l := r.b.Label.MinSize()
	r.b.Label.Resize(fyne.NewSize(width, l.Height))
	r.b.Label.Move(fyne.NewPos(left, (size.Height-l.Height)/2))
}

func (r *buttonRenderer) MinSize() fyne.Size { return r.b.MinSize() }

func (r *buttonRenderer) Refresh() {
	r.bg.FillColor = r.b.Fill
	r.bg.StrokeWidth = 0
	if r.b.Selected && r.b.Border != nil {
		r.bg.StrokeColor = r.b.Border
		r.bg.StrokeWidth = 6
	}
	if r.b.Disabled {
		c := color.NRGBAModel.Convert(r.b.Fill).(color.NRGBA)
		c.A = 0x50
		r.bg.FillColor = c
	}
	r.bg.Refresh()
	r.b.Label.Refresh()
}

func (r *buttonRenderer) Objects() []fyne.CanvasObject {
	if r.icon != nil {
		return []fyne.CanvasObject{r.bg, r.icon, r.b.Label}
	}
	return []fyne.CanvasObject{r.bg, r.b.Label}
}

func (r *buttonRenderer) Destroy() {}

// Overlay blocks the screen under the idle warning; a tap on it is the
// "simple action" that gives more time.
type Overlay struct {
	widget.BaseWidget
	Fill     color.Color
	OnTapped func()
}

func NewOverlay(fill color.Color, tapped func()) *Overlay {
	o := &Overlay{Fill: fill, OnTapped: tapped}
	o.ExtendBaseWidget(o)
	return o
}

func (o *Overlay) Tapped(*fyne.PointEvent) {
	if o.OnTapped != nil {
		o.OnTapped()
	}
}

func (o *Overlay) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(o.Fill))
}
