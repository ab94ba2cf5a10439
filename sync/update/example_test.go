package update_test

import (
	"fmt"
	"time"

	"guichet/sync/update"
)

func ExampleActivationAllowed() {
	window := update.Window{Start: "02:00", End: "05:00", Zone: "Africa/Casablanca"}
	night := time.Date(2026, 6, 10, 2, 30, 0, 0, time.UTC) // 03:30 in Casablanca
	noon := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	show := func(ok bool, why string) {
		if ok {
			fmt.Println("activate")
		} else {
			fmt.Println("wait:", why)
		}
	}

	show(update.ActivationAllowed(night, update.SessionState{}, window, time.Time{}))
	show(update.ActivationAllowed(night, update.SessionState{SessionActive: true, ChangedAt: night.Add(-time.Minute)}, window, time.Time{}))
	show(update.ActivationAllowed(noon, update.SessionState{}, window, time.Time{}))
	// A security release past its deadline: outside the window, between sessions.
	show(update.ActivationAllowed(noon, update.SessionState{}, window, noon.Add(-time.Hour)))
	// Output:
	// activate
	// wait: a citizen session is active
	// wait: outside the maintenance window 02:00-05:00 Africa/Casablanca
	// activate
}

func ExampleParseVersion() {
	v, _ := update.ParseVersion("1.4.0")
	w, _ := update.ParseVersion("1.10.0")
	fmt.Println(v.Compare(w), v, w)
	_, err := update.ParseVersion("v1.4")
	fmt.Println(err)
	// Output:
	// -1 1.4.0 1.10.0
	// update: version "v1.4" is not MAJOR.MINOR.PATCH
}
