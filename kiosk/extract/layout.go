package extract

import (
	"fmt"
	"time"

	"guichet/kiosk/pack"
)

// Document is an extract laid out for one language, independent of the
// printer: a sequence of blocks in reading order, with every text in its
// final words. A renderer (drivers/pdfdoc for the laser printer) chooses
// fonts, sizes, line breaks and pages; it lays the blocks out from the
// right when RTL.
//
// Identifiers inside a text (numbers, dates, key ids, the URL) are wrapped
// in LRI … PDI and names in FSI … PDI, so that the Unicode bidirectional
// algorithm shows them as written inside a sentence of either direction.
type Document struct {
	Lang   string // ISO 639 code of the text: "ar", "fr"
	Script string // ISO 15924 code of the language's script: "Arab", "Latn"
	RTL    bool   // the language reads right to left
	// Title is the document's title for the file's metadata.
	Title string
	// Footer is printed at the bottom of every page, with the page number.
	Footer string
	Blocks []Block
}

// Block is one of Header, Title, Section, Fields, Table, Statement,
// Signatures, Verification.
type Block interface{ isBlock() }

// Header is the issuing authority, centred at the top of the first page:
// the state, the ministry, the court.
type Header struct{ Lines []string }

// Title is the document's name and subtitle, centred and large.
type Title struct{ Text, Subtitle string }

// Section is a heading over the blocks that follow it.
type Section struct{ Text string }

// Fields are label–value rows, labels on the side the language starts
// from.
type Fields struct{ Rows []Field }

// Field is one row of Fields.
type Field struct{ Label, Value string }

// Table is a table with a header row, such as the list of convictions.
type Table struct {
	Columns []string
	Rows    [][]string
}

// Statement is a short sentence set apart, centred and bold: "Néant".
type Statement struct{ Text string }

// Signatures are signature blocks side by side, in reading order.
type Signatures struct{ Signers []Signer }

// Signer is one signature block: the role's title, the signer's name, and
// the lines that let the signature be checked.
type Signer struct {
	Title string
	Name  string
	Lines []string
}

// Verification is the verification QR code and the sentences beside it.
type Verification struct {
	// Payload is what the QR code carries, exactly: the VerificationURL.
	Payload string
	Lines   []string
}

func (Header) isBlock()       {}
func (Title) isBlock()        {}
func (Section) isBlock()      {}
func (Fields) isBlock()       {}
func (Table) isBlock()        {}
func (Statement) isBlock()    {}
func (Signatures) isBlock()   {}
func (Verification) isBlock() {}

// MessageKeys are the pack messages Layout uses; every pack has them in every
// language.
var MessageKeys = []string{
	"extract.ministry", "extract.title", "extract.bulletin",
	"extract.number", "extract.tracking", "extract.issued_at", "extract.issued_by",
	"extract.holder", "extract.surname", "extract.given_names", "extract.father",
	"extract.mother", "extract.birth_date", "extract.birth_place",
	"extract.nationality", "extract.national_id",
	"extract.entries", "extract.entry_date", "extract.entry_court",
	"extract.entry_offence", "extract.entry_sentence", "extract.none",
	"extract.signatures", "extract.clerk", "extract.prosecutor", "extract.signed",
	"extract.key", "extract.fingerprint", "extract.verify",
}

// Bidi isolates (UAX #9, 2.4), written here rather than imported: kiosk/
// depends on no driver.
const (
	lri = "\u2066" // LEFT-TO-RIGHT ISOLATE
	fsi = "\u2068" // FIRST STRONG ISOLATE
	pdi = "\u2069" // POP DIRECTIONAL ISOLATE
)

// ltr isolates an identifier so that it reads left to right as written.
func ltr(s string) string { return lri + s + pdi }

// name isolates a name or a court's name, which keeps its own direction.
func name(s string) string { return fsi + s + pdi }

