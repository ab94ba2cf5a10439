package mrz

// Layout names one of the ICAO 9303 MRZ layouts.
type Layout string

// The layouts Parse recognises, by line count × line length and, for the
// two-line ones, by the first letter of the document code (V for visas).
const (
	TD1  Layout = "TD1"  // ID-1 cards: 3 lines of 30 (ICAO 9303-5)
	TD2  Layout = "TD2"  // ID-2 cards: 2 lines of 36 (ICAO 9303-6)
	TD3  Layout = "TD3"  // passports: 2 lines of 44 (ICAO 9303-4)
	MRVA Layout = "MRVA" // full-page visas: 2 lines of 44 (ICAO 9303-7)
	MRVB Layout = "MRVB" // small visas: 2 lines of 36 (ICAO 9303-7)
)

// span is a run of characters on one MRZ line; end is exclusive. The zero
// span is "absent".
type span struct{ line, start, end int }

func (s span) present() bool { return s.end > s.start }

// layout places every field of one format.
type layout struct {
	kind         Layout
	lines, width int

	code, state, name     span
	docNumber, docCheck   span
	birth, birthCheck     span
	sex                   span
	expiry, expiryCheck   span
	nationality           span
	opt1, opt1Check, opt2 span
	composite             span
	compositeOver         []span
	longNumber            bool // the document number may spill into opt1 (TD1, TD2)
}

var (
	td1Layout = &layout{
		kind: TD1, lines: 3, width: 30,
		code: span{0, 0, 2}, state: span{0, 2, 5},
		docNumber: span{0, 5, 14}, docCheck: span{0, 14, 15},
		opt1:  span{0, 15, 30},
		birth: span{1, 0, 6}, birthCheck: span{1, 6, 7},
		sex:    span{1, 7, 8},
		expiry: span{1, 8, 14}, expiryCheck: span{1, 14, 15},
		nationality: span{1, 15, 18},
		opt2:        span{1, 18, 29},
		composite:   span{1, 29, 30},
		compositeOver: []span{
			{0, 5, 30}, {1, 0, 7}, {1, 8, 15}, {1, 18, 29},
		},
		name:       span{2, 0, 30},
		longNumber: true,
	}
	td2Layout  = twoLine(TD2, 36)
	td3Layout  = twoLine(TD3, 44)
	mrvaLayout = twoLine(MRVA, 44)
	mrvbLayout = twoLine(MRVB, 36)
)

// twoLine builds the two-line layouts, which share their first 28 positions
// of line 2 and differ in what follows.
func twoLine(kind Layout, width int) *layout {
	l := &layout{
		kind: kind, lines: 2, width: width,
		code: span{0, 0, 2}, state: span{0, 2, 5}, name: span{0, 5, width},
		docNumber: span{1, 0, 9}, docCheck: span{1, 9, 10},
		nationality: span{1, 10, 13},
		birth:       span{1, 13, 19}, birthCheck: span{1, 19, 20},
		sex:    span{1, 20, 21},
		expiry: span{1, 21, 27}, expiryCheck: span{1, 27, 28},
	}
	switch kind {
	case TD2:
		l.opt1 = span{1, 28, 35}
		l.composite = span{1, 35, 36}
		l.compositeOver = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 35}}
		l.longNumber = true
	case TD3:
		l.opt1 = span{1, 28, 42}
		l.opt1Check = span{1, 42, 43}
		l.composite = span{1, 43, 44}
		l.compositeOver = []span{{1, 0, 10}, {1, 13, 20}, {1, 21, 43}}
	default: // visas: no composite check digit
		l.opt1 = span{1, 28, width}
	}
	return l
}

// layoutOf picks the layout from the line count and lengths; nil when the
// text is not an MRZ.
func layoutOf(lines []string) *layout {
	if len(lines) < 2 || len(lines) > 3 {
		return nil
	}
	w := len(lines[0])
	if w == 0 {
		return nil
	}
	for _, l := range lines[1:] {
		if len(l) != w {
			return nil
		}
	}
	visa := lines[0][0] == 'V'
	switch {
	case len(lines) == 3 && w == 30:
		return td1Layout
	case len(lines) == 2 && w == 36 && visa:
		return mrvbLayout
	case len(lines) == 2 && w == 36:
		return td2Layout
	case len(lines) == 2 && w == 44 && visa:
		return mrvaLayout
	case len(lines) == 2 && w == 44:
		return td3Layout
	}
	return nil
}
