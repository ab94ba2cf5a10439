package form

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// FieldType says what a field holds; it chooses the on-screen keypad, the
// normalisation and the built-in checks.
type FieldType string

// The field types a form may use.
const (
	TypeText           FieldType = "text"            // free text in any script
	TypeNameLatin      FieldType = "name_latin"      // a person's name in Latin letters
	TypeNameArabic     FieldType = "name_arabic"     // a person's name in Arabic letters
	TypeDate           FieldType = "date"            // a calendar date, 2006-01-02
	TypeYear           FieldType = "year"            // a four-digit year
	TypeNumber         FieldType = "number"          // a non-negative whole number
	TypePhone          FieldType = "phone"           // a phone number, +CC… or national
	TypeChoice         FieldType = "choice"          // one of the field's choices
	TypeCourt          FieldType = "court"           // the id of one of the pack's courts
	TypeCity           FieldType = "city"            // the id of one of the pack's cities
	TypePVNumber       FieldType = "pv_number"       // a fine's PV number, pattern from the pack
	TypeTrackingNumber FieldType = "tracking_number" // a receipt's tracking number
	TypeCIN            FieldType = "cin"             // the national ID number, pattern from the pack
	TypeDocumentNumber FieldType = "document_number" // an ID document's number
)

// Types lists every field type, in a stable order.
var Types = []FieldType{
	TypeText, TypeNameLatin, TypeNameArabic, TypeDate, TypeYear, TypeNumber,
	TypePhone, TypeChoice, TypeCourt, TypeCity, TypePVNumber,
	TypeTrackingNumber, TypeCIN, TypeDocumentNumber,
}

// Source says where a field's value comes from.
type Source string

// The sources of a value.
const (
	SourceCard  Source = "card"  // read from the ID card's MRZ (the citizen may correct it)
	SourceTyped Source = "typed" // typed on the on-screen keypad
	SourceList  Source = "list"  // picked from a list (choices, courts, cities)
	SourceQR    Source = "qr"    // scanned from a receipt's QR code, or typed as a fallback
)

// CardFields are the values the card reader can fill in, named as a
// Field.CardField refers to them.
var CardFields = []string{
	"surname", "given_names", "birth_date", "expiry_date", "document_number",
	"national_number", "sex", "nationality",
}

// MaxValueLength bounds every value, whatever the field's own rules: nobody
// types more on a kiosk keypad, and it bounds the work Validate does.
const MaxValueLength = 200

// Form is one service's form.
type Form struct {
	ID     string  `json:"id"`
	Title  string  `json:"title"` // message key
	Fields []Field `json:"fields"`
	// OneOf lists groups of optional fields of which at least one must be
	// filled (a radar fine is looked up by CIN or by PV number).
	OneOf []OneOf `json:"one_of,omitempty"`

	b *binding // set by Bind; shared by copies of the form
}

// Field is one input of a form.
type Field struct {
	ID   string    `json:"id"`
	Type FieldType `json:"type"`
	// Label and Hint are message keys; Label defaults to "field.<id>".
	Label    string `json:"label,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Required bool   `json:"required,omitempty"`
	// RequiredWhen makes an optional field required when another field has
	// a value (or a given value).
	RequiredWhen *Condition `json:"required_when,omitempty"`
	Source       Source     `json:"source"`
	// CardField names the card value that prefills the field (source card).
	CardField string `json:"card_field,omitempty"`
	// Choices are the allowed values of a choice field.
	Choices []Choice `json:"choices,omitempty"`
	// CourtKinds restricts a court field to courts of these kinds (all
	// courts when empty).
	CourtKinds []string `json:"court_kinds,omitempty"`
	Rules      Rules    `json:"rules,omitzero"`
}

// Choice is one allowed value of a choice field.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"` // message key
}

// Condition is the trigger of Field.RequiredWhen: the other field is filled
// (Filled) or equals Equals.
type Condition struct {
	Field  string `json:"field"`
	Equals string `json:"equals,omitempty"`
	Filled bool   `json:"filled,omitempty"`
}

