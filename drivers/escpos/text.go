package escpos

import (
	"bytes"
	"fmt"
	"image"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"

	"guichet/drivers/bidi"
	"guichet/drivers/fonts"
)

// Text sizes in pixels (dots) per em at normal size, chosen so that each
// script's body matches the printer's 24-dot font A: Naskh's letters sit
// low in a tall em, so Arabic is set larger.
var emSize = map[language.Script]int{
	language.Latin:    24,
	language.Arabic:   28,
	language.Tifinagh: 24,
}

// inkThreshold is the coverage from which an anti-aliased dot prints black.
const inkThreshold = 0x70

// shaper shapes and rasterises lines of text with the bundled fonts. A
// go-text Face is not safe for concurrent use: every method takes mu.
type shaper struct {
	mu    sync.Mutex
	faces map[faceKey]*font.Face
	hb    shaping.HarfbuzzShaper
}

type faceKey struct {
	script language.Script
	bold   bool
}

var scriptCodes = map[language.Script]string{language.Latin: "Latn", language.Arabic: "Arab", language.Tifinagh: "Tfng"}

func newShaper() (*shaper, error) {
	s := &shaper{faces: map[faceKey]*font.Face{}}
	for script, code := range scriptCodes {
		for _, bold := range []bool{false, true} {
			f := fonts.For(code, bold)
			face, err := font.ParseTTF(bytes.NewReader(f.Data))
			if err != nil {
				return nil, fmt.Errorf("escpos: font %s: %w", f.Name, err)
			}
			s.faces[faceKey{script, bold}] = face
		}
	}
	return s, nil
}

// style is how a line of text is set.
type style struct {
	bold  bool
	scale int // 1 normal, 2 large
}

// segment is a stretch of a bidi run set in one face.
type segment struct {
	out       shaping.Output
	fakeBold  bool // the face has no bold cut: draw twice, a dot apart
	ascent    fixed.Int26_6
	descent   fixed.Int26_6 // positive, below the baseline
	advanceX  fixed.Int26_6
	scriptTag language.Script
}

// shapedLine is one line shaped, its segments in visual order, left to right.
type shapedLine struct {
	segs            []segment
	width           fixed.Int26_6
	ascent, descent fixed.Int26_6
}

// Width returns the line's advance width in whole dots.
func (l shapedLine) Width() int { return l.width.Ceil() }

// scriptOf returns the script whose font draws r, or 0 for characters
// every font may draw (digits, punctuation, spaces).
func scriptOf(r rune) language.Script {
	switch {
	case unicode.Is(unicode.Arabic, r):
		return language.Arabic
	case unicode.Is(unicode.Tifinagh, r):
		return language.Tifinagh
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return language.Latin
	}
	return 0
}

// shape orders text with the Unicode bidirectional algorithm (its
// paragraph direction dir), splits each visual run by the font that draws
// each character, and shapes every piece in its direction.
func (s *shaper) shape(text string, dir bidi.Direction, st style) shapedLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	var line shapedLine
	for _, run := range bidi.VisualRuns(text, dir) {
		runes := []rune(run.Text)
		if len(runes) == 0 {
			continue
		}
		// Assign each rune a script: its own, or for common characters
		// the one before them (the one after at the start of the run).
		scripts := make([]language.Script, len(runes))
		var last language.Script
		for i, r := range runes {
			if sc := scriptOf(r); sc != 0 {
				last = sc
			}
			scripts[i] = last
		}
		for i := len(runes) - 1; i >= 0; i-- {
			if scripts[i] == 0 {
				scripts[i] = last
			} else {
				last = scripts[i]
			}
		}
		for i := range scripts {
			if scripts[i] == 0 {
				scripts[i] = language.Latin
			}
			// A character the chosen font lacks falls back to Latin.
			if _, ok := s.faces[faceKey{scripts[i], false}].NominalGlyph(runes[i]); !ok {
				scripts[i] = language.Latin
			}
		}
		var segs []segment
		for start := 0; start < len(runes); {
			end := start + 1
			for end < len(runes) && scripts[end] == scripts[start] {
				end++
			}
			segs = append(segs, s.shapeSegment(runes, start, end, scripts[start], run.RTL, st))
			start = end
		}
		if run.RTL {
			for i, j := 0, len(segs)-1; i < j; i, j = i+1, j-1 {
				segs[i], segs[j] = segs[j], segs[i]
			}
		}
		for _, sg := range segs {
			line.segs = append(line.segs, sg)
			line.width += sg.advanceX
			line.ascent = max(line.ascent, sg.ascent)
			line.descent = max(line.descent, sg.descent)
		}
	}
	if line.ascent == 0 {
		// An empty line keeps the height of a Latin one.
		sz := fixed.I(emSize[language.Latin] * st.scale)
		line.ascent, line.descent = extents(s.faces[faceKey{language.Latin, false}], sz)
	}
	return line
}

