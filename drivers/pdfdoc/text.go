package pdfdoc

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"

	"guichet/drivers/bidi"
)

// shapeUnits is the size text is shaped at: advances come out in
// thousandths of an em, and a glyph's position at size s points is
// units × s / 1000.
const shapeUnits = 1000

// glyph is one shaped glyph of a line, placed from the line's left edge.
type glyph struct {
	face *face
	gid  font.GID
	// text is the character the glyph stands for in the PDF's text layer
	// (what copy, search and screen readers get).
	text rune
	// x and y are the glyph's origin in thousandths of an em: x from the
	// line's left edge, y upwards from the baseline.
	x, y float64
}

// line is one shaped line of text, in visual order, left to right.
type line struct {
	glyphs []glyph
	width  float64 // thousandths of an em
}

// shaper shapes lines with the bundled fonts.
type shaper struct {
	hb    shaping.HarfbuzzShaper
	faces *faceSet
	lang  language.Language
	// primary is the face of the document's own script, used for
	// characters of no script (digits, punctuation) in left-to-right runs
	// when no neighbour decides.
	primary string
	cache   map[shapeKey]line
}

type shapeKey struct {
	text string
	bold bool
	rtl  bool
}

func newShaper(faces *faceSet, lang, script string) *shaper {
	primary := "Latn"
	if script == "Tfng" {
		primary = "Tfng"
	}
	return &shaper{faces: faces, lang: language.NewLanguage(lang), primary: primary, cache: map[shapeKey]line{}}
}

// shapeLine lays out one line of logical text (no line break inside) in
// the paragraph direction: bidi runs in visual order, each split by font,
// each piece shaped in its direction.
func (s *shaper) shapeLine(text string, bold, rtl bool) (line, error) {
	k := shapeKey{text, bold, rtl}
	if l, ok := s.cache[k]; ok {
		return l, nil
	}
	dir := bidi.LTR
	if rtl {
		dir = bidi.RTL
	}
	var l line
	for _, run := range bidi.VisualRuns(text, dir) {
		runes := []rune(run.Text)
		segs, err := s.segments(runes, run.RTL, bold)
		if err != nil {
			return line{}, err
		}
		if run.RTL {
			// The first piece in logical order is the rightmost.
			for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
				segs[i], segs[j] = segs[j], segs[i]
			}
		}
		for _, sg := range segs {
			l.width = s.shapeSegment(&l, runes, sg, run.RTL, l.width)
		}
	}
	s.cache[k] = l
	return l, nil
}

// segment is a stretch of a bidi run drawn with one face.
type segment struct {
	face       *face
	start, end int // rune indexes in the run
}

// segments splits a run by the face each character is drawn with: Arabic
// letters with Noto Naskh Arabic, Tifinagh with Noto Sans Tifinagh, other
// letters with Noto Sans; characters of no script (spaces, digits,
// punctuation, marks) stay with the letters around them.
func (s *shaper) segments(runes []rune, rtl, bold bool) ([]segment, error) {
	scripts := make([]string, len(runes))
	for i, r := range runes {
		scripts[i] = scriptOf(r)
	}
	// Characters of no script take the script of the previous letter,
	// then of the next one, then the run's default.
	def := s.primary
	if rtl {
		def = "Arab"
	}
	last := ""
	for i := range scripts {
		if scripts[i] != "" {
			last = scripts[i]
		} else if last != "" {
			scripts[i] = last
		}
	}
	next := def
	for i := len(scripts) - 1; i >= 0; i-- {
		if scripts[i] == "" {
			scripts[i] = next
		} else {
			next = scripts[i]
		}
	}
	var segs []segment
	for i, r := range runes {
		f := s.faces.get(scripts[i], bold)
		if !f.has(r) {
			var ok bool
			if f, ok = s.faces.fallback(r, bold); !ok {
				return nil, fmt.Errorf("pdfdoc: no bundled font has %U %q", r, r)
			}
		}
		if n := len(segs); n > 0 && segs[n-1].face == f {
			segs[n-1].end = i + 1
			continue
		}
		segs = append(segs, segment{face: f, start: i, end: i + 1})
	}
	return segs, nil
}

// scriptOf returns the face script of a letter, or "" for characters of
// no script of their own.
func scriptOf(r rune) string {
	switch {
	case unicode.Is(unicode.Arabic, r) && !unicode.Is(unicode.Mn, r) && !unicode.IsDigit(r):
		return "Arab"
	case unicode.Is(unicode.Tifinagh, r):
		return "Tfng"
	case unicode.IsLetter(r):
		return "Latn"
	}
	return ""
}

// latinFeatures turns off ligatures in Latin text, so that the PDF's text
// layer gives back every letter ("fi" stays two glyphs).
var latinFeatures = []shaping.FontFeature{
	{Tag: ot.MustNewTag("liga"), Value: 0},
	{Tag: ot.MustNewTag("clig"), Value: 0},
}

