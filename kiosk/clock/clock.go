// Package clock is the kiosk's injected time: the real clock for the
// appliance and a fake one that tests move by hand.
//
// Everything in kiosk/ that waits or times out (the citizen session's idle
// timeout, retries, compaction when idle) takes a Clock instead of calling
// the time package, so that tests run in microseconds and never flake.
//
// Limits: the fake runs timer functions synchronously inside Advance, on the
// caller's goroutine, in deadline order; the real clock runs them on their own
// goroutine, as time.AfterFunc does. Code must be correct under both.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and calls a function later.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f, once, when d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it did.
	Stop() bool
}

// System is the real clock.
var System Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                            { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a Clock that moves only when told to. It is safe for concurrent
// use. The zero value is not usable; call NewFake.
type Fake struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*fakeTimer
}

// NewFake returns a fake clock showing start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

type fakeTimer struct {
	c    *Fake
	at   time.Time
	seq  int // creation order breaks ties
	f    func()
	done bool
}

// Now returns the fake time.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A d ≤ 0 runs f at the next Advance
// (even Advance(0)), not immediately, so that f never runs inside its
// caller's lock.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{c: c, at: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	return t
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	t.c.remove(t)
	return true
}

func (c *Fake) remove(t *fakeTimer) {
	for i, u := range c.timers {
		if u == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return
		}
	}
}

// Advance moves the clock forward by d, running every timer that falls due
// on the way, in order, with Now() showing each one's deadline while it runs.
// Timers that those functions schedule within the interval run too.
// A negative d is taken as zero: time does not go back.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	d = max(d, 0)
	end := c.now.Add(d)
	for {
		sort.Slice(c.timers, func(i, j int) bool {
			a, b := c.timers[i], c.timers[j]
			if !a.at.Equal(b.at) {
				return a.at.Before(b.at)
			}
			return a.seq < b.seq
		})
		if len(c.timers) == 0 || c.timers[0].at.After(end) {
			break
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		t.done = true
		if t.at.After(c.now) {
			c.now = t.at
		}
		c.mu.Unlock()
		t.f()
		c.mu.Lock()
	}
	c.now = end
	c.mu.Unlock()
}

// Pending returns how many timers are waiting; tests use it to check that
// nothing is left scheduled.
func (c *Fake) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}
