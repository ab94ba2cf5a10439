// Package gpio is the kiosk's GPIO: the presence sensor (wakes the screen
// and starts the attract loop), the technician's service key, the receipt
// printer's paper-low switch and the help button as debounced inputs, and
// the ready, busy and fault status lights. It is the only package that
// imports periph.io's host drivers.
//
// # Pins
//
// New takes periph's pin interfaces only (gpio.PinIn for inputs,
// gpio.PinOut for lights), so the Board runs on periph's gpiotest fakes in
// tests and on gpiosim in guichet-devsim. OpenHost resolves the line names
// of the configuration on the machine's GPIO character devices
// (/dev/gpiochipN, the Linux GPIO v2 ioctl interface, through periph's
// gpioioctl driver): by the kernel's line name ("GPIO17" on a Raspberry
// Pi; `gpioinfo` lists them), or as chip/offset ("gpiochip0/17"). Only
// that driver is loaded, not the whole of host.Init: the sysfs interface is
// deprecated and the memory-mapped drivers need /dev/mem or /dev/gpiomem.
//
// # Inputs
//
// Each input has a polarity: ActiveLow for a switch to ground (it then gets
// the pull-up), active high otherwise (the pull-down); NoPull for a line
// driven by the device (a presence sensor's push-pull output). Edges on
// both sides wake a watcher per input; a new level counts once the line
// has stayed still for Debounce (a burst of edges gives one event, a glitch
// that comes back gives none), and is delivered as Event{Input, Active,
// At}. Every Poll the line is also read, so an edge the kernel did not
// report, or a line without edge detection, is still seen. Active tells
// the current debounced state; no event is sent for the state found at
// start (read it with Active: a service key turned before boot).
//
// # Lights
//
// SetLED drives a light (LEDsActiveLow for lights wired to sink). New and
// Close switch every light off: a kiosk whose software is not running is not
// ready.
//
// # Limits
//
// Debouncing runs in software on the kiosk's clock: edges closer together
// than the kernel reports them are merged, which debouncing does anyway.
// An event's At is the time the watcher saw the last edge, not a kernel
// timestamp. The Board does not detect a line claimed by another program
// after start; OpenHost fails if it cannot claim a line.
package gpio
