package escposdecode

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"

	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/charmap"
)

// Font A's cell and the default line spacing, in dots, as on 203 dpi
// Epson TM receipt printers.
const (
	CellWidth          = 12
	CellHeight         = 24
	DefaultLineSpacing = 30
)

// Line is one line of native text as printed.
type Line struct {
	Text  string // decoded to UTF-8
	Align int    // 0 left, 1 centre, 2 right
	Bold  bool   // any character of it bold
	// Width and Height are the largest character multipliers on the line.
	Width, Height int
	Top           int // the sheet row its cell starts on
	Columns       int // width in font A columns (multipliers applied)
}

// Raster is one raster image as printed.
type Raster struct {
	Top, Left int
	Image     *image.Gray
}

// Paper is a roll of thermal paper under a printer that obeys Commands.
type Paper struct {
	width int // dots

	// printer state
	page        *charmap.Charmap
	align       int
	bold        bool
	sizeW       int
	sizeH       int
	lineSpacing int
	line        []cell
	lineWidth   int
	qrModel     int
	qrSize      int
	qrLevel     int
	qrData      []byte

	pix []byte // the sheet: width bytes a row, 1 = black

	Lines   []Line
	Rasters []Raster
	QRCodes []string // payloads of native QR codes printed
	Cuts    []int    // sheet rows where the paper was cut
	Wrapped int      // lines wider than the paper, wrapped by the printer
	Inits   int      // ESC @ seen
	// CodePages lists every code page selected, in order.
	CodePages []int
}

type cell struct {
	r    rune
	bold bool
	w, h int
}

// NewPaper returns blank paper for a printer widthDots wide, in the state
// ESC @ leaves a printer in.
func NewPaper(widthDots int) *Paper {
	p := &Paper{width: widthDots}
	p.reset()
	return p
}

func (p *Paper) reset() {
	p.page = charmap.CodePage437
	p.align, p.bold, p.sizeW, p.sizeH = 0, false, 1, 1
	p.lineSpacing = DefaultLineSpacing
	p.line, p.lineWidth = nil, 0
	p.qrModel, p.qrSize, p.qrLevel, p.qrData = 2, 3, 0, nil
}

// Width returns the paper's printable width in dots.
func (p *Paper) Width() int { return p.width }

// Rows returns how many dot rows of paper have been used.
func (p *Paper) Rows() int { return len(p.pix) / p.width }

// PendingText reports whether text waits in the line buffer.
func (p *Paper) PendingText() bool { return len(p.line) > 0 }

// Apply makes the printer obey one command.
func (p *Paper) Apply(c Command) error {
	switch c.Op {
	case OpText:
		for _, b := range c.Data {
			p.put(p.page.DecodeByte(b))
		}
	case OpLF:
		p.printLine(true)
	case OpCR, OpStatus, OpClearBuffer:
	case OpInit:
		p.Inits++
		p.reset()
	case OpCodePage:
		p.CodePages = append(p.CodePages, c.N)
		switch c.N {
		case 0:
			p.page = charmap.CodePage437
		case 2:
			p.page = charmap.CodePage850
		case 16:
			p.page = charmap.Windows1252
		case 19:
			p.page = charmap.CodePage858
		}
	case OpAlign:
		p.align = c.N
	case OpBold:
		p.bold = c.N == 1
	case OpSize:
		p.sizeW, p.sizeH = c.N, c.M
	case OpFeedLines:
		if len(p.line) > 0 {
			p.printLine(true)
		}
		p.feed(c.N * p.lineSpacing)
	case OpFeedDots:
		if len(p.line) > 0 {
			p.printLine(false)
		}
		p.feed(c.N)
	case OpLineDefault:
		p.lineSpacing = DefaultLineSpacing
	case OpLineSpacing:
		p.lineSpacing = c.N
	case OpCut:
		if len(p.line) > 0 {
			p.printLine(true)
		}
		p.feed(c.M)
		p.Cuts = append(p.Cuts, p.Rows())
	case OpRaster:
		return p.raster(c)
	case OpQRModel:
		p.qrModel = c.N
	case OpQRSize:
		p.qrSize = c.N
	case OpQRErrorLevel:
		p.qrLevel = c.N
	case OpQRStore:
		p.qrData = c.Data
	case OpQRPrint:
		return p.printQR(c.Offset)
	default:
		return fmt.Errorf("escposdecode: at byte %d: %s not applicable", c.Offset, c.Op)
	}
	return nil
}

func (p *Paper) put(r rune) {
	w := CellWidth * p.sizeW
	if p.lineWidth+w > p.width {
		p.Wrapped++
		p.printLine(true)
	}
	p.line = append(p.line, cell{r, p.bold, p.sizeW, p.sizeH})
	p.lineWidth += w
}

// printLine prints the line buffer; advance feeds the line spacing (or the
// line's height when taller), otherwise only the line's height.
func (p *Paper) printLine(advance bool) {
	if len(p.line) == 0 {
		if advance {
			p.feed(p.lineSpacing)
		}
		return
	}
	height := 0
	var text strings.Builder
	l := Line{Align: p.align, Width: 1, Height: 1, Top: p.Rows()}
	for _, c := range p.line {
		height = max(height, CellHeight*c.h)
		text.WriteRune(c.r)
		l.Bold = l.Bold || c.bold
		l.Width = max(l.Width, c.w)
		l.Height = max(l.Height, c.h)
		l.Columns += c.w
	}
	l.Text = text.String()
	p.Lines = append(p.Lines, l)
	top := p.Rows()
	p.grow(top + height)
	x := p.left(p.lineWidth)
	for _, c := range p.line {
		g := glyph(c.r, c.bold)
		cw, ch := CellWidth*c.w, CellHeight*c.h
		y0 := top + height - ch // characters stand on one baseline
		for y := 0; y < ch; y++ {
			for xx := 0; xx < cw; xx++ {
				if g.AlphaAt(xx/c.w, y/c.h).A >= 0x80 {
					p.set(x+xx, y0+y)
				}
			}
		}
		x += cw
	}
	p.line, p.lineWidth = nil, 0
	if advance && p.lineSpacing > height {
		p.feed(p.lineSpacing - height)
	}
}

