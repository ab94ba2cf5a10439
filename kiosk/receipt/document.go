package receipt

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"guichet/kiosk/tracking"
)

// Kind is what a document is for.
type Kind string

// The documents the receipt printer prints.
const (
	KindRequest     Kind = "request"      // the receipt of a filed request (law 55-19)
	KindPayment     Kind = "payment"      // proof of a payment made at the kiosk
	KindCallback    Kind = "callback"     // a callback request's ticket
	KindCounterSlip Kind = "counter_slip" // what to pay at the court's cash desk
	KindTestPage    Kind = "test_page"    // the technician's printer test page
	KindDiagnostics Kind = "diagnostics"  // the technician's diagnostics page
)

// Kinds lists every kind.
var Kinds = []Kind{KindRequest, KindPayment, KindCallback, KindCounterSlip, KindTestPage, KindDiagnostics}

// Document is a receipt laid out for any receipt printer: a list of blocks
// from top to bottom. It holds no personal data beyond what is printed
// (a callback ticket's phone number is masked).
type Document struct {
	Kind Kind `json:"kind"`
	// Tracking is the tracking number the document is about, when there
	// is one; the print queue files the document under it for reprints.
	Tracking tracking.Number `json:"tracking,omitempty"`
	// Lang is the language of the body (the citizen's, or the
	// technician's for test and diagnostics pages).
	Lang string `json:"lang"`
	// Duplicate marks a copy made by AsDuplicate for an explicit reprint.
	Duplicate bool    `json:"duplicate,omitempty"`
	Blocks    []Block `json:"blocks"`
}

// BlockKind is what a block draws.
type BlockKind string

// The blocks.
const (
	// Heading is a centred title: Text, usually Bold and Large.
	Heading BlockKind = "heading"
	// Paragraph is running text, wrapped to the paper: Text.
	Paragraph BlockKind = "paragraph"
	// Row is a label and its value (Text and Value) on one line when they
	// fit, the label at the start side and the value at the end side;
	// otherwise the label, then the value on the next line.
	Row BlockKind = "row"
	// QR is a QR code of Payload, centred.
	QR BlockKind = "qr"
	// Rule is a horizontal line across the paper.
	Rule BlockKind = "rule"
	// Ruler is a scale across the paper, one tick per millimetre and a
	// long one every ten, with both edges marked: the test page's check of
	// width and alignment.
	Ruler BlockKind = "ruler"
	// Feed leaves Lines empty lines.
	Feed BlockKind = "feed"
	// Cut feeds the paper past the cutter and cuts it.
	Cut BlockKind = "cut"
)

// Align places a line across the paper. Start and End follow the block's
// direction: Start is the left edge in French and the right edge in Arabic.
type Align string

// The alignments.
const (
	Start  Align = "start"
	Centre Align = "centre"
	End    Align = "end"
)

// Size is a block's text size.
type Size string

// The sizes.
const (
	Normal Size = ""      // the printer's normal text, 24 dots high
	Large  Size = "large" // double width and height
)

// Block is one element of a document.
type Block struct {
	Kind BlockKind `json:"kind"`
	// Text is a Heading's or Paragraph's text, or a Row's label, in
	// logical order; it may hold directional isolates (LRI, FSI … PDI)
	// around identifiers.
	Text string `json:"text,omitempty"`
	// Value is a Row's value, laid out as its own paragraph (its
	// direction from its first strong character).
	Value string `json:"value,omitempty"`
	// Lang is the language of Text (ISO 639); RTL its paragraph direction.
	Lang string `json:"lang,omitempty"`
	RTL  bool   `json:"rtl,omitempty"`
	// Align places Heading and Paragraph lines; Heading is always centred.
	Align Align `json:"align,omitempty"`
	Bold  bool  `json:"bold,omitempty"`
	Size  Size  `json:"size,omitempty"`
	// Payload is what a QR code carries.
	Payload string `json:"payload,omitempty"`
	// Lines is how many empty lines a Feed leaves.
	Lines int `json:"lines,omitempty"`
}

