package clock_test

import (
	"fmt"
	"time"

	"guichet/kiosk/clock"
)

func ExampleFake() {
	c := clock.NewFake(time.Date(2026, time.March, 14, 9, 0, 0, 0, time.UTC))
	c.AfterFunc(90*time.Second, func() { fmt.Println("warning at", c.Now().Format("15:04:05")) })
	c.Advance(2 * time.Minute)
	fmt.Println("now", c.Now().Format("15:04:05"))
	// Output:
	// warning at 09:01:30
	// now 09:02:00
}
