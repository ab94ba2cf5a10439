package form

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func int64p(x int64) *int64 { return &x }

// now is a fixed "today" for every test: 15 March 2026, late evening in
// Casablanca, so that a UTC-based comparison would be off by a day.
var now = time.Date(2026, time.March, 15, 23, 30, 0, 0, time.FixedZone("+01", 3600))

var env = Env{
	CINPattern: `^([A-Z]{1,2}[0-9]{1,6}|[0-9]{10})$`,
	Courts: []CourtRef{
		{"tpi-casablanca", "first_instance"},
		{"tpi-rabat", "first_instance"},
		{"ca-rabat", "appeal"},
	},
	Cities: []string{"casablanca", "rabat"},
}

// bulletin is a cut-down bulletin n°3 form exercising every field type.
func bulletin() Form {
	return Form{
		ID:    "bulletin3",
		Title: "form.bulletin3.title",
		Fields: []Field{
			{ID: "surname", Type: TypeNameLatin, Required: true, Source: SourceCard, CardField: "surname", Rules: Rules{MaxLength: 40}},
			{ID: "surname_ar", Type: TypeNameArabic, Required: true, Source: SourceTyped},
			{ID: "birth_date", Type: TypeDate, Required: true, Source: SourceCard, CardField: "birth_date", Rules: Rules{NotInFuture: true, MaxAgeYears: 120}},
			{ID: "expiry_date", Type: TypeDate, Required: true, Source: SourceCard, CardField: "expiry_date", Rules: Rules{NotInPast: true}},
			{ID: "birth_place", Type: TypeText, Required: true, Source: SourceTyped, Rules: Rules{MinLength: 2, MaxLength: 60}},
			{ID: "cin", Type: TypeCIN, Source: SourceCard, CardField: "national_number"},
			{ID: "pv_number", Type: TypePVNumber, Source: SourceTyped, Rules: Rules{Pattern: `^[0-9]{8}-RF-[0-9]{4}$`}},
			{ID: "document_number", Type: TypeDocumentNumber, Source: SourceCard, CardField: "document_number"},
			{ID: "collection_court", Type: TypeCourt, Required: true, Source: SourceList, CourtKinds: []string{"first_instance"}},
			{ID: "city", Type: TypeCity, Source: SourceList},
			{ID: "act_type", Type: TypeChoice, Source: SourceList, Choices: []Choice{{"birth_extract", "choice.act_type.birth_extract"}, {"birth_full_copy", "choice.act_type.birth_full_copy"}}},
			{ID: "copies", Type: TypeNumber, Source: SourceTyped, Rules: Rules{Min: int64p(1), Max: int64p(10)}},
			{ID: "act_number", Type: TypeNumber, Source: SourceTyped},
			{ID: "act_year", Type: TypeYear, Source: SourceTyped, RequiredWhen: &Condition{Field: "act_number", Filled: true}, Rules: Rules{NotInFuture: true, Min: int64p(1900)}},
			{ID: "destination", Type: TypeChoice, Source: SourceList, Choices: []Choice{{"morocco", "choice.destination.morocco"}, {"abroad", "choice.destination.abroad"}}},
			{ID: "country", Type: TypeText, Source: SourceTyped, RequiredWhen: &Condition{Field: "destination", Equals: "abroad"}},
			{ID: "phone", Type: TypePhone, Source: SourceTyped, Rules: Rules{Pattern: `^(\+212|0)[5-7][0-9]{8}$`}},
			{ID: "tracking", Type: TypeTrackingNumber, Source: SourceQR},
		},
		OneOf: []OneOf{{Fields: []string{"cin", "pv_number"}, Message: "error.cin_or_pv_required"}},
	}
}

func boundBulletin(t testing.TB) Form {
	t.Helper()
	f := bulletin()
	if probs := f.Bind(env); len(probs) != 0 {
		t.Fatalf("Bind(bulletin) = %v, want no problem", probs)
	}
	return f
}

// valid is a complete, acceptable set of values for bulletin().
func valid() map[string]string {
	return map[string]string{
		"surname":          "EL ALAOUI",
		"surname_ar":       "العلوي",
		"birth_date":       "1990-07-04",
		"expiry_date":      "2029-01-31",
		"birth_place":      "Fès",
		"cin":              "BE123456",
		"collection_court": "tpi-casablanca",
	}
}