// Layout lays e out in lang, one of the pack's languages, with the pack's
// words (court names, the state's name, messages). Times are shown in loc
// (UTC when nil). Layout does not verify the signatures: the kiosk calls
// Verify first and prints only an extract that passes.
func Layout(e *Extract, p *pack.Pack, lang string, loc *time.Location) (*Document, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	l, ok := p.Language(lang)
	if !ok {
		return nil, fmt.Errorf("extract: layout: language %q is not in pack %s", lang, p.Code)
	}
	court, ok := p.Court(e.Court)
	if !ok {
		return nil, fmt.Errorf("extract: layout: court %q is not in pack %s", e.Court, p.Code)
	}
	var missing []string
	msg := func(key string) string {
		s, ok := p.Messages[lang][key]
		if !ok || s == "" {
			missing = append(missing, key)
		}
		return s
	}
	if loc == nil {
		loc = time.UTC
	}
	script := l.Script
	h := e.Holder
	date := func(s string) string {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return ltr(t.Format("02/01/2006"))
		}
		return ltr(s) // a year alone
	}
	issued := e.IssuedAt.In(loc)

	d := &Document{Lang: lang, Script: script, RTL: l.RTL}
	d.Title = msg("extract.title") + " — " + msg("extract.bulletin") + " — " + ltr(e.Number)
	d.Footer = msg("extract.number") + " " + ltr(e.Number)
	d.Blocks = append(d.Blocks,
		Header{Lines: []string{p.Country.In(lang), msg("extract.ministry"), court.Names.In(lang)}},
		Title{Text: msg("extract.title"), Subtitle: msg("extract.bulletin")},
		Fields{Rows: []Field{
			{msg("extract.number"), ltr(e.Number)},
			{msg("extract.tracking"), ltr(e.Tracking.String())},
			{msg("extract.issued_at"), ltr(issued.Format("02/01/2006 15:04"))},
			{msg("extract.issued_by"), name(court.Names.In(lang))},
		}},
		Section{Text: msg("extract.holder")},
	)
	rows := []Field{
		{msg("extract.surname"), name(h.Surname.In(script))},
		{msg("extract.given_names"), name(h.GivenNames.In(script))},
	}
	if s := h.Father.In(script); s != "" {
		rows = append(rows, Field{msg("extract.father"), name(s)})
	}
	if s := h.Mother.In(script); s != "" {
		rows = append(rows, Field{msg("extract.mother"), name(s)})
	}
	rows = append(rows,
		Field{msg("extract.birth_date"), date(h.BirthDate)},
		Field{msg("extract.birth_place"), name(h.BirthPlace.In(script))},
		Field{msg("extract.nationality"), name(h.Nationality.In(script))},
	)
	if h.NationalID != "" {
		rows = append(rows, Field{msg("extract.national_id"), ltr(h.NationalID)})
	}
	d.Blocks = append(d.Blocks, Fields{Rows: rows}, Section{Text: msg("extract.entries")})
	if len(e.Entries) == 0 {
		d.Blocks = append(d.Blocks, Statement{Text: msg("extract.none")})
	} else {
		t := Table{Columns: []string{
			msg("extract.entry_date"), msg("extract.entry_court"),
			msg("extract.entry_offence"), msg("extract.entry_sentence"),
		}}
		for _, en := range e.Entries {
			t.Rows = append(t.Rows, []string{
				date(en.Date), name(en.Court.In(script)),
				name(en.Offence.In(script)), name(en.Sentence.In(script)),
			})
		}
		d.Blocks = append(d.Blocks, t)
	}
	sigs := Signatures{}
	for _, s := range e.Signatures {
		title := msg("extract.clerk")
		if s.Role == Prosecutor {
			title = msg("extract.prosecutor")
		}
		sigs.Signers = append(sigs.Signers, Signer{
			Title: title,
			Name:  name(s.Name.In(script)),
			Lines: []string{
				msg("extract.signed"),
				msg("extract.key") + " " + ltr(s.KeyID),
				msg("extract.fingerprint") + " " + ltr(s.Fingerprint()),
			},
		})
	}
	d.Blocks = append(d.Blocks,
		Section{Text: msg("extract.signatures")},
		sigs,
		Verification{Payload: e.VerificationURL, Lines: []string{msg("extract.verify"), ltr(e.VerificationURL)}},
	)
	if len(missing) > 0 {
		return nil, fmt.Errorf("extract: layout: pack %s has no message %q in %s", p.Code, missing[0], lang)
	}
	if e.VerificationURL == "" {
		return nil, fmt.Errorf("extract: layout: no verification URL (the extract is not signed): %w", ErrUnsigned)
	}
	return d, nil
}
