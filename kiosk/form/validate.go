package form

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldErrors maps a field id to the message key of what is wrong with its
// value. A nil or empty FieldErrors means the values are acceptable.
type FieldErrors map[string]string

// Error lists the errors in field order ("form: birth_date: error.date_in_future"),
// for logs and tests; the UI translates the keys instead.
func (e FieldErrors) Error() string {
	if len(e) == 0 {
		return "form: no error"
	}
	ids := make([]string, 0, len(e))
	for id := range e {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = id + ": " + e[id]
	}
	return "form: " + strings.Join(parts, "; ")
}

// DateLayout is how date values are written.
const DateLayout = "2006-01-02"

var (
	phoneRe    = regexp.MustCompile(`^\+?[0-9]{4,15}$`)
	digitsRe   = regexp.MustCompile(`^[0-9]{1,18}$`)
	yearRe     = regexp.MustCompile(`^[0-9]{4}$`)
	trackingRe = regexp.MustCompile(`^[0-9A-Z]{6,24}$`)
	cinRe      = regexp.MustCompile(`^[0-9A-Z]{1,20}$`)
	documentRe = regexp.MustCompile(`^[0-9A-Z]{1,20}$`)
	spacesRe   = regexp.MustCompile(`\s+`)
)

// Normalize returns the values as the kiosk stores and checks them: spaces
// trimmed and collapsed, identifiers upper-cased without spaces, phone
// numbers without separators ("00" becomes "+"). Values of unknown fields
// are only trimmed. The input map is not changed.
func (f Form) Normalize(values map[string]string) map[string]string {
	out := make(map[string]string, len(values))
	for id, v := range values {
		fl, ok := f.Field(id)
		if !ok {
			out[id] = strings.TrimSpace(v)
			continue
		}
		out[id] = normalize(fl.Type, v)
	}
	return out
}

func normalize(t FieldType, v string) string {
	v = strings.TrimSpace(v)
	switch t {
	case TypeCIN, TypeDocumentNumber:
		v = strings.ToUpper(strings.Map(dropSeparators(" -"), v))
	case TypeTrackingNumber:
		v = strings.ToUpper(strings.Map(dropSeparators(" -."), v))
	case TypePVNumber:
		v = strings.ToUpper(strings.Map(dropSeparators(" "), v))
	case TypePhone:
		v = strings.Map(dropSeparators(" .-()/"), v)
		if strings.HasPrefix(v, "00") {
			v = "+" + v[2:]
		}
	case TypeDate, TypeYear, TypeNumber, TypeChoice, TypeCourt, TypeCity:
		// Exact values: only trimmed.
	default:
		v = spacesRe.ReplaceAllString(v, " ")
	}
	return v
}

