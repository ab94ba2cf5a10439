package bidi

import (
	"sort"

	xbidi "golang.org/x/text/unicode/bidi"
)

//go:generate go run gen_tables.go -ucd /usr/share/unicode -o tables.go

// PropertiesVersion is the Unicode version of the character properties the
// algorithm uses: Bidi_Class from golang.org/x/text/unicode/bidi, paired
// brackets and mirrored glyphs from the generated tables. Both must agree; a
// test checks that they do.
const PropertiesVersion = xbidi.UnicodeVersion

type class = xbidi.Class

// Aliases for the Bidi_Class values, as UAX #9 names them.
const (
	clL   = xbidi.L
	clR   = xbidi.R
	clAL  = xbidi.AL
	clEN  = xbidi.EN
	clES  = xbidi.ES
	clET  = xbidi.ET
	clAN  = xbidi.AN
	clCS  = xbidi.CS
	clNSM = xbidi.NSM
	clBN  = xbidi.BN
	clB   = xbidi.B
	clS   = xbidi.S
	clWS  = xbidi.WS
	clON  = xbidi.ON
	clLRE = xbidi.LRE
	clRLE = xbidi.RLE
	clLRO = xbidi.LRO
	clRLO = xbidi.RLO
	clPDF = xbidi.PDF
	clLRI = xbidi.LRI
	clRLI = xbidi.RLI
	clFSI = xbidi.FSI
	clPDI = xbidi.PDI
)

// asciiClass caches the classes of the first 128 code points, which make up
// most of a receipt line.
var asciiClass [128]class

func init() {
	for r := range asciiClass {
		p, _ := xbidi.LookupRune(rune(r))
		asciiClass[r] = p.Class()
	}
}

// classOf returns the Bidi_Class of r. Values that are not Unicode scalar
// values (surrogates, negative or too large) get the class of U+FFFD, ON.
func classOf(r rune) class {
	if r >= 0 && r < 128 {
		return asciiClass[r]
	}
	if len(classExceptions) > 0 && r >= classExceptions[0].lo {
		i := sort.Search(len(classExceptions), func(i int) bool { return classExceptions[i].hi >= r })
		if i < len(classExceptions) && classExceptions[i].lo <= r {
			return classExceptions[i].c
		}
	}
	p, _ := xbidi.LookupRune(r)
	return p.Class()
}

// classRange gives the class of the code points lo to hi.
type classRange struct {
	lo, hi rune
	c      class
}

// removedByX9 reports whether rule X9 removes characters of class c:
// embeddings, overrides, PDF and boundary neutrals.
func removedByX9(c class) bool {
	switch c {
	case clLRE, clRLE, clLRO, clRLO, clPDF, clBN:
		return true
	}
	return false
}

func isIsolateInitiator(c class) bool { return c == clLRI || c == clRLI || c == clFSI }

func isIsolateControl(c class) bool { return isIsolateInitiator(c) || c == clPDI }

// Implicit directional marks: format characters whose class is strong.
const (
	lrm  = '\u200E'
	rlm  = '\u200F'
	alm  = '\u061C'
	zwj  = '\u200D'
	zwnj = '\u200C'
)

// invisible reports whether r is a formatting character that a display never
// draws: boundary neutrals, the explicit embedding, override and isolate
// controls, and the implicit marks LRM, RLM and ALM.
func invisible(r rune, c class) bool {
	return removedByX9(c) || isIsolateControl(c) || r == lrm || r == rlm || r == alm
}

type bracketEntry struct {
	r    rune
	key  rune // the closing bracket of the pair, canonically decomposed
	open bool
}

type mirrorEntry struct{ r, m rune }

// bracketOf reports whether r is a paired bracket, whether it opens, and the
// key that an opening and its closing bracket share.
func bracketOf(r rune) (key rune, open, ok bool) {
	switch r { // fast path for ASCII
	case '(':
		return ')', true, true
	case '[':
		return ']', true, true
	case '{':
		return '}', true, true
	case ')', ']', '}':
		return r, false, true
	}
	if r < 128 {
		return 0, false, false
	}
	i := sort.Search(len(bracketTable), func(i int) bool { return bracketTable[i].r >= r })
	if i < len(bracketTable) && bracketTable[i].r == r {
		e := bracketTable[i]
		return e.key, e.open, true
	}
	return 0, false, false
}

// mirrorOf returns the Bidi_Mirroring_Glyph of r, if it has one (rule L4).
func mirrorOf(r rune) (rune, bool) {
	switch r { // fast path for ASCII
	case '(':
		return ')', true
	case ')':
		return '(', true
	case '<':
		return '>', true
	case '>':
		return '<', true
	case '[':
		return ']', true
	case ']':
		return '[', true
	case '{':
		return '}', true
	case '}':
		return '{', true
	}
	if r < 128 {
		return r, false
	}
	i := sort.Search(len(mirrorTable), func(i int) bool { return mirrorTable[i].r >= r })
	if i < len(mirrorTable) && mirrorTable[i].r == r {
		return mirrorTable[i].m, true
	}
	return r, false
}
