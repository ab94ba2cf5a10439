package gpiosim

import (
	"fmt"
	"sort"
	"strings"

	pgpio "periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"guichet/drivers/gpio"
)

// edgeBuffer is how many edges wait for the Board to take them.
const edgeBuffer = 1024

// Board is an emulated kiosk GPIO header: a periph gpiotest pin for every
// input and light, driven by Press, Release and Bounce and read back by
// LED.
type Board struct {
	cfg    gpio.Config
	inputs map[gpio.Input]*gpiotest.Pin
	leds   map[gpio.LED]*gpiotest.Pin
}

// New makes the pins for cfg: every input and light, named after cfg's
// line names (or after the input when cfg names none). The inputs rest at
// their inactive level.
func New(cfg gpio.Config) *Board {
	b := &Board{cfg: cfg, inputs: map[gpio.Input]*gpiotest.Pin{}, leds: map[gpio.LED]*gpiotest.Pin{}}
	n := 0
	for _, in := range gpio.Inputs {
		name := cfg.Name(in)
		if name == "" {
			name = string(in)
		}
		b.inputs[in] = &gpiotest.Pin{N: name, Num: n, L: pgpio.Level(cfg.ActiveLow.Of(in)), EdgesChan: make(chan pgpio.Level, edgeBuffer)}
		n++
	}
	for _, led := range gpio.LEDs {
		name := cfg.LEDName(led)
		if name == "" {
			name = "led-" + string(led)
		}
		b.leds[led] = &gpiotest.Pin{N: name, Num: n}
		n++
	}
	return b
}

// Pins returns the pins, for gpio.New.
func (b *Board) Pins() gpio.Pins {
	return gpio.Pins{
		Presence:   b.inputs[gpio.Presence],
		ServiceKey: b.inputs[gpio.ServiceKey],
		PaperLow:   b.inputs[gpio.PaperLow],
		Help:       b.inputs[gpio.Help],
		LEDReady:   b.leds[gpio.LEDReady],
		LEDBusy:    b.leds[gpio.LEDBusy],
		LEDFault:   b.leds[gpio.LEDFault],
	}
}

// Press makes an input active: someone steps up, the key is turned, the
// paper runs low, the help button is pushed.
func (b *Board) Press(in gpio.Input) error { return b.Set(in, true) }

// Release makes an input inactive.
func (b *Board) Release(in gpio.Input) error { return b.Set(in, false) }

// Set drives an input active or inactive: the line's level changes and an
// edge is reported.
func (b *Board) Set(in gpio.Input, active bool) error {
	p, ok := b.inputs[in]
	if !ok {
		return fmt.Errorf("gpiosim: no input %q (want presence, servicekey, paperlow or help)", in)
	}
	level := pgpio.Level(active != b.cfg.ActiveLow.Of(in))
	p.Lock()
	p.L = level
	p.Unlock()
	select {
	case p.EdgesChan <- level:
		return nil
	default:
		return fmt.Errorf("gpiosim: %d edges on %s wait unread: is a gpio.Board watching these pins?", edgeBuffer, in)
	}
}

// Bounce makes an input chatter n times, as a worn switch does, then
// leaves it active or not: a debounced Board reports one change at most.
func (b *Board) Bounce(in gpio.Input, n int, active bool) error {
	for i := 0; i < n; i++ {
		if err := b.Set(in, i%2 == 0 == active); err != nil {
			return err
		}
	}
	return b.Set(in, active)
}

// Level returns whether an input is active now, as driven.
func (b *Board) Level(in gpio.Input) bool {
	p, ok := b.inputs[in]
	if !ok {
		return false
	}
	p.Lock()
	defer p.Unlock()
	return bool(p.L) != b.cfg.ActiveLow.Of(in)
}

// LED reports whether a light is on.
func (b *Board) LED(led gpio.LED) bool {
	p, ok := b.leds[led]
	if !ok {
		return false
	}
	p.Lock()
	defer p.Unlock()
	return bool(p.L) != b.cfg.LEDsActiveLow
}

// Exec runs one command line, for guichet-devsim:
//
//	press <input>     make an input active (presence, servicekey, paperlow, help)
//	release <input>   make it inactive
//	bounce <input>    chatter, then stay active
//	leds              show the lights
//	status            show the inputs and the lights
//
// It returns what to print.
func (b *Board) Exec(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", fmt.Errorf("gpiosim: empty command (press, release, bounce, leds, status)")
	}
	arg := func() (gpio.Input, error) {
		if len(f) != 2 {
			return "", fmt.Errorf("gpiosim: %s needs one input (presence, servicekey, paperlow, help)", f[0])
		}
		return gpio.Input(strings.ToLower(f[1])), nil
	}
	switch f[0] {
	case "press", "release", "bounce":
		in, err := arg()
		if err != nil {
			return "", err
		}
		switch f[0] {
		case "press":
			err = b.Press(in)
		case "release":
			err = b.Release(in)
		default:
			err = b.Bounce(in, 6, true)
		}
		return "", err
	case "leds":
		return b.ledLine(), nil
	case "status":
		var parts []string
		for _, in := range gpio.Inputs {
			parts = append(parts, fmt.Sprintf("%s=%v", in, b.Level(in)))
		}
		return strings.Join(parts, " ") + " " + b.ledLine(), nil
	}
	return "", fmt.Errorf("gpiosim: unknown command %q (press, release, bounce, leds, status)", f[0])
}

func (b *Board) ledLine() string {
	var parts []string
	for _, led := range gpio.LEDs {
		state := "off"
		if b.LED(led) {
			state = "on"
		}
		parts = append(parts, fmt.Sprintf("led-%s=%s", led, state))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
