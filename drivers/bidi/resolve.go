package bidi

import "slices"

// maxDepth is the deepest explicit embedding level (BD2).
const maxDepth = 125

// maxBracketPairs bounds the bracket stack of BD16.
const maxBracketPairs = 63

// paragraph holds one line while its levels are resolved. Indices are into
// the line's runes; characters removed by X9 take part in no isolating run
// sequence and are given levels only at the end.
type paragraph struct {
	text      []rune
	orig      []class // Bidi_Class of each rune
	types     []class // current class, changed by X6 and the W, N and I rules
	embed     []uint8 // embedding level from the X rules
	levels    []uint8 // resolved level
	matchPDI  []int   // for an isolate initiator: its matching PDI (BD9), or -1
	matched   []bool  // for a PDI: whether it matches an isolate initiator
	paraLevel uint8
}

// resolve runs the algorithm from P2 to I2 on text, a paragraph; lineLevels
// then applies L1 to each of its lines.
func resolve(text []rune, dir Direction) *paragraph {
	n := len(text)
	classes := make([]class, 2*n)
	levels := make([]uint8, 2*n)
	p := &paragraph{
		text:     text,
		orig:     classes[:n:n],
		types:    classes[n:],
		embed:    levels[:n:n],
		levels:   levels[n:],
		matchPDI: make([]int, n),
		matched:  make([]bool, n),
	}
	for i, r := range text {
		p.orig[i] = classOf(r)
	}
	copy(p.types, p.orig)
	p.matchIsolates()

	switch dir {
	case LTR:
		p.paraLevel = 0
	case RTL:
		p.paraLevel = 1
	default: // P2, P3
		if p.firstStrong(0, false) == clR {
			p.paraLevel = 1
		}
	}

	p.explicit()
	scratch := make([]class, 2*n)
	for _, seq := range p.isolatingRunSequences() {
		p.resolveSequence(seq, scratch)
	}
	p.levelRemoved()
	return p
}

// matchIsolates pairs isolate initiators with PDIs (BD9). A paragraph
// separator ends every open isolate.
func (p *paragraph) matchIsolates() {
	var open []int
	for i, c := range p.orig {
		p.matchPDI[i] = -1
		switch {
		case isIsolateInitiator(c):
			open = append(open, i)
		case c == clPDI:
			if len(open) > 0 {
				p.matchPDI[open[len(open)-1]] = i
				p.matched[i] = true
				open = open[:len(open)-1]
			}
		case c == clB:
			open = open[:0]
		}
	}
}

// firstStrong applies P2 from index start: it returns L or R for the first
// strong character outside nested isolates, or ON when there is none. With
// inIsolate it stops at the end of the isolate that start is in (X5c);
// otherwise it scans the whole line.
func (p *paragraph) firstStrong(start int, inIsolate bool) class {
	for i := start; i < len(p.orig); i++ {
		switch c := p.orig[i]; {
		case c == clL:
			return clL
		case c == clR || c == clAL:
			return clR
		case isIsolateInitiator(c):
			if p.matchPDI[i] >= 0 {
				i = p.matchPDI[i]
				continue
			}
			// The isolate runs to the end of the paragraph.
			if inIsolate {
				return clON
			}
			for i+1 < len(p.orig) && p.orig[i+1] != clB {
				i++
			}
		case inIsolate && ((c == clPDI && p.matched[i]) || c == clB):
			return clON
		}
	}
	return clON
}

// status is an entry of the directional status stack (X1).
type status struct {
	level    uint8
	override class // ON for neutral, or L or R
	isolate  bool
}

