package ui_test

import (
	"fmt"
	"log"

	"fyne.io/fyne/v2/test"

	"guichet/kiosk/clock"
	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/pack"
	"guichet/ui"
)

// The kiosk's main builds the flow, then the touchscreen on it, and points
// the flow's Changed at the touchscreen (here with Fyne's test driver; the
// main uses app.New and a window).
func Example() {
	a := test.NewApp()
	defer a.Quit()
	a.Settings().SetTheme(ui.Theme())

	p, err := pack.Embedded("ma")
	if err != nil {
		log.Fatal(err)
	}
	var k *ui.Kiosk
	f, err := flow.New(flow.Config{}, flow.Deps{
		Pack:    p,
		Store:   flowtest.NewStore(clock.System), // the main passes its *store.Store
		Changed: func() { k.Changed() },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	k = ui.New(f, p, ui.Options{DPI: 160})
	w := a.NewWindow("Guichet")
	w.SetContent(k.Content())

	f.Presence() // the presence sensor wakes the kiosk
	fmt.Println(k.Screen().Kind, len(k.Buttons) > 4, ui.TargetSize(160))
	// Output: language true 72
}
