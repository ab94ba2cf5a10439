package gpio_test

import (
	"fmt"
	"log"
	"time"

	"guichet/drivers/gpio"
	"guichet/drivers/gpio/gpiosim"
	"guichet/kiosk/clock"
)

// The presence sensor wakes the screen; the service key, wired to ground,
// is active low. On the kiosk, gpio.OpenHost(cfg, clock.System) opens the
// real lines; here the emulated board stands in.
func Example() {
	cfg := gpio.Config{
		Presence: "GPIO17", ServiceKey: "GPIO27", LEDReady: "GPIO22",
		ActiveLow: gpio.InputFlags{ServiceKey: true},
		Debounce:  20 * time.Millisecond,
	}
	sim := gpiosim.New(cfg)
	board, err := gpio.New(sim.Pins(), cfg, clock.System)
	if err != nil {
		log.Fatal(err)
	}
	defer board.Close()
	board.SetLED(gpio.LEDReady, true)

	sim.Bounce(gpio.Presence, 4, true) // someone steps up; the sensor chatters
	e := <-board.Events()
	fmt.Println(e.Input, e.Active)

	sim.Press(gpio.ServiceKey)
	e = <-board.Events()
	fmt.Println(e.Input, e.Active, board.Active(gpio.ServiceKey))
	fmt.Println(sim.LED(gpio.LEDReady))
	// Output:
	// presence true
	// servicekey true true
	// true
}
