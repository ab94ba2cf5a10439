package mrz

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// reportJSON is the exact text guichetctl mrz prints.
func reportJSON(t testing.TB, m *MRZ) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.Report()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestParseGolden(t *testing.T) {
	for _, tc := range specimens {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.lines, Options{Now: tableNow, NationalNumber: tc.national})
			if err != nil {
				t.Fatalf("Parse(%q) error %v", tc.lines, err)
			}
			if diff := cmp.Diff(tc.wantErrors, m.Errors); diff != "" {
				t.Errorf("Parse(%q).Errors mismatch (-want +got):\n%s", tc.lines, diff)
			}
			if m.Valid != (tc.wantErrors == nil) {
				t.Errorf("Parse(%q).Valid = %v, want %v", tc.lines, m.Valid, tc.wantErrors == nil)
			}
			got := reportJSON(t, m)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Parse(%q) report mismatch with %s (-want +got):\n%s", tc.lines, path, diff)
			}
			if m.Valid {
				lines, err := Format(m.Document())
				if err != nil {
					t.Fatalf("Format(Parse(%q).Document()) error %v", tc.lines, err)
				}
				if diff := cmp.Diff(tc.lines, lines); diff != "" {
					t.Errorf("Format(Parse(lines).Document()) mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestParseFields spot-checks what the golden files show, so that a wrong
// golden file cannot hide a regression.
func TestParseFields(t *testing.T) {
	tests := []struct {
		name  string
		check func(m *MRZ) (got, want any)
	}{
		{"td1_icao_specimen", func(m *MRZ) (any, any) { return m.ExpiryDate, Date{2012, 4, 15, "120415", false} }},
		{"td1_icao_specimen", func(m *MRZ) (any, any) { return m.Expired(tableNow()), true }},
		{"td1_long_document_number", func(m *MRZ) (any, any) { return m.DocumentNumber, "D23145890123" }},
		{"td1_germany", func(m *MRZ) (any, any) { return []string{m.IssuingState, m.Nationality, m.Sex}, []string{"D", "D", ""} }},
		{"td1_morocco_cnie", func(m *MRZ) (any, any) { return m.NationalNumber, "BE123456" }},
		{"td1_morocco_cnie_no_location", func(m *MRZ) (any, any) { return m.NationalNumber, "" }},
		{"td1_morocco_cnie_pattern_mismatch", func(m *MRZ) (any, any) { return m.NationalNumber, "" }},
		{"td1_morocco_cnie_bad_composite", func(m *MRZ) (any, any) { return m.NationalNumber, "" }},
		{"td1_born_this_month_a_century_ago", func(m *MRZ) (any, any) { return m.BirthDate.Year, 1926 }},
		{"td1_truncated_name", func(m *MRZ) (any, any) {
			return []any{m.Surname, m.GivenNames, m.NameTruncated}, []any{"KPODAR AGBEKO", []string{"KOMLAN", "EDEM", "SEN"}, true}
		}},
		{"td1_icao_specimen", func(m *MRZ) (any, any) { return m.NameTruncated, false }},
		{"td2_long_document_number", func(m *MRZ) (any, any) { return m.DocumentNumber, "ABC123456789" }},
		{"td2_unknown_birth_month_and_day", func(m *MRZ) (any, any) { return m.BirthDate.String(), "1958-XX-XX" }},
		{"td3_no_surname_sex_x", func(m *MRZ) (any, any) {
			return []any{m.Surname, m.GivenNames, m.Sex}, []any{"", []string{"JOHN"}, "X"}
		}},
		{"td3_surname_in_parts", func(m *MRZ) (any, any) { return m.Surname, "VAN DER BERG" }},
		{"td3_child", func(m *MRZ) (any, any) { return []int{m.BirthDate.Year, m.ExpiryDate.Year}, []int{2019, 2034} }},
		{"td3_child", func(m *MRZ) (any, any) { return m.Expired(tableNow()), false }},
		{"mrva_icao_specimen", func(m *MRZ) (any, any) { return []any{m.Format, m.OptionalData1}, []any{MRVA, "6ZE184226B"} }},
		{"td1_letter_o_in_birth_date", func(m *MRZ) (any, any) { return m.BirthDate, Date{Raw: "74O812", Unreadable: true} }},
	}
	byName := map[string]specimen{}
	for _, s := range specimens {
		byName[s.name] = s
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := byName[tc.name]
			if !ok {
				t.Fatalf("no specimen %q", tc.name)
			}
			m, err := Parse(s.lines, Options{Now: tableNow, NationalNumber: s.national})
			if err != nil {
				t.Fatal(err)
			}
			got, want := tc.check(m)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", s.lines, diff)
			}
		})
	}
}