func (s *shaper) shapeSegment(runes []rune, start, end int, script language.Script, rtl bool, st style) segment {
	face, ok := s.faces[faceKey{script, st.bold}]
	fake := false
	if st.bold && fonts.For(scriptCodes[script], true).Name == fonts.For(scriptCodes[script], false).Name {
		fake = true
	}
	if !ok {
		face = s.faces[faceKey{language.Latin, st.bold}]
	}
	size := fixed.I(emSize[script] * st.scale)
	direction := di.DirectionLTR
	if rtl {
		direction = di.DirectionRTL
	}
	out := s.hb.Shape(shaping.Input{
		Text: runes, RunStart: start, RunEnd: end,
		Direction: direction, Face: face, Size: size, Script: script,
		Language: language.NewLanguage(langOf[script]),
	})
	asc, desc := extents(face, size)
	adv := out.Advance
	if fake {
		adv += fixed.I(1)
	}
	return segment{out: out, fakeBold: fake, ascent: asc, descent: desc, advanceX: adv, scriptTag: script}
}

var langOf = map[language.Script]string{language.Latin: "fr", language.Arabic: "ar", language.Tifinagh: "zgh"}

// extents returns a face's typographic ascent and descent at size.
func extents(face *font.Face, size fixed.Int26_6) (ascent, descent fixed.Int26_6) {
	e, ok := face.FontHExtents()
	if !ok {
		return size, size / 4
	}
	scale := float32(size) / float32(face.Upem())
	return fixed.Int26_6(e.Ascender * scale), fixed.Int26_6(-e.Descender * scale)
}

// draw rasterises line onto a coverage mask with its left end at x and its
// baseline at y.
func (s *shaper) draw(line shapedLine, dst *image.Alpha, x, y int) {
	s.drawScaled(line, dst, x, y, 1)
}

// drawScaled draws line squeezed horizontally by sx (≤ 1).
func (s *shaper) drawScaled(line shapedLine, dst *image.Alpha, x, y int, sx float32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := dst.Bounds()
	z := vector.NewRasterizer(b.Dx(), b.Dy())
	pen := fixed.I(x)
	for _, sg := range line.segs {
		passes := []float32{0}
		if sg.fakeBold {
			passes = []float32{0, 1}
		}
		scale := float32(sg.out.Size) / 64 / float32(sg.out.Face.Upem())
		for _, dx := range passes {
			gx := pen
			for _, g := range sg.out.Glyphs {
				ox := float32(x) + (float32(gx+g.XOffset)/64-float32(x))*sx + dx
				oy := float32(y) - float32(g.YOffset)/64
				if outline, ok := sg.out.Face.GlyphData(g.GlyphID).(font.GlyphOutline); ok {
					addOutline(z, outline, scale*sx, scale, ox, oy)
				}
				gx += g.XAdvance
			}
		}
		pen += sg.advanceX
	}
	z.Draw(dst, b, image.Opaque, image.Point{})
}

func addOutline(z *vector.Rasterizer, o font.GlyphOutline, scaleX, scaleY, x, y float32) {
	open := false
	for _, sg := range o.Segments {
		p := func(i int) (float32, float32) {
			return x + sg.Args[i].X*scaleX, y - sg.Args[i].Y*scaleY
		}
		switch sg.Op {
		case ot.SegmentOpMoveTo:
			if open {
				z.ClosePath()
			}
			z.MoveTo(p(0))
			open = true
		case ot.SegmentOpLineTo:
			z.LineTo(p(0))
		case ot.SegmentOpQuadTo:
			x1, y1 := p(0)
			x2, y2 := p(1)
			z.QuadTo(x1, y1, x2, y2)
		case ot.SegmentOpCubeTo:
			x1, y1 := p(0)
			x2, y2 := p(1)
			x3, y3 := p(2)
			z.CubeTo(x1, y1, x2, y2, x3, y3)
		}
	}
	if open {
		z.ClosePath()
	}
}

// threshold turns a coverage mask into black dots on bm, at (x, y).
func threshold(mask *image.Alpha, bm *Bitmap, x, y int) {
	b := mask.Bounds()
	for my := b.Min.Y; my < b.Max.Y; my++ {
		row := mask.Pix[(my-b.Min.Y)*mask.Stride:]
		for mx := b.Min.X; mx < b.Max.X; mx++ {
			if row[mx-b.Min.X] >= inkThreshold {
				bm.Set(x+mx, y+my)
			}
		}
	}
}
