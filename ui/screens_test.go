package ui

import (
	"errors"
	"strings"
	"testing"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
)

// TestScreenGoldens keeps the screens the journeys do not reach: help, a
// declined payment, the idle countdown, the fines found, a request's
// status, technician mode; in Arabic and in French.
func TestScreenGoldens(t *testing.T) {
	scenarios := []struct {
		name string
		set  func(t *testing.T, r *rig, lang string)
	}{
		{"help", func(t *testing.T, r *rig, lang string) {
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "bulletin3"}, func(s flow.Screen) bool { return s.Kind == flow.KindServices })
			r.tap(t, flow.TapHelp)
		}},
		{"payment_declined", func(t *testing.T, r *rig, lang string) {
			r.Payments.Outcome = flow.Declined
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "bulletin3"}, func(s flow.Screen) bool { return s.Kind == flow.KindMessage })
		}},
		{"countdown", func(t *testing.T, r *rig, lang string) {
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "bulletin3"}, func(s flow.Screen) bool { return s.Kind == flow.KindPrivacy })
			r.Clock.Advance(95 * time.Second)
		}},
		{"fines", func(t *testing.T, r *rig, lang string) {
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "radar_fine"}, func(s flow.Screen) bool { return s.Kind == flow.KindFines })
		}},
		{"tracking", func(t *testing.T, r *rig, lang string) {
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "tracking"}, func(s flow.Screen) bool { return s.Kind == flow.KindTracking })
		}},
		{"printer_out_after_commit", func(t *testing.T, r *rig, lang string) {
			r.Printer.Err = flow.ErrPaperOut
			r.SetPrinter(flow.PrinterPaperOut)
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "callback"}, func(s flow.Screen) bool { return s.Kind == flow.KindDone })
		}},
		{"offline_fines", func(t *testing.T, r *rig, lang string) {
			r.Fines.Err = errors.Join(flow.ErrOffline)
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "radar_fine"}, func(s flow.Screen) bool { return s.Kind == flow.KindMessage })
		}},
		{"technician", func(t *testing.T, r *rig, lang string) {
			walkUntil(t, r, flowtest.Plan{Lang: lang, Service: "bulletin3"}, func(s flow.Screen) bool { return s.Kind == flow.KindServices })
			r.ServiceKey(true)
			r.typeText(t, flowtest.PIN)
			r.tap(t, flow.TapNext)
		}},
	}
	for _, sc := range scenarios {
		for _, lang := range []string{"ar", "fr"} {
			t.Run(sc.name+"/"+lang, func(t *testing.T) {
				r := newRig(t, "ma", flow.Config{})
				sc.set(t, r, lang)
				checkScreen(t, r.K, TargetSize(96))
				golden(t, "screens/"+sc.name+"-"+lang+".golden", screenDump(r.K, true))
			})
		}
	}
}

func TestHelpReturnsToTheSameStep(t *testing.T) {
	r := newRig(t, "ma", flow.Config{})
	walkUntil(t, r, flowtest.Plan{Lang: "zgh", Service: "bulletin3"}, func(s flow.Screen) bool { return s.Kind == flow.KindField })
	r.typeText(t, "علوي")
	r.tap(t, flow.TapHelp)
	if got := r.K.Screen().Kind; got != flow.KindHelp {
		t.Fatalf("help: %s", got)
	}
	r.tap(t, flow.TapBack)
	if s := r.K.Screen(); s.Kind != flow.KindField || s.Field.Value != "علوي" {
		t.Errorf("back from help: %s %+v", s.Kind, s.Field)
	}
	if !strings.Contains(strings.Join(allTexts(r.K.Content()), "|"), "علوي") {
		t.Error("the typed value is not on screen")
	}
}
