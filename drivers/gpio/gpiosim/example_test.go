package gpiosim_test

import (
	"fmt"
	"log"

	"guichet/drivers/gpio"
	"guichet/drivers/gpio/gpiosim"
	"guichet/kiosk/clock"
)

func ExampleBoard_Exec() {
	cfg := gpio.Config{ActiveLow: gpio.InputFlags{ServiceKey: true}}
	sim := gpiosim.New(cfg)
	board, err := gpio.New(sim.Pins(), cfg, clock.System)
	if err != nil {
		log.Fatal(err)
	}
	defer board.Close()

	if _, err := sim.Exec("press servicekey"); err != nil {
		log.Fatal(err)
	}
	e := <-board.Events()
	fmt.Println(e.Input, e.Active)
	board.SetLED(gpio.LEDFault, true)
	out, _ := sim.Exec("leds")
	fmt.Println(out)
	// Output:
	// servicekey true
	// led-busy=off led-fault=on led-ready=off
}
