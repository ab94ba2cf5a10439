package flow_test

import (
	"fmt"
	"log"

	"guichet/kiosk/clock"
	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/pack"
)

// A citizen wakes the kiosk, chooses Arabic, and asks for a bulletin n°3:
// the privacy notice comes before the card reader is armed.
func Example() {
	p, err := pack.Embedded("ma")
	if err != nil {
		log.Fatal(err)
	}
	clk := clock.NewFake(flowtest.Start)
	f, err := flow.New(flow.Config{}, flow.Deps{
		Pack:    p,
		Store:   flowtest.NewStore(clk),
		Clock:   clk,
		Changed: func() { /* the UI's bridge: fyne.Do(render) */ },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()

	f.Presence()
	f.Tap(flow.PrefixLanguage + "ar")
	f.Tap(flow.PrefixService + "bulletin3")
	f.Tap(flow.TapNext)
	s := f.Screen()
	fmt.Println(s.Kind, s.RTL, s.Accepts.Card, s.Title)
	f.Tap(flow.TapAccept)
	s = f.Screen()
	fmt.Println(s.Kind, s.Accepts.Card)
	// Output:
	// privacy true false حماية معطياتكم الشخصية
	// scan_card true
}
