package gpio

import "time"

// debouncer decides when an input's level has settled: after an edge, the
// level is read once no other edge has come for a whole window. It is pure;
// the Board feeds it edges and calls settle when it asks.
type debouncer struct {
	window  time.Duration
	stable  bool      // the last settled level (true: high)
	last    time.Time // the latest edge
	pending bool      // edges since the level last settled
}

// edge records an edge seen at t and returns when to call settle.
func (d *debouncer) edge(t time.Time) time.Time {
	if t.After(d.last) || !d.pending {
		d.last = t
	}
	d.pending = true
	return d.last.Add(d.window)
}

// settle is called at now with the line's level. changed reports a new
// settled level; a non-zero again says edges came meanwhile and settle must
// be called again then.
func (d *debouncer) settle(now time.Time, level bool) (changed bool, again time.Time) {
	if !d.pending {
		return false, time.Time{}
	}
	if due := d.last.Add(d.window); now.Before(due) {
		return false, due
	}
	d.pending = false
	if level == d.stable {
		return false, time.Time{} // a glitch that came back
	}
	d.stable = level
	return true, time.Time{}
}
