package ui

import (
	"strings"
	"testing"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
)

// citizenValues are the values of the test citizen's card and form.
func citizenValues() []string {
	c := flowtest.Card()
	return []string{
		c.NationalNumber, c.DocumentNumber, c.Surname, "SALMA", "NOUR", c.BirthDate, c.ExpiryDate,
		"العلوي", "ALAOUI", "Hay Riad Rabat", "0612345678", "20250117-RF-0042",
	}
}

// leftovers returns the citizen's values still drawn anywhere in the tree.
func leftovers(r *rig) []string {
	var found []string
	texts := allTexts(r.K.Content())
	for _, v := range citizenValues() {
		for _, s := range texts {
			if strings.Contains(s, v) {
				found = append(found, v)
				break
			}
		}
	}
	return found
}

// walkUntil drives the test citizen until stop says so.
func walkUntil(t *testing.T, r *rig, plan flowtest.Plan, stop func(flow.Screen) bool) {
	t.Helper()
	for i := 0; i < 200; i++ {
		s := r.K.Screen()
		if stop(s) {
			return
		}
		st, done := r.Next(s, plan)
		if done {
			t.Fatalf("journey ended on %s before the stop", s.Kind)
		}
		r.do(t, st)
	}
	t.Fatal("stop never reached")
}

func TestNoPersonalDataAfterTimeout(t *testing.T) {
	for _, sv := range []string{"bulletin3", "civil_status", "radar_fine", "callback"} {
		t.Run(sv, func(t *testing.T) {
			r := newRig(t, "ma", flow.Config{})
			plan := flowtest.Plan{Lang: "ar", Service: sv}
			walkUntil(t, r, plan, func(s flow.Screen) bool {
				return s.Kind == flow.KindReview || s.Kind == flow.KindFines
			})
			if len(leftovers(r)) == 0 {
				t.Fatal("the review shows none of the citizen's values: the test proves nothing")
			}
			r.Clock.Advance(2 * time.Minute) // idle: warning, countdown, expiry
			if got := r.K.Screen().Kind; got != flow.KindAttract {
				t.Fatalf("after the idle timeout: %s, want attract", got)
			}
			if left := leftovers(r); len(left) > 0 {
				t.Errorf("after the timeout the screen still holds %q", left)
			}
			if r.K.Field != nil {
				t.Error("a field widget survives the session")
			}
		})
	}
}

func TestNoPersonalDataAfterCompletedRequest(t *testing.T) {
	for _, sv := range []string{"bulletin3", "civil_status", "radar_fine", "callback", "tracking"} {
		t.Run(sv, func(t *testing.T) {
			r := newRig(t, "ma", flow.Config{DoneDelay: 30 * time.Second})
			plan := flowtest.Plan{Lang: "fr", Service: sv}
			walkUntil(t, r, plan, func(s flow.Screen) bool { return s.Kind == flow.KindDone })
			if left := leftovers(r); len(left) > 0 {
				t.Errorf("the last screen of the journey holds %q", left)
			}
			r.Clock.Advance(30 * time.Second)
			if got := r.K.Screen().Kind; got != flow.KindAttract {
				t.Fatalf("30 s after the end: %s", got)
			}
			if left := leftovers(r); len(left) > 0 {
				t.Errorf("back at the attract screen, the tree holds %q", left)
			}
			// The next citizen starts from empty fields.
			next := flowtest.Plan{Lang: "fr", Service: "bulletin3"}
			walkUntil(t, r, next, func(s flow.Screen) bool { return s.Kind == flow.KindScanCard })
			if left := leftovers(r); len(left) > 0 {
				t.Errorf("the next citizen sees %q", left)
			}
		})
	}
}
