package mrz

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrNotMRZ is returned by Parse when the lines are not an MRZ at all: not
// 3×30, 2×36 or 2×44 characters.
var ErrNotMRZ = errors.New("mrz: not a machine-readable zone")

// Code says why a field failed.
type Code string

// The codes of FieldError.
const (
	// CodeCheckDigit: the field's check digit does not match, is not a digit,
	// or cannot be computed (a character outside A–Z, 0–9, <).
	CodeCheckDigit Code = "check_digit"
	// CodeCompositeCheck: the composite check digit (TD1, TD2, TD3) fails.
	CodeCompositeCheck Code = "composite_check"
	// CodeBadDate: digits that are no calendar date (month 13, 30 February),
	// or a half-unknown part such as "1<".
	CodeBadDate Code = "bad_date"
	// CodeBadChar: a character the field's alphabet does not allow (a digit
	// in a name, a letter in a date, anything outside A–Z, 0–9 and <).
	CodeBadChar Code = "bad_char"
	// CodeBadValue: characters of the right kind making a value the standard
	// does not allow: a document code that does not fit the layout, a sex
	// other than M, F, X or <, a state code with a filler before a letter, a
	// name with a leading or doubled filler inside a name part.
	CodeBadValue Code = "bad_value"
	// CodeLength: a long TD1/TD2 document number whose continuation in the
	// optional data is empty or not closed by a filler.
	CodeLength Code = "length"
	// CodeMissing: a required field made only of fillers (the document
	// number, the whole name).
	CodeMissing Code = "missing"
)

// The field names of FieldError; they match the keys of Report.
const (
	FieldDocumentCode   = "document_code"
	FieldIssuingState   = "issuing_state"
	FieldDocumentNumber = "document_number"
	FieldOptionalData1  = "optional_data_1"
	FieldOptionalData2  = "optional_data_2"
	FieldBirthDate      = "birth_date"
	FieldSex            = "sex"
	FieldExpiryDate     = "expiry_date"
	FieldNationality    = "nationality"
	FieldSurname        = "surname"
	FieldGivenNames     = "given_names"
	FieldName           = "name"      // the whole name field (missing)
	FieldComposite      = "composite" // the composite check digit
)

// FieldError is one failed check.
type FieldError struct {
	Field string `json:"field"`
	Code  Code   `json:"code"`
}

func (e FieldError) Error() string { return "mrz: " + e.Field + ": " + string(e.Code) }

// Location says where a country's national identity number sits in its
// documents' MRZ; it comes from the country pack.
type Location struct {
	// Field is FieldOptionalData1, FieldOptionalData2, FieldDocumentNumber,
	// or "" when the country's documents carry none.
	Field string
	// Pattern is a regular expression (RE2) the whole value must match, for
	// example `[A-Z]{1,2}[0-9]{1,6}`; it is anchored at both ends for you.
	// Empty accepts any non-empty value.
	Pattern string
	// IssuingStates, when set, limits the reading to documents issued by
	// these states (for example "MAR"), so that a foreign card's optional
	// data is never taken for a national number.
	IssuingStates []string
}

// Options tune Parse.
type Options struct {
	// Now gives today's date for the century of two-digit years; nil means
	// time.Now.
	Now func() time.Time
	// NationalNumber says where MRZ.NationalNumber is read from.
	NationalNumber Location
}

// MRZ is a parsed machine-readable zone. Text fields have their trailing
// fillers removed and nothing else changed: a wrong character is reported in
// Errors, never corrected.
type MRZ struct {
	Format Layout
	Lines  []string // as given to Parse

	DocumentCode string // "P", "I", "ID", "V", …
	IssuingState string // "MAR", "UTO", "D" (Germany), …
	// DocumentNumber includes, for a long TD1/TD2 number, the part that
	// spilled into the optional data.
	DocumentNumber string
	// OptionalData1 is the optional data after any spilled document number:
	// line 1 of TD1, line 2 of TD2, TD3 (the personal number) and visas.
	OptionalData1 string
	// OptionalData2 is TD1's line 2 optional data; empty in other layouts.
	OptionalData2 string
	BirthDate     Date
	ExpiryDate    Date
	Sex           string // "M", "F", "X", or "" when unspecified (<)
	Nationality   string
	Surname       string   // primary identifier, parts separated by spaces; may be empty
	GivenNames    []string // secondary identifier, one entry per part
	// NameTruncated is set when the name fills its field to the last
	// character, which ICAO 9303 uses to mark a truncated name.
	NameTruncated bool
	// NationalNumber is read as Options.NationalNumber says, only from a
	// valid MRZ; empty when there is none or it does not match the pattern.
	NationalNumber string

	Valid  bool
	Errors []FieldError // in the order of the fields on the document

	// personalNumberCheck keeps which of '<' and '0' an empty TD3 personal
	// number used, so that Format reproduces the lines exactly.
	personalNumberCheck byte
}