// OneOf is a group of fields of which at least one must be filled; Message
// is the key shown on each of them when none is ("error.one_of_required" by
// default).
type OneOf struct {
	Fields  []string `json:"fields"`
	Message string   `json:"message,omitempty"`
}

// Rules are a field's validation rules; zero values mean "no rule".
type Rules struct {
	MinLength int    `json:"min_length,omitempty"` // in characters
	MaxLength int    `json:"max_length,omitempty"` // in characters
	Pattern   string `json:"pattern,omitempty"`    // anchored regexp the normalised value must match
	Min       *int64 `json:"min,omitempty"`        // number and year fields
	Max       *int64 `json:"max,omitempty"`        // number and year fields
	// NotInFuture refuses a date after today (or a year after this one),
	// NotInPast a date before today (an expired card); MaxAgeYears refuses a
	// date more than that many years ago (a mistyped birth year).
	NotInFuture bool `json:"not_in_future,omitempty"`
	NotInPast   bool `json:"not_in_past,omitempty"`
	MaxAgeYears int  `json:"max_age_years,omitempty"`
}

// LabelKey is the message key of the field's label.
func (f Field) LabelKey() string {
	if f.Label != "" {
		return f.Label
	}
	return "field." + f.ID
}

// Field returns the field with that id.
func (f Form) Field(id string) (Field, bool) {
	for _, fl := range f.Fields {
		if fl.ID == id {
			return fl, true
		}
	}
	return Field{}, false
}

// Message keys that Validate returns.
const (
	KeyRequired              = "error.required"
	KeyOneOfRequired         = "error.one_of_required"
	KeyUnknownField          = "error.unknown_field"
	KeyTooShort              = "error.too_short"
	KeyTooLong               = "error.too_long"
	KeyFormat                = "error.format"
	KeyNameLatinInvalid      = "error.name_latin_invalid"
	KeyNameArabicInvalid     = "error.name_arabic_invalid"
	KeyDateInvalid           = "error.date_invalid"
	KeyDateInFuture          = "error.date_in_future"
	KeyDateInPast            = "error.date_in_past"
	KeyDateTooOld            = "error.date_too_old"
	KeyYearInvalid           = "error.year_invalid"
	KeyNumberInvalid         = "error.number_invalid"
	KeyNumberTooSmall        = "error.number_too_small"
	KeyNumberTooLarge        = "error.number_too_large"
	KeyPhoneInvalid          = "error.phone_invalid"
	KeyChoiceUnknown         = "error.choice_unknown"
	KeyCourtUnknown          = "error.court_unknown"
	KeyCityUnknown           = "error.city_unknown"
	KeyPVInvalid             = "error.pv_invalid"
	KeyTrackingInvalid       = "error.tracking_invalid"
	KeyCINInvalid            = "error.cin_invalid"
	KeyDocumentNumberInvalid = "error.document_number_invalid"
)

// formatKey is the key returned when a value of that type is malformed.
var formatKey = map[FieldType]string{
	TypeText:           KeyFormat,
	TypeNameLatin:      KeyNameLatinInvalid,
	TypeNameArabic:     KeyNameArabicInvalid,
	TypeDate:           KeyDateInvalid,
	TypeYear:           KeyYearInvalid,
	TypeNumber:         KeyNumberInvalid,
	TypePhone:          KeyPhoneInvalid,
	TypeChoice:         KeyChoiceUnknown,
	TypeCourt:          KeyCourtUnknown,
	TypeCity:           KeyCityUnknown,
	TypePVNumber:       KeyPVInvalid,
	TypeTrackingNumber: KeyTrackingInvalid,
	TypeCIN:            KeyCINInvalid,
	TypeDocumentNumber: KeyDocumentNumberInvalid,
}