// explicit applies X1 to X8: embedding levels and overrides.
func (p *paragraph) explicit() {
	stack := make([]status, 1, maxDepth+2)
	stack[0] = status{level: p.paraLevel, override: clON}
	var overflowIsolates, overflowEmbeddings, validIsolates int
	for i, c := range p.orig {
		top := stack[len(stack)-1]
		switch c {
		case clRLE, clLRE, clRLO, clLRO: // X2–X5
			p.embed[i] = top.level
			level := nextLevel(top.level, c == clRLE || c == clRLO)
			if level <= maxDepth && overflowIsolates == 0 && overflowEmbeddings == 0 {
				s := status{level: level, override: clON}
				switch c {
				case clRLO:
					s.override = clR
				case clLRO:
					s.override = clL
				}
				stack = append(stack, s)
			} else if overflowIsolates == 0 {
				overflowEmbeddings++
			}
		case clRLI, clLRI, clFSI: // X5a–X5c
			p.embed[i] = top.level
			if top.override != clON {
				p.types[i] = top.override
			}
			rtl := c == clRLI
			if c == clFSI {
				rtl = p.firstStrong(i+1, true) == clR
			}
			level := nextLevel(top.level, rtl)
			if level <= maxDepth && overflowIsolates == 0 && overflowEmbeddings == 0 {
				validIsolates++
				stack = append(stack, status{level: level, override: clON, isolate: true})
			} else {
				overflowIsolates++
			}
		case clPDI: // X6a
			switch {
			case overflowIsolates > 0:
				overflowIsolates--
			case validIsolates == 0:
			default:
				overflowEmbeddings = 0
				for !stack[len(stack)-1].isolate {
					stack = stack[:len(stack)-1]
				}
				stack = stack[:len(stack)-1]
				validIsolates--
			}
			top = stack[len(stack)-1]
			p.embed[i] = top.level
			if top.override != clON {
				p.types[i] = top.override
			}
		case clPDF: // X7
			p.embed[i] = top.level
			switch {
			case overflowIsolates > 0:
			case overflowEmbeddings > 0:
				overflowEmbeddings--
			case !top.isolate && len(stack) >= 2:
				stack = stack[:len(stack)-1]
			}
		case clB: // X8: a paragraph separator ends every embedding and isolate
			p.embed[i] = p.paraLevel
			stack = stack[:1]
			overflowIsolates, overflowEmbeddings, validIsolates = 0, 0, 0
		case clBN: // removed by X9
			p.embed[i] = top.level
		default: // X6
			p.embed[i] = top.level
			if top.override != clON {
				p.types[i] = top.override
			}
		}
	}
}

// nextLevel returns the least odd (rtl) or even level greater than level.
func nextLevel(level uint8, rtl bool) uint8 {
	if rtl {
		return (level + 1) | 1
	}
	return (level + 2) &^ 1
}

// isolatingRunSequence is a list of indices with one embedding level (BD13),
// and the classes of its start and end (X10).
type isolatingRunSequence struct {
	indices  []int
	level    uint8
	sos, eos class
}

// isolatingRunSequences splits the characters that X9 keeps into level runs
// (BD7) and chains the runs across isolates (BD13), computing sos and eos.
func (p *paragraph) isolatingRunSequences() []isolatingRunSequence {
	kept := make([]int, 0, len(p.orig))
	for i, c := range p.orig {
		if !removedByX9(c) {
			kept = append(kept, i)
		}
	}
	// runStart[k] is the position in kept where the level run holding kept[k]
	// starts; runOf maps an index to its run's number.
	type levelRun struct{ from, to int } // positions in kept
	runs := make([]levelRun, 0, 8)
	runOf := make([]int, len(p.orig))
	for k := 0; k < len(kept); {
		j := k + 1
		for j < len(kept) && p.embed[kept[j]] == p.embed[kept[k]] {
			j++
		}
		for _, i := range kept[k:j] {
			runOf[i] = len(runs)
		}
		runs = append(runs, levelRun{k, j})
		k = j
	}

	seqs := make([]isolatingRunSequence, 0, len(runs))
	all := make([]int, 0, len(kept)) // every sequence's indices, one after the other
	for _, run := range runs {
		if first := kept[run.from]; p.orig[first] == clPDI && p.matched[first] {
			continue // continues the sequence of its isolate initiator
		}
		start := len(all)
		from := run.from
		for r := run; ; {
			all = append(all, kept[r.from:r.to]...)
			last := kept[r.to-1]
			if !isIsolateInitiator(p.orig[last]) || p.matchPDI[last] < 0 {
				break
			}
			r = runs[runOf[p.matchPDI[last]]]
		}
		indices := all[start:len(all):len(all)]
		level := p.embed[indices[0]]
		before := p.paraLevel
		if from > 0 {
			before = p.embed[kept[from-1]]
		}
		after := p.paraLevel
		last := indices[len(indices)-1]
		if !isIsolateInitiator(p.orig[last]) {
			if k, ok := slices.BinarySearch(kept, last); ok && k+1 < len(kept) {
				after = p.embed[kept[k+1]]
			}
		}
		seqs = append(seqs, isolatingRunSequence{
			indices: indices,
			level:   level,
			sos:     directionOf(max(level, before)),
			eos:     directionOf(max(level, after)),
		})
	}
	return seqs
}

