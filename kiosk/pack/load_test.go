package pack

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// tree is a pack decoded generically, for tests to break it.
type tree = map[string]any

func decodeTree(t testing.TB, data []byte) tree {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m tree
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decoding test pack: %v", err)
	}
	return m
}

func embeddedTree(t testing.TB, code string) tree {
	t.Helper()
	data, err := EmbeddedData(code)
	if err != nil {
		t.Fatal(err)
	}
	return decodeTree(t, data)
}

// at walks a path of object keys (string) and array indexes (int).
func at(t testing.TB, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(tree)[k]
		case int:
			v = v.([]any)[k]
		}
		if v == nil {
			t.Fatalf("test pack has nothing at %v", path)
		}
	}
	return v
}

// set stores value at path; del removes what is at path.
func set(t testing.TB, root tree, value any, path ...any) {
	t.Helper()
	parent := at(t, root, path[:len(path)-1]...)
	switch k := path[len(path)-1].(type) {
	case string:
		parent.(tree)[k] = value
	case int:
		parent.([]any)[k] = value
	}
}

func del(t testing.TB, root tree, path ...any) {
	t.Helper()
	parent := at(t, root, path[:len(path)-1]...)
	delete(parent.(tree), path[len(path)-1].(string))
}

func encode(t testing.TB, m tree) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type loadTest struct {
	name string
	// Either edit, applied to the embedded pack's tree, or raw, applied to
	// its bytes.
	edit   func(t testing.TB, m tree)
	raw    func(data []byte) []byte
	path   string // the JSON path the problem must be reported at
	reason string // a part of the reason
}

func n(i int64) json.Number { return json.Number(fmt.Sprint(i)) }

