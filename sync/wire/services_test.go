package wire

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const goodProfessionals = `[{"name_latin":"Maître Amina Berrada","name_arabic":"الأستاذة أمينة برادة","profession":"lawyer","registration":"Barreau de Casablanca n° 4417","city":"casablanca","address":"12, rue Tahar Sebti","phone":"+212 522 00 00 00","languages":["ar","fr"],"status":"active","updated_at":"2026-03-02T09:30:00Z"}]`

func TestParseProfessionals(t *testing.T) {
	ps, err := ParseProfessionals([]byte(goodProfessionals))
	if err != nil || len(ps) != 1 || ps[0].Profession != "lawyer" || ps[0].Languages[1] != "fr" {
		t.Fatalf("ParseProfessionals(good) = %+v, %v", ps, err)
	}
	for _, tt := range []struct{ name, old, new, want string }{
		{"unknown field", `"status"`, `"rating":5,"status"`, "unknown field"},
		{"bad status", `"active"`, `"retired"`, "status"},
		{"no address", `"12, rue Tahar Sebti"`, `""`, "address"},
		{"bad language", `["ar","fr"]`, `["arabic"]`, "language"},
		{"local time", `"2026-03-02T09:30:00Z"`, `"2026-03-02T10:30:00+01:00"`, "UTC"},
		{"not a list", goodProfessionals, `{}`, "cannot unmarshal"},
		{"null", goodProfessionals, `null`, "not a list"},
		{"trailing", goodProfessionals, goodProfessionals + `[]`, "trailing"},
	} {
		in := strings.Replace(goodProfessionals, tt.old, tt.new, 1)
		if _, err := ParseProfessionals([]byte(in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseProfessionals = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestParseSigners(t *testing.T) {
	good := fixtureSigners().Payload
	ss, err := ParseSigners(good)
	if err != nil || len(ss) != 1 || ss[0].Role != "clerk" || len(ss[0].Public) != 32 {
		t.Fatalf("ParseSigners(good) = %+v, %v", ss, err)
	}
	twice := strings.Replace(string(good), "[", "[", 1)
	twice = twice[:len(twice)-1] + "," + twice[1:]
	for _, tt := range []struct{ name, in, want string }{
		{"twice", twice, "listed twice"},
		{"bad role", strings.Replace(string(good), `"clerk"`, `"judge"`, 1), "role"},
		{"short key", strings.Replace(string(good), `"public":"`, `"public":"AAAA`, 1), "public key"},
		{"no court", strings.Replace(string(good), `"tpi-casablanca"`, `""`, 1), "court"},
	} {
		if _, err := ParseSigners([]byte(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: ParseSigners = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

// fuzzList checks that a document decoder never panics, refuses with a
// sentinel error, and that what it accepts re-encodes to an equal list.
func fuzzList[T any](f *testing.F, seeds []string, parse func([]byte) ([]T, error)) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("parse = %v, not a sentinel error", err)
			}
			return
		}
		out, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		again, err := parse(out)
		if err != nil || len(again) != len(got) {
			t.Fatalf("parse(marshal(accepted)) = %d entries, %v; want %d", len(again), err, len(got))
		}
	})
}

func FuzzProfessionals(f *testing.F) {
	fuzzList(f, []string{goodProfessionals, `[]`, `null`}, ParseProfessionals)
}

func FuzzSigners(f *testing.F) {
	fuzzList(f, []string{string(fixtureSigners().Payload), `[]`}, ParseSigners)
}

func TestText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		max  int
		want string
	}{
		{"paper near end", 64, "paper near end"},
		{"bell\a and\tnewline\n", 64, "bell  and\tnewline\n"},
		{"bad \xff utf-8", 64, "bad ? utf-8"},
		{"أمينة", 5, "أم"}, // two-byte letters: never cut in half
	} {
		got := Text(tt.in, tt.max)
		if got != tt.want || !validText(got, tt.max) {
			t.Errorf("Text(%q, %d) = %q, want %q (valid wire text)", tt.in, tt.max, got, tt.want)
		}
	}
}
