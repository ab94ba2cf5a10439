package mrz

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Document is what an MRZ says, in the form Format writes it. Text fields
// use A–Z, 0–9 and < only: transliterating a name from Arabic or removing
// accents is the caller's business.
type Document struct {
	Format         Layout
	DocumentCode   string // "P", "I", "ID", "V", …; padded with < to two characters
	IssuingState   string // "MAR", "D", "UTO"; padded with <
	DocumentNumber string // up to 9 characters; TD1 and TD2 spill longer ones into OptionalData1's field
	OptionalData1  string
	OptionalData2  string // TD1 only
	// BirthDate and ExpiryDate are written as YYMMDD from Year%100, Month
	// and Day; a 0 part is written <<. Raw and Unreadable are ignored.
	BirthDate   Date
	ExpiryDate  Date
	Sex         string // "M", "F", "X", or "" for unspecified
	Nationality string
	Surname     string   // parts separated by spaces; may be empty
	GivenNames  []string // one entry per part
	// personalNumberCheck: see MRZ.
	personalNumberCheck byte
}

// Document returns the fields of m in the form Format takes, so that
// Format(m.Document()) gives back m.Lines for any valid m.
func (m *MRZ) Document() Document {
	return Document{
		Format:              m.Format,
		DocumentCode:        m.DocumentCode,
		IssuingState:        m.IssuingState,
		DocumentNumber:      m.DocumentNumber,
		OptionalData1:       m.OptionalData1,
		OptionalData2:       m.OptionalData2,
		BirthDate:           m.BirthDate,
		ExpiryDate:          m.ExpiryDate,
		Sex:                 m.Sex,
		Nationality:         m.Nationality,
		Surname:             m.Surname,
		GivenNames:          slices.Clone(m.GivenNames),
		personalNumberCheck: m.personalNumberCheck,
	}
}

// formatCheckNow is the clock of Format's self-check: with it, a two-digit
// year 00 means 2000 for both dates, which keeps 29 February 2000 valid.
var formatCheckNow = func() time.Time { return time.Date(2050, 6, 1, 0, 0, 0, 0, time.UTC) }

