package escpos

import (
	"bytes"
	"fmt"
	"image"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/skip2/go-qrcode"

	"guichet/drivers/bidi"
	"guichet/kiosk/receipt"
)

// Job is a document encoded for one printer: chunks of whole commands, sent
// one after the other with a status check between two. A chunk never ends
// inside a command, so the status query never lands in raster data.
type Job struct {
	Chunks [][]byte
	// Rows is the paper the job uses, in dots, cut included.
	Rows  int
	Stats Stats
	// Preview is the receipt as the layout placed it, drawn by the
	// kiosk's own rasteriser (native text in the bundled Latin font on
	// font A's grid); nil unless Renderer.Preview was set.
	Preview *Bitmap
}

// Stats counts what a job is made of.
type Stats struct {
	Bytes       int // total
	TextBytes   int // native text lines, their commands included
	RasterBytes int // GS v 0 commands
	QRBytes     int // the QR code, raster or native
	NativeLines int
	RasterLines int
	// Floor is the same content as plain text in the code page (UTF-8
	// where the page lacks a character): one byte a character and a line
	// feed a line, the least any encoding of it could take.
	Floor int
	// Rasterise is the time spent shaping and rasterising text.
	Rasterise time.Duration
}

// Bytes returns the whole job as one byte string.
func (j *Job) Bytes() []byte {
	var b bytes.Buffer
	for _, c := range j.Chunks {
		b.Write(c)
	}
	return b.Bytes()
}

// Renderer lays documents out for one printer profile. It is safe for
// concurrent use.
type Renderer struct {
	prof Profile
	sh   *shaper
	// Preview asks Render to draw each job's preview.
	Preview bool
}

// NewRenderer loads the bundled fonts for prof.
func NewRenderer(prof Profile) (*Renderer, error) {
	if err := prof.Validate(); err != nil {
		return nil, err
	}
	sh, err := newShaper()
	if err != nil {
		return nil, err
	}
	return &Renderer{prof: prof, sh: sh}, nil
}

// Profile returns the renderer's printer profile.
func (r *Renderer) Profile() Profile { return r.prof }

// Render lays out doc: for each line the cheapest encoding that prints it
// right — native text in the profile's code page when every character is
// in it and the line needs no shaping, a raster image of the shaped,
// reordered line otherwise.
func (r *Renderer) Render(doc receipt.Document) (*Job, error) {
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("escpos: %w", err)
	}
	l := &layout{r: r, prof: r.prof, job: &Job{}}
	l.align, l.bold, l.width, l.height = AlignLeft, false, 1, 1
	if r.Preview {
		l.preview = NewBitmap(r.prof.Dots, 0)
	}
	l.cur = AppendInit(l.cur)
	l.cur = AppendCodePage(l.cur, r.prof.CodePage)
	for _, b := range doc.Blocks {
		if err := l.block(b); err != nil {
			return nil, err
		}
	}
	l.flush()
	l.job.Preview = l.preview
	l.job.Rows = l.rows
	for _, c := range l.job.Chunks {
		l.job.Stats.Bytes += len(c)
	}
	return l.job, nil
}

// layout is one document being laid out.
type layout struct {
	r    *Renderer
	prof Profile
	job  *Job
	cur  []byte // the chunk being built

	// the printer's modes as the commands so far left them
	align         Alignment
	bold          bool
	width, height int

	rows    int // paper used so far
	preview *Bitmap
}

// flush ends the current chunk.
func (l *layout) flush() {
	if len(l.cur) > 0 {
		l.job.Chunks = append(l.job.Chunks, l.cur)
		l.cur = nil
	}
}

func (l *layout) setAlign(a Alignment) {
	if l.align != a {
		l.cur = AppendAlign(l.cur, a)
		l.align = a
	}
}

func (l *layout) setBold(on bool) {
	if l.bold != on {
		l.cur = AppendBold(l.cur, on)
		l.bold = on
	}
}

func (l *layout) setSize(n int) {
	if l.width != n || l.height != n {
		l.cur, _ = AppendSize(l.cur, n, n) // 1 or 2: always valid
		l.width, l.height = n, n
	}
}

