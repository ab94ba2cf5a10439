package request

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// legalSteps is the list of steps, written out independently of the
// package's table: TestTransitionEveryPair compares the two over all pairs.
var legalSteps = map[string]bool{
	"draft→queued":               true,
	"draft→cancelled":            true,
	"queued→sent":                true,
	"queued→cancelled":           true,
	"sent→acknowledged":          true,
	"sent→queued":                true,
	"sent→rejected":              true,
	"acknowledged→in_processing": true,
	"acknowledged→rejected":      true,
	"acknowledged→cancelled":     true,
	"in_processing→ready":        true,
	"in_processing→rejected":     true,
	"ready→delivered":            true,
}

func TestTransitionEveryPair(t *testing.T) {
	if len(States) != 9 {
		t.Fatalf("len(States) = %d, want 9", len(States))
	}
	for _, from := range States {
		for _, to := range States {
			name := fmt.Sprintf("%s→%s", from, to)
			t.Run(name, func(t *testing.T) {
				err := Transition(from, to)
				if legalSteps[name] {
					if err != nil {
						t.Errorf("Transition(%s, %s) = %v, want nil", from, to, err)
					}
					return
				}
				if !errors.Is(err, ErrIllegalTransition) {
					t.Fatalf("Transition(%s, %s) = %v, want %v", from, to, err, ErrIllegalTransition)
				}
				if want := fmt.Sprintf("request: illegal transition from %s to %s", from, to); err.Error() != want {
					t.Errorf("Transition(%s, %s) = %q, want %q", from, to, err, want)
				}
			})
		}
	}
}

func TestTransitionUnknownState(t *testing.T) {
	for _, tt := range []struct{ from, to State }{
		{"", Queued}, {Draft, ""}, {"Draft", Queued}, {Sent, "processing"}, {"lost", "found"},
	} {
		if err := Transition(tt.from, tt.to); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("Transition(%q, %q) = %v, want %v", tt.from, tt.to, err, ErrIllegalTransition)
		}
	}
}

func TestStateValidTerminal(t *testing.T) {
	terminal := map[State]bool{Delivered: true, Rejected: true, Cancelled: true}
	for _, s := range States {
		if !s.Valid() {
			t.Errorf("%s.Valid() = false, want true", s)
		}
		if got := s.Terminal(); got != terminal[s] {
			t.Errorf("%s.Terminal() = %v, want %v", s, got, terminal[s])
		}
		// A terminal state has no way out; every other state has one.
		out := 0
		for _, to := range States {
			if Transition(s, to) == nil {
				out++
			}
		}
		if (out == 0) != s.Terminal() {
			t.Errorf("%s has %d legal steps out, Terminal() = %v", s, out, s.Terminal())
		}
	}
	for _, s := range []State{"", "DRAFT", "in processing", "in-processing", "canceled"} {
		if s.Valid() {
			t.Errorf("State(%q).Valid() = true, want false", s)
		}
	}
}

func TestStateStringsAreStable(t *testing.T) {
	want := []string{"draft", "queued", "sent", "acknowledged", "in_processing", "ready", "delivered", "rejected", "cancelled"}
	var got []string
	for _, s := range States {
		got = append(got, string(s))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("state names changed (-want +got):\n%s", diff)
	}
}

func TestStateText(t *testing.T) {
	var s State
	if err := s.UnmarshalText([]byte("in_processing")); err != nil || s != InProcessing {
		t.Errorf("UnmarshalText(in_processing) = %q, %v", s, err)
	}
	if err := s.UnmarshalText([]byte("lost")); err == nil {
		t.Errorf("UnmarshalText(lost) succeeded, want error")
	}
	if _, err := State("lost").MarshalText(); err == nil {
		t.Errorf("State(lost).MarshalText() succeeded, want error")
	}
}

func TestPath(t *testing.T) {
	tests := []struct {
		from, to State
		want     []State
		wantErr  bool
	}{
		{from: Acknowledged, to: Ready, want: []State{InProcessing, Ready}},
		{from: Sent, to: Ready, want: []State{Acknowledged, InProcessing, Ready}},
		{from: Queued, to: InProcessing, want: []State{Sent, Acknowledged, InProcessing}},
		{from: Sent, to: Cancelled, want: []State{Acknowledged, Cancelled}}, // not back through queued
		{from: Sent, to: Rejected, want: []State{Rejected}},
		{from: Ready, to: Delivered, want: []State{Delivered}},
		{from: InProcessing, to: Delivered, want: []State{Ready, Delivered}},
		{from: Ready, to: Ready, want: nil},
		{from: Sent, to: Queued, wantErr: true}, // a retry is not a catch-up
		{from: Ready, to: Rejected, wantErr: true},
		{from: InProcessing, to: Cancelled, wantErr: true},
		{from: Delivered, to: Ready, wantErr: true},
		{from: Rejected, to: Delivered, wantErr: true},
		{from: Acknowledged, to: Sent, wantErr: true},
		{from: "lost", to: Ready, wantErr: true},
		{from: Sent, to: "found", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s→%s", tt.from, tt.to), func(t *testing.T) {
			got, err := Path(tt.from, tt.to)
			if tt.wantErr {
				if !errors.Is(err, ErrIllegalTransition) {
					t.Errorf("Path(%s, %s) = %v, %v, want %v", tt.from, tt.to, got, err, ErrIllegalTransition)
				}
				return
			}
			if err != nil {
				t.Fatalf("Path(%s, %s) error = %v", tt.from, tt.to, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Path(%s, %s) (-want +got):\n%s", tt.from, tt.to, diff)
			}
		})
	}
}

// TestPathStepsAreLegal walks every path between every pair and checks each
// step with Transition.
func TestPathStepsAreLegal(t *testing.T) {
	for _, from := range States {
		for _, to := range States {
			path, err := Path(from, to)
			if err != nil {
				continue
			}
			at := from
			for _, next := range path {
				if err := Transition(at, next); err != nil {
					t.Errorf("Path(%s, %s) = %v: step %v", from, to, path, err)
				}
				if next == Queued && at == Sent {
					t.Errorf("Path(%s, %s) = %v goes back", from, to, path)
				}
				at = next
			}
		}
	}
}
