package mrz

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse feeds raw reader text to Split and Parse. It must never panic;
// an error is only ErrNotMRZ; Valid is exactly "no errors"; a valid MRZ
// re-formats to the very same lines, and its report marshals.
func FuzzParse(f *testing.F) {
	for _, s := range specimens {
		f.Add(strings.Join(s.lines, "\n"))
		f.Add(strings.Join(s.lines, "\r\n") + "\r\n")
	}
	f.Add("")
	f.Add("\x02P<UTO\x03")
	f.Fuzz(func(t *testing.T, text string) {
		lines := Split(text)
		m, err := Parse(lines, Options{Now: tableNow, NationalNumber: cnieLocation})
		if err != nil {
			if !errors.Is(err, ErrNotMRZ) || m != nil {
				t.Fatalf("Parse(%q) = %v, %v, want nil, ErrNotMRZ", lines, m, err)
			}
			return
		}
		if m.Valid != (len(m.Errors) == 0) {
			t.Fatalf("Parse(%q).Valid = %v with errors %v", lines, m.Valid, m.Errors)
		}
		if _, err := json.Marshal(m.Report()); err != nil {
			t.Fatalf("json.Marshal(Parse(%q).Report()) error %v", lines, err)
		}
		if !m.Valid {
			return
		}
		got, err := Format(m.Document())
		if err != nil {
			t.Fatalf("Format(Parse(%q).Document()) error %v", lines, err)
		}
		if diff := cmp.Diff(lines, got); diff != "" {
			t.Fatalf("Format(Parse(lines).Document()) mismatch (-want +got):\n%s", diff)
		}
	})
}