func (l *layout) block(b receipt.Block) error {
	st := style{bold: b.Bold, scale: 1}
	if b.Size == receipt.Large {
		st.scale = 2
	}
	dir := bidi.LTR
	if b.RTL {
		dir = bidi.RTL
	}
	switch b.Kind {
	case receipt.Heading:
		return l.paragraph(b.Text, dir, receipt.Centre, st)
	case receipt.Paragraph:
		return l.paragraph(b.Text, dir, b.Align, st)
	case receipt.Row:
		return l.row(b.Text, b.Value, dir, st)
	case receipt.QR:
		return l.qr(b.Payload)
	case receipt.Rule:
		return l.rule()
	case receipt.Ruler:
		return l.ruler()
	case receipt.Feed:
		l.cur = AppendFeedLines(l.cur, b.Lines)
		l.advance(b.Lines * lineSpacing)
		l.flush()
	case receipt.Cut:
		l.cur = AppendFeedLines(l.cur, 2)
		l.advance(2 * lineSpacing)
		l.cur = AppendCut(l.cur, l.prof.PartialCut, 0)
		l.flush()
	}
	return nil
}

// physical turns a logical alignment into the printer's, for a paragraph
// of direction dir.
func physical(a receipt.Align, dir bidi.Direction) Alignment {
	switch a {
	case receipt.Centre:
		return AlignCentre
	case receipt.End:
		if dir == bidi.RTL {
			return AlignLeft
		}
		return AlignRight
	}
	if dir == bidi.RTL {
		return AlignRight
	}
	return AlignLeft
}

// native returns the bytes that print line (logical order) as native
// text, and whether it can be: every character, in visual order, is in
// the code page (which holds no character that needs shaping).
func (l *layout) native(line string, dir bidi.Direction) ([]byte, bool) {
	visual := bidi.Visual(line, dir)
	return l.prof.CodePage.Encode(visual)
}

// paragraph lays out text wrapped to the paper.
func (l *layout) paragraph(text string, dir bidi.Direction, a receipt.Align, st style) error {
	align := physical(a, dir)
	cols := l.prof.Columns() / st.scale
	if _, ok := l.native(text, dir); ok {
		for _, line := range wrap(text, cols, func(s string) int { return utf8.RuneCountInString(stripInvisible(s)) }) {
			enc, _ := l.native(line, dir)
			l.nativeLine(enc, align, st)
		}
		return nil
	}
	t0 := time.Now()
	lines := wrap(text, l.prof.Dots, func(s string) int { return l.r.sh.shape(s, dir, st).Width() })
	l.job.Stats.Rasterise += time.Since(t0)
	for _, line := range lines {
		if enc, ok := l.native(line, dir); ok && utf8.RuneCount(enc)*st.scale <= l.prof.Columns() {
			l.nativeLine(enc, align, st)
			continue
		}
		if err := l.rasterText(line, dir, align, st); err != nil {
			return err
		}
	}
	return nil
}

// row lays out a label and its value: on one line when they fit, the label
// at the start side; otherwise the label, then the value at the end side.
func (l *layout) row(label, value string, dir bidi.Direction, st style) error {
	cols := l.prof.Columns() / st.scale
	lab, okL := l.native(label, dir)
	val, okV := l.native(value, bidi.Auto)
	if okL && okV {
		nl, nv := utf8.RuneCount(lab), utf8.RuneCount(val)
		if nl+2+nv <= cols {
			gap := bytes.Repeat([]byte{' '}, cols-nl-nv)
			line := append(append(append([]byte{}, lab...), gap...), val...)
			if dir == bidi.RTL {
				line = append(append(append([]byte{}, val...), gap...), lab...)
			}
			l.nativeLine(line, AlignLeft, st)
			return nil
		}
	}
	if !okL || !okV {
		t0 := time.Now()
		sl := l.r.sh.shape(label, dir, st)
		sv := l.r.sh.shape(value, bidi.Auto, st)
		l.job.Stats.Rasterise += time.Since(t0)
		gap := 2 * cellWidth
		if sl.Width()+gap+sv.Width() <= l.prof.Dots {
			left, right := sl, sv
			if dir == bidi.RTL {
				left, right = sv, sl
			}
			return l.rasterShaped(left, right, st)
		}
	}
	if err := l.paragraph(label, dir, receipt.Start, st); err != nil {
		return err
	}
	return l.paragraph(value, dirOf(value, dir), receipt.End, st)
}