// maTests break the Moroccan pack, one defect each.
var maTests = []loadTest{
	// Not JSON, or not the JSON a pack may be.
	// Cut at a character boundary: a cut inside a character reads as invalid UTF-8 first.
	{name: "truncated", raw: func(d []byte) []byte { return d[:bytes.LastIndexAny(d[:len(d)/2], ",{")+1] }, path: "", reason: "invalid JSON: unexpected end of the file"},
	{name: "syntax error", raw: func(d []byte) []byte { return bytes.Replace(d, []byte(`"code": "ma",`), []byte(`"code": "ma",,`), 1) }, path: "", reason: "line 3, column 16: invalid JSON"},
	{name: "trailing data", raw: func(d []byte) []byte { return append(d, []byte(`{"again": 1}`)...) }, path: "", reason: "data after the pack's closing brace"},
	{name: "byte-order mark", raw: func(d []byte) []byte { return append([]byte("\xef\xbb\xbf"), d...) }, path: "", reason: "byte-order mark"},
	{name: "invalid UTF-8", raw: func(d []byte) []byte { return bytes.Replace(d, []byte("Tanger"), []byte("Tan\xffger"), 1) }, path: "", reason: "not valid UTF-8"},
	{name: "too large", raw: func(d []byte) []byte { return append(d, bytes.Repeat([]byte(" "), MaxSize)...) }, path: "", reason: "more than the"},
	{name: "not an object", raw: func([]byte) []byte { return []byte(`["ma"]`) }, path: "the pack", reason: "want an object, got an array"},
	{name: "too deep", raw: func(d []byte) []byte {
		return bytes.Replace(d, []byte(`"notes": [`), []byte(`"notes": [`+strings.Repeat("[", 40)+strings.Repeat("]", 40)+`,`), 1)
	}, path: "", reason: "nested more than"},
	{name: "duplicate key", raw: func(d []byte) []byte {
		return bytes.Replace(d, []byte(`"code": "ma",`), []byte(`"code": "ma", "code": "tg",`), 1)
	}, path: "code", reason: "duplicate key"},
	{name: "unknown field", edit: func(t testing.TB, m tree) { m["colour"] = "green" }, path: "colour", reason: "unknown field"},
	{name: "unknown nested field", edit: func(t testing.TB, m tree) { set(t, m, "x", "courts", 3, "nmes") }, path: "courts[3].nmes", reason: "unknown field"},
	{name: "field name in the wrong case", edit: func(t testing.TB, m tree) { m["Version"] = n(2) }, path: "Version", reason: "unknown field"},
	{name: "string for a number", edit: func(t testing.TB, m tree) { m["version"] = "1" }, path: "version", reason: "want a number, got a string"},
	{name: "fraction for a fee", edit: func(t testing.TB, m tree) { set(t, m, json.Number("20.5"), "services", 0, "fee") }, path: "services[0].fee", reason: "want a whole number, got 20.5"},
	{name: "fee out of range", edit: func(t testing.TB, m tree) { set(t, m, json.Number("99999999999999999999"), "services", 0, "fee") }, path: "services[0].fee", reason: "out of range"},
	{name: "string for a boolean", edit: func(t testing.TB, m tree) { set(t, m, "yes", "languages", 0, "rtl") }, path: "languages[0].rtl", reason: "want a boolean, got a string"},
	{name: "null for a string", edit: func(t testing.TB, m tree) { m["code"] = nil }, path: "code", reason: "want a string, got null"},
	{name: "object for a list", edit: func(t testing.TB, m tree) { m["courts"] = tree{} }, path: "courts", reason: "want an array, got an object"},
	{name: "number for a message", edit: func(t testing.TB, m tree) { set(t, m, n(3), "messages", "fr", "nav.back") }, path: `messages.fr["nav.back"]`, reason: "want a string, got a number"},

	// Identity of the pack.
	{name: "newer schema", edit: func(t testing.TB, m tree) { m["schema"] = n(2) }, path: "schema", reason: "unsupported schema version 2 (this build reads 1)"},
	{name: "code in capitals", edit: func(t testing.TB, m tree) { m["code"] = "MA" }, path: "code", reason: "two lower-case letters"},
	{name: "version zero", edit: func(t testing.TB, m tree) { m["version"] = n(0) }, path: "version", reason: "1 or more"},
	{name: "country name missing", edit: func(t testing.TB, m tree) { del(t, m, "country", "en") }, path: "country.en", reason: "missing country name for language en"},

	// Languages.
	{name: "no language", edit: func(t testing.TB, m tree) { m["languages"] = []any{} }, path: "languages", reason: "at least one language"},
	{name: "duplicate language", edit: func(t testing.TB, m tree) { set(t, m, "fr", "languages", 3, "code") }, path: "languages[3].code", reason: `duplicate language "fr"`},
	{name: "bad language code", edit: func(t testing.TB, m tree) { set(t, m, "English", "languages", 3, "code") }, path: "languages[3].code", reason: "ISO 639"},
	{name: "missing autonym", edit: func(t testing.TB, m tree) { set(t, m, " ", "languages", 2, "autonym") }, path: "languages[2].autonym", reason: "missing autonym"},
	{name: "bad script", edit: func(t testing.TB, m tree) { set(t, m, "arabic", "languages", 0, "script") }, path: "languages[0].script", reason: "ISO 15924"},
	{name: "arabic left to right", edit: func(t testing.TB, m tree) { set(t, m, false, "languages", 0, "rtl") }, path: "languages[0].rtl", reason: "script Arab is written right to left"},
	{name: "tifinagh right to left", edit: func(t testing.TB, m tree) { set(t, m, true, "languages", 2, "rtl") }, path: "languages[2].rtl", reason: "script Tfng is written left to right"},
	{name: "default language not listed", edit: func(t testing.TB, m tree) { m["default_language"] = "es" }, path: "default_language", reason: `default language "es" is not one of the pack's languages (ar, fr, zgh, en)`},

	// Currency.
	{name: "currency code", edit: func(t testing.TB, m tree) { set(t, m, "DH", "currency", "code") }, path: "currency.code", reason: "ISO 4217"},
	{name: "minor units", edit: func(t testing.TB, m tree) { set(t, m, n(7), "currency", "minor_units") }, path: "currency.minor_units", reason: "between 0 and 4"},
	{name: "format missing for a language", edit: func(t testing.TB, m tree) { del(t, m, "currency", "formats", "zgh") }, path: "currency.formats.zgh", reason: "missing currency format for language zgh"},
	{name: "format for a foreign language", edit: func(t testing.TB, m tree) {
		set(t, m, at(t, m, "currency", "formats", "fr"), "currency", "formats", "es")
	}, path: "currency.formats.es", reason: "not a language of this pack"},
	{name: "decimal equals group", edit: func(t testing.TB, m tree) { set(t, m, ",", "currency", "formats", "en", "decimal") }, path: "currency.formats.en.group", reason: "must differ from the decimal separator"},
	{name: "missing decimal", edit: func(t testing.TB, m tree) { set(t, m, "", "currency", "formats", "fr", "decimal") }, path: "currency.formats.fr.decimal", reason: "needs a decimal separator"},
	{name: "missing symbol", edit: func(t testing.TB, m tree) { set(t, m, "", "currency", "formats", "ar", "symbol") }, path: "currency.formats.ar.symbol", reason: "missing currency symbol"},
	{name: "digit separator", edit: func(t testing.TB, m tree) { set(t, m, "0", "currency", "formats", "fr", "group") }, path: "currency.formats.fr", reason: "must not contain digits"},

	// Cities and courts.
	{name: "court name missing in tamazight", edit: func(t testing.TB, m tree) { del(t, m, "courts", 3, "names", "zgh") }, path: "courts[3].names.zgh", reason: "missing name for language zgh"},
	{name: "court name empty", edit: func(t testing.TB, m tree) { set(t, m, "  ", "courts", 0, "names", "ar") }, path: "courts[0].names.ar", reason: "empty name for language ar"},
	{name: "court name in a foreign language", edit: func(t testing.TB, m tree) { set(t, m, "Tribunal", "courts", 0, "names", "es") }, path: "courts[0].names.es", reason: "language es is not a language of this pack (ar, fr, zgh, en)"},
	{name: "court name with a control character", edit: func(t testing.TB, m tree) { set(t, m, "Tribunal\tde Rabat", "courts", 0, "names", "fr") }, path: "courts[0].names.fr", reason: "control character"},
	{name: "duplicate court", edit: func(t testing.TB, m tree) { set(t, m, "tpi-tanger", "courts", 1, "id") }, path: "courts[1].id", reason: `duplicate court id "tpi-tanger"`},
	{name: "court id with spaces", edit: func(t testing.TB, m tree) { set(t, m, "TPI Tanger", "courts", 0, "id") }, path: "courts[0].id", reason: "lower-case letters"},
	{name: "court kind", edit: func(t testing.TB, m tree) { set(t, m, "military", "courts", 0, "kind") }, path: "courts[0].kind", reason: `unknown court kind "military"`},
	{name: "court in an unknown city", edit: func(t testing.TB, m tree) { set(t, m, "paris", "courts", 0, "city") }, path: "courts[0].city", reason: `unknown city "paris"`},
	{name: "no courts", edit: func(t testing.TB, m tree) { m["courts"] = []any{}; m["forms"] = []any{}; m["services"] = []any{} }, path: "courts", reason: "at least one court"},
	{name: "city name missing", edit: func(t testing.TB, m tree) { del(t, m, "cities", 5, "names", "ar") }, path: "cities[5].names.ar", reason: "missing name for language ar"},
	{name: "duplicate city", edit: func(t testing.TB, m tree) { set(t, m, "tanger", "cities", 1, "id") }, path: "cities[1].id", reason: `duplicate city id "tanger"`},

	// Payment methods.
	{name: "payment kind", edit: func(t testing.TB, m tree) { set(t, m, "cheque", "payment_methods", 1, "kind") }, path: "payment_methods[1].kind", reason: `unknown payment kind "cheque"`},
	{name: "mobile money without provider", edit: func(t testing.TB, m tree) { set(t, m, "mobile_money", "payment_methods", 1, "kind") }, path: "payment_methods[1].provider", reason: "needs its provider"},
	{name: "payment method name", edit: func(t testing.TB, m tree) { del(t, m, "payment_methods", 0, "name", "zgh") }, path: "payment_methods[0].name.zgh", reason: "missing name for language zgh"},

	// Identity documents.
	{name: "cin pattern missing", edit: func(t testing.TB, m tree) { m["cin_pattern"] = "" }, path: "cin_pattern", reason: "missing"},
	{name: "cin pattern does not compile", edit: func(t testing.TB, m tree) { m["cin_pattern"] = "^([A-Z]{1,2}[0-9]{1,6}$" }, path: "cin_pattern", reason: "does not compile"},
	{name: "cin pattern not anchored", edit: func(t testing.TB, m tree) { m["cin_pattern"] = "[A-Z]{1,2}[0-9]{1,6}" }, path: "cin_pattern", reason: "anchored with ^ and $"},
	{name: "mrz field", edit: func(t testing.TB, m tree) { set(t, m, "line_2", "mrz_national_number", "field") }, path: "mrz_national_number.field", reason: `unknown MRZ field "line_2"`},
	{name: "mrz pattern missing", edit: func(t testing.TB, m tree) { set(t, m, "", "mrz_national_number", "pattern") }, path: "mrz_national_number.pattern", reason: "missing the pattern"},
	{name: "mrz pattern broken", edit: func(t testing.TB, m tree) { set(t, m, "^[A-Z", "mrz_national_number", "pattern") }, path: "mrz_national_number.pattern", reason: "anchored"},
	{name: "mrz none with a pattern", edit: func(t testing.TB, m tree) { set(t, m, "", "mrz_national_number", "field") }, path: "mrz_national_number.field", reason: "empty field"},
	{name: "mrz issuing state", edit: func(t testing.TB, m tree) { set(t, m, []any{"Morocco"}, "mrz_national_number", "issuing_states") }, path: "mrz_national_number.issuing_states[0]", reason: "ICAO code"},

	// Tracking, help, receipt.
	{name: "tracking over http", edit: func(t testing.TB, m tree) { m["tracking_qr_base"] = "http://suivi.justice.gov.ma/t/" }, path: "tracking_qr_base", reason: `must be an https URL, got scheme "http"`},
	{name: "tracking without host", edit: func(t testing.TB, m tree) { m["tracking_qr_base"] = "https:///t/" }, path: "tracking_qr_base", reason: "no host"},
	{name: "tracking without separator", edit: func(t testing.TB, m tree) { m["tracking_qr_base"] = "https://suivi.justice.gov.ma/t" }, path: "tracking_qr_base", reason: "must end with / or ="},
	{name: "tracking missing", edit: func(t testing.TB, m tree) { m["tracking_qr_base"] = "" }, path: "tracking_qr_base", reason: "missing"},
	{name: "verification base over http", edit: func(t testing.TB, m tree) { m["extract_verification_base"] = "http://verif.justice.gov.ma/v/" }, path: "extract_verification_base", reason: "must be an https URL"},
	{name: "verification base missing", edit: func(t testing.TB, m tree) { del(t, m, "extract_verification_base") }, path: "extract_verification_base", reason: "missing the base of the extract verification code"},
	{name: "verification base same as tracking", edit: func(t testing.TB, m tree) { m["extract_verification_base"] = m["tracking_qr_base"] }, path: "extract_verification_base", reason: "must differ from tracking_qr_base"},
	{name: "call centre letters", edit: func(t testing.TB, m tree) { m["call_centre"] = "05 37 JUSTICE" }, path: "call_centre", reason: "digits and spaces"},
	{name: "receipt language foreign", edit: func(t testing.TB, m tree) { m["receipt_languages"] = []any{"ar", "es"} }, path: "receipt_languages[1]", reason: `"es" is not a language of this pack`},
	{name: "no receipt language", edit: func(t testing.TB, m tree) { m["receipt_languages"] = []any{}; m["receipt_legal_mention"] = tree{} }, path: "receipt_languages", reason: "at least one receipt language"},
	{name: "legal mention missing", edit: func(t testing.TB, m tree) { del(t, m, "receipt_legal_mention", "fr") }, path: "receipt_legal_mention.fr", reason: "missing legal mention for language fr"},
	{name: "legal mention not printed", edit: func(t testing.TB, m tree) { set(t, m, "Receipt", "receipt_legal_mention", "en") }, path: "receipt_legal_mention.en", reason: "not a receipt language"},

	// Services.
	{name: "no service", edit: func(t testing.TB, m tree) { m["services"] = []any{} }, path: "services", reason: "at least one service"},
	{name: "service form missing", edit: func(t testing.TB, m tree) { set(t, m, "bulletin", "services", 0, "form") }, path: "services[0].form", reason: `unknown form "bulletin"`},
	{name: "negative fee", edit: func(t testing.TB, m tree) { set(t, m, n(-2000), "services", 0, "fee") }, path: "services[0].fee", reason: "must not be negative"},
	{name: "fee rule", edit: func(t testing.TB, m tree) { set(t, m, "monthly", "services", 0, "fee_rule") }, path: "services[0].fee_rule", reason: `unknown fee rule "monthly"`},
	{name: "fixed fee of zero", edit: func(t testing.TB, m tree) { set(t, m, n(0), "services", 0, "fee") }, path: "services[0].fee", reason: "must be more than 0"},
	{name: "free with a fee", edit: func(t testing.TB, m tree) { set(t, m, n(100), "services", 3, "fee") }, path: "services[3].fee", reason: "a free service has fee 0"},
	{name: "free with payment", edit: func(t testing.TB, m tree) { set(t, m, []any{"counter"}, "services", 3, "payment_methods") }, path: "services[3].payment_methods", reason: "takes no payment"},
	{name: "paid without payment", edit: func(t testing.TB, m tree) { set(t, m, []any{}, "services", 0, "payment_methods") }, path: "services[0].payment_methods", reason: "at least one payment method"},
	{name: "unknown payment method", edit: func(t testing.TB, m tree) { set(t, m, []any{"cash"}, "services", 0, "payment_methods") }, path: "services[0].payment_methods[0]", reason: `unknown payment method "cash"`},
	{name: "duplicate payment method", edit: func(t testing.TB, m tree) { set(t, m, []any{"counter", "counter"}, "services", 0, "payment_methods") }, path: "services[0].payment_methods[1]", reason: "duplicate payment method"},
	{name: "per copy without quantity", edit: func(t testing.TB, m tree) { del(t, m, "services", 1, "quantity_field") }, path: "services[1].quantity_field", reason: "needs the form field"},
	{name: "quantity field unknown", edit: func(t testing.TB, m tree) { set(t, m, "count", "services", 1, "quantity_field") }, path: "services[1].quantity_field", reason: `no field "count"`},
	{name: "quantity field not a number", edit: func(t testing.TB, m tree) { set(t, m, "address", "services", 1, "quantity_field") }, path: "services[1].quantity_field", reason: "must be a required number"},
	{name: "quantity on a fixed fee", edit: func(t testing.TB, m tree) { set(t, m, "copies", "services", 0, "quantity_field") }, path: "services[0].quantity_field", reason: "only for per_copy"},
	{name: "negative delay", edit: func(t testing.TB, m tree) { set(t, m, n(-1), "services", 0, "delay_hours") }, path: "services[0].delay_hours", reason: "between 0 and 8760"},
	{name: "duplicate service", edit: func(t testing.TB, m tree) { set(t, m, "bulletin3", "services", 1, "id") }, path: "services[1].id", reason: `duplicate service id "bulletin3"`},
	{name: "service title missing", edit: func(t testing.TB, m tree) { del(t, m, "services", 2, "title", "ar") }, path: "services[2].title.ar", reason: "missing title for language ar"},

	// Forms.
	{name: "field type", edit: func(t testing.TB, m tree) { set(t, m, "email", "forms", 0, "fields", 0, "type") }, path: "forms[0].fields[0].type", reason: `unknown field type "email"`},
	{name: "field court kind", edit: func(t testing.TB, m tree) { set(t, m, []any{"military"}, "forms", 0, "fields", 13, "court_kinds") }, path: "forms[0].fields[13].court_kinds[0]", reason: `no court of kind "military" in the pack`},
	{name: "field pattern", edit: func(t testing.TB, m tree) {
		set(t, m, "^[0-9]{8}-RF-[0-9]{4}", "forms", 2, "fields", 1, "rules", "pattern")
	}, path: "forms[2].fields[1].rules.pattern", reason: "anchored"},
	{name: "field rule unknown", edit: func(t testing.TB, m tree) { set(t, m, true, "forms", 0, "fields", 4, "rules", "not_in_the_future") }, path: "forms[0].fields[4].rules.not_in_the_future", reason: "unknown field"},
	{name: "duplicate form", edit: func(t testing.TB, m tree) { set(t, m, "bulletin3", "forms", 1, "id") }, path: "forms[1].id", reason: `duplicate form id "bulletin3"`},
	{name: "form one_of", edit: func(t testing.TB, m tree) { set(t, m, []any{"cin", "pv"}, "forms", 2, "one_of", 0, "fields") }, path: "forms[2].one_of[0].fields[1]", reason: `no field "pv"`},

	// Messages.
	{name: "message missing in tamazight", edit: func(t testing.TB, m tree) { del(t, m, "messages", "zgh", "nav.back") }, path: `messages.zgh["nav.back"]`, reason: "missing message for language zgh (needed by screens)"},
	{name: "scan message missing", edit: func(t testing.TB, m tree) { del(t, m, "messages", "ar", "scan.unknown_code") }, path: `messages.ar["scan.unknown_code"]`, reason: "missing message for language ar (needed by screens)"},
	{name: "message only in french", edit: func(t testing.TB, m tree) { set(t, m, "Bonjour", "messages", "fr", "home.hello") }, path: `messages.en["home.hello"]`, reason: "missing message for language en"},
	{name: "field label missing everywhere", edit: func(t testing.TB, m tree) {
		for _, l := range []string{"ar", "fr", "zgh", "en"} {
			del(t, m, "messages", l, "field.mother_name_ar")
		}
	}, path: `messages.ar["field.mother_name_ar"]`, reason: "needed by form bulletin3"},
	{name: "error message missing", edit: func(t testing.TB, m tree) { del(t, m, "messages", "en", "error.date_in_future") }, path: `messages.en["error.date_in_future"]`, reason: "missing message for language en"},
	{name: "messages of a foreign language", edit: func(t testing.TB, m tree) { set(t, m, at(t, m, "messages", "fr"), "messages", "es") }, path: "messages.es", reason: "not a language of this pack"},
	{name: "messages of a language missing", edit: func(t testing.TB, m tree) { del(t, m, "messages", "en") }, path: "messages.en", reason: "missing messages for language en"},
	{name: "empty message", edit: func(t testing.TB, m tree) { set(t, m, "", "messages", "ar", "nav.back") }, path: `messages.ar["nav.back"]`, reason: "empty message"},
	{name: "message with a control character", edit: func(t testing.TB, m tree) { set(t, m, "Retour\x1b", "messages", "fr", "nav.back") }, path: `messages.fr["nav.back"]`, reason: "control character"},
	{name: "message key shape", edit: func(t testing.TB, m tree) {
		for _, l := range []string{"ar", "fr", "zgh", "en"} {
			set(t, m, "x", "messages", l, "Back")
		}
	}, path: `messages.ar.Back`, reason: "dotted lower-case words"},
}

