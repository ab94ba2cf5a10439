package request_test

import (
	"errors"
	"fmt"
	"time"

	"guichet/kiosk/request"
)

func ExampleTransition() {
	fmt.Println(request.Transition(request.Sent, request.Acknowledged))
	err := request.Transition(request.Sent, request.Ready)
	fmt.Println(err, errors.Is(err, request.ErrIllegalTransition))
	// Output:
	// <nil>
	// request: illegal transition from sent to ready true
}

// The registry reports "ready" for a request the kiosk still holds as sent:
// the kiosk records each step it missed.
func ExamplePath() {
	r := request.Request{
		ID:        "0123456789abcdef0123456789abcdef",
		Tracking:  "K7MX4HQ9XR33",
		Service:   "bulletin3",
		Currency:  "MAD",
		State:     request.Sent,
		CreatedAt: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC),
	}
	reported := time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC)
	steps, _ := request.Path(r.State, request.Ready)
	for _, s := range steps {
		if err := r.MoveTo(s, reported, ""); err != nil {
			fmt.Println(err)
		}
		fmt.Println(r.State)
	}
	// Output:
	// acknowledged
	// in_processing
	// ready
}

func ExampleRequest_MarshalBinary() {
	r := request.Request{
		ID:       "0123456789abcdef0123456789abcdef",
		Tracking: "K7MX4HQ9XR33",
		State:    request.Queued,
	}
	b, _ := r.MarshalBinary()
	var back request.Request
	fmt.Println(back.UnmarshalBinary(b), back.Tracking, back.State)
	fmt.Println(back.UnmarshalBinary(append(b, 0)))
	// Output:
	// <nil> K7MX-4HQ9-XR33 queued
	// request: unmarshal: 1 trailing bytes
}