func TestParseNotMRZ(t *testing.T) {
	td3 := []string{
		"P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
		"L898902C36UTO7408122F1204159ZE184226B<<<<<10",
	}
	tests := []struct {
		name  string
		lines []string
	}{
		{"nothing", nil},
		{"one line", td3[:1]},
		{"four lines", []string{td3[0], td3[1], td3[0], td3[1]}},
		{"short second line", []string{td3[0], td3[1][:43]}},
		{"three lines of 44", []string{td3[0], td3[1], td3[1]}},
		{"two lines of 30", []string{strings.Repeat("<", 30), strings.Repeat("<", 30)}},
		{"empty lines", []string{"", ""}},
		{"qr payload", []string{"GCH-2026-000123-7"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.lines, Options{Now: tableNow})
			if !errors.Is(err, ErrNotMRZ) || m != nil {
				t.Errorf("Parse(%q) = %v, %v, want nil, ErrNotMRZ", tc.lines, m, err)
			}
		})
	}
}

func TestParseBadLocation(t *testing.T) {
	for _, loc := range []Location{
		{Field: "personal_number"},
		{Field: FieldOptionalData1, Pattern: "[A-Z"},
	} {
		_, err := Parse(specimens[0].lines, Options{Now: tableNow, NationalNumber: loc})
		if err == nil || errors.Is(err, ErrNotMRZ) || !strings.HasPrefix(err.Error(), "mrz: ") {
			t.Errorf("Parse with %+v error = %v, want a configuration error", loc, err)
		}
	}
}

