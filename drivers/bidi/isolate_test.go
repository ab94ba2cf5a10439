package bidi

import (
	"strings"
	"testing"
)

func TestIsolate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"tracking number", "K7MX-4HQ9-XR33", "\u2066K7MX-4HQ9-XR33\u2069"},
		{"empty", "", "\u2066\u2069"},
		{"stray PDI dropped", "2024\u2069-00123", "\u20662024-00123\u2069"},
		{"override dropped", "\u202E2024-00123\u202C", "\u20662024-00123\u2069"},
		{"nested isolates dropped", "\u2067AB\u2068123456", "\u2066AB123456\u2069"},
		{"marks kept", "a\u200Fb", "\u2066a\u200Fb\u2069"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Isolate(tt.in); got != tt.want {
				t.Errorf("Isolate(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// TestIsolateReadsAsWritten is the point of Isolate: each identifier of the
// court's world, after Arabic words, displays as written only when isolated.
func TestIsolateReadsAsWritten(t *testing.T) {
	tests := []struct {
		name, sentence, id, unisolated string
	}{
		{"request number", "رقم التتبع ", "2024-00123", "00123-2024 عبتتلا مقر"},
		{"PV number", "رقم المحضر ", "00000000-RF-0000", "RF-0000-00000000 رضحملا مقر"},
		{"amount", "المبلغ ", "20,00 DH", "DH 20,00 غلبملا"},
		{"tracking number", "رقم التتبع ", "K7MX-4HQ9-XR33", "K7MX-4HQ9-XR33 عبتتلا مقر"},
		{"CIN", "البطاقة الوطنية ", "AB123456", "AB123456 ةينطولا ةقاطبلا"},
		{"date", "بتاريخ ", "12/03/2026", "12/03/2026 خيراتب"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Visual(tt.sentence+tt.id, Auto); got != tt.unisolated {
				t.Errorf("Visual(%+q) = %+q, want %+q", tt.sentence+tt.id, got, tt.unisolated)
			}
			got := Visual(tt.sentence+Isolate(tt.id), Auto)
			if !strings.HasPrefix(got, tt.id+" ") {
				t.Errorf("Visual(%+q) = %+q, want it to start with %q as written", tt.sentence+Isolate(tt.id), got, tt.id)
			}
		})
	}
}

func TestSubstitute(t *testing.T) {
	values := map[string]string{
		"tracking": "K7MX-4HQ9-XR33",
		"amount":   "20,00 DH",
		"court":    "المحكمة الابتدائية بالرباط",
		"sneaky":   "2024\u2069\u202E-00123",
	}
	tests := []struct {
		name, template, want, visual string
	}{
		{
			"Arabic sentence",
			"رقم التتبع {tracking} – المبلغ {amount}",
			"رقم التتبع \u2068K7MX-4HQ9-XR33\u2069 – المبلغ \u206820,00 DH\u2069",
			"20,00 DH غلبملا – K7MX-4HQ9-XR33 عبتتلا مقر",
		},
		{
			"French sentence with an Arabic value",
			"Retrait au {court} ({amount})",
			"Retrait au \u2068المحكمة الابتدائية بالرباط\u2069 (\u206820,00 DH\u2069)",
			"Retrait au طابرلاب ةيئادتبالا ةمكحملا (20,00 DH)",
		},
		{"controls in a value dropped", "n° {sneaky}", "n° \u20682024-00123\u2069", "n° 2024-00123"},
		{"literal braces", "{{code}} {tracking}}}", "{code} \u2068K7MX-4HQ9-XR33\u2069}", "{code} K7MX-4HQ9-XR33}"},
		{"no placeholder", "Merci", "Merci", "Merci"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Substitute(tt.template, values)
			if err != nil {
				t.Fatalf("Substitute(%q) error: %v", tt.template, err)
			}
			if got != tt.want {
				t.Errorf("Substitute(%q) = %+q, want %+q", tt.template, got, tt.want)
			}
			if v := Visual(got, Auto); v != tt.visual {
				t.Errorf("Visual(Substitute(%q)) = %+q, want %+q", tt.template, v, tt.visual)
			}
		})
	}
}

func TestSubstituteErrors(t *testing.T) {
	tests := []struct {
		name, template, want string
	}{
		{"unknown placeholder", "n° {receipt}", "no value for {receipt}"},
		{"not closed", "n° {tracking", "not closed"},
		{"stray closing brace", "n° tracking}", "closes no placeholder"},
		{"empty name", "n° {}", "a name is"},
		{"space in name", "n° {track ing}", "a name is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Substitute(tt.template, map[string]string{"tracking": "K7MX-4HQ9-XR33"})
			if err == nil {
				t.Fatalf("Substitute(%q) = %q, want an error", tt.template, got)
			}
			if !strings.HasPrefix(err.Error(), "bidi: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Substitute(%q) error = %q, want it to say %q", tt.template, err, tt.want)
			}
		})
	}
}
