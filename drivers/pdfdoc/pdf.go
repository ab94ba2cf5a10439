package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/signintech/gopdf"

	"guichet/kiosk/extract"
)

// Options tune Render.
type Options struct {
	// Created is the creation time written in the file's metadata; the
	// zero time leaves it out, and the same document then gives the same
	// bytes.
	Created time.Time
}

// Render lays doc out on A4 pages and returns the PDF file.
func Render(doc *extract.Document, opts Options) ([]byte, error) {
	if doc == nil {
		return nil, fmt.Errorf("pdfdoc: no document")
	}
	faces, err := newFaceSet()
	if err != nil {
		return nil, err
	}
	l := newLayouter(doc, newShaper(faces, doc.Lang, doc.Script))
	if err := l.blocks(); err != nil {
		return nil, err
	}
	pages, err := l.paginate()
	if err != nil {
		return nil, err
	}
	return emit(doc, pages, opts)
}

// placed is a glyph with the instance that draws it.
type placed struct {
	in   *instance
	text rune
}

// emit writes the pages with gopdf. Glyphs are allocated to font
// instances first (every font must be added before the first page), then
// each glyph is drawn at its shaped position by the character its
// instance maps to it.
func emit(doc *extract.Document, pages []*page, opts Options) ([]byte, error) {
	emb := newEmbedder()
	var draws [][]placed // per textOp, in page and op order
	for _, pg := range pages {
		for _, o := range pg.ops {
			t, ok := o.(textOp)
			if !ok {
				continue
			}
			ps := make([]placed, len(t.line.glyphs))
			for i, g := range t.line.glyphs {
				ps[i] = placed{emb.place(g.face, g.gid, g.text), g.text}
			}
			draws = append(draws, ps)
		}
	}

	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4, Unit: gopdf.UnitPT})
	pdf.SetInfo(gopdf.PdfInfo{
		Title:        plain(doc.Title),
		Subject:      plain(doc.Title),
		Creator:      "Guichet",
		Producer:     "Guichet drivers/pdfdoc with gopdf",
		CreationDate: opts.Created,
	})
	for _, in := range emb.order {
		data, extra, err := in.fontFile()
		if err != nil {
			return nil, err
		}
		if err := pdf.AddTTFFontDataWithOption(in.family, data, gopdf.TtfOption{UseKerning: false}); err != nil {
			return nil, fmt.Errorf("pdfdoc: embedding %s as %s: %w", in.face.name, in.family, err)
		}
		if extra != "" {
			// Measuring registers the component glyphs with the subset
			// without drawing anything.
			if err := pdf.SetFont(in.family, "", 10); err != nil {
				return nil, fmt.Errorf("pdfdoc: font %s: %w", in.family, err)
			}
			if _, err := pdf.MeasureTextWidth(extra); err != nil {
				return nil, fmt.Errorf("pdfdoc: font %s: components: %w", in.family, err)
			}
		}
	}
	k := 0
	for _, pg := range pages {
		pdf.AddPage()
		for _, o := range pg.ops {
			switch o := o.(type) {
			case textOp:
				if err := drawText(pdf, o, draws[k]); err != nil {
					return nil, err
				}
				k++
			case rectOp:
				g := grayByte(o.gray)
				if o.stroke > 0 {
					pdf.SetLineWidth(o.stroke)
					pdf.SetStrokeColor(g, g, g)
					pdf.RectFromUpperLeftWithStyle(o.x, o.y, o.w, o.h, "D")
				} else {
					pdf.SetFillColor(g, g, g)
					pdf.RectFromUpperLeftWithStyle(o.x, o.y, o.w, o.h, "F")
				}
			case lineOp:
				g := grayByte(o.gray)
				pdf.SetLineWidth(o.width)
				pdf.SetStrokeColor(g, g, g)
				pdf.Line(o.x1, o.y1, o.x2, o.y2)
			}
		}
	}
	var buf bytes.Buffer
	if err := pdf.Write(&buf); err != nil {
		return nil, fmt.Errorf("pdfdoc: writing the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

// drawText draws each glyph of a line at its shaped position.
func drawText(pdf *gopdf.GoPdf, t textOp, ps []placed) error {
	g := grayByte(t.gray)
	pdf.SetTextColor(g, g, g)
	scale := t.size / shapeUnits
	current := ""
	for i, gl := range t.line.glyphs {
		p := ps[i]
		if p.in.family != current {
			if err := pdf.SetFont(p.in.family, "", t.size); err != nil {
				return fmt.Errorf("pdfdoc: font %s: %w", p.in.family, err)
			}
			current = p.in.family
		}
		pdf.SetXY(t.x+gl.x*scale, t.y-gl.y*scale)
		if err := pdf.Text(string(p.text)); err != nil {
			return fmt.Errorf("pdfdoc: drawing %U with %s: %w", p.text, p.in.family, err)
		}
	}
	return nil
}

func grayByte(g float64) uint8 { return uint8(g*255 + 0.5) }

// plain drops the bidi controls from text meant for the file's metadata.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '\u2066' && r <= '\u2069', r >= '\u202a' && r <= '\u202e', r == '\u200e', r == '\u200f':
			return -1
		}
		return r
	}, s)
}
