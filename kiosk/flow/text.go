package flow

import (
	"strings"
	"time"

	"guichet/kiosk/form"
	"guichet/kiosk/pack"
)

// The isolate controls of UAX #9: an identifier inside a sentence of the
// other direction reads as written ("2024-00123" after Arabic letters
// otherwise displays as "00123-2024"). drivers/bidi does the same for the
// receipts; kiosk/ may not import drivers/, hence these few lines.
const (
	lri = "\u2066" // LEFT-TO-RIGHT ISOLATE: identifiers, dates, numbers
	fsi = "\u2068" // FIRST STRONG ISOLATE: names, amounts with a symbol
	pdi = "\u2069" // POP DIRECTIONAL ISOLATE
)

func isExplicitControl(r rune) bool {
	return '\u202A' <= r && r <= '\u202E' || '\u2066' <= r && r <= '\u2069'
}

func stripControls(s string) string {
	if strings.IndexFunc(s, isExplicitControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isExplicitControl(r) {
			return -1
		}
		return r
	}, s)
}

// stripIsolates is the plain text of a screen's string (for speech).
func stripIsolates(s string) string { return stripControls(s) }

// ltr wraps an identifier so that it reads left to right in any sentence.
func ltr(s string) string {
	if s == "" {
		return ""
	}
	return lri + stripControls(s) + pdi
}

// firstStrong wraps a name or an amount: its own first letter decides.
func firstStrong(s string) string {
	if s == "" {
		return ""
	}
	return fsi + stripControls(s) + pdi
}

// fill replaces each {name} of a message with its (already isolated) value.
// A placeholder without a value is left as is, so a missing value shows.
func fill(msg string, args map[string]string) string {
	if len(args) == 0 || !strings.Contains(msg, "{") {
		return msg
	}
	for k, v := range args {
		msg = strings.ReplaceAll(msg, "{"+k+"}", v)
	}
	return msg
}

// msg is a message in the session's language.
func (f *Flow) msg(key string) string { return f.p.Message(f.lang(), key) }

// msgf is a message with values.
func (f *Flow) msgf(key string, args map[string]string) string {
	return fill(f.msg(key), args)
}

// lang is the session's language, or the pack's default before a choice.
func (f *Flow) lang() string {
	if f.st.lang != "" {
		return f.st.lang
	}
	return f.p.DefaultLanguage
}

// otherLang is the pack's first language written in the other script of
// the review (Arabic for a Latin or Tifinagh session, the first Latin
// language for an Arabic one), or "" when the pack has none.
func otherLang(p *pack.Pack, lang string) string {
	cur, _ := p.Language(lang)
	for _, l := range p.Languages {
		if l.Code == lang {
			continue
		}
		if cur.Script == "Arab" && l.Script == "Latn" || cur.Script != "Arab" && l.Script == "Arab" {
			return l.Code
		}
	}
	return ""
}

// money writes an amount in a language.
func (f *Flow) money(amount int64, lang string) string {
	return firstStrong(f.p.FormatMoney(amount, lang))
}

// dateTime writes a time as the kiosk shows it: 2026-03-12 14:05, local.
func (f *Flow) dateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ltr(t.In(f.cfg.Location).Format("2006-01-02 15:04"))
}

func (f *Flow) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ltr(t.In(f.cfg.Location).Format(form.DateLayout))
}

// displayValue is a form value as the citizen reads it in lang: choices,
// courts and cities by their names; identifiers isolated left to right;
// names and free text isolated by their first letter.
func (f *Flow) displayValue(fl form.Field, v, lang string) string {
	if v == "" {
		return ""
	}
	switch fl.Type {
	case form.TypeChoice:
		for _, c := range fl.Choices {
			if c.Value == v {
				return f.p.Message(lang, c.Label)
			}
		}
	case form.TypeCourt:
		if c, ok := f.p.Court(v); ok {
			return c.Names.In(lang)
		}
	case form.TypeCity:
		if c, ok := f.p.City(v); ok {
			return c.Names.In(lang)
		}
	case form.TypeNameLatin, form.TypeNameArabic, form.TypeText:
		return firstStrong(v)
	}
	return ltr(v)
}

// keyboards are the layouts of a field type, the first shown first.
func keyboards(t form.FieldType, arabicFirst bool) []Keyboard {
	switch t {
	case form.TypeNameLatin:
		return []Keyboard{KeyboardLatin}
	case form.TypeNameArabic:
		return []Keyboard{KeyboardArabic}
	case form.TypeText:
		if arabicFirst {
			return []Keyboard{KeyboardArabic, KeyboardLatin, KeyboardDigits}
		}
		return []Keyboard{KeyboardLatin, KeyboardArabic, KeyboardDigits}
	case form.TypeDate, form.TypeYear, form.TypeNumber:
		return []Keyboard{KeyboardDigits}
	case form.TypePhone:
		return []Keyboard{KeyboardPhone}
	case form.TypeCIN, form.TypeDocumentNumber, form.TypePVNumber, form.TypeTrackingNumber:
		return []Keyboard{KeyboardCode}
	}
	return nil
}

// defaultHints are the hints of field types whose field gives none.
var defaultHints = map[form.FieldType]string{
	form.TypeDate:       "hint.date",
	form.TypeNameLatin:  "hint.name_latin",
	form.TypeNameArabic: "hint.name_arabic",
	form.TypePhone:      "hint.phone",
}
