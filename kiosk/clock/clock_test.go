package clock

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var start = time.Date(2026, time.March, 14, 9, 0, 0, 0, time.UTC)

func TestFakeRunsTimersInOrder(t *testing.T) {
	c := NewFake(start)
	var got []string
	record := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(start).String()) }
	}
	c.AfterFunc(3*time.Second, record("c"))
	c.AfterFunc(time.Second, record("a"))
	c.AfterFunc(3*time.Second, record("d")) // same deadline: creation order
	c.AfterFunc(2*time.Second, func() {
		record("b")()
		c.AfterFunc(500*time.Millisecond, record("b+")) // scheduled while advancing
	})
	stopped := c.AfterFunc(time.Second, record("never"))
	if !stopped.Stop() {
		t.Errorf("Stop() of a pending timer = false, want true")
	}
	if stopped.Stop() {
		t.Errorf("second Stop() = true, want false")
	}
	c.Advance(2999 * time.Millisecond)
	if want := []string{"a@1s", "b@2s", "b+@2.5s"}; !cmp.Equal(got, want) {
		t.Errorf("after 2.999 s ran %v, want %v", got, want)
	}
	if got, want := c.Now(), start.Add(2999*time.Millisecond); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
	c.Advance(time.Millisecond)
	if want := []string{"a@1s", "b@2s", "b+@2.5s", "c@3s", "d@3s"}; !cmp.Equal(got, want) {
		t.Errorf("after 3 s ran %v, want %v", got, want)
	}
	if n := c.Pending(); n != 0 {
		t.Errorf("Pending() = %d, want 0", n)
	}
}

func TestFakeStopAfterRun(t *testing.T) {
	c := NewFake(start)
	ran := 0
	tm := c.AfterFunc(time.Second, func() { ran++ })
	c.Advance(time.Second)
	if tm.Stop() {
		t.Errorf("Stop() after the call = true, want false")
	}
	c.Advance(time.Hour)
	if ran != 1 {
		t.Errorf("timer ran %d times, want 1", ran)
	}
}

func TestFakeZeroAndNegative(t *testing.T) {
	c := NewFake(start)
	ran := false
	c.AfterFunc(-time.Second, func() { ran = true })
	if ran {
		t.Fatalf("AfterFunc ran f at once, want at the next Advance")
	}
	c.Advance(-time.Minute)
	if !ran {
		t.Errorf("overdue timer did not run on Advance")
	}
	if !c.Now().Equal(start) {
		t.Errorf("Advance(-1m) moved the clock to %v", c.Now())
	}
}

func TestSystem(t *testing.T) {
	done := make(chan struct{})
	System.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("System.AfterFunc never ran")
	}
	if System.AfterFunc(time.Hour, func() {}).Stop() != true {
		t.Errorf("System timer Stop() = false, want true")
	}
	if time.Since(System.Now()) < 0 {
		t.Errorf("System.Now() is in the future")
	}
}