func (p *Paper) left(w int) int {
	switch p.align {
	case 1:
		return (p.width - w) / 2
	case 2:
		return p.width - w
	}
	return 0
}

func (p *Paper) raster(c Command) error {
	if len(p.line) > 0 {
		return fmt.Errorf("escposdecode: at byte %d: GS v 0 with text in the line buffer (the printer would ignore it)", c.Offset)
	}
	sx, sy := 1, 1
	if c.N&1 == 1 {
		sx = 2
	}
	if c.N&2 == 2 {
		sy = 2
	}
	w, h := c.Width*sx, c.Height*sy
	if w > p.width {
		return fmt.Errorf("escposdecode: at byte %d: raster %d dots wide on paper %d dots wide", c.Offset, w, p.width)
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	stride := c.Width / 8
	top, left := p.Rows(), p.left(w)
	p.grow(top + h)
	for y := 0; y < c.Height; y++ {
		for x := 0; x < c.Width; x++ {
			if c.Data[y*stride+x/8]&(0x80>>(x%8)) == 0 {
				continue
			}
			for dy := 0; dy < sy; dy++ {
				for dx := 0; dx < sx; dx++ {
					img.SetGray(x*sx+dx, y*sy+dy, color.Gray{})
					p.set(left+x*sx+dx, top+y*sy+dy)
				}
			}
		}
	}
	p.Rasters = append(p.Rasters, Raster{Top: top, Left: left, Image: img})
	return nil
}

func (p *Paper) printQR(offset int) error {
	if len(p.qrData) == 0 {
		return fmt.Errorf("escposdecode: at byte %d: QR print with no data stored", offset)
	}
	level := []qrcode.RecoveryLevel{qrcode.Low, qrcode.Medium, qrcode.High, qrcode.Highest}[p.qrLevel]
	q, err := qrcode.New(string(p.qrData), level)
	if err != nil {
		return fmt.Errorf("escposdecode: at byte %d: QR: %w", offset, err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	n := len(bits) * p.qrSize
	if n > p.width {
		return fmt.Errorf("escposdecode: at byte %d: QR %d dots wide on paper %d dots wide", offset, n, p.width)
	}
	if len(p.line) > 0 {
		p.printLine(true)
	}
	top, left := p.Rows(), p.left(n)
	p.grow(top + n)
	for y, row := range bits {
		for x, on := range row {
			if !on {
				continue
			}
			for dy := 0; dy < p.qrSize; dy++ {
				for dx := 0; dx < p.qrSize; dx++ {
					p.set(left+x*p.qrSize+dx, top+y*p.qrSize+dy)
				}
			}
		}
	}
	p.QRCodes = append(p.QRCodes, string(p.qrData))
	return nil
}

func (p *Paper) feed(dots int) { p.grow(p.Rows() + dots) }

func (p *Paper) grow(rows int) {
	if need := rows * p.width; need > len(p.pix) {
		p.pix = append(p.pix, make([]byte, need-len(p.pix))...)
	}
}

func (p *Paper) set(x, y int) {
	if x >= 0 && x < p.width {
		p.pix[y*p.width+x] = 1
	}
}

// Image returns the sheet printed so far, black on white.
func (p *Paper) Image() *image.Gray {
	rows := max(p.Rows(), 1)
	img := image.NewGray(image.Rect(0, 0, p.width, rows))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for i, v := range p.pix {
		if v == 1 {
			img.Pix[i] = 0
		}
	}
	return img
}

// glyph returns font A's character r as a 12 × 24 alpha mask.
func glyph(r rune, bold bool) *image.Alpha {
	key := glyphKey{r, bold}
	glyphs.Lock()
	defer glyphs.Unlock()
	if g, ok := glyphs.m[key]; ok {
		return g
	}
	if glyphs.m == nil {
		glyphs.m = map[glyphKey]*image.Alpha{}
		glyphs.regular = mustFace(gomono.TTF)
		glyphs.bold = mustFace(gomonobold.TTF)
	}
	face := glyphs.regular
	if bold {
		face = glyphs.bold
	}
	g := image.NewAlpha(image.Rect(0, 0, CellWidth, CellHeight))
	d := font.Drawer{Dst: g, Src: image.Opaque, Face: face, Dot: fixed.P(0, 19)}
	d.DrawString(string(r))
	glyphs.m[key] = g
	return g
}

type glyphKey struct {
	r    rune
	bold bool
}

var glyphs struct {
	sync.Mutex
	m             map[glyphKey]*image.Alpha
	regular, bold font.Face
}

func mustFace(ttf []byte) font.Face {
	f, err := opentype.Parse(ttf)
	if err != nil {
		panic("escposdecode: bundled Go Mono: " + err.Error())
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: 20, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		panic("escposdecode: bundled Go Mono: " + err.Error())
	}
	return face
}