// brokenPack applies a test's defect to the embedded pack.
func brokenPack(t testing.TB, code string, tt loadTest) []byte {
	data, err := EmbeddedData(code)
	if err != nil {
		t.Fatal(err)
	}
	if tt.raw != nil {
		return tt.raw(bytes.Clone(data))
	}
	m := decodeTree(t, data)
	tt.edit(t, m)
	return encode(t, m)
}

func TestLoadRefuses(t *testing.T) {
	for _, tt := range maTests {
		t.Run(tt.name, func(t *testing.T) {
			data := brokenPack(t, "ma", tt)
			p, err := Load("ma.json", data)
			if err == nil {
				t.Fatalf("Load(%s) = pack %s v%d, want an error at %s", tt.name, p.Code, p.Version, tt.path)
			}
			if p != nil {
				t.Errorf("Load returned a pack with its error")
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load error is %T, want *ValidationError: %v", err, err)
			}
			if ve.File != "ma.json" {
				t.Errorf("ValidationError.File = %q, want ma.json", ve.File)
			}
			found := false
			for _, p := range ve.Problems {
				if p.Path == tt.path && strings.Contains(p.Reason, tt.reason) {
					found = true
				}
			}
			if !found {
				t.Errorf("Load problems =\n%v\nwant one at %q containing %q", err, tt.path, tt.reason)
			}
			// The message names the file, the field and the reason.
			line := "pack: ma.json: "
			if tt.path != "" {
				line += tt.path + ": "
			}
			if !strings.Contains(err.Error(), line) || !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Load error =\n%v\nwant a line starting %q containing %q", err, line, tt.reason)
			}
		})
	}
}

