package form_test

import (
	"fmt"
	"time"

	"guichet/kiosk/form"
)

func ExampleForm_Validate() {
	f := form.Form{
		ID:    "radar_fine",
		Title: "form.radar_fine.title",
		Fields: []form.Field{
			{ID: "cin", Type: form.TypeCIN, Source: form.SourceCard, CardField: "national_number"},
			{ID: "pv_number", Type: form.TypePVNumber, Source: form.SourceTyped,
				Rules: form.Rules{Pattern: `^[0-9]{8}-RF-[0-9]{4}$`}},
		},
		OneOf: []form.OneOf{{Fields: []string{"cin", "pv_number"}, Message: "error.cin_or_pv_required"}},
	}
	if probs := f.Bind(form.Env{CINPattern: `^[A-Z]{1,2}[0-9]{1,6}$`}); len(probs) > 0 {
		fmt.Println(probs)
		return
	}
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)

	fmt.Println(f.Validate(map[string]string{}, now))
	fmt.Println(f.Validate(map[string]string{"pv_number": "12345678-RF-12"}, now))
	fmt.Println(f.Validate(map[string]string{"cin": "be 123456"}, now) == nil)
	// Output:
	// form: cin: error.cin_or_pv_required; pv_number: error.cin_or_pv_required
	// form: pv_number: error.pv_invalid
	// true
}