// shapeSegment shapes runes[sg.start:sg.end] (the whole run as context),
// appends the glyphs to l from x, and returns x after them.
func (s *shaper) shapeSegment(l *line, runes []rune, sg segment, rtl bool, x float64) float64 {
	in := shaping.Input{
		Text:     runes,
		RunStart: sg.start,
		RunEnd:   sg.end,
		Face:     sg.face.face,
		Size:     fixed.I(shapeUnits),
		Language: s.lang,
	}
	switch sg.face.script {
	case "Arab":
		in.Script = language.Arabic
	case "Tfng":
		in.Script = language.Tifinagh
	default:
		in.Script = language.Latin
		in.FontFeatures = latinFeatures
	}
	in.Direction = di.DirectionLTR
	if rtl {
		in.Direction = di.DirectionRTL
	}
	out := s.hb.Shape(in)
	texts := clusterTexts(out.Glyphs, runes, rtl)
	for i, g := range out.Glyphs {
		l.glyphs = append(l.glyphs, glyph{
			face: sg.face,
			gid:  g.GlyphID,
			text: texts[i],
			x:    x + fromFixed(g.XOffset),
			y:    fromFixed(g.YOffset),
		})
		x += fromFixed(g.XAdvance)
	}
	return x
}

func fromFixed(v fixed.Int26_6) float64 { return float64(v) / 64 }

// clusterTexts gives each glyph the character it stands for: in a cluster
// of k glyphs and n characters, the glyphs in logical order take the
// characters in order; a ligature of several characters (one glyph for
// lam-alef) takes the presentation form that decomposes to them, or its
// first character; a glyph beyond the cluster's characters takes U+200B.
func clusterTexts(gs []shaping.Glyph, runes []rune, rtl bool) []rune {
	out := make([]rune, len(gs))
	for i := 0; i < len(gs); {
		j := i
		for j < len(gs) && gs[j].ClusterIndex == gs[i].ClusterIndex {
			j++
		}
		idx := make([]int, 0, j-i) // glyph indexes of the cluster, logical order
		for k := i; k < j; k++ {
			idx = append(idx, k)
		}
		if rtl {
			for a, b := 0, len(idx)-1; a < b; a, b = a+1, b-1 {
				idx[a], idx[b] = idx[b], idx[a]
			}
		}
		c := gs[i].ClusterIndex
		n := gs[i].RuneCount
		if c < 0 || c+n > len(runes) {
			n = 0
		}
		chars := runes[c : c+n]
		if len(idx) == 1 && n > 1 {
			if p, ok := ligature[string(chars)]; ok {
				out[idx[0]] = p
			} else {
				out[idx[0]] = chars[0]
			}
		} else {
			for m, k := range idx {
				if m < n {
					out[k] = chars[m]
				} else {
					out[k] = '\u200b'
				}
			}
		}
		i = j
	}
	return out
}

// ligature maps the letters of the Arabic lam-alef ligatures to their
// presentation forms, which text extraction turns back into the letters.
var ligature = map[string]rune{
	"\u0644\u0622": '\uFEF5',
	"\u0644\u0623": '\uFEF7',
	"\u0644\u0625": '\uFEF9',
	"\u0644\u0627": '\uFEFB',
}

// wrap breaks logical text into lines no wider than width (thousandths of
// an em) at spaces, or inside a word longer than a line, and shapes each.
func (s *shaper) wrap(text string, bold, rtl bool, width float64) ([]line, error) {
	var out []line
	// Break at spaces only: a no-break space (French "n° 3") holds.
	words := strings.FieldsFunc(text, func(r rune) bool { return r == ' ' })
	cur := ""
	flush := func() error {
		if cur == "" {
			return nil
		}
		l, err := s.shapeLine(cur, bold, rtl)
		if err != nil {
			return err
		}
		out = append(out, l)
		cur = ""
		return nil
	}
	for _, w := range words {
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		l, err := s.shapeLine(try, bold, rtl)
		if err != nil {
			return nil, err
		}
		if l.width <= width {
			cur = try
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		// A word wider than the line is cut where it must be.
		for s.tooWide(w, bold, rtl, width) {
			cut := s.fit(w, bold, rtl, width)
			if err := s.appendLine(&out, w[:cut], bold, rtl); err != nil {
				return nil, err
			}
			w = w[cut:]
		}
		cur = w
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *shaper) appendLine(out *[]line, text string, bold, rtl bool) error {
	l, err := s.shapeLine(text, bold, rtl)
	if err != nil {
		return err
	}
	*out = append(*out, l)
	return nil
}

func (s *shaper) tooWide(w string, bold, rtl bool, width float64) bool {
	l, err := s.shapeLine(w, bold, rtl)
	return err == nil && l.width > width
}

// fit returns the longest prefix of w, in bytes and at least one
// character, that fits in width.
func (s *shaper) fit(w string, bold, rtl bool, width float64) int {
	best := 0
	for i := range w {
		if i == 0 {
			continue
		}
		if s.tooWide(w[:i], bold, rtl, width) {
			break
		}
		best = i
	}
	if best == 0 {
		for i := range w {
			if i > 0 {
				return i
			}
		}
		return len(w)
	}
	return best
}