func TestCheckDigit(t *testing.T) {
	tests := []struct {
		in   string
		want byte
	}{
		{"", '0'},
		{"<<<<<<", '0'},
		{"D23145890", '7'},
		{"L898902C3", '6'},
		{"740812", '2'},
		{"120415", '9'},
		{"ZE184226B<<<<<", '1'},
		{"D23145890123", '3'}, // long TD1 number, without the filler
	}
	for _, tc := range tests {
		got, err := CheckDigit(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("CheckDigit(%q) = %q, %v, want %q, nil", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"l898902c3", "AB 12", "É"} {
		if got, err := CheckDigit(in); err == nil {
			t.Errorf("CheckDigit(%q) = %q, nil, want an error", in, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	now := time.Date(2026, 3, 15, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		raw      string
		kind     dateKind
		want     string
		wantCode Code
	}{
		{"740812", birthDate, "1974-08-12", ""},
		{"260315", birthDate, "2026-03-15", ""}, // born today
		{"260316", birthDate, "1926-03-16", ""}, // tomorrow: a century ago
		{"26<<<<", birthDate, "2026-XX-XX", ""}, // could be this year
		{"2604<<", birthDate, "1926-04-XX", ""},
		{"<<<<<<", birthDate, "XXXX-XX-XX", ""},
		{"<<0229", birthDate, "XXXX-02-29", ""},
		{"000229", birthDate, "2000-02-29", ""},
		{"120415", expiryDate, "2012-04-15", ""}, // expired card: 2012, not 2112
		{"751231", expiryDate, "2075-12-31", ""}, // last year of the window
		{"760101", expiryDate, "1976-01-01", ""}, // first year of the window
		{"360101", expiryDate, "2036-01-01", ""},
		{"741312", birthDate, "", CodeBadDate},
		{"740231", birthDate, "", CodeBadDate},
		{"250229", expiryDate, "", CodeBadDate},
		{"740800", birthDate, "", CodeBadDate},
		{"74<812", birthDate, "", CodeBadDate},
		{"7408<<", birthDate, "1974-08-XX", ""},
		{"74O812", birthDate, "", CodeBadChar},
		{"74 812", birthDate, "", CodeBadChar},
	}
	for _, tc := range tests {
		d, code := parseDate(tc.raw, tc.kind, now)
		if d.String() != tc.want || code != tc.wantCode || d.Raw != tc.raw {
			t.Errorf("parseDate(%q, %v) = %q (raw %q), %q, want %q, %q", tc.raw, tc.kind, d, d.Raw, code, tc.want, tc.wantCode)
		}
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		expiry Date
		want   bool
	}{
		{Date{Year: 2026, Month: 3, Day: 15}, false}, // good through its last day
		{Date{Year: 2026, Month: 3, Day: 14}, true},
		{Date{Year: 2026, Month: 3}, false},
		{Date{Year: 2026, Month: 2}, true},
		{Date{Year: 2025}, true},
		{Date{}, false},
		{Date{Unreadable: true}, false},
	}
	for _, tc := range tests {
		m := &MRZ{ExpiryDate: tc.expiry}
		if got := m.Expired(now); got != tc.want {
			t.Errorf("Expired with expiry %v = %v, want %v", tc.expiry, got, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", []string{}},
		{"AB\r\nCD\r\n", []string{"AB", "CD"}},
		{"AB\rCD\rEF", []string{"AB", "CD", "EF"}},
		{"\x02AB\nCD\x03\n\n  \n", []string{"AB", "CD"}},
		{"  A B \t\n", []string{"A B"}},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, Split(tc.in)); diff != "" {
			t.Errorf("Split(%q) mismatch (-want +got):\n%s", tc.in, diff)
		}
	}
}

func TestFormatErrors(t *testing.T) {
	base := Document{
		Format: TD3, DocumentCode: "P", IssuingState: "UTO", DocumentNumber: "L898902C3",
		BirthDate: Date{Year: 1974, Month: 8, Day: 12}, ExpiryDate: Date{Year: 2012, Month: 4, Day: 15},
		Sex: "F", Nationality: "UTO", Surname: "ERIKSSON", GivenNames: []string{"ANNA", "MARIA"},
	}
	tests := []struct {
		name   string
		change func(d *Document)
	}{
		{"unknown layout", func(d *Document) { d.Format = "TD4" }},
		{"long number in a passport", func(d *Document) { d.DocumentNumber = "L898902C3X" }},
		{"lower case", func(d *Document) { d.Surname = "Eriksson" }},
		{"accent", func(d *Document) { d.Surname = "ÉRIKSSON" }},
		{"sex", func(d *Document) { d.Sex = "U" }},
		{"month 13", func(d *Document) { d.BirthDate.Month = 13 }},
		{"30 February", func(d *Document) { d.BirthDate = Date{Year: 1974, Month: 2, Day: 30} }},
		{"29 February 1900", func(d *Document) { d.BirthDate = Date{Year: 1900, Month: 2, Day: 29} }},
		{"identity card code on a passport", func(d *Document) { d.DocumentCode = "ID" }},
		{"state code too long", func(d *Document) { d.IssuingState = "UTOP" }},
		{"no name", func(d *Document) { d.Surname, d.GivenNames = "", nil }},
		{"second optional data in TD3", func(d *Document) { d.OptionalData2 = "X" }},
		{"personal number too long", func(d *Document) { d.OptionalData1 = "123456789012345" }},
	}
	if _, err := Format(base); err != nil {
		t.Fatalf("Format(base) error %v", err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := base
			tc.change(&d)
			if lines, err := Format(d); err == nil || !strings.HasPrefix(err.Error(), "mrz: format: ") {
				t.Errorf("Format(%+v) = %q, %v, want an mrz: format: error", d, lines, err)
			}
		})
	}
}

func TestFormatLongNumbers(t *testing.T) {
	tests := []struct {
		format Layout
		number string
		opt    string
		ok     bool
	}{
		{TD1, "D23145890123", "", true},
		{TD1, "ABCDEFGHIJKLMNOPQRSTUV", "", true}, // 9 + 13 + check + filler fill the 15
		{TD1, "ABCDEFGHIJKLMNOPQRSTUVW", "", false},
		{TD1, "D23145890123", "CIN12", true},
		{TD2, "ABC12345678", "", true},
		{TD2, "ABC123456789012", "", false},
		{TD3, "ABC1234567", "", false},
		{MRVB, "ABC1234567", "", false},
	}
	for _, tc := range tests {
		doc := Document{
			Format: tc.format, DocumentCode: "I", IssuingState: "UTO", DocumentNumber: tc.number,
			OptionalData1: tc.opt, Nationality: "UTO", Surname: "DOE",
		}
		switch tc.format {
		case TD3:
			doc.DocumentCode = "P"
		case MRVA, MRVB:
			doc.DocumentCode = "V"
		}
		lines, err := Format(doc)
		if (err == nil) != tc.ok {
			t.Errorf("Format(%s, %q) = %q, %v, want ok %v", tc.format, tc.number, lines, err, tc.ok)
			continue
		}
		if err != nil {
			continue
		}
		m, err := Parse(lines, Options{Now: tableNow})
		if err != nil || !m.Valid || m.DocumentNumber != tc.number || m.OptionalData1 != tc.opt {
			t.Errorf("Parse(Format(%q)) = %+v, %v, want valid with number %q and optional data %q", tc.number, m, err, tc.number, tc.opt)
		}
	}
}