func directionOf(level uint8) class {
	if level&1 == 1 {
		return clR
	}
	return clL
}

// strong returns L or R for a class that counts as strong in N0 and N1
// (numbers count as R), and ON for the others.
func strong(c class) class {
	switch c {
	case clL:
		return clL
	case clR, clAL, clEN, clAN:
		return clR
	}
	return clON
}

func isNeutralOrIsolate(c class) bool {
	switch c {
	case clB, clS, clWS, clON, clLRI, clRLI, clFSI, clPDI:
		return true
	}
	return false
}

// resolveSequence applies W1–W7, N0–N2 and I1–I2 to one isolating run
// sequence.
// scratch holds at least twice as many classes as the sequence has indices.
func (p *paragraph) resolveSequence(seq isolatingRunSequence, scratch []class) {
	idx := seq.indices
	n := len(idx)
	t, beforeW := scratch[:n], scratch[n:2*n] // beforeW: what N0 calls original, after X6
	for j, i := range idx {
		t[j] = p.types[i]
	}
	copy(beforeW, t)

	// W1: a nonspacing mark takes the class of what it follows.
	for j := range t {
		if t[j] != clNSM {
			continue
		}
		switch {
		case j == 0:
			t[j] = seq.sos
		case isIsolateControl(p.orig[idx[j-1]]):
			t[j] = clON
		default:
			t[j] = t[j-1]
		}
	}
	// W2: European digits after Arabic letters are Arabic numbers. W3: AL is R.
	last := seq.sos
	for j, c := range t {
		switch c {
		case clL, clR, clAL:
			last = c
		case clEN:
			if last == clAL {
				t[j] = clAN
			}
		}
	}
	for j, c := range t {
		if c == clAL {
			t[j] = clR
		}
	}
	// W4: one separator between two numbers of the same kind joins them.
	for j := 1; j+1 < n; j++ {
		switch {
		case t[j] == clES && t[j-1] == clEN && t[j+1] == clEN:
			t[j] = clEN
		case t[j] == clCS && t[j-1] == clEN && t[j+1] == clEN:
			t[j] = clEN
		case t[j] == clCS && t[j-1] == clAN && t[j+1] == clAN:
			t[j] = clAN
		}
	}
	// W5: terminators next to European numbers become European numbers.
	for j := 0; j < n; {
		if t[j] != clET {
			j++
			continue
		}
		k := j
		for k < n && t[k] == clET {
			k++
		}
		if (j > 0 && t[j-1] == clEN) || (k < n && t[k] == clEN) {
			for m := j; m < k; m++ {
				t[m] = clEN
			}
		}
		j = k
	}
	// W6: other separators and terminators are neutral.
	for j, c := range t {
		if c == clES || c == clET || c == clCS {
			t[j] = clON
		}
	}
	// W7: European numbers after L are L.
	last = seq.sos
	for j, c := range t {
		switch c {
		case clL, clR:
			last = c
		case clEN:
			if last == clL {
				t[j] = clL
			}
		}
	}

	embedding := directionOf(seq.level)
	p.pairBrackets(idx, t, beforeW, seq.sos, embedding)

	// N1, N2: neutrals between two strong characters of one direction take
	// it; the others take the embedding direction.
	for j := 0; j < n; {
		if !isNeutralOrIsolate(t[j]) {
			j++
			continue
		}
		k := j
		for k < n && isNeutralOrIsolate(t[k]) {
			k++
		}
		before, after := seq.sos, seq.eos
		if j > 0 {
			before = strong(t[j-1])
		}
		if k < n {
			after = strong(t[k])
		}
		dir := embedding
		if before == after {
			dir = before
		}
		for m := j; m < k; m++ {
			t[m] = dir
		}
		j = k
	}

	// I1, I2.
	for j, i := range idx {
		level := seq.level
		switch {
		case level&1 == 0 && t[j] == clR:
			level++
		case level&1 == 0 && (t[j] == clAN || t[j] == clEN):
			level += 2
		case level&1 == 1 && (t[j] == clL || t[j] == clEN || t[j] == clAN):
			level++
		}
		p.levels[i] = level
	}
}