// Keys returns, sorted, every message key the form uses: its title, labels,
// hints and choice labels, and every error key Validate can return for it.
func (f Form) Keys() []string {
	set := map[string]bool{KeyUnknownField: true, KeyTooLong: true}
	add := func(k string) {
		if k != "" {
			set[k] = true
		}
	}
	add(f.Title)
	for _, fl := range f.Fields {
		add(fl.LabelKey())
		add(fl.Hint)
		for _, c := range fl.Choices {
			add(c.Label)
		}
		for _, k := range fl.errorKeys() {
			add(k)
		}
	}
	for _, g := range f.OneOf {
		add(g.message())
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// errorKeys lists the keys Validate may return for this field.
func (f Field) errorKeys() []string {
	keys := []string{formatKey[f.Type]}
	if f.Required || f.RequiredWhen != nil {
		keys = append(keys, KeyRequired)
	}
	r := f.Rules
	if r.MinLength > 0 {
		keys = append(keys, KeyTooShort)
	}
	switch f.Type {
	case TypeNumber, TypeYear:
		if r.Min != nil {
			keys = append(keys, KeyNumberTooSmall)
		}
		if r.Max != nil {
			keys = append(keys, KeyNumberTooLarge)
		}
		if f.Type == TypeYear && r.NotInFuture {
			keys = append(keys, KeyDateInFuture)
		}
	case TypeDate:
		if r.NotInFuture {
			keys = append(keys, KeyDateInFuture)
		}
		if r.NotInPast {
			keys = append(keys, KeyDateInPast)
		}
		if r.MaxAgeYears > 0 {
			keys = append(keys, KeyDateTooOld)
		}
	}
	return keys
}

func (g OneOf) message() string {
	if g.Message != "" {
		return g.Message
	}
	return KeyOneOfRequired
}

// Env is what a form takes from its country pack.
type Env struct {
	CINPattern string     // anchored regexp every cin field must match
	Courts     []CourtRef // the pack's courts
	Cities     []string   // the pack's city ids
}

// CourtRef is what a form needs to know of a court.
type CourtRef struct{ ID, Kind string }

// Problem is one defect of a form's definition; Path is relative to the
// form ("fields[2].rules.pattern").
type Problem struct {
	Path, Reason string
}

func (p Problem) String() string { return p.Path + ": " + p.Reason }

// binding is what Bind computes once: compiled patterns and allowed ids.
type binding struct {
	pattern map[string]*regexp.Regexp // field id → its own pattern
	cin     *regexp.Regexp            // the pack's CIN pattern
	allowed map[string]map[string]bool
}

var (
	idRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	keyRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	// listIDRe is the shape of a court or city id, checked when the form is
	// not bound to a pack.
	listIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
)

// Bind checks the form's definition against its pack and prepares it for
// Validate. It returns every problem found; a form with problems is still
// bound as far as possible, but a pack must not ship it.
func (f *Form) Bind(env Env) []Problem {
	b, probs := f.compile(env, true)
	f.b = b
	return probs
}

// Check returns the problems of the form's definition without an Env (no
// court, city or CIN information): what a form can be checked for alone.
func (f Form) Check() []Problem {
	_, probs := f.compile(Env{}, false)
	return probs
}

func (f Form) compile(env Env, bound bool) (*binding, []Problem) {
	var probs []Problem
	bad := func(path, format string, args ...any) {
		probs = append(probs, Problem{path, fmt.Sprintf(format, args...)})
	}
	b := &binding{pattern: map[string]*regexp.Regexp{}, allowed: map[string]map[string]bool{}}

	if !idRe.MatchString(f.ID) {
		bad("id", "form id %q must be lower-case letters, digits and _", f.ID)
	}
	if !keyRe.MatchString(f.Title) {
		bad("title", "title must be a message key like form.%s.title, got %q", f.ID, f.Title)
	}
	if len(f.Fields) == 0 {
		bad("fields", "a form needs at least one field")
	}

	if bound {
		if env.CINPattern != "" {
			re, err := compileAnchored(env.CINPattern)
			if err != nil {
				bad("", "the pack's CIN pattern: %v", err)
			} else {
				b.cin = re
			}
		}
	}
	kinds := map[string]bool{}
	for _, c := range env.Courts {
		kinds[c.Kind] = true
	}

	index := map[string]int{}
	for i, fl := range f.Fields {
		if _, dup := index[fl.ID]; dup {
			bad(fmt.Sprintf("fields[%d].id", i), "duplicate field id %q", fl.ID)
		} else {
			index[fl.ID] = i
		}
	}

	for i, fl := range f.Fields {
		p := fmt.Sprintf("fields[%d]", i)
		if !idRe.MatchString(fl.ID) {
			bad(p+".id", "field id %q must be lower-case letters, digits and _", fl.ID)
		}
		if _, ok := formatKey[fl.Type]; !ok {
			bad(p+".type", "unknown field type %q (want one of %s)", fl.Type, joinTypes())
		}
		if !keyRe.MatchString(fl.LabelKey()) {
			bad(p+".label", "label must be a message key, got %q", fl.LabelKey())
		}
		if fl.Hint != "" && !keyRe.MatchString(fl.Hint) {
			bad(p+".hint", "hint must be a message key, got %q", fl.Hint)
		}

		// Where the value comes from must fit the type.
		list := fl.Type == TypeChoice || fl.Type == TypeCourt || fl.Type == TypeCity
		switch fl.Source {
		case SourceCard:
			if !slices.Contains(CardFields, fl.CardField) {
				bad(p+".card_field", "source card needs card_field, one of %s; got %q", strings.Join(CardFields, ", "), fl.CardField)
			}
		case SourceTyped:
			if list {
				bad(p+".source", "a %s field is picked from a list: source must be list", fl.Type)
			}
		case SourceList:
			if !list {
				bad(p+".source", "source list is only for choice, court and city fields, not %s", fl.Type)
			}
		case SourceQR:
			if fl.Type != TypeTrackingNumber {
				bad(p+".source", "source qr is only for tracking_number fields, not %s", fl.Type)
			}
		default:
			bad(p+".source", "unknown source %q (want card, typed, list or qr)", fl.Source)
		}
		if fl.Source != SourceCard && fl.CardField != "" {
			bad(p+".card_field", "card_field is only for source card")
		}
		if list && fl.Source == SourceCard {
			bad(p+".source", "a %s field is picked from a list: source must be list", fl.Type)
		}

		// Choices.
		if fl.Type == TypeChoice {
			if len(fl.Choices) == 0 {
				bad(p+".choices", "a choice field needs at least one choice")
			}
			seen := map[string]bool{}
			allowed := map[string]bool{}
			for j, c := range fl.Choices {
				cp := fmt.Sprintf("%s.choices[%d]", p, j)
				if c.Value == "" || strings.TrimSpace(c.Value) != c.Value || len(c.Value) > 64 {
					bad(cp+".value", "choice value %q must be non-empty, at most 64 bytes, without surrounding spaces", c.Value)
				}
				if seen[c.Value] {
					bad(cp+".value", "duplicate choice value %q", c.Value)
				}
				seen[c.Value] = true
				allowed[c.Value] = true
				if !keyRe.MatchString(c.Label) {
					bad(cp+".label", "choice label must be a message key, got %q", c.Label)
				}
			}
			b.allowed[fl.ID] = allowed
		} else if len(fl.Choices) > 0 {
			bad(p+".choices", "choices are only for choice fields, not %s", fl.Type)
		}

		// Courts and cities come from the pack.
		if fl.Type == TypeCourt {
			for j, k := range fl.CourtKinds {
				if bound && !kinds[k] {
					bad(fmt.Sprintf("%s.court_kinds[%d]", p, j), "no court of kind %q in the pack", k)
				}
			}
			if bound {
				allowed := map[string]bool{}
				for _, c := range env.Courts {
					if len(fl.CourtKinds) == 0 || slices.Contains(fl.CourtKinds, c.Kind) {
						allowed[c.ID] = true
					}
				}
				if len(allowed) == 0 {
					bad(p+".court_kinds", "no court of the pack fits this field")
				}
				b.allowed[fl.ID] = allowed
			}
		} else if len(fl.CourtKinds) > 0 {
			bad(p+".court_kinds", "court_kinds is only for court fields, not %s", fl.Type)
		}
		if fl.Type == TypeCity && bound {
			if len(env.Cities) == 0 {
				bad(p+".type", "a city field needs the pack's cities, and it has none")
			}
			allowed := map[string]bool{}
			for _, c := range env.Cities {
				allowed[c] = true
			}
			b.allowed[fl.ID] = allowed
		}

		// Rules.
		r := fl.Rules
		rp := p + ".rules"
		if r.MinLength < 0 {
			bad(rp+".min_length", "must not be negative")
		}
		if r.MaxLength < 0 || r.MaxLength > MaxValueLength {
			bad(rp+".max_length", "must be between 0 and %d", MaxValueLength)
		}
		if r.MaxLength > 0 && r.MinLength > r.MaxLength {
			bad(rp+".min_length", "min_length %d is above max_length %d", r.MinLength, r.MaxLength)
		}
		if r.Pattern != "" {
			re, err := compileAnchored(r.Pattern)
			if err != nil {
				bad(rp+".pattern", "%v", err)
			} else {
				b.pattern[fl.ID] = re
			}
			if list {
				bad(rp+".pattern", "a %s field takes its values from a list, not a pattern", fl.Type)
			}
		}
		numeric := fl.Type == TypeNumber || fl.Type == TypeYear
		if (r.Min != nil || r.Max != nil) && !numeric {
			bad(rp, "min and max are only for number and year fields, not %s", fl.Type)
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			bad(rp+".min", "min %d is above max %d", *r.Min, *r.Max)
		}
		if r.Min != nil && *r.Min < 0 {
			bad(rp+".min", "numbers are never negative; min %d", *r.Min)
		}
		if r.NotInFuture && fl.Type != TypeDate && fl.Type != TypeYear {
			bad(rp+".not_in_future", "only for date and year fields, not %s", fl.Type)
		}
		if (r.NotInPast || r.MaxAgeYears != 0) && fl.Type != TypeDate {
			bad(rp, "not_in_past and max_age_years are only for date fields, not %s", fl.Type)
		}
		if r.NotInPast && r.NotInFuture {
			bad(rp+".not_in_past", "not_in_past with not_in_future leaves only today")
		}
		if r.MaxAgeYears < 0 {
			bad(rp+".max_age_years", "must not be negative")
		}
		if fl.Type == TypePVNumber && r.Pattern == "" {
			bad(rp+".pattern", "a pv_number field needs the pattern of the country's PV numbers")
		}
		if fl.Type == TypeCIN && bound && env.CINPattern == "" && r.Pattern == "" {
			bad(rp+".pattern", "a cin field needs the pack's cin_pattern or a pattern of its own")
		}

		// Conditional requirement.
		if c := fl.RequiredWhen; c != nil {
			cp := p + ".required_when"
			if fl.Required {
				bad(cp, "the field is already required")
			}
			if c.Field == fl.ID {
				bad(cp+".field", "a field cannot depend on itself")
			} else if _, ok := index[c.Field]; !ok {
				bad(cp+".field", "no field %q in this form", c.Field)
			}
			if c.Filled == (c.Equals != "") {
				bad(cp, "give exactly one of filled or equals")
			}
		}
	}

	for i, g := range f.OneOf {
		p := fmt.Sprintf("one_of[%d]", i)
		if len(g.Fields) < 2 {
			bad(p+".fields", "a one_of group needs at least two fields")
		}
		for j, id := range g.Fields {
			k, ok := index[id]
			if !ok {
				bad(fmt.Sprintf("%s.fields[%d]", p, j), "no field %q in this form", id)
				continue
			}
			if f.Fields[k].Required {
				bad(fmt.Sprintf("%s.fields[%d]", p, j), "field %q is required: a one_of group is for optional fields", id)
			}
		}
		if !keyRe.MatchString(g.message()) {
			bad(p+".message", "message must be a message key, got %q", g.Message)
		}
	}
	return b, probs
}

// compileAnchored compiles a pattern that must match the whole value: a
// pattern without ^…$ would let "X123 anything" through.
func compileAnchored(pattern string) (*regexp.Regexp, error) {
	if !strings.HasPrefix(pattern, "^") || !strings.HasSuffix(pattern, "$") {
		return nil, fmt.Errorf("pattern %q must be anchored with ^ and $", pattern)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q does not compile: %v", pattern, err)
	}
	return re, nil
}

func joinTypes() string {
	s := make([]string, len(Types))
	for i, t := range Types {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