// dirOf is the direction a value reads in: its first strong character's,
// or the row's when it has none.
func dirOf(value string, row bidi.Direction) bidi.Direction {
	for _, r := range value {
		switch sc := scriptOf(r); {
		case sc == 0:
			continue
		case isRTL(r):
			return bidi.RTL
		default:
			return bidi.LTR
		}
	}
	return row
}

func isRTL(r rune) bool {
	return r >= 0x0590 && r <= 0x08FF || r >= 0xFB1D && r <= 0xFDFF || r >= 0xFE70 && r <= 0xFEFF
}

// nativeLine prints one line of encoded text.
func (l *layout) nativeLine(enc []byte, align Alignment, st style) {
	start := len(l.cur)
	l.setAlign(align)
	l.setBold(st.bold)
	l.setSize(st.scale)
	l.cur = append(l.cur, enc...)
	l.cur = append(l.cur, lf)
	l.job.Stats.TextBytes += len(l.cur) - start
	l.job.Stats.NativeLines++
	l.job.Stats.Floor += len(enc) + 1
	h := max(lineSpacing, cellHeight*st.scale)
	if l.preview != nil {
		l.previewNative(enc, align, st, h)
	}
	l.advance(h)
	l.flush()
}

// rasterText shapes and prints one line as a raster image.
func (l *layout) rasterText(line string, dir bidi.Direction, align Alignment, st style) error {
	t0 := time.Now()
	sl := l.r.sh.shape(line, dir, st)
	l.job.Stats.Rasterise += time.Since(t0)
	x := 0
	switch align {
	case AlignCentre:
		x = (l.prof.Dots - sl.Width()) / 2
	case AlignRight:
		x = l.prof.Dots - sl.Width()
	}
	l.job.Stats.Floor += len(stripInvisible(line)) + 1
	return l.rasterLines(x, sl, nil, st)
}

// rasterShaped prints two shaped pieces on one line, left at the left edge
// and right at the right edge.
func (l *layout) rasterShaped(left, right shapedLine, st style) error {
	return l.rasterLines(0, left, &right, st)
}

// rasterLines draws sl at x (and right, if given, against the right edge)
// into a line-high bitmap and sends it.
func (l *layout) rasterLines(x int, sl shapedLine, right *shapedLine, st style) error {
	asc, desc := sl.ascent, sl.descent
	if right != nil {
		asc, desc = max(asc, right.ascent), max(desc, right.descent)
	}
	h := (asc + desc).Ceil() + 4
	baseline := asc.Ceil() + 2
	t0 := time.Now()
	mask := image.NewAlpha(image.Rect(0, 0, l.prof.Dots, h))
	l.r.sh.draw(sl, mask, max(x, 0), baseline)
	if right != nil {
		l.r.sh.draw(*right, mask, l.prof.Dots-right.Width(), baseline)
		l.job.Stats.Floor += 1 // the two pieces count as one line
	}
	bm := NewBitmap(l.prof.Dots, h)
	threshold(mask, bm, 0, 0)
	if st.bold {
		// Heavier strokes print better on thermal paper.
		emboldenRows(bm)
	}
	l.job.Stats.Rasterise += time.Since(t0)
	l.job.Stats.RasterLines++
	n, err := l.raster(bm)
	l.job.Stats.RasterBytes += n
	return err
}

// emboldenRows is nothing for now: the bold faces carry the weight.
func emboldenRows(*Bitmap) {}