// HasError reports whether field failed any check.
func (m *MRZ) HasError(field string) bool {
	for _, e := range m.Errors {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Expired reports whether the document's expiry date lies before now's
// calendar day (a document is good through its expiry date). Unknown month
// or day count as the last possible one; an unknown year or an unreadable
// date never reads as expired, so check Valid first.
func (m *MRZ) Expired(now time.Time) bool {
	d := m.ExpiryDate
	if d.Unreadable || d.Year == 0 {
		return false
	}
	month, day := d.Month, d.Day
	if month == 0 {
		month = 12
	}
	if day == 0 {
		day = daysIn(month, d.Year)
	}
	y, mo, dd := now.Date()
	return d.Year < y || d.Year == y && (month < int(mo) || month == int(mo) && day < dd)
}

// Parse reads and checks an MRZ given as its lines (see Split). It returns
// an error only when the lines are not an MRZ at all (ErrNotMRZ) or when
// opts.NationalNumber is malformed; every other problem is in MRZ.Errors.
func Parse(lines []string, opts Options) (*MRZ, error) {
	nat, err := opts.NationalNumber.compile()
	if err != nil {
		return nil, err
	}
	l := layoutOf(lines)
	if l == nil {
		return nil, fmt.Errorf("%w: %s; want 3 lines of 30 (TD1), 2 of 36 (TD2, MRV-B) or 2 of 44 (TD3, MRV-A)", ErrNotMRZ, describe(lines))
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	p := parser{l: l, lines: lines, now: now(), m: &MRZ{Format: l.kind, Lines: slices.Clone(lines)}}
	p.parse()
	m := p.m
	m.Valid = len(m.Errors) == 0
	m.NationalNumber = nat.find(m)
	return m, nil
}

func describe(lines []string) string {
	if len(lines) == 0 {
		return "no lines"
	}
	n := make([]string, len(lines))
	for i, l := range lines {
		n[i] = fmt.Sprint(len(l))
	}
	if len(lines) == 1 {
		return fmt.Sprintf("1 line of %s characters", n[0])
	}
	return fmt.Sprintf("%d lines of %s characters", len(lines), strings.Join(n, ", "))
}

type parser struct {
	l     *layout
	lines []string
	now   time.Time
	m     *MRZ
}

func (p *parser) text(s span) string { return p.lines[s.line][s.start:s.end] }

func (p *parser) char(s span) byte { return p.lines[s.line][s.start] }

func (p *parser) fail(field string, code Code) {
	for _, e := range p.m.Errors {
		if e.Field == field && e.Code == code {
			return
		}
	}
	p.m.Errors = append(p.m.Errors, FieldError{Field: field, Code: code})
}

// verify checks data against the check digit c.
func (p *parser) verify(field, data string, c byte) {
	if want, err := CheckDigit(data); err != nil || want != c {
		p.fail(field, CodeCheckDigit)
	}
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool  { return isLetter(c) || c == '<' }
func isAlnum(c byte) bool  { return isLetter(c) || isDigit(c) || c == '<' }

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// parse reads the fields in the order of the JSON report.
func (p *parser) parse() {
	l, m := p.l, p.m
	p.documentCode()
	m.IssuingState = p.state(FieldIssuingState, l.state)
	optStart := p.documentNumber()
	p.optionalData(optStart)
	m.BirthDate = p.date(FieldBirthDate, l.birth, l.birthCheck, birthDate)
	p.sex()
	m.ExpiryDate = p.date(FieldExpiryDate, l.expiry, l.expiryCheck, expiryDate)
	m.Nationality = p.state(FieldNationality, l.nationality)
	p.name()
	if l.composite.present() {
		if want, ok := p.compositeDigit(); !ok || want != p.char(l.composite) {
			p.fail(FieldComposite, CodeCompositeCheck)
		}
	}
}

func (p *parser) documentCode() {
	raw := p.text(p.l.code)
	p.m.DocumentCode = strings.TrimRight(raw, "<")
	if !allOf(raw, isAlpha) {
		p.fail(FieldDocumentCode, CodeBadChar)
		return
	}
	first, second := raw[0], raw[1]
	ok := isLetter(first)
	switch p.l.kind {
	case TD1, TD2: // ICAO 9303-5/6: A, C or I; V is reserved for visas
		ok = ok && strings.IndexByte("ACI", first) >= 0 && second != 'V'
	case TD3:
		ok = ok && first == 'P'
	case MRVA, MRVB:
		ok = ok && first == 'V'
	}
	if !ok {
		p.fail(FieldDocumentCode, CodeBadValue)
	}
}

// state reads a three-letter state code: letters, then fillers ("D<<").
func (p *parser) state(field string, s span) string {
	raw := p.text(s)
	v := strings.TrimRight(raw, "<")
	switch {
	case !allOf(raw, isAlpha):
		p.fail(field, CodeBadChar)
	case v == "" || strings.IndexByte(v, '<') >= 0:
		p.fail(field, CodeBadValue)
	}
	return v
}

// documentNumber reads the document number and returns where the optional
// data starts in the opt1 span (after a spilled long number).
func (p *parser) documentNumber() (optStart int) {
	l := p.l
	raw := p.text(l.docNumber)
	check := p.char(l.docCheck)
	number := strings.TrimRight(raw, "<")
	if l.longNumber && check == '<' {
		// ICAO 9303-5 §4.2.2 note j, 9303-6 note j: the first nine
		// characters, a filler instead of the check digit, then the rest of
		// the number at the start of the optional data, its check digit
		// (computed over the whole number), and a filler.
		opt := p.text(l.opt1)
		run := strings.IndexByte(opt, '<')
		switch {
		case run == 0:
			p.fail(FieldDocumentNumber, CodeCheckDigit)
		case run < 0:
			p.fail(FieldDocumentNumber, CodeLength)
			number, optStart = raw+opt, len(opt)
		case run == 1:
			p.fail(FieldDocumentNumber, CodeLength)
			number, optStart = raw, 2
		default:
			number, optStart = raw+opt[:run-1], run+1
			p.verify(FieldDocumentNumber, number, opt[run-1])
		}
	} else {
		p.verify(FieldDocumentNumber, raw, check)
	}
	p.m.DocumentNumber = number
	switch {
	case !allOf(number, isAlnum):
		p.fail(FieldDocumentNumber, CodeBadChar)
	case strings.Trim(number, "<") == "":
		p.fail(FieldDocumentNumber, CodeMissing)
	}
	return optStart
}

func (p *parser) optionalData(optStart int) {
	l, m := p.l, p.m
	raw := p.text(l.opt1)[optStart:]
	m.OptionalData1 = strings.TrimRight(raw, "<")
	if !allOf(raw, isAlnum) {
		p.fail(FieldOptionalData1, CodeBadChar)
	}
	if l.opt1Check.present() {
		// ICAO 9303-4: an unused personal number may have 0 or < as its
		// check digit.
		c := p.char(l.opt1Check)
		if m.OptionalData1 == "" && (c == '<' || c == '0') {
			m.personalNumberCheck = c
		} else {
			p.verify(FieldOptionalData1, p.text(l.opt1), c)
		}
	}
	if l.opt2.present() {
		raw := p.text(l.opt2)
		m.OptionalData2 = strings.TrimRight(raw, "<")
		if !allOf(raw, isAlnum) {
			p.fail(FieldOptionalData2, CodeBadChar)
		}
	}
}

func (p *parser) date(field string, s, check span, kind dateKind) Date {
	raw := p.text(s)
	d, code := parseDate(raw, kind, p.now)
	if code != "" {
		p.fail(field, code)
	}
	p.verify(field, raw, p.char(check))
	return d
}

func (p *parser) sex() {
	switch c := p.char(p.l.sex); {
	case c == 'M' || c == 'F' || c == 'X':
		p.m.Sex = p.text(p.l.sex)
	case c == '<':
	case isLetter(c):
		p.m.Sex = p.text(p.l.sex)
		p.fail(FieldSex, CodeBadValue)
	default:
		p.m.Sex = p.text(p.l.sex)
		p.fail(FieldSex, CodeBadChar)
	}
}

// name reads "PRIMARY<PARTS<<SECONDARY<PARTS<<<<". Without "<<" the whole
// name is the primary identifier; a leading "<<" means no primary one.
func (p *parser) name() {
	m := p.m
	raw := p.text(p.l.name)
	m.NameTruncated = raw[len(raw)-1] != '<'
	t := strings.TrimRight(raw, "<")
	if t == "" {
		p.fail(FieldName, CodeMissing)
		return
	}
	primary, secondary, _ := strings.Cut(t, "<<")
	parts, regular := nameParts(primary)
	m.Surname = strings.Join(parts, " ")
	switch {
	case !allOf(primary, isAlpha):
		p.fail(FieldSurname, CodeBadChar)
	case !regular:
		p.fail(FieldSurname, CodeBadValue)
	}
	m.GivenNames, regular = nameParts(secondary)
	switch {
	case !allOf(secondary, isAlpha):
		p.fail(FieldGivenNames, CodeBadChar)
	case !regular:
		p.fail(FieldGivenNames, CodeBadValue)
	}
}

// nameParts splits a name on single fillers; regular is false when a part
// is empty (a leading or doubled filler).
func nameParts(s string) (parts []string, regular bool) {
	if s == "" {
		return nil, true
	}
	regular = true
	for part := range strings.SplitSeq(s, "<") {
		if part == "" {
			regular = false
			continue
		}
		parts = append(parts, part)
	}
	return parts, regular
}

func (p *parser) compositeDigit() (byte, bool) {
	sum, i := 0, 0
	for _, s := range p.l.compositeOver {
		t := p.text(s)
		for j := 0; j < len(t); j++ {
			v, ok := charValue(t[j])
			if !ok {
				return 0, false
			}
			sum += v * [3]int{7, 3, 1}[i%3]
			i++
		}
	}
	return byte('0' + sum%10), true
}

// nationalRule is a compiled Location.
type nationalRule struct {
	field  string
	re     *regexp.Regexp
	states []string
}

var patternCache sync.Map // pattern → *regexp.Regexp

func (loc Location) compile() (*nationalRule, error) {
	switch loc.Field {
	case "":
		return nil, nil
	case FieldOptionalData1, FieldOptionalData2, FieldDocumentNumber:
	default:
		return nil, fmt.Errorf("mrz: national number location: unknown field %q (want %s, %s or %s)",
			loc.Field, FieldOptionalData1, FieldOptionalData2, FieldDocumentNumber)
	}
	r := &nationalRule{field: loc.Field}
	for _, s := range loc.IssuingStates {
		r.states = append(r.states, strings.TrimRight(strings.ToUpper(s), "<"))
	}
	if loc.Pattern != "" {
		if re, ok := patternCache.Load(loc.Pattern); ok {
			r.re = re.(*regexp.Regexp)
		} else {
			re, err := regexp.Compile(`^(?:` + loc.Pattern + `)$`)
			if err != nil {
				return nil, fmt.Errorf("mrz: national number pattern: %w", err)
			}
			patternCache.Store(loc.Pattern, re)
			r.re = re
		}
	}
	return r, nil
}

func (r *nationalRule) find(m *MRZ) string {
	if r == nil || !m.Valid {
		return ""
	}
	if len(r.states) > 0 && !slices.Contains(r.states, m.IssuingState) {
		return ""
	}
	var v string
	switch r.field {
	case FieldDocumentNumber:
		v = m.DocumentNumber
	case FieldOptionalData1:
		v = m.OptionalData1
	case FieldOptionalData2:
		v = m.OptionalData2
	}
	v = strings.Trim(v, "<")
	if v == "" || r.re != nil && !r.re.MatchString(v) {
		return ""
	}
	return v
}
