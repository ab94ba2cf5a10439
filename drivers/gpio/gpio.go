package gpio

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	pgpio "periph.io/x/conn/v3/gpio"

	"guichet/kiosk/clock"
)

// Input is one of the kiosk's input lines.
type Input string

// The inputs.
const (
	Presence   Input = "presence"   // someone stands in front of the kiosk: wake the screen
	ServiceKey Input = "servicekey" // the technician's key switch is turned
	PaperLow   Input = "paperlow"   // the receipt printer's paper-low switch
	Help       Input = "help"       // the citizen pressed the help button
)

// Inputs lists the inputs in a fixed order.
var Inputs = []Input{Presence, ServiceKey, PaperLow, Help}

// LED is one of the status lights.
type LED string

// The status lights.
const (
	LEDReady LED = "ready"
	LEDBusy  LED = "busy"
	LEDFault LED = "fault"
)

// LEDs lists the lights in a fixed order.
var LEDs = []LED{LEDReady, LEDBusy, LEDFault}

// The Config defaults.
const (
	DefaultDebounce = 50 * time.Millisecond
	DefaultPoll     = 100 * time.Millisecond
)

// Config is the GPIO part of the kiosk configuration.
type Config struct {
	// Line names (as the kernel names them, e.g. "GPIO17", or
	// "gpiochip0/17" for chip and offset), for OpenHost. Empty: not
	// fitted.
	Presence, ServiceKey, PaperLow, Help string
	LEDReady, LEDBusy, LEDFault          string

	// ActiveLow: the input is active when its line reads low (a switch to
	// ground). Such an input gets the pull-up, an active-high one the
	// pull-down, unless NoPull says the line is driven (a presence sensor
	// with a push-pull output).
	ActiveLow, NoPull InputFlags
	// LEDsActiveLow: the lights are on when their lines are low.
	LEDsActiveLow bool

	// Debounce is how long an input must stay still before its new level
	// counts (DefaultDebounce).
	Debounce time.Duration
	// Poll is how often each input is also read, to catch an edge the
	// kernel did not report or a line without edge detection
	// (DefaultPoll).
	Poll time.Duration
}

// InputFlags is a flag per input.
type InputFlags struct {
	Presence, ServiceKey, PaperLow, Help bool
}

// Of returns the flag of in.
func (f InputFlags) Of(in Input) bool {
	if p := f.flag(in); p != nil {
		return *p
	}
	return false
}

// flag is in's field of f; nil for an input there is not.
func (f *InputFlags) flag(in Input) *bool {
	switch in {
	case Presence:
		return &f.Presence
	case ServiceKey:
		return &f.ServiceKey
	case PaperLow:
		return &f.PaperLow
	case Help:
		return &f.Help
	}
	return nil
}

// Name returns the configured line name of in.
func (c Config) Name(in Input) string {
	if p := c.name(in); p != nil {
		return *p
	}
	return ""
}

// name is in's line-name field of c; nil for an input there is not.
func (c *Config) name(in Input) *string {
	switch in {
	case Presence:
		return &c.Presence
	case ServiceKey:
		return &c.ServiceKey
	case PaperLow:
		return &c.PaperLow
	case Help:
		return &c.Help
	}
	return nil
}

// LEDName returns the configured line name of led.
func (c Config) LEDName(led LED) string {
	if p := c.ledName(led); p != nil {
		return *p
	}
	return ""
}

// ledName is led's line-name field of c; nil for a light there is not.
func (c *Config) ledName(led LED) *string {
	switch led {
	case LEDReady:
		return &c.LEDReady
	case LEDBusy:
		return &c.LEDBusy
	case LEDFault:
		return &c.LEDFault
	}
	return nil
}

// Pins are the lines a Board drives; a nil pin is not fitted.
type Pins struct {
	Presence, ServiceKey, PaperLow, Help pgpio.PinIn
	LEDReady, LEDBusy, LEDFault          pgpio.PinOut
}

