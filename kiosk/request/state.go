package request

import (
	"errors"
	"fmt"
)

// State is where a request stands, from the citizen's draft to delivery.
// The string values are stored and sent on the wire; never rename them.
type State string

const (
	Draft        State = "draft"         // being filled in at the kiosk
	Queued       State = "queued"        // stored durably, waiting to be sent
	Sent         State = "sent"          // handed to the registry, no answer yet
	Acknowledged State = "acknowledged"  // the registry has it
	InProcessing State = "in_processing" // a clerk works on it
	Ready        State = "ready"         // the extract can be collected
	Delivered    State = "delivered"     // collected (terminal)
	Rejected     State = "rejected"      // refused, with a reason (terminal)
	Cancelled    State = "cancelled"     // withdrawn (terminal)
)

// States lists every state in the order of a request's life.
var States = []State{Draft, Queued, Sent, Acknowledged, InProcessing, Ready, Delivered, Rejected, Cancelled}

// ErrIllegalTransition is wrapped by every refused state change.
var ErrIllegalTransition = errors.New("request: illegal transition")

// legal is the whole state machine: one step at a time, nothing else.
var legal = map[State][]State{
	Draft:        {Queued, Cancelled},
	Queued:       {Sent, Cancelled},
	Sent:         {Acknowledged, Queued, Rejected}, // Queued: the send failed, retry
	Acknowledged: {InProcessing, Rejected, Cancelled},
	InProcessing: {Ready, Rejected},
	Ready:        {Delivered},
}

// Valid reports whether s is one of the nine states.
func (s State) Valid() bool {
	switch s {
	case Draft, Queued, Sent, Acknowledged, InProcessing, Ready, Delivered, Rejected, Cancelled:
		return true
	}
	return false
}

// Terminal reports whether no transition leaves s.
func (s State) Terminal() bool {
	return s == Delivered || s == Rejected || s == Cancelled
}

// MarshalText refuses an invalid state, so that none is ever written.
func (s State) MarshalText() ([]byte, error) {
	if !s.Valid() {
		return nil, fmt.Errorf("request: marshal state %q: unknown state", string(s))
	}
	return []byte(s), nil
}

// UnmarshalText accepts only the nine stored names.
func (s *State) UnmarshalText(text []byte) error {
	v := State(text)
	if !v.Valid() {
		return fmt.Errorf("request: unknown state %q", string(text))
	}
	*s = v
	return nil
}

// Transition returns nil if a request may go from one state to the other in
// one step, and otherwise an error wrapping ErrIllegalTransition, such as
// "request: illegal transition from sent to ready".
func Transition(from, to State) error {
	if !from.Valid() {
		return fmt.Errorf("%w from unknown state %q to %s", ErrIllegalTransition, string(from), to)
	}
	if !to.Valid() {
		return fmt.Errorf("%w from %s to unknown state %q", ErrIllegalTransition, from, string(to))
	}
	for _, next := range legal[from] {
		if next == to {
			return nil
		}
	}
	return fmt.Errorf("%w from %s to %s", ErrIllegalTransition, from, to)
}

// Path returns the states a request passes through to go from one state to
// the other by forward steps only (never back from sent to queued), ending
// with to, or an error wrapping ErrIllegalTransition if there is no such way.
//
// It is how a status reported by the registry is applied to a request the
// kiosk knows less about: the registry may report "ready" for a request the
// kiosk still holds as "sent" (the acknowledgement was lost, the clerk worked
// fast, the change feed carries only the latest status). The registry's word
// is the truth, so the kiosk walks the legal steps it missed, each one a
// Transition of its own and an audit entry, instead of allowing jumps in the
// state machine itself. Path(s, s) is empty.
func Path(from, to State) ([]State, error) {
	if !from.Valid() || !to.Valid() {
		return nil, Transition(from, to)
	}
	if from == to {
		return nil, nil
	}
	// Breadth-first over the forward edges: the graph has nine nodes.
	prev := map[State]State{from: ""}
	queue := []State{from}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, next := range legal[s] {
			if s == Sent && next == Queued {
				continue // a retry is a step back, never a catch-up
			}
			if _, seen := prev[next]; seen {
				continue
			}
			prev[next] = s
			if next == to {
				var path []State
				for at := to; at != from; at = prev[at] {
					path = append([]State{at}, path...)
				}
				return path, nil
			}
			queue = append(queue, next)
		}
	}
	return nil, fmt.Errorf("%w from %s to %s: no forward path", ErrIllegalTransition, from, to)
}
