package flowtest

import (
	"regexp"
	"strings"

	"guichet/kiosk/flow"
	"guichet/kiosk/form"
)

// Step is one thing a citizen does: tap a button, type into a field,
// present the card, or scan a code. Exactly one is set.
type Step struct {
	Tap   string
	Field string // with Text: type Text into Field
	Text  string
	Card  *flow.Card
	Scan  string
}

// Plan says how a test citizen walks a journey.
type Plan struct {
	Lang    string // the language to choose
	Service string // the service to choose
	// Method is the payment method id to choose when asked ("" the first
	// that is not the counter).
	Method string
	// TypeTracking types the tracking number instead of scanning it.
	TypeTracking bool
}

// TypedValue is a valid value for a typed field, by id then type: the
// first candidate its pattern accepts.
func TypedValue(fl form.Field) string {
	cands := candidates(fl)
	if fl.Rules.Pattern != "" {
		re := regexp.MustCompile(fl.Rules.Pattern)
		for _, c := range cands {
			if re.MatchString(c) {
				return c
			}
		}
	}
	return cands[0]
}

func candidates(fl form.Field) []string {
	switch fl.Type {
	case form.TypePhone:
		return []string{"0612345678", "90123456", "+22890123456"}
	}
	return []string{typedValue(fl)}
}

func typedValue(fl form.Field) string {
	switch fl.ID {
	case "postal_code":
		return "10020"
	case "_payer_phone":
		return "90123456"
	}
	switch fl.Type {
	case form.TypeNameLatin:
		return "ALAOUI"
	case form.TypeNameArabic:
		return "العلوي"
	case form.TypeDate:
		return "19620415"
	case form.TypeYear:
		return "1987"
	case form.TypeNumber:
		return "2"
	case form.TypePhone:
		return "0612345678"
	case form.TypePVNumber:
		return "20250117-RF-0042"
	case form.TypeCIN:
		return "BK654321"
	case form.TypeDocumentNumber:
		return "ZX9876543"
	}
	return "Hay Riad Rabat"
}

// Next returns what the citizen of plan does on screen s, and done when
// the journey has reached its end (accepted, results, status).
func (k *Kit) Next(s flow.Screen, plan Plan) (step Step, done bool) {
	switch s.Kind {
	case flow.KindAttract:
		return Step{Tap: flow.TapStart}, false
	case flow.KindLanguage:
		return Step{Tap: flow.PrefixLanguage + plan.Lang}, false
	case flow.KindServices:
		return Step{Tap: flow.PrefixService + plan.Service}, false
	case flow.KindServiceIntro:
		return Step{Tap: flow.TapNext}, false
	case flow.KindPrivacy:
		return Step{Tap: flow.TapAccept}, false
	case flow.KindScanCard, flow.KindFineLookup, flow.KindCollectCard:
		c := Card()
		return Step{Card: &c}, false
	case flow.KindTrackingInput:
		if s.Field.Value == "" {
			if plan.TypeTracking {
				return Step{Field: s.Field.ID, Text: strings.ToLower(k.Ready.String())}, false
			}
			return Step{Scan: k.Pack.TrackingURL(string(k.Ready))}, false
		}
		return Step{Tap: flow.TapNext}, false
	case flow.KindField:
		fv := s.Field
		if len(fv.Choices) > 0 {
			if fv.Value != "" {
				return Step{Tap: flow.TapNext}, false
			}
			return Step{Tap: fv.Choices[0].ID}, false
		}
		fl, ok := k.fieldOf(plan.Service, fv.ID)
		if !ok {
			fl = form.Field{ID: fv.ID}
		}
		if fv.Value == "" && (fv.Required || fl.Type != form.TypeText) {
			return Step{Field: fv.ID, Text: TypedValue(fl)}, false
		}
		return Step{Tap: flow.TapNext}, false
	case flow.KindReview:
		return Step{Tap: flow.TapSubmit}, false
	case flow.KindPayMethod:
		if plan.Method != "" {
			return Step{Tap: flow.PrefixMethod + plan.Method}, false
		}
		for _, b := range s.Buttons {
			if strings.HasPrefix(b.ID, flow.PrefixMethod) && b.ID != flow.PrefixMethod+"counter" {
				return Step{Tap: b.ID}, false
			}
		}
		return Step{Tap: s.Buttons[0].ID}, false
	case flow.KindFines:
		return Step{Tap: flow.PrefixFine + "0"}, false
	case flow.KindTracking:
		if Offers(s, flow.TapCollect) {
			return Step{Tap: flow.TapCollect}, false
		}
		return Step{}, true
	}
	return Step{}, true
}

func (k *Kit) fieldOf(service, id string) (form.Field, bool) {
	fm, ok := k.Pack.ServiceForm(service)
	if !ok {
		return form.Field{}, false
	}
	return fm.Field(id)
}

// Do applies a step to the flow.
func (k *Kit) Do(st Step) {
	switch {
	case st.Tap != "":
		k.Tap(st.Tap)
	case st.Field != "":
		k.Type(st.Field, st.Text)
	case st.Card != nil:
		k.CardRead(*st.Card)
	case st.Scan != "":
		k.Scanned(st.Scan)
	}
}

// Walk drives the flow along plan until the journey ends or limit steps
// pass, and returns the kinds of the screens seen.
func (k *Kit) Walk(plan Plan, limit int) []flow.Kind {
	var kinds []flow.Kind
	for i := 0; i < limit; i++ {
		s := k.Screen()
		if len(kinds) == 0 || kinds[len(kinds)-1] != s.Kind {
			kinds = append(kinds, s.Kind)
		}
		st, done := k.Next(s, plan)
		if done {
			break
		}
		k.Do(st)
	}
	return kinds
}