// TestLoadReportsEveryProblem checks that Load does not stop at the first
// problem.
func TestLoadReportsEveryProblem(t *testing.T) {
	m := embeddedTree(t, "ma")
	del(t, m, "courts", 3, "names", "zgh")
	set(t, m, "http://suivi.justice.gov.ma/t/", "tracking_qr_base")
	set(t, m, n(-1), "services", 0, "fee")
	del(t, m, "messages", "en", "nav.back")
	_, err := Load("ma.json", encode(t, m))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load = %v, want a *ValidationError", err)
	}
	want := []string{
		"pack: ma.json: courts[3].names.zgh: missing name for language zgh",
		`pack: ma.json: tracking_qr_base: must be an https URL, got scheme "http"`,
		"pack: ma.json: services[0].fee: fee must not be negative, got -1",
		`pack: ma.json: messages.en["nav.back"]: missing message for language en (needed by screens)`,
	}
	got := strings.Split(err.Error(), "\n")
	for _, w := range want {
		if !containsLine(got, w) {
			t.Errorf("Load error lacks %q; got:\n%v", w, err)
		}
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("Load found %d problems, want %d:\n%v", len(ve.Problems), len(want), err)
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

// tgTests break the Togolese pack where it differs from Morocco's.
var tgTests = []loadTest{
	{name: "mobile money without provider", edit: func(t testing.TB, m tree) { set(t, m, "", "payment_methods", 0, "provider") }, path: "payment_methods[0].provider", reason: "needs its provider"},
	{name: "minor units for a currency without", edit: func(t testing.TB, m tree) {
		set(t, m, "", "currency", "formats", "fr", "decimal")
		set(t, m, n(2), "currency", "minor_units")
	}, path: "currency.formats.fr.decimal", reason: "needs a decimal separator"},
	{name: "arabic court name in a french pack", edit: func(t testing.TB, m tree) { set(t, m, "محكمة", "courts", 0, "names", "ar") }, path: "courts[0].names.ar", reason: "language ar is not a language of this pack (fr)"},
	{name: "mrz none with issuing states", edit: func(t testing.TB, m tree) { set(t, m, []any{"TGO"}, "mrz_national_number", "issuing_states") }, path: "mrz_national_number.field", reason: "empty field"},
	{name: "city field without cities", edit: func(t testing.TB, m tree) { m["cities"] = []any{}; m["courts"] = []any{} }, path: "forms[1].fields[1].type", reason: "needs the pack's cities"},
}

func TestLoadRefusesTogo(t *testing.T) {
	for _, tt := range tgTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("tg.json", brokenPack(t, "tg", tt))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load = %v, want a *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Path == tt.path && strings.Contains(p.Reason, tt.reason) {
					return
				}
			}
			t.Errorf("Load problems =\n%v\nwant one at %q containing %q", err, tt.path, tt.reason)
		})
	}
}