// pairBrackets applies N0: it finds the bracket pairs of a sequence (BD16) and
// gives both brackets of a pair the direction of what they enclose.
func (p *paragraph) pairBrackets(idx []int, t, beforeW []class, sos, embedding class) {
	type opener struct {
		key rune
		pos int
	}
	var stack []opener
	var pairs [][2]int
find:
	for j, i := range idx {
		if t[j] != clON {
			continue
		}
		key, open, ok := bracketOf(p.text[i])
		if !ok {
			continue
		}
		if open {
			if len(stack) == maxBracketPairs {
				break find
			}
			stack = append(stack, opener{key, j})
			continue
		}
		for k := len(stack) - 1; k >= 0; k-- {
			if stack[k].key == key {
				pairs = append(pairs, [2]int{stack[k].pos, j})
				stack = stack[:k]
				break
			}
		}
	}
	if len(pairs) == 0 {
		return
	}
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[0] - b[0] })

	opposite := clL
	if embedding == clL {
		opposite = clR
	}
	for _, pair := range pairs {
		open, close := pair[0], pair[1]
		var sawEmbedding, sawOpposite bool
		for _, c := range t[open+1 : close] {
			switch strong(c) {
			case embedding:
				sawEmbedding = true
			case opposite:
				sawOpposite = true
			}
		}
		var dir class
		switch {
		case sawEmbedding: // N0 b
			dir = embedding
		case sawOpposite: // N0 c
			context := sos
			for k := open - 1; k >= 0; k-- {
				if s := strong(t[k]); s != clON {
					context = s
					break
				}
			}
			dir = embedding
			if context == opposite {
				dir = opposite
			}
		default: // N0 d
			continue
		}
		for _, b := range pair {
			t[b] = dir
			// Marks that followed the bracket follow its new direction.
			for k := b + 1; k < len(t) && beforeW[k] == clNSM; k++ {
				t[k] = dir
			}
		}
	}
}

// levelRemoved gives the characters removed by X9 the level of the character
// before them (the paragraph level at the start), so that they never split a
// run when the line is reordered.
func (p *paragraph) levelRemoved() {
	for i, c := range p.orig {
		if !removedByX9(c) {
			continue
		}
		if i == 0 {
			p.levels[i] = p.paraLevel
		} else {
			p.levels[i] = p.levels[i-1]
		}
	}
}

// lineLevels applies L1 to the line text[from:to]: separators, and the
// whitespace, isolate controls and removed characters before them or at the
// end of the line, go back to the paragraph level.
func (p *paragraph) lineLevels(from, to int) {
	trailing := true
	for i := to - 1; i >= from; i-- {
		switch c := p.orig[i]; {
		case c == clS || c == clB:
			p.levels[i] = p.paraLevel
			trailing = true
		case trailing && (c == clWS || isIsolateControl(c) || removedByX9(c)):
			p.levels[i] = p.paraLevel
		default:
			trailing = false
		}
	}
}

// visualOrder applies L2: the indices of levels from left to right.
func visualOrder(levels []uint8) []int {
	order := make([]int, len(levels))
	var highest, lowestOdd uint8 = 0, maxDepth + 2
	for i, l := range levels {
		order[i] = i
		highest = max(highest, l)
		if l&1 == 1 {
			lowestOdd = min(lowestOdd, l)
		}
	}
	for level := highest; level >= lowestOdd && level > 0; level-- {
		for j := 0; j < len(order); {
			if levels[order[j]] < level {
				j++
				continue
			}
			k := j
			for k < len(order) && levels[order[k]] >= level {
				k++
			}
			slices.Reverse(order[j:k])
			j = k
		}
	}
	return order
}