func (p Pins) input(in Input) pgpio.PinIn {
	if f := p.inputField(in); f != nil {
		return *f
	}
	return nil
}

func (p Pins) led(led LED) pgpio.PinOut {
	if f := p.ledField(led); f != nil {
		return *f
	}
	return nil
}

// inputField is in's field of p; nil for an input there is not.
func (p *Pins) inputField(in Input) *pgpio.PinIn {
	switch in {
	case Presence:
		return &p.Presence
	case ServiceKey:
		return &p.ServiceKey
	case PaperLow:
		return &p.PaperLow
	case Help:
		return &p.Help
	}
	return nil
}

// ledField is led's field of p; nil for a light there is not.
func (p *Pins) ledField(led LED) *pgpio.PinOut {
	switch led {
	case LEDReady:
		return &p.LEDReady
	case LEDBusy:
		return &p.LEDBusy
	case LEDFault:
		return &p.LEDFault
	}
	return nil
}

// Event is an input that changed, once debounced.
type Event struct {
	Input  Input
	Active bool      // pressed, present, turned, paper low
	At     time.Time // the edge that started the new level's last still period
}

// eventBuffer is how many events wait for a slow reader.
const eventBuffer = 32

// Board is the kiosk's GPIO: its debounced inputs and its status lights.
// Its methods are safe for concurrent use.
type Board struct {
	cfg     Config
	clk     clock.Clock
	inputs  []*input
	leds    map[LED]pgpio.PinOut
	events  chan Event
	release func() // frees host lines at Close

	closed atomic.Bool
	wg     sync.WaitGroup
	edges  atomic.Int64 // edges seen, for tests to wait on

	mu      sync.Mutex
	ledOn   map[LED]bool
	dropped int
}

type input struct {
	name      Input
	pin       pgpio.PinIn
	activeLow bool
	deb       debouncer   // guarded by Board.mu
	timer     clock.Timer // guarded by Board.mu
}

// New sets the pins up (inputs with their pull and both edges, lights off)
// and starts watching the inputs. clk is the kiosk's clock; nil means the
// real one. Close stops it.
func New(pins Pins, cfg Config, clk clock.Clock) (*Board, error) {
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if clk == nil {
		clk = clock.System
	}
	b := &Board{
		cfg:    cfg,
		clk:    clk,
		leds:   map[LED]pgpio.PinOut{},
		ledOn:  map[LED]bool{},
		events: make(chan Event, eventBuffer),
	}
	for _, led := range LEDs {
		p := pins.led(led)
		if p == nil {
			continue
		}
		if err := p.Out(b.level(false)); err != nil {
			return nil, fmt.Errorf("gpio: light %s on %s: %w", led, p, err)
		}
		b.leds[led] = p
	}
	hasEdges := map[*input]bool{}
	for _, name := range Inputs {
		p := pins.input(name)
		if p == nil {
			continue
		}
		in := &input{name: name, pin: p, activeLow: cfg.ActiveLow.Of(name)}
		in.deb.window = cfg.Debounce
		pull := pgpio.PullDown
		switch {
		case cfg.NoPull.Of(name):
			pull = pgpio.Float
		case in.activeLow:
			pull = pgpio.PullUp
		}
		hasEdges[in] = true
		if err := p.In(pull, pgpio.BothEdges); err != nil {
			// No edge detection on this line: read it every Poll.
			if err2 := p.In(pull, pgpio.NoEdge); err2 != nil {
				return nil, fmt.Errorf("gpio: input %s on %s: %w", name, p, errors.Join(err, err2))
			}
			hasEdges[in] = false
		}
		in.deb.stable = bool(p.Read())
		b.inputs = append(b.inputs, in)
	}
	for _, in := range b.inputs {
		b.wg.Add(1)
		go b.watch(in, hasEdges[in])
	}
	return b, nil
}

// level is the line level that shows a light on or off.
func (b *Board) level(on bool) pgpio.Level { return pgpio.Level(on != b.cfg.LEDsActiveLow) }

