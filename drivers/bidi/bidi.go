package bidi

import (
	"fmt"
	"strconv"
	"strings"
)

// Direction is the base direction of a line.
type Direction uint8

const (
	// Auto takes the direction of the first strong character outside
	// isolates (rules P2 and P3), left to right when there is none.
	Auto Direction = iota
	// LTR lays the line out left to right, as in French or Tamazight.
	LTR
	// RTL lays the line out right to left, as in Arabic.
	RTL
)

func (d Direction) String() string {
	switch d {
	case Auto:
		return "auto"
	case LTR:
		return "ltr"
	case RTL:
		return "rtl"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// Levels resolves the embedding level of every rune of one line (rules P2
// to L1: the line is its own paragraph). An odd level runs right to left.
// paraLevel is 0 for a left-to-right line and 1 for a right-to-left one.
//
// Runes that rule X9 removes (boundary neutrals such as U+200B, and the
// embedding and override controls U+202A–U+202E) have no level of their
// own; they get the level of the rune before them, or paraLevel when they
// start the line or end it, so that reordering by these levels never
// separates what surrounds them.
func Levels(text []rune, dir Direction) (levels []uint8, paraLevel uint8) {
	p := resolve(text, dir)
	p.lineLevels(0, len(text))
	return p.levels, p.paraLevel
}

// Visual returns text as it appears on a line, from left to right: reordered
// (rule L2), with the mirrored form of brackets and other mirrored
// characters in right-to-left runs (L4), and without the characters a
// display never draws (boundary neutrals such as U+200B and U+200D, the
// embedding, override and isolate controls, and the marks LRM, RLM and
// ALM). It does no shaping: Arabic letters come out in their nominal forms.
// Invalid UTF-8 bytes become U+FFFD.
func Visual(text string, dir Direction) string {
	runes := []rune(text)
	p := resolve(runes, dir)
	p.lineLevels(0, len(runes))
	var b strings.Builder
	b.Grow(len(text))
	for _, i := range visualOrder(p.levels) {
		r := runes[i]
		if invisible(r, p.orig[i]) {
			continue
		}
		if p.levels[i]&1 == 1 {
			r, _ = mirrorOf(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Run is a stretch of a line with one level, ready to be shaped.
type Run struct {
	// Text is the run in logical order, without the characters Visual
	// drops except the joiners U+200C and U+200D, which shaping needs. It is
	// not mirrored: a shaper given the RTL direction mirrors brackets
	// itself (HarfBuzz and go-text/typesetting do).
	Text string
	// RTL reports whether the run reads right to left (its level is odd).
	RTL bool
	// Level is the run's resolved embedding level.
	Level uint8
	// Start and End are the byte offsets in the line of the run's first
	// character and just past its last one, in logical order; the line's
	// [Start:End] may hold controls that Text leaves out.
	Start, End int
}

// VisualRuns splits a line into runs of one level and returns them in
// visual order, from left to right. A renderer shapes each run's Text in
// its direction and places the runs one after the other from the left.
// Concatenating the runs' texts, each reversed and mirrored when RTL and
// without joiners, gives Visual(text, dir).
func VisualRuns(text string, dir Direction) []Run {
	runes, offsets := decode(text)
	p := resolve(runes, dir)
	p.lineLevels(0, len(runes))
	return p.runs(offsets, 0, len(runes))
}

// VisualLines is VisualRuns for a paragraph that a renderer has broken into
// lines: lineEnds are the byte offsets in text where each line ends, in
// ascending order (a final len(text) may be left out). It returns the runs
// of each line in visual order.
//
// Levels are resolved once over the whole paragraph, so that a wrapped
// Arabic line that starts with a Latin word stays right to left and digits
// keep the context of the line before; trailing whitespace is reset (L1)
// and runs reordered (L2) line by line. A line break inside a character
// (not on a UTF-8 boundary) ends the line after that character.
func VisualLines(text string, dir Direction, lineEnds []int) ([][]Run, error) {
	prev := 0
	for _, end := range lineEnds {
		if end < prev || end > len(text) {
			return nil, fmt.Errorf("bidi: line ends %v: %d is out of order or past the text's %d bytes", lineEnds, end, len(text))
		}
		prev = end
	}
	if len(lineEnds) == 0 || lineEnds[len(lineEnds)-1] != len(text) {
		lineEnds = append(lineEnds[:len(lineEnds):len(lineEnds)], len(text))
	}
	runes, offsets := decode(text)
	p := resolve(runes, dir)
	lines := make([][]Run, 0, len(lineEnds))
	from := 0
	for _, end := range lineEnds {
		to := from
		for to < len(runes) && offsets[to] < end {
			to++
		}
		p.lineLevels(from, to)
		lines = append(lines, p.runs(offsets, from, to))
		from = to
	}
	return lines, nil
}

// decode returns the runes of text and the byte offset of each, followed by
// len(text).
func decode(text string) (runes []rune, offsets []int) {
	runes = make([]rune, 0, len(text))
	offsets = make([]int, 0, len(text)+1)
	for i, r := range text {
		runes = append(runes, r)
		offsets = append(offsets, i)
	}
	return runes, append(offsets, len(text))
}

// runs splits the line of runes from to to (after L1) into runs in visual
// order.
func (p *paragraph) runs(offsets []int, from, to int) []Run {
	// rank numbers the characters a run keeps, in logical order, so that
	// runs break wherever a dropped control stood between two characters
	// that reordering has separated.
	rank := make([]int, to-from)
	n := 0
	for i := range rank {
		rank[i] = -1
		if keptInRun(p.text[from+i], p.orig[from+i]) {
			rank[i] = n
			n++
		}
	}
	levels := p.levels[from:to]
	var (
		runs    []Run
		current []int // indices (from from) of the run being built, in visual order
	)
	flush := func() {
		if len(current) == 0 {
			return
		}
		first, last := current[0], current[len(current)-1]
		if first > last {
			first, last = last, first
		}
		var b strings.Builder
		for i := first; i <= last; i++ {
			if rank[i] >= 0 {
				b.WriteRune(p.text[from+i])
			}
		}
		level := levels[first]
		runs = append(runs, Run{
			Text:  b.String(),
			RTL:   level&1 == 1,
			Level: level,
			Start: offsets[from+first],
			End:   offsets[from+last+1],
		})
		current = current[:0]
	}
	for _, i := range visualOrder(levels) {
		if rank[i] < 0 {
			continue
		}
		if len(current) > 0 {
			prev := current[len(current)-1]
			step := 1
			if levels[prev]&1 == 1 {
				step = -1
			}
			if levels[prev] != levels[i] || rank[i] != rank[prev]+step {
				flush()
			}
		}
		current = append(current, i)
	}
	flush()
	return runs
}

// keptInRun reports whether a run's Text keeps r: everything Visual shows,
// and the joiners.
func keptInRun(r rune, c class) bool {
	return !invisible(r, c) || r == zwj || r == zwnj
}
