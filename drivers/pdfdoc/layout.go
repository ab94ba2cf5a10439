package pdfdoc

import (
	"fmt"
	"strconv"

	"github.com/skip2/go-qrcode"

	"guichet/kiosk/extract"
)

// The page: A4 portrait in points, 20 mm side margins.
const (
	pageW      = 595.28
	pageH      = 841.89
	marginX    = 56.69
	marginTop  = 48.0
	footerTop  = pageH - 52.0 // the footer's rule
	contentW   = pageW - 2*marginX
	contentEnd = footerTop - 12.0 // the body stops here
)

// Grays, 0 black to 1 white.
const (
	ink   = 0.0
	muted = 0.33
	rule  = 0.55
	shade = 0.92
)

// op is one drawing operation of a page, in points from the top left.
type op interface{ isOp() }

// textOp draws a shaped line with its left edge at x and its baseline at y.
type textOp struct {
	line       line
	x, y, size float64
	gray       float64
}

// rectOp fills (or strokes) a rectangle whose top left corner is x, y.
type rectOp struct {
	x, y, w, h float64
	gray       float64
	stroke     float64 // line width; 0 fills
}

// lineOp strokes a straight line.
type lineOp struct {
	x1, y1, x2, y2 float64
	width, gray    float64
}

func (textOp) isOp() {}
func (rectOp) isOp() {}
func (lineOp) isOp() {}

type page struct{ ops []op }

// style is how a paragraph is set.
type style struct {
	size  float64
	bold  bool
	gray  float64
	align align
}

type align int

const (
	start  align = iota // the side the language starts from
	center              // centred
	end                 // the other side
)

// unit is a piece of a page that is never split: its height and how to
// draw it with its top at y.
type unit struct {
	height   float64
	keepNext bool // a heading: goes to the next page with what follows
	draw     func(p *page, y float64)
}

// layouter turns a Document's blocks into pages.
type layouter struct {
	doc   *extract.Document
	s     *shaper
	asc   float64 // ascent and descent of a line, in em
	desc  float64
	units []unit
}

func newLayouter(doc *extract.Document, s *shaper) *layouter {
	l := &layouter{doc: doc, s: s, asc: 0.95, desc: 0.32}
	if doc.Script == "Arab" {
		l.desc = 0.6 // Naskh descends far below the baseline
	}
	return l
}

func (l *layouter) lineHeight(size float64) float64 { return (l.asc + l.desc) * size }

// para is a laid-out paragraph: its lines and how to draw them in a box.
type para struct {
	lines []line
	st    style
	lh    float64
}

func (l *layouter) para(text string, st style, width float64) (para, error) {
	lines, err := l.s.wrap(text, st.bold, l.doc.RTL, width*shapeUnits/st.size)
	if err != nil {
		return para{}, err
	}
	return para{lines: lines, st: st, lh: l.lineHeight(st.size)}, nil
}

func (p para) height() float64 { return float64(len(p.lines)) * p.lh }

// draw places the paragraph in the box [x, x+w] from top y.
func (l *layouter) drawPara(pg *page, p para, x, w, y float64) {
	for i, ln := range p.lines {
		lw := ln.width * p.st.size / shapeUnits
		lx := x
		switch {
		case p.st.align == center:
			lx = x + (w-lw)/2
		case (p.st.align == start) == l.doc.RTL:
			lx = x + w - lw
		}
		pg.ops = append(pg.ops, textOp{line: ln, x: lx, y: y + float64(i)*p.lh + l.asc*p.st.size, size: p.st.size, gray: p.st.gray})
	}
}

// col returns the x of a column of width w that starts at offset from the
// start side of the content box.
func (l *layouter) col(offset, w float64) float64 {
	if l.doc.RTL {
		return marginX + contentW - offset - w
	}
	return marginX + offset
}

func (l *layouter) add(u unit) { l.units = append(l.units, u) }

func (l *layouter) space(h float64) { l.add(unit{height: h, draw: func(*page, float64) {}}) }

// text adds a paragraph across the content width.
func (l *layouter) text(s string, st style) error {
	p, err := l.para(s, st, contentW)
	if err != nil {
		return err
	}
	l.add(unit{height: p.height(), draw: func(pg *page, y float64) { l.drawPara(pg, p, marginX, contentW, y) }})
	return nil
}

func (l *layouter) hrule(gray, width, gap float64) {
	l.add(unit{height: gap, draw: func(pg *page, y float64) {
		pg.ops = append(pg.ops, lineOp{marginX, y + gap/2, marginX + contentW, y + gap/2, width, gray})
	}})
}