func with(kv ...string) map[string]string {
	m := valid()
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			delete(m, kv[i])
			continue
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

// validateTests is shared by TestValidate and FuzzValidate.
var validateTests = []struct {
	name   string
	values map[string]string
	want   FieldErrors
}{
	{"complete", valid(), nil},
	{"spaces and case are normalised", with("cin", " be 123456 ", "surname", "  EL   ALAOUI "), nil},
	{"ten-digit national number", with("cin", "1234567890"), nil},
	{"missing required", with("surname", "<delete>", "birth_place", "   "), FieldErrors{"surname": KeyRequired, "birth_place": KeyRequired}},
	{"unknown field", with("favourite_colour", "blue"), FieldErrors{"favourite_colour": KeyUnknownField}},
	{"latin name with digits", with("surname", "AL4OUI"), FieldErrors{"surname": KeyNameLatinInvalid}},
	{"latin name in arabic script", with("surname", "العلوي"), FieldErrors{"surname": KeyNameLatinInvalid}},
	{"latin name with accents, hyphen, apostrophe", with("surname", "Aït-Ben Haddou d'Oulmès"), nil},
	{"latin name with double space after hyphen", with("surname", "A--B"), FieldErrors{"surname": KeyNameLatinInvalid}},
	{"latin name too long", with("surname", strings.Repeat("A", 41)), FieldErrors{"surname": KeyTooLong}},
	{"arabic name in latin", with("surname_ar", "ALAOUI"), FieldErrors{"surname_ar": KeyNameArabicInvalid}},
	{"arabic name with harakat", with("surname_ar", "مُحَمَّد بن عبد الله"), nil},
	{"arabic name with gaf", with("surname_ar", "ڭلميمي"), nil},
	{"birth date in the future", with("birth_date", "2026-03-16"), FieldErrors{"birth_date": KeyDateInFuture}},
	{"birth date today, local calendar", with("birth_date", "2026-03-15"), nil},
	{"birth date malformed", with("birth_date", "04/07/1990"), FieldErrors{"birth_date": KeyDateInvalid}},
	{"birth date impossible", with("birth_date", "1990-02-30"), FieldErrors{"birth_date": KeyDateInvalid}},
	{"birth date too old", with("birth_date", "1890-01-01"), FieldErrors{"birth_date": KeyDateTooOld}},
	{"card expired", with("expiry_date", "2026-03-14"), FieldErrors{"expiry_date": KeyDateInPast}},
	{"card expires today", with("expiry_date", "2026-03-15"), nil},
	{"birth place too short", with("birth_place", "F"), FieldErrors{"birth_place": KeyTooShort}},
	{"text with control character", with("birth_place", "Fès\x07"), FieldErrors{"birth_place": KeyFormat}},
	{"value longer than any form allows", with("birth_place", strings.Repeat("é", MaxValueLength+1)), FieldErrors{"birth_place": KeyTooLong}},
	{"cin of the wrong shape", with("cin", "ABC12"), FieldErrors{"cin": KeyCINInvalid}},
	{"cin with punctuation", with("cin", "A1/23"), FieldErrors{"cin": KeyCINInvalid}},
	{"neither cin nor pv", with("cin", "<delete>"), FieldErrors{"cin": "error.cin_or_pv_required", "pv_number": "error.cin_or_pv_required"}},
	{"pv instead of cin", with("cin", "<delete>", "pv_number", "12345678-rf-0001"), nil},
	{"pv malformed", with("pv_number", "1234567-RF-0001"), FieldErrors{"pv_number": KeyPVInvalid}},
	{"document number", with("document_number", "ab 12345"), nil},
	{"document number with symbols", with("document_number", "AB<12"), FieldErrors{"document_number": KeyDocumentNumberInvalid}},
	{"court of the wrong kind", with("collection_court", "ca-rabat"), FieldErrors{"collection_court": KeyCourtUnknown}},
	{"court unknown", with("collection_court", "tpi-paris"), FieldErrors{"collection_court": KeyCourtUnknown}},
	{"city", with("city", "rabat"), nil},
	{"city unknown", with("city", "madrid"), FieldErrors{"city": KeyCityUnknown}},
	{"choice", with("act_type", "birth_full_copy"), nil},
	{"choice unknown", with("act_type", "death_extract"), FieldErrors{"act_type": KeyChoiceUnknown}},
	{"copies in range", with("copies", "10"), nil},
	{"copies zero", with("copies", "0"), FieldErrors{"copies": KeyNumberTooSmall}},
	{"copies eleven", with("copies", "11"), FieldErrors{"copies": KeyNumberTooLarge}},
	{"copies negative", with("copies", "-1"), FieldErrors{"copies": KeyNumberInvalid}},
	{"copies huge", with("copies", "99999999999999999999"), FieldErrors{"copies": KeyNumberInvalid}},
	{"act number needs its year", with("act_number", "1234"), FieldErrors{"act_year": KeyRequired}},
	{"act number with year", with("act_number", "1234", "act_year", "1990"), nil},
	{"act year in the future", with("act_number", "1", "act_year", "2027"), FieldErrors{"act_year": KeyDateInFuture}},
	{"act year before records", with("act_year", "1899"), FieldErrors{"act_year": KeyNumberTooSmall}},
	{"act year malformed", with("act_year", "90"), FieldErrors{"act_year": KeyYearInvalid}},
	{"abroad needs a country", with("destination", "abroad"), FieldErrors{"country": KeyRequired}},
	{"abroad with country", with("destination", "abroad", "country", "France"), nil},
	{"in Morocco no country", with("destination", "morocco"), nil},
	{"phone national", with("phone", "06 12 34 56 78"), nil},
	{"phone international 00", with("phone", "00212 612-345-678"), nil},
	{"phone landline of another country", with("phone", "+33612345678"), FieldErrors{"phone": KeyPhoneInvalid}},
	{"phone letters", with("phone", "06 CALL ME"), FieldErrors{"phone": KeyPhoneInvalid}},
	{"tracking number grouped", with("tracking", "k7mx-4hq9-xr3t"), nil},
	{"tracking number too short", with("tracking", "K7M"), FieldErrors{"tracking": KeyTrackingInvalid}},
	{"invalid UTF-8", with("birth_place", "F\xffs"), FieldErrors{"birth_place": KeyFormat}},
}

func TestValidate(t *testing.T) {
	f := boundBulletin(t)
	for _, tt := range validateTests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.Validate(tt.values, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate(%v) mismatch (-want +got):\n%s", tt.values, diff)
			}
		})
	}
}

