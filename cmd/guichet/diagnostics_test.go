package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
)

func TestRing(t *testing.T) {
	r := newRing(3)
	for _, l := range []string{"a\n", "b\nc\n", "d\n"} {
		r.Write([]byte(l))
	}
	if got := r.String(); got != "b\nc\nd\n" {
		t.Errorf("ring = %q, want the last three lines", got)
	}
}

// TestDiagnosticsWithoutPersonalData: a citizen requests a bulletin n°3
// with canaries on the card; operations ask the kiosk for diagnostics; the
// bundle the registry receives holds the kiosk's log and state, and none of
// the canaries, although they reached the registry in the sealed request.
func TestDiagnosticsWithoutPersonalData(t *testing.T) {
	k := startOnlineKiosk(t)
	ctx := context.Background()
	k.card.Surname, k.card.GivenNames, k.card.DocumentNumber = "CANARYSURNAMEQX", "CANARYGIVENQX", "ZQ9988776"
	canaries := []string{"CANARYSURNAMEQX", "CANARYGIVENQX", "ZQ9988776", k.card.NationalNumber, "1988-03-04", "880304"}
	for _, fl := range []string{"ALAOUI", "العلوي", "Hay Riad Rabat"} { // what the harness types into the form
		canaries = append(canaries, fl)
	}
	kinds := k.walk(t, flowtest.Plan{Lang: "fr", Service: "bulletin3"})
	if last(kinds) != flow.KindDone {
		t.Fatalf("the journey went %v", kinds)
	}
	k.home(t)
	k.sync(t)

	// The canary did reach the registry, sealed.
	rs, _ := k.rst.Requests(ctx, rstoreFilterBulletin())
	clerk, _ := k.rst.Account(ctx, devClerk)
	opened, err := k.reg.Open(ctx, clerk, rs[0].KioskID, rs[0].RequestID)
	if err != nil || !strings.Contains(string(opened.Personal), "CANARYSURNAMEQX") {
		t.Fatalf("the request the registry opens does not carry the canary (%v): the test would prove nothing", err)
	}

	req, err := k.reg.RequestDiagnostics(ctx, devOperator, "ma-e2e-01")
	if err != nil {
		t.Fatal(err)
	}
	k.sync(t)
	if err := k.diag.answer(ctx, k.link); err != nil {
		t.Fatal(err)
	}
	ds, err := k.rst.Diagnostics(ctx, "ma-e2e-01", 1)
	if err != nil || len(ds) != 1 || ds[0].Request != req {
		t.Fatalf("bundles at the registry: %+v, %v", ds, err)
	}
	raw, _ := json.Marshal(ds[0].Bundle)
	for _, c := range canaries {
		if strings.Contains(string(raw), c) {
			t.Errorf("the diagnostics bundle holds %q", c)
		}
	}
	files := map[string]string{}
	for _, f := range ds[0].Bundle.Files {
		files[f.Name] = f.Content
	}
	if !strings.Contains(files["log.txt"], "level=") || !strings.Contains(files["store.txt"], "queue depth") || !strings.Contains(files["kiosk.txt"], "ma-e2e-01") {
		t.Errorf("the bundle lacks the kiosk's log or state: %v", files)
	}
	// Answered once: a second look sends nothing new.
	if err := k.diag.answer(ctx, k.link); err != nil {
		t.Fatal(err)
	}
}
