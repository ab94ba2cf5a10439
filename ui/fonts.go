package ui

import (
	"fyne.io/fyne/v2"

	"guichet/drivers/fonts"
)

// scriptFont is the bundled font of a script as a Fyne resource; Fyne falls
// back to its own Noto Sans for the Latin letters and digits a line mixes in.
func scriptFont(script string, bold bool) fyne.Resource {
	f := fonts.For(script, bold)
	return fyne.NewStaticResource(f.Name, f.Data)
}
