// Package gpiosim is an emulated kiosk GPIO header for guichet-devsim and
// tests: periph gpiotest pins for the presence sensor, service key,
// paper-low switch, help button and the three status lights, driven by
// commands ("press presence", "release servicekey", "bounce help", "leds")
// and read back (LED, Level).
//
// Pass Pins() to gpio.New with the same gpio.Config, so that polarities
// agree: Press makes an input active whatever its wiring.
//
// Limits: edges are queued (1024 at most) for the Board to take; with no
// Board watching, Set fails once the queue is full. There is no electrical
// model: no pull-resistor strength, no contact bounce unless Bounce asks.
package gpiosim