// Format writes doc as MRZ lines with every check digit computed. A name too
// long for its field is cut at the field's end, the simplest truncation
// ICAO 9303-3 allows. Format fails when a field does not fit or when the
// result would not be a valid MRZ (it parses its own output to make sure).
func Format(doc Document) ([]string, error) {
	var l *layout
	for _, c := range []*layout{td1Layout, td2Layout, td3Layout, mrvaLayout, mrvbLayout} {
		if c.kind == doc.Format {
			l = c
		}
	}
	if l == nil {
		return nil, fmt.Errorf("mrz: format: unknown layout %q", doc.Format)
	}
	w := mrzWriter{lines: make([][]byte, l.lines)}
	for i := range w.lines {
		w.lines[i] = []byte(strings.Repeat("<", l.width))
	}

	w.put("document code", l.code, doc.DocumentCode)
	w.put("issuing state", l.state, doc.IssuingState)

	number, optPrefix := doc.DocumentNumber, ""
	if len(number) > l.docNumber.end-l.docNumber.start {
		if !l.longNumber {
			return nil, fmt.Errorf("mrz: format: document number %q longer than 9 characters in %s", number, l.kind)
		}
		cd, err := CheckDigit(number)
		if err != nil {
			return nil, fmt.Errorf("mrz: format: document number: %w", err)
		}
		w.put("document number", l.docNumber, number[:9])
		w.put("document number check digit", l.docCheck, "<")
		optPrefix = number[9:] + string(cd) + "<"
	} else {
		w.put("document number", l.docNumber, number)
		w.check("document number", l.docCheck, l.docNumber)
	}

	w.put("optional data", l.opt1, optPrefix+doc.OptionalData1)
	if l.opt1Check.present() {
		if strings.TrimRight(doc.OptionalData1, "<") == "" {
			c := doc.personalNumberCheck
			if c == 0 {
				c = '<'
			}
			w.put("personal number check digit", l.opt1Check, string(c))
		} else {
			w.check("personal number", l.opt1Check, l.opt1)
		}
	}
	if l.opt2.present() {
		w.put("optional data 2", l.opt2, doc.OptionalData2)
	} else if doc.OptionalData2 != "" {
		return nil, fmt.Errorf("mrz: format: %s has no second optional data field", l.kind)
	}

	for _, d := range []struct {
		name         string
		date         Date
		field, check span
	}{
		{"birth date", doc.BirthDate, l.birth, l.birthCheck},
		{"expiry date", doc.ExpiryDate, l.expiry, l.expiryCheck},
	} {
		if err := d.date.validate(); err != nil {
			return nil, fmt.Errorf("mrz: format: %s: %w", d.name, err)
		}
		w.put(d.name, d.field, d.date.yymmdd())
		w.check(d.name, d.check, d.field)
	}

	switch doc.Sex {
	case "":
	case "M", "F", "X":
		w.put("sex", l.sex, doc.Sex)
	default:
		return nil, fmt.Errorf("mrz: format: sex %q, want M, F, X or empty", doc.Sex)
	}
	w.put("nationality", l.nationality, doc.Nationality)

	name := strings.ReplaceAll(doc.Surname, " ", "<")
	if len(doc.GivenNames) > 0 {
		name += "<<" + strings.ReplaceAll(strings.Join(doc.GivenNames, "<"), " ", "<")
	}
	if n := l.name.end - l.name.start; len(name) > n {
		name = name[:n]
	}
	w.put("name", l.name, name)

	if l.composite.present() && w.err == nil {
		var over []byte
		for _, s := range l.compositeOver {
			over = append(over, w.lines[s.line][s.start:s.end]...)
		}
		cd, err := CheckDigit(string(over))
		if err != nil {
			return nil, fmt.Errorf("mrz: format: composite: %w", err)
		}
		w.lines[l.composite.line][l.composite.start] = cd
	}
	if w.err != nil {
		return nil, w.err
	}

	lines := make([]string, len(w.lines))
	for i, b := range w.lines {
		lines[i] = string(b)
	}
	m, err := Parse(lines, Options{Now: formatCheckNow})
	if err != nil {
		return nil, fmt.Errorf("mrz: format: %w", err)
	}
	if !m.Valid {
		return nil, fmt.Errorf("mrz: format: the fields make an invalid MRZ: %v", m.Errors)
	}
	return lines, nil
}

// mrzWriter fills lines and keeps the first error.
type mrzWriter struct {
	lines [][]byte
	err   error
}

func (w *mrzWriter) put(name string, s span, v string) {
	if w.err != nil {
		return
	}
	if n := s.end - s.start; len(v) > n {
		w.err = fmt.Errorf("mrz: format: %s %q longer than %d characters", name, v, n)
		return
	}
	if !allOf(v, isAlnum) {
		w.err = fmt.Errorf("mrz: format: %s %q: only A-Z, 0-9 and < are allowed", name, v)
		return
	}
	copy(w.lines[s.line][s.start:s.end], v)
}

// check writes at c the check digit of what is already at s.
func (w *mrzWriter) check(name string, c, s span) {
	if w.err != nil {
		return
	}
	cd, err := CheckDigit(string(w.lines[s.line][s.start:s.end]))
	if err != nil {
		w.err = fmt.Errorf("mrz: format: %s: %w", name, err)
		return
	}
	w.lines[c.line][c.start] = cd
}

// validate refuses a date Format cannot write or that does not exist.
func (d Date) validate() error {
	switch {
	case d.Year < 0 || d.Year > 9999, d.Month < 0 || d.Month > 12, d.Day < 0 || d.Day > 31:
		return fmt.Errorf("%04d-%02d-%02d out of range", d.Year, d.Month, d.Day)
	case d.Month != 0 && d.Day > daysIn(d.Month, d.Year):
		return fmt.Errorf("%04d-%02d-%02d is not a calendar date", d.Year, d.Month, d.Day)
	}
	return nil
}