// MaxPayload is the longest QR payload a document may carry: a version 10
// symbol at level M holds 213 bytes, and 57 modules are the most a 58 mm
// receipt prints at 6 dots a module.
const MaxPayload = 200

// Validate checks what a printer driver relies on: known kinds, texts that
// are valid UTF-8 without control characters other than the directional
// formatting ones, payloads that fit a QR code, a Cut at the end and
// nowhere else.
func (d Document) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("receipt: %s document: %s", d.Kind, fmt.Sprintf(format, a...))
	}
	known := false
	for _, k := range Kinds {
		known = known || d.Kind == k
	}
	if !known {
		return bad("unknown kind")
	}
	if d.Tracking != "" && !d.Tracking.Valid() {
		return bad("tracking number %q is not valid", string(d.Tracking))
	}
	if len(d.Blocks) == 0 || d.Blocks[len(d.Blocks)-1].Kind != Cut {
		return bad("must end with a cut")
	}
	for i, b := range d.Blocks {
		where := func(format string, a ...any) error {
			return bad("block %d (%s): %s", i, b.Kind, fmt.Sprintf(format, a...))
		}
		for _, s := range []string{b.Text, b.Value, b.Payload} {
			if !utf8.ValidString(s) {
				return where("text is not valid UTF-8")
			}
			if strings.ContainsFunc(s, isControl) {
				return where("text %q holds a control character", s)
			}
		}
		switch b.Align {
		case "", Start, Centre, End:
		default:
			return where("unknown alignment %q", b.Align)
		}
		switch b.Size {
		case Normal, Large:
		default:
			return where("unknown size %q", b.Size)
		}
		switch b.Kind {
		case Heading, Paragraph:
			if strings.TrimSpace(b.Text) == "" {
				return where("no text")
			}
		case Row:
			if strings.TrimSpace(b.Text) == "" || strings.TrimSpace(b.Value) == "" {
				return where("a row needs a label and a value")
			}
		case QR:
			if b.Payload == "" || len(b.Payload) > MaxPayload {
				return where("QR payload of %d bytes (1–%d)", len(b.Payload), MaxPayload)
			}
		case Feed:
			if b.Lines < 1 || b.Lines > 20 {
				return where("feed of %d lines (1–20)", b.Lines)
			}
		case Rule, Ruler:
		case Cut:
			if i != len(d.Blocks)-1 {
				return where("a cut before the end")
			}
		default:
			return where("unknown block kind")
		}
	}
	return nil
}

// isControl reports the characters a printed text must not hold: C0 and C1
// controls (a line break is a new block, never a character) and the
// embedding and override controls; isolates (U+2066–U+2069) and the marks
// LRM, RLM and ALM are allowed.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0) || (r >= 0x202A && r <= 0x202E)
}

// MarshalJSON is the default encoding, spelled out so that a Document
// stored by the print queue stays readable by later versions.
func (d Document) MarshalJSON() ([]byte, error) {
	type plain Document
	return json.Marshal(plain(d))
}

// UnmarshalJSON decodes a Document strictly and validates it.
func (d *Document) UnmarshalJSON(b []byte) error {
	type plain Document
	var p plain
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("receipt: decode document: %w", err)
	}
	if err := Document(p).Validate(); err != nil {
		return err
	}
	*d = Document(p)
	return nil
}

// Texts returns every text the document prints, in order: headings,
// paragraphs, row labels and values. Tests and the print queue's logs use
// it.
func (d Document) Texts() []string {
	var out []string
	for _, b := range d.Blocks {
		switch b.Kind {
		case Heading, Paragraph:
			out = append(out, b.Text)
		case Row:
			out = append(out, b.Text, b.Value)
		}
	}
	return out
}

// QRPayloads returns the payloads of the document's QR codes, in order.
func (d Document) QRPayloads() []string {
	var out []string
	for _, b := range d.Blocks {
		if b.Kind == QR {
			out = append(out, b.Payload)
		}
	}
	return out
}