// TestValidateKeysAreDeclared checks the promise the pack relies on: every
// key Validate returns is in Keys, so a pack that has every key of Keys in
// every language can translate every error.
func TestValidateKeysAreDeclared(t *testing.T) {
	f := boundBulletin(t)
	keys := f.Keys()
	for _, tt := range validateTests {
		for id, key := range f.Validate(tt.values, now) {
			if !slices.Contains(keys, key) {
				t.Errorf("%s: Validate returned %s=%q, which Keys() does not list", tt.name, id, key)
			}
		}
	}
}

func TestValidateUnbound(t *testing.T) {
	f := bulletin() // not bound: no CIN pattern, no court list
	tests := []struct {
		name   string
		values map[string]string
		want   FieldErrors
	}{
		{"complete", valid(), nil},
		{"any well-formed court id", with("collection_court", "tpi-anywhere"), nil},
		{"malformed court id", with("collection_court", "TPI Anywhere!"), FieldErrors{"collection_court": KeyCourtUnknown}},
		{"cin alphabet still checked", with("cin", "A-1/2"), FieldErrors{"cin": KeyCINInvalid}},
		{"choices still checked", with("act_type", "nope"), FieldErrors{"act_type": KeyChoiceUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.Validate(tt.values, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate(%v) mismatch (-want +got):\n%s", tt.values, diff)
			}
		})
	}
}

func TestUncompilablePatternRefuses(t *testing.T) {
	f := Form{ID: "x", Title: "form.x.title", Fields: []Field{
		{ID: "code", Type: TypeText, Source: SourceTyped, Rules: Rules{Pattern: "^([a-z]$"}},
	}}
	got := f.Validate(map[string]string{"code": "a"}, now)
	want := FieldErrors{"code": KeyFormat}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate with a broken pattern mismatch (-want +got):\n%s", diff)
	}
}

func TestNormalize(t *testing.T) {
	f := bulletin()
	in := map[string]string{
		"surname":   "  el   alaoui ",
		"cin":       " be-123 456",
		"phone":     "00212 (6) 12.34.56.78",
		"tracking":  "k7mx 4hq9-xr3t",
		"pv_number": "12345678-rf-0001 ",
		"copies":    " 2 ",
		"extra":     "  kept  ",
	}
	want := map[string]string{
		"surname":   "el alaoui",
		"cin":       "BE123456",
		"phone":     "+212612345678",
		"tracking":  "K7MX4HQ9XR3T",
		"pv_number": "12345678-RF-0001",
		"copies":    "2",
		"extra":     "kept",
	}
	got := f.Normalize(in)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Normalize mismatch (-want +got):\n%s", diff)
	}
	if in["cin"] != " be-123 456" {
		t.Errorf("Normalize changed its input: cin = %q", in["cin"])
	}
}

