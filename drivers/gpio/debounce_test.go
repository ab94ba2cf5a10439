package gpio

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDebouncer(t *testing.T) {
	t0 := time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type step struct {
		edge   bool // an edge at at; otherwise settle at at with level
		at     time.Time
		level  bool
		due    time.Time // edge: when to settle
		change bool      // settle: a new level
		again  time.Time // settle: call again then
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"one clean edge", []step{
			{edge: true, at: ms(0), due: ms(50)},
			{at: ms(50), level: true, change: true},
		}},
		{"burst within the window", []step{
			{edge: true, at: ms(0), due: ms(50)},
			{edge: true, at: ms(1), due: ms(51)},
			{edge: true, at: ms(3), due: ms(53)},
			{at: ms(50), level: true, again: ms(53)},
			{at: ms(53), level: true, change: true},
		}},
		{"glitch that comes back", []step{
			{edge: true, at: ms(0), due: ms(50)},
			{edge: true, at: ms(2), due: ms(52)},
			{at: ms(52), level: false},
		}},
		{"settle with no edge does nothing", []step{
			{at: ms(100), level: true},
		}},
		{"second change after the first settled", []step{
			{edge: true, at: ms(0), due: ms(50)},
			{at: ms(50), level: true, change: true},
			{edge: true, at: ms(200), due: ms(250)},
			{at: ms(250), level: false, change: true},
			{at: ms(300), level: false},
		}},
		{"an edge stamped earlier does not move the window back", []step{
			{edge: true, at: ms(10), due: ms(60)},
			{edge: true, at: ms(5), due: ms(60)},
			{at: ms(60), level: true, change: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := debouncer{window: 50 * time.Millisecond}
			for i, s := range tc.steps {
				if s.edge {
					if got := d.edge(s.at); !got.Equal(s.due) {
						t.Errorf("step %d: edge(%v) = %v, want %v", i, s.at.Sub(t0), got.Sub(t0), s.due.Sub(t0))
					}
					continue
				}
				change, again := d.settle(s.at, s.level)
				if diff := cmp.Diff([]any{s.change, s.again}, []any{change, again}); diff != "" {
					t.Errorf("step %d: settle(%v, %v) mismatch (-want +got):\n%s", i, s.at.Sub(t0), s.level, diff)
				}
			}
		})
	}
}