// raster sends a line-high bitmap the cheapest way: blank rows above and
// below its ink as paper feeds, the ink cropped to the narrowest band
// that the printer's left, centre or right justification puts back in
// place, cut in BandRows-high GS v 0 commands. It returns the raster bytes.
func (l *layout) raster(bm *Bitmap) (int, error) {
	ink := bm.Ink()
	if l.preview != nil {
		l.previewBitmap(bm)
	}
	defer l.flush()
	if ink.Empty() {
		l.cur = AppendFeedDots(l.cur, bm.H)
		l.advance(bm.H)
		return 0, nil
	}
	l.cur = AppendFeedDots(l.cur, ink.Min.Y)
	dots := l.prof.Dots
	type cut struct {
		align  Alignment
		x0, x1 int
	}
	left := cut{AlignLeft, 0, min((ink.Max.X+7)/8*8, dots)}
	right := cut{AlignRight, ink.Min.X / 8 * 8, dots}
	m := min(ink.Min.X, dots-ink.Max.X) / 4 * 4
	centre := cut{AlignCentre, m, dots - m}
	best := left
	for _, c := range []cut{right, centre} {
		if c.x1-c.x0 < best.x1-best.x0 {
			best = c
		}
	}
	if best.align == AlignCentre && best.x0%8 != 0 {
		// A centred band must start on a byte: widen it by 4 dots a side.
		best.x0, best.x1 = best.x0-4, best.x1+4
	}
	l.setAlign(best.align)
	band := bm.Crop(best.x0, best.x1, ink.Min.Y, ink.Max.Y)
	n := 0
	for y := 0; y < band.H; y += l.prof.BandRows {
		if y > 0 {
			l.flush() // a band boundary is a command boundary: poll there too
		}
		start := len(l.cur)
		var err error
		l.cur, err = AppendRaster(l.cur, band, y, min(y+l.prof.BandRows, band.H))
		if err != nil {
			return n, err
		}
		n += len(l.cur) - start
	}
	l.cur = AppendFeedDots(l.cur, bm.H-ink.Max.Y)
	l.advance(bm.H)
	return n, nil
}

