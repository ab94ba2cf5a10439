package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"guichet/kiosk/flow"
)

// Theme is the kiosk's theme for the whole application: light, with large
// text. The screens draw their own text (Text) with explicit fonts and the
// palette below; the theme serves Fyne's own pieces.
func Theme() fyne.Theme { return kioskTheme{} }

type kioskTheme struct{ contrast bool }

func (t kioskTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	p := paletteFor(t.contrast)
	switch n {
	case theme.ColorNameBackground:
		return p.background
	case theme.ColorNameForeground:
		return p.text
	case theme.ColorNamePrimary:
		return p.primary
	}
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (t kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }
func (t kioskTheme) Font(s fyne.TextStyle) fyne.Resource     { return scriptFont("Latn", s.Bold) }
func (t kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 22
	case theme.SizeNamePadding:
		return 4 // between the rows of a screen: the layouts add their own margins
	}
	return theme.DefaultTheme().Size(n)
}

// palette are the colours of a screen: the normal one, and the high-contrast
// one (yellow and white on black, contrast above 15:1).
type palette struct {
	background, text, hint, errorText, emphasis color.Color
	primary, primaryText                        color.Color
	secondary, secondaryText                    color.Color
	danger, dangerText                          color.Color
	selected                                    color.Color
	strip, stripText, stripAlert                color.Color
	fieldBox, fieldBorder                       color.Color
	overlay                                     color.Color
}

var (
	normalPalette = palette{
		background: rgb(0xF4, 0xF6, 0xF9), text: rgb(0x17, 0x1A, 0x1F), hint: rgb(0x4A, 0x50, 0x5A),
		errorText: rgb(0xA8, 0x1C, 0x14), emphasis: rgb(0x0A, 0x3D, 0x8F),
		primary: rgb(0x0B, 0x5C, 0xAD), primaryText: rgb(0xFF, 0xFF, 0xFF),
		secondary: rgb(0xDD, 0xE3, 0xEC), secondaryText: rgb(0x17, 0x1A, 0x1F),
		danger: rgb(0xA8, 0x1C, 0x14), dangerText: rgb(0xFF, 0xFF, 0xFF),
		selected: rgb(0xF2, 0xA9, 0x00),
		strip:    rgb(0x1F, 0x2A, 0x3A), stripText: rgb(0xFF, 0xFF, 0xFF), stripAlert: rgb(0xFF, 0xC9, 0x4D),
		fieldBox: rgb(0xFF, 0xFF, 0xFF), fieldBorder: rgb(0x0B, 0x5C, 0xAD),
		overlay: color.NRGBA{0, 0, 0, 0xB0},
	}
	contrastPalette = palette{
		background: rgb(0, 0, 0), text: rgb(0xFF, 0xFF, 0xFF), hint: rgb(0xE6, 0xE6, 0xE6),
		errorText: rgb(0xFF, 0x9E, 0x9E), emphasis: rgb(0xFF, 0xE0, 0x00),
		primary: rgb(0xFF, 0xE0, 0x00), primaryText: rgb(0, 0, 0),
		secondary: rgb(0xFF, 0xFF, 0xFF), secondaryText: rgb(0, 0, 0),
		danger: rgb(0xFF, 0x9E, 0x9E), dangerText: rgb(0, 0, 0),
		selected: rgb(0x00, 0xE5, 0xFF),
		strip:    rgb(0, 0, 0), stripText: rgb(0xFF, 0xFF, 0xFF), stripAlert: rgb(0xFF, 0xE0, 0x00),
		fieldBox: rgb(0, 0, 0), fieldBorder: rgb(0xFF, 0xE0, 0x00),
		overlay: color.NRGBA{0, 0, 0, 0xE0},
	}
)

func rgb(r, g, b uint8) color.Color { return color.NRGBA{r, g, b, 0xFF} }

func paletteFor(contrast bool) *palette {
	if contrast {
		return &contrastPalette
	}
	return &normalPalette
}

// textColor is a line's colour for its role.
func (p *palette) textColor(r flow.Role) color.Color {
	switch r {
	case flow.RoleError:
		return p.errorText
	case flow.RoleHint:
		return p.hint
	case flow.RoleEmphasis:
		return p.emphasis
	}
	return p.text
}

// buttonColors are a button's fill and text for its role.
func (p *palette) buttonColors(r flow.Role) (fill, text color.Color) {
	switch r {
	case flow.RolePrimary:
		return p.primary, p.primaryText
	case flow.RoleDanger:
		return p.danger, p.dangerText
	}
	return p.secondary, p.secondaryText
}

// sizes are the text sizes of a screen, in Fyne units.
type sizes struct {
	title, heading, body, hint, button, key, strip float32
}

func sizesFor(large bool) sizes {
	s := sizes{title: 36, heading: 28, body: 24, hint: 20, button: 24, key: 28, strip: 18}
	if large {
		s = sizes{title: 46, heading: 36, body: 32, hint: 26, button: 30, key: 34, strip: 22}
	}
	return s
}