// Events delivers debounced input changes. It is never closed. When nobody
// reads it, events beyond a buffer of 32 are dropped (see Dropped); Active
// always tells the current state.
func (b *Board) Events() <-chan Event { return b.events }

// Dropped returns how many events were dropped for want of a reader.
func (b *Board) Dropped() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}

// Fitted reports whether in has a line.
func (b *Board) Fitted(in Input) bool {
	for _, i := range b.inputs {
		if i.name == in {
			return true
		}
	}
	return false
}

// Active returns the debounced state of in: whether the service key is
// turned at start-up, say. An input that is not fitted is never active.
func (b *Board) Active(in Input) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, i := range b.inputs {
		if i.name == in {
			return i.deb.stable != i.activeLow
		}
	}
	return false
}

// SetLED turns a status light on or off. A light that is not fitted is
// ignored.
func (b *Board) SetLED(led LED, on bool) error {
	p, ok := b.leds[led]
	if !ok {
		if led == LEDReady || led == LEDBusy || led == LEDFault {
			return nil
		}
		return fmt.Errorf("gpio: no light %q (want ready, busy or fault)", led)
	}
	if err := p.Out(b.level(on)); err != nil {
		return fmt.Errorf("gpio: light %s: %w", led, err)
	}
	b.mu.Lock()
	b.ledOn[led] = on
	b.mu.Unlock()
	return nil
}

// LEDOn reports whether a light was last set on.
func (b *Board) LEDOn(led LED) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ledOn[led]
}

// Close stops watching the inputs, turns the lights off (the kiosk is no
// longer ready) and frees the lines.
func (b *Board) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	for _, in := range b.inputs {
		in.pin.Halt() // ends a WaitForEdge in progress on lines that support it
	}
	b.wg.Wait()
	b.mu.Lock()
	for _, in := range b.inputs {
		if in.timer != nil {
			in.timer.Stop()
			in.timer = nil
		}
	}
	b.mu.Unlock()
	var errs []error
	for _, led := range LEDs {
		if p, ok := b.leds[led]; ok {
			if err := p.Out(b.level(false)); err != nil {
				errs = append(errs, fmt.Errorf("gpio: light %s: %w", led, err))
			}
		}
	}
	if b.release != nil {
		b.release()
	}
	return errors.Join(errs...)
}

// watch waits for edges on one input until Close.
func (b *Board) watch(in *input, edges bool) {
	defer b.wg.Done()
	for !b.closed.Load() {
		changed := false
		if edges {
			changed = in.pin.WaitForEdge(b.cfg.Poll)
		} else {
			time.Sleep(b.cfg.Poll)
		}
		if b.closed.Load() {
			return
		}
		if !changed {
			// Poll: an edge the kernel lost, or a line without edges.
			level := bool(in.pin.Read())
			b.mu.Lock()
			changed = level != in.deb.stable && !in.deb.pending
			b.mu.Unlock()
		}
		if changed {
			b.sawEdge(in)
		}
	}
}

func (b *Board) sawEdge(in *input) {
	now := b.clk.Now()
	b.mu.Lock()
	due := in.deb.edge(now)
	if in.timer == nil {
		in.timer = b.clk.AfterFunc(due.Sub(now), func() { b.settle(in) })
	}
	b.mu.Unlock()
	b.edges.Add(1)
}

// settle runs when an input may have settled.
func (b *Board) settle(in *input) {
	level := bool(in.pin.Read())
	now := b.clk.Now()
	b.mu.Lock()
	in.timer = nil
	changed, again := in.deb.settle(now, level)
	if !again.IsZero() && !b.closed.Load() {
		in.timer = b.clk.AfterFunc(again.Sub(now), func() { b.settle(in) })
	}
	at := in.deb.last
	b.mu.Unlock()
	if changed {
		b.emit(Event{Input: in.name, Active: level != in.activeLow, At: at})
	}
}

func (b *Board) emit(e Event) {
	select {
	case b.events <- e:
	default:
		b.mu.Lock()
		b.dropped++
		b.mu.Unlock()
	}
}