func dropSeparators(seps string) func(rune) rune {
	return func(r rune) rune {
		if strings.ContainsRune(seps, r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}
}

// Validate checks values (field id → value as typed or read) against the form
// at the time now, after Normalize. It returns one message key per faulty
// field, or nil. A value for a field the form does not have is reported
// under its own id as error.unknown_field: it means the UI and the pack
// disagree.
func (f Form) Validate(values map[string]string, now time.Time) FieldErrors {
	b := f.b
	if b == nil {
		b, _ = f.compile(Env{}, false)
	}
	vals := f.Normalize(values)
	errs := FieldErrors{}
	for id := range values {
		if _, ok := f.Field(id); !ok {
			errs[id] = KeyUnknownField
		}
	}
	for _, fl := range f.Fields {
		v := vals[fl.ID]
		if v == "" {
			if fl.Required || fl.RequiredWhen.holds(vals) {
				errs[fl.ID] = KeyRequired
			}
			continue
		}
		if key := b.check(fl, v, now); key != "" {
			errs[fl.ID] = key
		}
	}
	for _, g := range f.OneOf {
		filled := false
		for _, id := range g.Fields {
			if vals[id] != "" {
				filled = true
			}
		}
		if !filled {
			for _, id := range g.Fields {
				if _, ok := errs[id]; !ok {
					errs[id] = g.message()
				}
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func (c *Condition) holds(vals map[string]string) bool {
	if c == nil {
		return false
	}
	v := vals[c.Field]
	if c.Filled {
		return v != ""
	}
	return v == c.Equals
}

// check returns the message key of what is wrong with a non-empty,
// normalised value, or "".
func (b *binding) check(fl Field, v string, now time.Time) string {
	if !utf8.ValidString(v) {
		return formatKey[fl.Type]
	}
	n := utf8.RuneCountInString(v)
	if n > MaxValueLength || (fl.Rules.MaxLength > 0 && n > fl.Rules.MaxLength) {
		return KeyTooLong
	}
	if n < fl.Rules.MinLength {
		return KeyTooShort
	}
	if key := b.checkType(fl, v, now); key != "" {
		return key
	}
	if re := b.pattern[fl.ID]; re != nil && !re.MatchString(v) {
		return formatKey[fl.Type]
	}
	if _, bad := b.pattern[fl.ID]; !bad && fl.Rules.Pattern != "" {
		// The pattern did not compile (an unchecked form): refuse rather
		// than accept anything.
		return formatKey[fl.Type]
	}
	return ""
}

func (b *binding) checkType(fl Field, v string, now time.Time) string {
	r := fl.Rules
	switch fl.Type {
	case TypeText:
		for _, c := range v {
			if unicode.IsControl(c) || c == utf8.RuneError {
				return KeyFormat
			}
		}
	case TypeNameLatin:
		if !isName(v, unicode.Latin) {
			return KeyNameLatinInvalid
		}
	case TypeNameArabic:
		if !isName(v, unicode.Arabic) {
			return KeyNameArabicInvalid
		}
	case TypeDate:
		d, err := time.Parse(DateLayout, v)
		if err != nil {
			return KeyDateInvalid
		}
		y, m, day := now.Date()
		today := time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
		switch {
		case r.NotInFuture && d.After(today):
			return KeyDateInFuture
		case r.NotInPast && d.Before(today):
			return KeyDateInPast
		case r.MaxAgeYears > 0 && d.Before(today.AddDate(-r.MaxAgeYears, 0, 0)):
			return KeyDateTooOld
		}
	case TypeYear:
		if !yearRe.MatchString(v) {
			return KeyYearInvalid
		}
		y, _ := strconv.Atoi(v)
		if r.NotInFuture && y > now.Year() {
			return KeyDateInFuture
		}
		return checkRange(int64(y), r)
	case TypeNumber:
		if !digitsRe.MatchString(v) {
			return KeyNumberInvalid
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return KeyNumberInvalid
		}
		return checkRange(x, r)
	case TypePhone:
		if !phoneRe.MatchString(v) {
			return KeyPhoneInvalid
		}
	case TypeChoice, TypeCourt, TypeCity:
		if allowed, ok := b.allowed[fl.ID]; ok {
			if !allowed[v] {
				return formatKey[fl.Type]
			}
		} else if !listIDRe.MatchString(v) {
			return formatKey[fl.Type]
		}
	case TypePVNumber:
		// Its pattern (required by Bind) is the whole check.
	case TypeTrackingNumber:
		if !trackingRe.MatchString(v) {
			return KeyTrackingInvalid
		}
	case TypeCIN:
		if !cinRe.MatchString(v) || (b.cin != nil && !b.cin.MatchString(v)) {
			return KeyCINInvalid
		}
	case TypeDocumentNumber:
		if !documentRe.MatchString(v) {
			return KeyDocumentNumberInvalid
		}
	default:
		return KeyFormat
	}
	return ""
}

func checkRange(x int64, r Rules) string {
	if r.Min != nil && x < *r.Min {
		return KeyNumberTooSmall
	}
	if r.Max != nil && x > *r.Max {
		return KeyNumberTooLarge
	}
	return ""
}

// isName reports whether v is a name in the given script: letters of that
// script (with their combining marks), words separated by one space, hyphen
// or apostrophe.
func isName(v string, script *unicode.RangeTable) bool {
	prevSep := true // no separator first
	letters := 0
	for _, c := range v {
		switch {
		case unicode.IsMark(c):
			if prevSep {
				return false
			}
		case unicode.IsLetter(c) && unicode.Is(script, c):
			letters++
			prevSep = false
		case c == ' ' || c == '-' || c == '\'' || c == '’':
			if prevSep {
				return false
			}
			prevSep = true
		default:
			return false
		}
	}
	return letters > 0 && !prevSep
}