func TestValidationErrorWithoutFile(t *testing.T) {
	e := &ValidationError{Problems: []Problem{{"code", "bad"}, {"", "worse"}}}
	want := "pack: code: bad\npack: worse"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func FuzzLoad(f *testing.F) {
	for _, code := range EmbeddedCodes() {
		data, err := EmbeddedData(code)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tt := range maTests {
		if tt.name == "too large" {
			continue // the fuzzer's inputs are smaller anyway
		}
		f.Add(brokenPack(f, "ma", tt))
	}
	for _, tt := range tgTests {
		f.Add(brokenPack(f, "tg", tt))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Load("fuzz.json", data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("Load error %T %v, want a *ValidationError with problems", err, err)
			}
			return
		}
		// A pack that loads keeps the promises the screens rely on.
		for _, s := range p.Services {
			f, ok := p.Form(s.Form)
			if !ok {
				t.Fatalf("service %s: form %s missing", s.ID, s.Form)
			}
			for _, l := range p.Languages {
				if s.Title.In(l.Code) == "" {
					t.Fatalf("service %s: no title in %s", s.ID, l.Code)
				}
				for _, k := range f.Keys() {
					if p.Messages[l.Code][k] == "" {
						t.Fatalf("form %s: message %s missing in %s", f.ID, k, l.Code)
					}
				}
			}
		}
		_ = p.Currency.Format(-123456789, p.DefaultLanguage)
	})
}
