package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Theme is the kiosk's theme for the whole application: light, with large
// text; each screen then gives its text the fonts of the session's script.
func Theme() fyne.Theme { return kioskTheme{script: "Latn"} }

// kioskTheme is Fyne's default theme with the script's bundled font first and
// sizes fit for a touchscreen read at arm's length.
type kioskTheme struct {
	script string // ISO 15924: Arab, Tfng, Latn
	large  bool   // the larger-text mode
}

func (t kioskTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return theme.DefaultTheme().Color(n, theme.VariantLight)
}

func (t kioskTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (t kioskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return theme.DefaultTheme().Font(s)
	}
	switch t.script {
	case "Arab", "Tfng":
		return scriptFont(t.script, s.Bold)
	}
	return theme.DefaultTheme().Font(s)
}

func (t kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	size := theme.DefaultTheme().Size(n)
	switch n {
	case theme.SizeNameText:
		size = 22
	case theme.SizeNameHeadingText:
		size = 34
	case theme.SizeNameSubHeadingText:
		size = 26
	case theme.SizeNamePadding:
		size = 8
	case theme.SizeNameInnerPadding:
		size = 16
	}
	if t.large {
		switch n {
		case theme.SizeNameText, theme.SizeNameHeadingText, theme.SizeNameSubHeadingText:
			size *= 1.4
		}
	}
	return size
}
