package client

import (
	"context"
	"time"

	"guichet/kiosk/clock"
)

// backoff spaces retries: the wait doubles from min to max with each
// failure, and each wait is drawn in [d/2, d) ("equal jitter") so that a
// fleet that lost the registry together does not come back together. A
// Retry-After from the registry is a floor: the wait is then drawn in
// [retryAfter, 2·retryAfter), so that a fleet told "5 s" after a storm
// comes back spread over the next 5 s rather than all at once.
type backoff struct {
	min, max time.Duration
	rand     func() float64 // in [0, 1)
	fails    int
}

func newBackoff(min, max time.Duration, rand func() float64) *backoff {
	return &backoff{min: min, max: max, rand: rand}
}

// next returns the wait before the next retry and counts a failure.
func (b *backoff) next(retryAfter time.Duration) time.Duration {
	d := b.max
	if b.fails < 32 {
		if e := b.min << b.fails; e > 0 && e < b.max {
			d = e
		}
	}
	b.fails++
	wait := d/2 + time.Duration(b.rand()*float64(d/2))
	if retryAfter > 0 && wait < retryAfter {
		wait = retryAfter + time.Duration(b.rand()*float64(retryAfter))
	}
	return wait
}

// reset forgets the failures after a success.
func (b *backoff) reset() { b.fails = 0 }

// sleep waits d on clk, or until wake fires or ctx ends; it reports
// whether ctx is still live.
func sleep(ctx context.Context, clk clock.Clock, d time.Duration, wake <-chan struct{}) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	done := make(chan struct{})
	t := clk.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-done:
	case <-wake:
	case <-ctx.Done():
		return false
	}
	return ctx.Err() == nil
}
