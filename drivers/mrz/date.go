package mrz

import (
	"strconv"
	"time"
)

// Date is an MRZ date (YYMMDD) with its century resolved. A part the
// document leaves unknown (printed as << in the MRZ) is 0.
type Date struct {
	Year  int // four digits, 0 when unknown
	Month int // 1–12, 0 when unknown
	Day   int // 1–31, 0 when unknown
	// Raw is the six characters as read from the MRZ.
	Raw string
	// Unreadable is set when Raw is not a date at all (a character other than
	// a digit or <, a half-unknown part such as "1<", month 13, 30 February);
	// MRZ.Errors then says why. Year, Month and Day are 0.
	Unreadable bool
}

// Complete reports whether the year, month and day are all known.
func (d Date) Complete() bool {
	return !d.Unreadable && d.Year != 0 && d.Month != 0 && d.Day != 0
}

// Time returns midnight UTC of a complete date, or the zero time.
func (d Date) Time() time.Time {
	if !d.Complete() {
		return time.Time{}
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
}

// String renders YYYY-MM-DD with unknown parts as XXXX, XX and XX (for
// example "1974-XX-XX"), and "" for an unreadable date.
func (d Date) String() string {
	if d.Unreadable {
		return ""
	}
	b := make([]byte, 0, 10)
	b = appendPart(b, d.Year, 4)
	b = append(b, '-')
	b = appendPart(b, d.Month, 2)
	b = append(b, '-')
	b = appendPart(b, d.Day, 2)
	return string(b)
}

func appendPart(b []byte, v, width int) []byte {
	if v == 0 {
		for range width {
			b = append(b, 'X')
		}
		return b
	}
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// yymmdd renders the date the way the MRZ prints it.
func (d Date) yymmdd() string {
	b := make([]byte, 0, 6)
	for i, v := range [3]int{d.Year, d.Month, d.Day} {
		if v == 0 {
			b = append(b, '<', '<')
			continue
		}
		if i == 0 {
			v %= 100
		}
		b = append(b, byte('0'+v/10), byte('0'+v%10))
	}
	return string(b)
}

// dateKind selects how a two-digit year gets its century.
type dateKind int

const (
	birthDate  dateKind = iota // never after today
	expiryDate                 // within [today-50y, today+49y], by year
)

// expiryYearsBack is how many years before the current one a two-digit
// expiry year may fall; the window is 100 years wide, so every YY maps to
// exactly one year. With 50, in 2026 an expiry "12" is 2012 and "75" is 2075.
const expiryYearsBack = 50

// parseDate reads six MRZ characters. code is "" or CodeBadChar/CodeBadDate.
func parseDate(raw string, kind dateKind, now time.Time) (Date, Code) {
	d := Date{Raw: raw}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c != '<' && (c < '0' || c > '9') {
			d.Unreadable = true
			return d, CodeBadChar
		}
	}
	var part [3]int // YY, MM, DD; -1 when unknown
	for i := range part {
		a, b := raw[2*i], raw[2*i+1]
		switch {
		case a == '<' && b == '<':
			part[i] = -1
		case a == '<' || b == '<':
			d.Unreadable = true
			return d, CodeBadDate
		default:
			part[i] = int(a-'0')*10 + int(b-'0')
		}
	}
	yy, mm, dd := part[0], part[1], part[2]
	if mm == 0 || mm > 12 || dd == 0 || dd > 31 {
		d.Unreadable = true
		return d, CodeBadDate
	}
	year := 0
	if yy >= 0 {
		year = resolveYear(yy, mm, dd, kind, now)
	}
	if mm > 0 && dd > 0 && dd > daysIn(mm, year) {
		d.Unreadable = true
		return d, CodeBadDate
	}
	d.Year = year
	d.Month = max(mm, 0)
	d.Day = max(dd, 0)
	return d, ""
}

// resolveYear gives a two-digit year its century. mm and dd are -1 when
// unknown.
func resolveYear(yy, mm, dd int, kind dateKind, now time.Time) int {
	ny, nm, nd := now.Date()
	if kind == expiryDate {
		low := ny - expiryYearsBack
		return low + ((yy-low%100)%100+100)%100
	}
	year := ny/100*100 + yy
	// The earliest day the date can stand for must not be after today.
	m, d := max(mm, 1), max(dd, 1)
	if year > ny || year == ny && (m > int(nm) || m == int(nm) && d > nd) {
		year -= 100
	}
	return year
}

// daysIn is the length of month m; with an unknown year (0) February has 29.
func daysIn(m, year int) int {
	switch m {
	case 2:
		if year == 0 || year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
