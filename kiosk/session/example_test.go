package session_test

import (
	"fmt"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/session"
)

func Example() {
	clk := clock.NewFake(time.Date(2026, time.March, 14, 9, 0, 0, 0, time.UTC))
	cfg := session.Config{IdleTimeout: 2 * time.Minute, WarningLead: 30 * time.Second, MaxExtensions: 10}
	var s *session.Session
	s, _ = session.New(cfg, clk, func(e session.Event) {
		// The UI would hand this to fyne.Do; here, print the ones that
		// change the screen.
		if e.Kind != session.EventCountdown {
			fmt.Println(e)
		}
	})
	s.SetLanguage("fr")
	s.SetField("father_name", "Mohammed")

	clk.Advance(90 * time.Second) // idle: the warning shows
	s.Extend()                    // "I need more time"
	clk.Advance(2 * time.Minute)  // gone for good
	v, ok := s.Field("father_name")
	fmt.Printf("%v %q %v\n", s.State(), v, ok)
	// Output:
	// warning: 30 s left, 10 extensions left
	// extended
	// warning: 30 s left, 9 extensions left
	// expired
	// expired "" false
}