// blocks lays out every block of the document into units.
func (l *layouter) blocks() error {
	for _, b := range l.doc.Blocks {
		var err error
		switch b := b.(type) {
		case extract.Header:
			err = l.header(b)
		case extract.Title:
			err = l.title(b)
		case extract.Section:
			err = l.section(b)
		case extract.Fields:
			err = l.fields(b)
		case extract.Table:
			err = l.table(b)
		case extract.Statement:
			err = l.statement(b)
		case extract.Signatures:
			err = l.signatures(b)
		case extract.Verification:
			err = l.verification(b)
		default:
			err = fmt.Errorf("pdfdoc: unknown block %T", b)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (l *layouter) header(h extract.Header) error {
	for i, s := range h.Lines {
		st := style{size: 10.5, bold: i != 1, align: center}
		if i == 0 {
			st.size = 11.5
		}
		if err := l.text(s, st); err != nil {
			return err
		}
	}
	l.space(4)
	return nil
}

func (l *layouter) title(t extract.Title) error {
	l.hrule(ink, 1.2, 14)
	if err := l.text(t.Text, style{size: 17, bold: true, align: center}); err != nil {
		return err
	}
	if err := l.text(t.Subtitle, style{size: 12.5, bold: true, align: center, gray: muted}); err != nil {
		return err
	}
	l.hrule(ink, 1.2, 14)
	l.space(4)
	return nil
}

func (l *layouter) section(s extract.Section) error {
	p, err := l.para(s.Text, style{size: 11.5, bold: true}, contentW)
	if err != nil {
		return err
	}
	const before, after = 12, 6
	l.add(unit{height: before + p.height() + after, keepNext: true, draw: func(pg *page, y float64) {
		l.drawPara(pg, p, marginX, contentW, y+before)
		ry := y + before + p.height() + 1.5
		pg.ops = append(pg.ops, lineOp{marginX, ry, marginX + contentW, ry, 0.6, rule})
	}})
	return nil
}

func (l *layouter) fields(f extract.Fields) error {
	const labelW, gap = contentW * 0.36, 10.0
	valueW := contentW - labelW - gap
	for _, r := range f.Rows {
		lp, err := l.para(r.Label, style{size: 10, gray: muted}, labelW)
		if err != nil {
			return err
		}
		vp, err := l.para(r.Value, style{size: 10.5, bold: true}, valueW)
		if err != nil {
			return err
		}
		h := max(lp.height(), vp.height()) + 2
		l.add(unit{height: h, draw: func(pg *page, y float64) {
			// Label and value share the first baseline.
			l.drawPara(pg, lp, l.col(0, labelW), labelW, y+l.asc*(vp.st.size-lp.st.size))
			l.drawPara(pg, vp, l.col(labelW+gap, valueW), valueW, y)
		}})
	}
	return nil
}

func (l *layouter) statement(s extract.Statement) error {
	p, err := l.para(s.Text, style{size: 15, bold: true, align: center}, contentW-24)
	if err != nil {
		return err
	}
	const pad = 9
	h := p.height() + 2*pad
	l.add(unit{height: h + 8, draw: func(pg *page, y float64) {
		y += 4
		pg.ops = append(pg.ops, rectOp{x: marginX, y: y, w: contentW, h: h, gray: shade})
		l.drawPara(pg, p, marginX+12, contentW-24, y+pad)
	}})
	return nil
}

// table lays the convictions out in columns; the header row repeats on a
// new page only through keepNext on the header (a long list of
// convictions is rare on a bulletin n°3).
func (l *layouter) table(t extract.Table) error {
	weights := []float64{0.17, 0.27, 0.30, 0.26}
	if len(t.Columns) != len(weights) {
		weights = make([]float64, len(t.Columns))
		for i := range weights {
			weights[i] = 1 / float64(len(t.Columns))
		}
	}
	const pad = 4.0
	row := func(cells []string, st style, fill bool, keep bool) error {
		ps := make([]para, len(cells))
		h := 0.0
		for i, c := range cells {
			w := contentW*weights[i] - 2*pad
			p, err := l.para(c, st, w)
			if err != nil {
				return err
			}
			ps[i] = p
			h = max(h, p.height())
		}
		h += 2 * pad
		l.add(unit{height: h, keepNext: keep, draw: func(pg *page, y float64) {
			off := 0.0
			for i, p := range ps {
				w := contentW * weights[i]
				x := l.col(off, w)
				if fill {
					pg.ops = append(pg.ops, rectOp{x: x, y: y, w: w, h: h, gray: shade})
				}
				pg.ops = append(pg.ops, rectOp{x: x, y: y, w: w, h: h, gray: rule, stroke: 0.5})
				l.drawPara(pg, p, x+pad, w-2*pad, y+pad)
				off += w
			}
		}})
		return nil
	}
	if err := row(t.Columns, style{size: 9.5, bold: true}, true, true); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if len(r) != len(t.Columns) {
			return fmt.Errorf("pdfdoc: table row of %d cells under %d columns", len(r), len(t.Columns))
		}
		if err := row(r, style{size: 9.5}, false, false); err != nil {
			return err
		}
	}
	return nil
}

func (l *layouter) signatures(s extract.Signatures) error {
	n := len(s.Signers)
	if n == 0 {
		return nil
	}
	const gap, pad = 16.0, 8.0
	w := (contentW - gap*float64(n-1)) / float64(n)
	type block struct{ ps []para }
	blocks := make([]block, n)
	h := 0.0
	for i, sg := range s.Signers {
		var b block
		add := func(text string, st style) error {
			p, err := l.para(text, st, w-2*pad)
			b.ps = append(b.ps, p)
			return err
		}
		if err := add(sg.Title, style{size: 10.5, bold: true, align: center}); err != nil {
			return err
		}
		if err := add(sg.Name, style{size: 10.5, align: center}); err != nil {
			return err
		}
		for _, ln := range sg.Lines {
			if err := add(ln, style{size: 8, gray: muted, align: center}); err != nil {
				return err
			}
		}
		bh := 2 * pad
		for j, p := range b.ps {
			bh += p.height()
			if j == 1 {
				bh += 6
			}
		}
		h = max(h, bh)
		blocks[i] = b
	}
	l.add(unit{height: h + 6, draw: func(pg *page, y float64) {
		y += 6
		for i, b := range blocks {
			x := l.col(float64(i)*(w+gap), w)
			pg.ops = append(pg.ops, rectOp{x: x, y: y, w: w, h: h, gray: rule, stroke: 0.6})
			yy := y + pad
			for j, p := range b.ps {
				l.drawPara(pg, p, x+pad, w-2*pad, yy)
				yy += p.height()
				if j == 1 {
					yy += 6
				}
			}
		}
	}})
	return nil
}

// qrSize is the verification QR code's side in points (32 mm): at 600 dpi
// a version 4 code's module is 0.97 mm, far above what phone cameras and
// the kiosk's own reader need.
const qrSize = 92.0

func (l *layouter) verification(v extract.Verification) error {
	q, err := qrcode.New(v.Payload, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("pdfdoc: verification QR code: %w", err)
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	const gap = 14.0
	textW := contentW - qrSize - gap
	var ps []para
	th := 0.0
	for i, s := range v.Lines {
		st := style{size: 9}
		if i > 0 {
			st = style{size: 8.5, gray: muted}
		}
		p, err := l.para(s, st, textW)
		if err != nil {
			return err
		}
		ps = append(ps, p)
		th += p.height() + 3
	}
	h := max(qrSize, th)
	l.add(unit{height: h + 16, draw: func(pg *page, y float64) {
		y += 16
		qx := l.col(0, qrSize)
		drawQR(pg, bm, qx, y, qrSize)
		tx := l.col(qrSize+gap, textW)
		ty := y + (qrSize-th)/2
		for _, p := range ps {
			l.drawPara(pg, p, tx, textW, ty)
			ty += p.height() + 3
		}
	}})
	return nil
}

// drawQR draws the modules as filled rectangles, one per horizontal run of
// dark modules, so that the code stays sharp at any resolution. The page
// around it is white and gives the quiet zone.
func drawQR(pg *page, bm [][]bool, x, y, size float64) {
	n := float64(len(bm))
	m := size / n
	for r, row := range bm {
		for c := 0; c < len(row); {
			if !row[c] {
				c++
				continue
			}
			e := c
			for e < len(row) && row[e] {
				e++
			}
			pg.ops = append(pg.ops, rectOp{x: x + float64(c)*m, y: y + float64(r)*m, w: float64(e-c) * m, h: m, gray: ink})
			c = e
		}
	}
}

// paginate places the units on pages, a heading always with what follows
// it, then adds each page's footer.
func (l *layouter) paginate() ([]*page, error) {
	var pages []*page
	pg := &page{}
	pages = append(pages, pg)
	y := marginTop
	for i := 0; i < len(l.units); i++ {
		u := l.units[i]
		need := u.height
		for j := i; l.units[j].keepNext && j+1 < len(l.units); j++ {
			need += l.units[j+1].height
		}
		if y+need > contentEnd && y > marginTop {
			pg = &page{}
			pages = append(pages, pg)
			y = marginTop
		}
		if y+u.height > contentEnd {
			return nil, fmt.Errorf("pdfdoc: a block %.0f pt high does not fit on a page", u.height)
		}
		u.draw(pg, y)
		y += u.height
	}
	for i, pg := range pages {
		if err := l.footer(pg, i+1, len(pages)); err != nil {
			return nil, err
		}
	}
	return pages, nil
}

func (l *layouter) footer(pg *page, n, total int) error {
	pg.ops = append(pg.ops, lineOp{marginX, footerTop, marginX + contentW, footerTop, 0.5, rule})
	st := style{size: 8, gray: muted}
	num := strconv.Itoa(n) + "/" + strconv.Itoa(total)
	np, err := l.para("\u2066"+num+"\u2069", st, contentW)
	if err != nil {
		return err
	}
	numW := np.lines[0].width*st.size/shapeUnits + 4
	fp, err := l.para(l.doc.Footer, st, contentW-numW-12)
	if err != nil {
		return err
	}
	y := footerTop + 6
	fx := marginX
	if l.doc.RTL {
		fx += numW + 12
	}
	l.drawPara(pg, fp, fx, contentW-numW-12, y)
	if l.doc.RTL {
		l.drawPara(pg, np, marginX, numW, y)
	} else {
		l.drawPara(pg, np, marginX+contentW-numW, numW, y)
	}
	return nil
}