func TestKeys(t *testing.T) {
	got := bulletin().Keys()
	for _, want := range []string{
		"form.bulletin3.title", "field.surname", "field.collection_court",
		"choice.act_type.birth_extract", "error.cin_or_pv_required",
		KeyRequired, KeyDateInFuture, KeyDateInPast, KeyDateTooOld,
		KeyNumberTooSmall, KeyNumberTooLarge, KeyCourtUnknown, KeyUnknownField,
	} {
		if !slices.Contains(got, want) {
			t.Errorf("Keys() lacks %q; got %v", want, got)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("Keys() = %v, want sorted", got)
	}
	// error.one_of_required is not used: this form names its own key.
	if slices.Contains(got, KeyOneOfRequired) {
		t.Errorf("Keys() lists %q, which this form never returns", KeyOneOfRequired)
	}
}

// bindTests are broken form definitions; each must produce a problem at path
// whose reason contains reason.
var bindTests = []struct {
	name         string
	edit         func(f *Form)
	path, reason string
}{
	{"bad form id", func(f *Form) { f.ID = "Bulletin 3" }, "id", "form id"},
	{"title not a key", func(f *Form) { f.Title = "Bulletin" }, "title", "message key"},
	{"no fields", func(f *Form) { f.Fields = nil; f.OneOf = nil }, "fields", "at least one field"},
	{"duplicate field", func(f *Form) { f.Fields[1].ID = "surname" }, "fields[1].id", `duplicate field id "surname"`},
	{"unknown type", func(f *Form) { f.Fields[0].Type = "email" }, "fields[0].type", `unknown field type "email"`},
	{"unknown source", func(f *Form) { f.Fields[1].Source = "voice" }, "fields[1].source", `unknown source "voice"`},
	{"card without card_field", func(f *Form) { f.Fields[0].CardField = "" }, "fields[0].card_field", "source card needs card_field"},
	{"unknown card field", func(f *Form) { f.Fields[0].CardField = "mother" }, "fields[0].card_field", `got "mother"`},
	{"card_field on typed", func(f *Form) { f.Fields[1].CardField = "surname" }, "fields[1].card_field", "only for source card"},
	{"court typed", func(f *Form) { f.Fields[8].Source = SourceTyped }, "fields[8].source", "source must be list"},
	{"text from list", func(f *Form) { f.Fields[4].Source = SourceList }, "fields[4].source", "source list is only for"},
	{"qr on a name", func(f *Form) { f.Fields[1].Source = SourceQR }, "fields[1].source", "source qr is only for tracking_number"},
	{"choice without choices", func(f *Form) { f.Fields[10].Choices = nil }, "fields[10].choices", "at least one choice"},
	{"duplicate choice", func(f *Form) { f.Fields[10].Choices[1].Value = "birth_extract" }, "fields[10].choices[1].value", "duplicate choice value"},
	{"empty choice", func(f *Form) { f.Fields[10].Choices[0].Value = "" }, "fields[10].choices[0].value", "must be non-empty"},
	{"choice label not a key", func(f *Form) { f.Fields[10].Choices[0].Label = "Birth extract" }, "fields[10].choices[0].label", "message key"},
	{"choices on text", func(f *Form) { f.Fields[4].Choices = []Choice{{"a", "choice.a.b"}} }, "fields[4].choices", "only for choice fields"},
	{"unknown court kind", func(f *Form) { f.Fields[8].CourtKinds = []string{"military"} }, "fields[8].court_kinds[0]", `no court of kind "military"`},
	{"court kinds on text", func(f *Form) { f.Fields[4].CourtKinds = []string{"appeal"} }, "fields[4].court_kinds", "only for court fields"},
	{"negative min length", func(f *Form) { f.Fields[4].Rules.MinLength = -1 }, "fields[4].rules.min_length", "negative"},
	{"max length above bound", func(f *Form) { f.Fields[4].Rules.MaxLength = 10000 }, "fields[4].rules.max_length", "between 0 and"},
	{"min above max length", func(f *Form) { f.Fields[4].Rules.MinLength = 70 }, "fields[4].rules.min_length", "above max_length"},
	{"pattern does not compile", func(f *Form) { f.Fields[6].Rules.Pattern = `^[0-9{8}$` }, "fields[6].rules.pattern", "does not compile"},
	{"pattern not anchored", func(f *Form) { f.Fields[6].Rules.Pattern = `[0-9]{8}-RF-[0-9]{4}` }, "fields[6].rules.pattern", "anchored"},
	{"pv without pattern", func(f *Form) { f.Fields[6].Rules.Pattern = "" }, "fields[6].rules.pattern", "pv_number field needs the pattern"},
	{"pattern on a list", func(f *Form) { f.Fields[10].Rules.Pattern = "^a$" }, "fields[10].rules.pattern", "from a list"},
	{"min on text", func(f *Form) { f.Fields[4].Rules.Min = int64p(1) }, "fields[4].rules", "only for number and year"},
	{"min above max", func(f *Form) { f.Fields[11].Rules.Min = int64p(20) }, "fields[11].rules.min", "above max"},
	{"negative min", func(f *Form) { f.Fields[11].Rules.Min = int64p(-5) }, "fields[11].rules.min", "never negative"},
	{"not_in_future on text", func(f *Form) { f.Fields[4].Rules.NotInFuture = true }, "fields[4].rules.not_in_future", "only for date and year"},
	{"not_in_past on year", func(f *Form) { f.Fields[13].Rules.NotInPast = true }, "fields[13].rules", "only for date fields"},
	{"only today", func(f *Form) { f.Fields[2].Rules.NotInPast = true }, "fields[2].rules.not_in_past", "leaves only today"},
	{"negative max age", func(f *Form) { f.Fields[2].Rules.MaxAgeYears = -1 }, "fields[2].rules.max_age_years", "negative"},
	{"required_when on required", func(f *Form) { f.Fields[13].Required = true }, "fields[13].required_when", "already required"},
	{"required_when unknown field", func(f *Form) { f.Fields[13].RequiredWhen.Field = "nope" }, "fields[13].required_when.field", `no field "nope"`},
	{"required_when self", func(f *Form) { f.Fields[13].RequiredWhen.Field = "act_year" }, "fields[13].required_when.field", "itself"},
	{"required_when both", func(f *Form) { f.Fields[15].RequiredWhen.Filled = true }, "fields[15].required_when", "exactly one of filled or equals"},
	{"one_of single", func(f *Form) { f.OneOf[0].Fields = []string{"cin"} }, "one_of[0].fields", "at least two fields"},
	{"one_of unknown field", func(f *Form) { f.OneOf[0].Fields[1] = "pv" }, "one_of[0].fields[1]", `no field "pv"`},
	{"one_of required field", func(f *Form) { f.OneOf[0].Fields[1] = "surname" }, "one_of[0].fields[1]", "is required"},
	{"one_of message not a key", func(f *Form) { f.OneOf[0].Message = "CIN or PV!" }, "one_of[0].message", "message key"},
	{"hint not a key", func(f *Form) { f.Fields[6].Hint = "like 12345678-RF-0001" }, "fields[6].hint", "message key"},
}

func TestBindProblems(t *testing.T) {
	for _, tt := range bindTests {
		t.Run(tt.name, func(t *testing.T) {
			f := bulletin()
			tt.edit(&f)
			probs := f.Bind(env)
			for _, p := range probs {
				if p.Path == tt.path && strings.Contains(p.Reason, tt.reason) {
					return
				}
			}
			t.Errorf("Bind() = %v, want a problem at %s containing %q", probs, tt.path, tt.reason)
		})
	}
}

func TestBindNeedsPackData(t *testing.T) {
	f := Form{ID: "x", Title: "form.x.title", Fields: []Field{
		{ID: "cin", Type: TypeCIN, Source: SourceTyped},
		{ID: "city", Type: TypeCity, Source: SourceList},
	}}
	probs := f.Bind(Env{})
	want := []Problem{
		{"fields[0].rules.pattern", "a cin field needs the pack's cin_pattern or a pattern of its own"},
		{"fields[1].type", "a city field needs the pack's cities, and it has none"},
	}
	if diff := cmp.Diff(want, probs); diff != "" {
		t.Errorf("Bind(Env{}) mismatch (-want +got):\n%s", diff)
	}
	if probs := f.Check(); len(probs) != 0 {
		t.Errorf("Check() = %v, want no problem without pack data", probs)
	}
}

func TestFieldErrorsError(t *testing.T) {
	e := FieldErrors{"cin": KeyCINInvalid, "birth_date": KeyDateInFuture}
	want := "form: birth_date: error.date_in_future; cin: error.cin_invalid"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := FieldErrors(nil).Error(), "form: no error"; got != want {
		t.Errorf("nil Error() = %q, want %q", got, want)
	}
}

func FuzzValidate(f *testing.F) {
	for _, tt := range validateTests {
		for id, v := range tt.values {
			f.Add(id, v)
		}
	}
	form := boundBulletin(f)
	f.Fuzz(func(t *testing.T, id, v string) {
		errs := form.Validate(map[string]string{id: v}, now)
		keys := form.Keys()
		for fid, key := range errs {
			if !slices.Contains(keys, key) {
				t.Errorf("Validate(%q=%q) returned %s=%q, not in Keys()", id, v, fid, key)
			}
		}
	})
}