// qr prints payload as a QR code at level M, centred, with a quiet zone of
// blank paper around it.
func (l *layout) qr(payload string) error {
	start := l.emitted()
	l.job.Stats.Floor += len(payload) + 1
	q, err := qrcode.New(payload, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("escpos: QR code: %w", err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	mod := l.prof.QRModule
	size := len(bits) * mod
	if size > l.prof.Dots {
		return fmt.Errorf("escpos: QR code of %d modules is %d dots wide, paper %d", len(bits), size, l.prof.Dots)
	}
	quiet := 4 * mod
	l.cur = AppendFeedDots(l.cur, quiet)
	l.advance(quiet)
	if l.prof.NativeQR {
		l.setAlign(AlignCentre)
		l.cur, err = AppendQR(l.cur, []byte(payload), mod, QRLevelM)
		if err != nil {
			return err
		}
		if l.preview != nil {
			l.previewQR(bits, mod)
		}
		l.advance(size)
	} else {
		w := (size + 7) / 8 * 8
		if (l.prof.Dots-w)%2 != 0 {
			w += 8
		}
		bm := NewBitmap(w, size)
		off := (w - size) / 2
		for y, row := range bits {
			for x, on := range row {
				if !on {
					continue
				}
				for dy := 0; dy < mod; dy++ {
					for dx := 0; dx < mod; dx++ {
						bm.Set(off+x*mod+dx, y*mod+dy)
					}
				}
			}
		}
		l.setAlign(AlignCentre)
		if l.preview != nil {
			full := NewBitmap(l.prof.Dots, size)
			full.Draw(bm, (l.prof.Dots-w)/2, 0)
			l.previewBitmap(full)
		}
		for y := 0; y < size; y += l.prof.BandRows {
			if y > 0 {
				l.flush()
			}
			if l.cur, err = AppendRaster(l.cur, bm, y, min(y+l.prof.BandRows, size)); err != nil {
				return err
			}
		}
		l.advance(size)
	}
	l.cur = AppendFeedDots(l.cur, quiet)
	l.advance(quiet)
	l.job.Stats.QRBytes += l.emitted() - start
	l.flush()
	return nil
}

// emitted returns the bytes laid out so far.
func (l *layout) emitted() int {
	n := len(l.cur)
	for _, c := range l.job.Chunks {
		n += len(c)
	}
	return n
}

// rule draws a line across the paper: the code page's box-drawing
// horizontal when it has one, dashes otherwise.
func (l *layout) rule() error {
	cols := l.prof.Columns()
	c := "─"
	if !l.prof.CodePage.Holds(c) {
		c = "-"
	}
	enc, _ := l.prof.CodePage.Encode(strings.Repeat(c, cols))
	l.nativeLine(enc, AlignLeft, style{scale: 1})
	return nil
}

// ruler draws one tick a millimetre, longer every five and ten, and marks
// both edges of the printable width.
func (l *layout) ruler() error {
	const h = 28
	bm := NewBitmap(l.prof.Dots, h)
	mm := l.prof.DotsPerMM
	for x := 0; x < l.prof.Dots; x++ {
		if x%mm == 0 {
			tick := 6
			switch {
			case (x/mm)%10 == 0:
				tick = 20
			case (x/mm)%5 == 0:
				tick = 12
			}
			for y := h - tick; y < h; y++ {
				bm.Set(x, y)
			}
		}
		bm.Set(x, h-1)
	}
	for y := 0; y < h; y++ {
		for _, x := range []int{0, 1, l.prof.Dots - 2, l.prof.Dots - 1} {
			bm.Set(x, y)
		}
	}
	n, err := l.raster(bm)
	l.job.Stats.RasterBytes += n
	l.job.Stats.RasterLines++
	return err
}

func (l *layout) advance(rows int) {
	l.rows += rows
	if l.preview != nil && l.preview.H < l.rows {
		grown := NewBitmap(l.preview.W, l.rows)
		copy(grown.Pix, l.preview.Pix)
		l.preview = grown
	}
}

// previewBitmap draws a line-high bitmap at the current row.
func (l *layout) previewBitmap(bm *Bitmap) {
	top := l.rows
	l.advancePreviewTo(top + bm.H)
	l.preview.Draw(bm, 0, top)
}

func (l *layout) advancePreviewTo(rows int) {
	if l.preview.H < rows {
		grown := NewBitmap(l.preview.W, rows)
		copy(grown.Pix, l.preview.Pix)
		l.preview = grown
	}
}

// previewNative draws a native line as the printer would place it: one
// character per font A cell, in the bundled Latin font.
func (l *layout) previewNative(enc []byte, align Alignment, st style, h int) {
	cw := cellWidth * st.scale
	runes := make([]rune, 0, len(enc))
	for _, b := range enc {
		if b < 0x80 {
			runes = append(runes, rune(b))
		} else {
			runes = append(runes, l.prof.CodePage.upper[b-0x80])
		}
	}
	w := len(runes) * cw
	x := 0
	switch align {
	case AlignCentre:
		x = (l.prof.Dots - w) / 2
	case AlignRight:
		x = l.prof.Dots - w
	}
	top := l.rows
	l.advancePreviewTo(top + h)
	size := style{bold: st.bold, scale: st.scale}
	mask := image.NewAlpha(image.Rect(0, 0, l.prof.Dots, h))
	baseline := cellHeight*st.scale - 5*st.scale
	for i, r := range runes {
		if r == ' ' {
			continue
		}
		if r == '─' {
			for dx := 0; dx < cw; dx++ {
				for dy := -1; dy <= 0; dy++ {
					mask.Pix[(baseline-7*st.scale+dy)*mask.Stride+x+i*cw+dx] = 0xFF
				}
			}
			continue
		}
		sl := l.r.sh.shape(string(r), bidi.LTR, size)
		sx := min(1, float32(cw-st.scale)/float32(max(sl.Width(), 1)))
		w := int(float32(sl.Width()) * sx)
		l.r.sh.drawScaled(sl, mask, x+i*cw+(cw-w)/2, baseline, sx)
	}
	threshold(mask, l.preview, 0, top)
}

func (l *layout) previewQR(bits [][]bool, mod int) {
	size := len(bits) * mod
	top := l.rows
	l.advancePreviewTo(top + size)
	x0 := (l.prof.Dots - size) / 2
	for y, row := range bits {
		for x, on := range row {
			if on {
				for dy := 0; dy < mod; dy++ {
					for dx := 0; dx < mod; dx++ {
						l.preview.Set(x0+x*mod+dx, top+y*mod+dy)
					}
				}
			}
		}
	}
}

// stripInvisible drops the directional formatting characters, which take
// no room on paper.
func stripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C, r == 0x200C, r == 0x200D:
			return -1
		}
		return r
	}, s)
}
