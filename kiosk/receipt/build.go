package receipt

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// Keys are the pack messages the documents use; every pack must have them
// in every language (the tests check the embedded ones).
var Keys = []string{
	"receipt.ministry", "receipt.title", "receipt.service", "receipt.tracking_number",
	"receipt.date", "receipt.kiosk", "receipt.filed_at", "receipt.collection_court",
	"receipt.fee_paid", "receipt.fee_due", "receipt.payment_method", "receipt.how_to_track",
	"receipt.keep", "receipt.duplicate", "receipt.reprinted",
	"review.fee", "review.delay", "unit.hours", "fee.free", "pay.at_counter", "help.call_centre",
	"payment.title", "payment.reference", "payment.amount", "payment.authorisation", "payment.keep",
	"callback.title", "callback.within", "callback.keep", "field.topic", "field.phone",
	"slip.title", "slip.after_payment",
	"printer.printing", "printer.paper_out", "printer.cover_open", "printer.absent", "printer.error",
	"testpage.title", "testpage.glyphs", "testpage.alignment", "testpage.left", "testpage.centre",
	"testpage.right", "testpage.sizes", "testpage.ruler", "testpage.qr", "testpage.status",
	"diagnostics.title", "diagnostics.software", "diagnostics.pack", "diagnostics.details",
}

// Kiosk says where a document is printed.
type Kiosk struct {
	ID string // the kiosk's id, as enrolled
	// Court is the id, in the country pack, of the court whose lobby the
	// kiosk stands in.
	Court string
	// Location is the time zone dates are printed in; nil prints UTC.
	Location *time.Location
}

// Fee says how a request's fee stands when its receipt prints.
type Fee struct {
	// Paid is true when the citizen paid at the kiosk; a non-zero fee not
	// paid is due at the court's cash desk.
	Paid bool
	// Method is the payment method id (pack payment_methods) when Paid.
	Method string
}

// Payment is a payment made at the kiosk.
type Payment struct {
	// Tracking is the request paid for; empty for a payment that is not a
	// request's fee (a traffic fine).
	Tracking tracking.Number
	// Service is the service id the payment is for.
	Service string
	// Reference is what was paid when it is not a request: a fine's PV
	// number.
	Reference string
	// Amount is in minor units of the pack's currency.
	Amount int64
	// Method is the payment method id; Authorisation the code the payment
	// terminal or the mobile-money provider returned.
	Method, Authorisation string
	At                    time.Time
}

// Callback is a callback request taken at the kiosk.
type Callback struct {
	Tracking tracking.Number // the request's tracking number
	Topic    string          // a choice id of the callback form's topic ("bulletin3")
	Phone    string          // the number to call, printed masked
	At       time.Time
}

// TestPage is what the technician's test page reports besides its fixed
// samples.
type TestPage struct {
	Software string // version of the kiosk software
	// Printer lists the printer's profile and status, one line each, in
	// the technician's words ("80 mm, 576 dots, WPC1252", "paper: present").
	Printer []string
	// QRPayload is the test QR code's content; empty prints the kiosk id
	// and the time.
	QRPayload string
	At        time.Time
}

// Diagnostics is the content of the technician's diagnostics page.
type Diagnostics struct {
	Software string
	At       time.Time
	// Entries are the kiosk's health, one label and value each, in the
	// technician's words (devices, queues, storage, network).
	Entries []Entry
}

// Entry is one line of a diagnostics page.
type Entry struct{ Label, Value string }

// builder accumulates a document's blocks in one language.
type builder struct {
	p    *pack.Pack
	lang pack.Language
	k    Kiosk
	doc  Document
}

func newBuilder(p *pack.Pack, lang string, k Kiosk, kind Kind) (*builder, error) {
	if p == nil {
		return nil, fmt.Errorf("receipt: %s: no country pack", kind)
	}
	l, ok := p.Language(lang)
	if !ok {
		return nil, fmt.Errorf("receipt: %s: language %q is not in pack %s", kind, lang, p.Code)
	}
	return &builder{p: p, lang: l, k: k, doc: Document{Kind: kind, Lang: lang}}, nil
}

func (b *builder) msg(key string) string { return b.p.Message(b.lang.Code, key) }

func (b *builder) add(blk Block) {
	if blk.Lang == "" && (blk.Kind == Heading || blk.Kind == Paragraph || blk.Kind == Row) {
		blk.Lang, blk.RTL = b.lang.Code, b.lang.RTL
	}
	b.doc.Blocks = append(b.doc.Blocks, blk)
}

func (b *builder) heading(text string, size Size, bold bool) {
	b.add(Block{Kind: Heading, Text: text, Size: size, Bold: bold, Align: Centre})
}

func (b *builder) para(text string, align Align) {
	b.add(Block{Kind: Paragraph, Text: text, Align: align})
}

func (b *builder) row(key, value string) {
	b.add(Block{Kind: Row, Text: b.msg(key), Value: value})
}

func (b *builder) rule() { b.add(Block{Kind: Rule}) }

// header is the top of every citizen document: country, ministry and,
// with court, the court the kiosk stands in.
func (b *builder) header(court bool) {
	b.heading(b.p.Country.In(b.lang.Code), Normal, true)
	b.heading(b.msg("receipt.ministry"), Normal, false)
	if c, ok := b.p.Court(b.k.Court); ok && court {
		b.heading(c.Names.In(b.lang.Code), Normal, false)
	}
	b.add(Block{Kind: Feed, Lines: 1})
}

// trackingNumber prints the number big and centred under its label.
func (b *builder) trackingNumber(n tracking.Number) {
	b.para(b.msg("receipt.tracking_number"), Centre)
	b.add(Block{Kind: Heading, Text: n.String(), Size: Large, Bold: true, Align: Centre, Lang: b.lang.Code, RTL: b.lang.RTL})
}

func (b *builder) qr(payload string) {
	b.add(Block{Kind: QR, Payload: payload})
}

func (b *builder) date(t time.Time) string {
	loc := b.k.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("02/01/2006 15:04")
}

func (b *builder) hours(h int) string {
	return strconv.Itoa(h) + " " + b.msg("unit.hours")
}

func (b *builder) money(minor int64) string { return b.p.FormatMoney(minor, b.lang.Code) }

func (b *builder) end() (Document, error) {
	b.add(Block{Kind: Cut})
	if err := b.doc.Validate(); err != nil {
		return Document{}, err
	}
	return b.doc, nil
}

func (b *builder) service(id string) (pack.Service, error) {
	s, ok := b.p.Service(id)
	if !ok {
		return pack.Service{}, fmt.Errorf("receipt: %s: service %q is not in pack %s", b.doc.Kind, id, b.p.Code)
	}
	return s, nil
}

// legalMentions prints the pack's receipt legal mention in each receipt
// language, each in its own direction.
func (b *builder) legalMentions() {
	for _, code := range b.p.ReceiptLanguages {
		l, _ := b.p.Language(code)
		b.add(Block{Kind: Paragraph, Text: b.p.ReceiptLegalMention[code], Lang: code, RTL: l.RTL, Align: Start})
	}
}

// Request lays out the receipt of a request that was just stored: service,
// tracking number (grouped, large), date and time, kiosk and court, the
// collection court, the fee paid or due, the expected delay, how to track
// it with a QR code of the tracking payload, and the pack's legal mention
// in every receipt language. The body is in lang, the citizen's language.
func Request(p *pack.Pack, lang string, k Kiosk, r request.Request, fee Fee) (Document, error) {
	b, err := newBuilder(p, lang, k, KindRequest)
	if err != nil {
		return Document{}, err
	}
	if !r.Tracking.Valid() {
		return Document{}, fmt.Errorf("receipt: request %s: tracking number %q is not valid", r.ID, string(r.Tracking))
	}
	s, err := b.service(r.Service)
	if err != nil {
		return Document{}, err
	}
	b.doc.Tracking = r.Tracking
	b.header(false)
	b.heading(b.msg("receipt.title"), Large, true)
	b.rule()
	b.row("receipt.service", s.Title.In(lang))
	b.trackingNumber(r.Tracking)
	b.row("receipt.date", b.date(r.CreatedAt))
	b.row("receipt.kiosk", k.ID)
	if c, ok := p.Court(k.Court); ok {
		b.row("receipt.filed_at", c.Names.In(lang))
	}
	if r.Court != "" {
		c, ok := p.Court(r.Court)
		if !ok {
			return Document{}, fmt.Errorf("receipt: request %s: court %q is not in pack %s", r.ID, r.Court, p.Code)
		}
		b.row("receipt.collection_court", c.Names.In(lang))
	}
	switch {
	case r.Fee == 0:
		b.row("review.fee", b.msg("fee.free"))
	case fee.Paid:
		b.row("receipt.fee_paid", b.money(r.Fee))
		if m, ok := p.PaymentMethod(fee.Method); ok {
			b.row("receipt.payment_method", m.Name.In(lang))
		}
	default:
		b.row("receipt.fee_due", b.money(r.Fee))
		b.para(b.msg("pay.at_counter"), Start)
	}
	if s.DelayHours > 0 {
		b.row("review.delay", b.hours(s.DelayHours))
	}
	b.rule()
	b.para(b.msg("receipt.how_to_track"), Centre)
	b.qr(r.Tracking.QRPayload(p.TrackingQRBase))
	b.add(Block{Kind: Paragraph, Text: p.TrackingURL(string(r.Tracking)), Align: Centre, Lang: "und"})
	b.para(b.msg("receipt.keep"), Start)
	if p.CallCentre != "" {
		b.row("help.call_centre", p.CallCentre)
	}
	b.rule()
	b.legalMentions()
	return b.end()
}

// PaymentReceipt lays out the proof of a payment made at the kiosk.
func PaymentReceipt(p *pack.Pack, lang string, k Kiosk, pay Payment) (Document, error) {
	b, err := newBuilder(p, lang, k, KindPayment)
	if err != nil {
		return Document{}, err
	}
	if pay.Tracking != "" && !pay.Tracking.Valid() {
		return Document{}, fmt.Errorf("receipt: payment: tracking number %q is not valid", string(pay.Tracking))
	}
	if pay.Tracking == "" && pay.Reference == "" {
		return Document{}, fmt.Errorf("receipt: payment: neither a tracking number nor a reference")
	}
	if pay.Amount <= 0 {
		return Document{}, fmt.Errorf("receipt: payment: amount %d", pay.Amount)
	}
	s, err := b.service(pay.Service)
	if err != nil {
		return Document{}, err
	}
	m, ok := p.PaymentMethod(pay.Method)
	if !ok {
		return Document{}, fmt.Errorf("receipt: payment: method %q is not in pack %s", pay.Method, p.Code)
	}
	b.doc.Tracking = pay.Tracking
	b.header(true)
	b.heading(b.msg("payment.title"), Large, true)
	b.rule()
	b.row("receipt.service", s.Title.In(lang))
	if pay.Reference != "" {
		b.row("payment.reference", pay.Reference)
	}
	if pay.Tracking != "" {
		b.trackingNumber(pay.Tracking)
	}
	b.para(b.msg("payment.amount"), Centre)
	b.heading(b.money(pay.Amount), Large, true)
	b.row("receipt.payment_method", m.Name.In(lang))
	if pay.Authorisation != "" {
		b.row("payment.authorisation", pay.Authorisation)
	}
	b.row("receipt.date", b.date(pay.At))
	b.row("receipt.kiosk", k.ID)
	b.rule()
	if pay.Tracking != "" {
		b.qr(pay.Tracking.QRPayload(p.TrackingQRBase))
	}
	b.para(b.msg("payment.keep"), Start)
	return b.end()
}

// CallbackTicket lays out the ticket of a callback request: topic, the
// phone number masked, when to expect the call.
func CallbackTicket(p *pack.Pack, lang string, k Kiosk, c Callback) (Document, error) {
	b, err := newBuilder(p, lang, k, KindCallback)
	if err != nil {
		return Document{}, err
	}
	if c.Tracking != "" && !c.Tracking.Valid() {
		return Document{}, fmt.Errorf("receipt: callback: tracking number %q is not valid", string(c.Tracking))
	}
	b.doc.Tracking = c.Tracking
	b.header(true)
	b.heading(b.msg("callback.title"), Large, true)
	b.rule()
	if c.Tracking != "" {
		b.trackingNumber(c.Tracking)
	}
	if c.Topic != "" {
		key := "choice.topic." + c.Topic
		if _, ok := p.Messages[lang][key]; !ok {
			return Document{}, fmt.Errorf("receipt: callback: unknown topic %q", c.Topic)
		}
		b.row("field.topic", b.msg(key))
	}
	if masked := MaskPhone(c.Phone); masked != "" {
		b.row("field.phone", masked)
	}
	if s, ok := p.Service("callback"); ok && s.DelayHours > 0 {
		b.row("callback.within", b.hours(s.DelayHours))
	}
	b.row("receipt.date", b.date(c.At))
	if p.CallCentre != "" {
		b.row("help.call_centre", p.CallCentre)
	}
	b.rule()
	if c.Tracking != "" {
		b.qr(c.Tracking.QRPayload(p.TrackingQRBase))
	}
	b.para(b.msg("callback.keep"), Start)
	return b.end()
}

// MaskPhone keeps a phone number's first two and last two digits and
// stars the others, so that a ticket left on the kiosk gives nobody the
// number: "0612345678" prints as "06******78". Other characters (+,
// spaces) stay. Fewer than five digits print as stars only.
func MaskPhone(phone string) string {
	digits := 0
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	var out strings.Builder
	i := 0
	for _, r := range phone {
		if r < '0' || r > '9' {
			if r == '+' || r == ' ' || r == '-' || r == '.' {
				out.WriteRune(r)
			}
			continue
		}
		if digits >= 5 && (i < 2 || i >= digits-2) {
			out.WriteRune(r)
		} else {
			out.WriteByte('*')
		}
		i++
	}
	return strings.TrimSpace(out.String())
}

// CounterSlip lays out the slip a citizen takes to the court's cash desk
// to pay a request's fee there: the amount due, big, and the tracking
// number as text and QR code for the cashier.
func CounterSlip(p *pack.Pack, lang string, k Kiosk, r request.Request) (Document, error) {
	b, err := newBuilder(p, lang, k, KindCounterSlip)
	if err != nil {
		return Document{}, err
	}
	if !r.Tracking.Valid() {
		return Document{}, fmt.Errorf("receipt: counter slip for %s: tracking number %q is not valid", r.ID, string(r.Tracking))
	}
	if r.Fee <= 0 {
		return Document{}, fmt.Errorf("receipt: counter slip for %s: nothing to pay", r.Tracking)
	}
	s, err := b.service(r.Service)
	if err != nil {
		return Document{}, err
	}
	b.doc.Tracking = r.Tracking
	b.header(true)
	b.heading(b.msg("slip.title"), Large, true)
	b.rule()
	b.row("receipt.service", s.Title.In(lang))
	b.trackingNumber(r.Tracking)
	b.para(b.msg("receipt.fee_due"), Centre)
	b.heading(b.money(r.Fee), Large, true)
	b.para(b.msg("pay.at_counter"), Start)
	b.para(b.msg("slip.after_payment"), Start)
	b.row("receipt.date", b.date(r.CreatedAt))
	b.row("receipt.kiosk", k.ID)
	b.qr(r.Tracking.QRPayload(p.TrackingQRBase))
	return b.end()
}

// Samples printed on the test page: every letter a receipt uses in each
// script, the digits, and an identifier isolated inside Arabic.
const (
	SampleLatinCommon = "ÀÂÄÇÉÈÊËÎÏÔÖÙÛÜ àâäçéèêëîïôöùûü"
	SampleLatinRare   = "Œœ Ÿÿ Ææ € « » ° n° 0123456789"
	SampleArabic      = "أبجد هوز حطي كلمن سعفص قرشت ثخذ ضظغ ٠١٢٣٤٥٦٧٨٩"
	SampleArabicMixed = "رقم التتبع: \u2066K7MX-4HQ9-XR3T\u2069 (24 ساعة)"
	SampleTifinagh    = "ⴰ ⴱ ⴳ ⴳⵯ ⴷ ⴹ ⴻ ⴼ ⴽ ⴽⵯ ⵀ ⵃ ⵄ ⵅ ⵇ ⵉ ⵊ ⵍ ⵎ ⵏ ⵓ ⵔ ⵕ ⵖ ⵙ ⵚ ⵛ ⵜ ⵟ ⵡ ⵢ ⵣ ⵥ"
)

// TestPageFor lays out the technician's printer test page in lang: every
// glyph set (Latin with French accents, Arabic, Tifinagh, an isolated
// identifier inside Arabic), the alignments, the sizes and weights, a
// millimetre ruler across the paper, a test QR code and the printer's
// status.
func TestPageFor(p *pack.Pack, lang string, k Kiosk, t TestPage) (Document, error) {
	b, err := newBuilder(p, lang, k, KindTestPage)
	if err != nil {
		return Document{}, err
	}
	b.heading(b.msg("testpage.title"), Large, true)
	b.row("receipt.kiosk", k.ID)
	if t.Software != "" {
		b.row("diagnostics.software", t.Software)
	}
	b.row("receipt.date", b.date(t.At))
	b.rule()
	b.heading(b.msg("testpage.glyphs"), Normal, true)
	for _, s := range []struct{ text, lang string }{
		{SampleLatinCommon, "fr"}, {SampleLatinRare, "fr"},
		{SampleArabic, "ar"}, {SampleArabicMixed, "ar"}, {SampleTifinagh, "zgh"},
	} {
		b.add(Block{Kind: Paragraph, Text: s.text, Lang: s.lang, RTL: s.lang == "ar", Align: Start})
	}
	b.rule()
	b.heading(b.msg("testpage.alignment"), Normal, true)
	// Physical placement: left is left whatever the technician reads.
	for _, a := range []struct {
		key   string
		align Align
	}{{"testpage.left", Start}, {"testpage.centre", Centre}, {"testpage.right", End}} {
		b.add(Block{Kind: Paragraph, Text: b.msg(a.key), Lang: lang, Align: a.align})
	}
	b.heading(b.msg("testpage.ruler"), Normal, false)
	b.add(Block{Kind: Ruler})
	b.rule()
	b.heading(b.msg("testpage.sizes"), Normal, true)
	b.para("Aa Bb 123 — "+b.msg("testpage.sizes"), Start)
	b.add(Block{Kind: Paragraph, Text: "Aa Bb 123 — " + b.msg("testpage.sizes"), Bold: true, Align: Start})
	b.heading("Aa 123", Large, false)
	b.heading("Aa 123", Large, true)
	b.rule()
	b.heading(b.msg("testpage.qr"), Normal, true)
	payload := t.QRPayload
	if payload == "" {
		payload = "GUICHET TEST " + k.ID + " " + t.At.UTC().Format(time.RFC3339)
	}
	b.qr(payload)
	b.add(Block{Kind: Paragraph, Text: payload, Align: Centre, Lang: "und"})
	b.rule()
	b.heading(b.msg("testpage.status"), Normal, true)
	for _, line := range t.Printer {
		b.add(Block{Kind: Paragraph, Text: line, Align: Start, Lang: "und"})
	}
	return b.end()
}

// DiagnosticsPage lays out the technician's diagnostics page: the kiosk,
// its software and country pack, then the entries given.
func DiagnosticsPage(p *pack.Pack, lang string, k Kiosk, d Diagnostics) (Document, error) {
	b, err := newBuilder(p, lang, k, KindDiagnostics)
	if err != nil {
		return Document{}, err
	}
	b.heading(b.msg("diagnostics.title"), Large, true)
	b.row("receipt.kiosk", k.ID)
	if c, ok := p.Court(k.Court); ok {
		b.row("receipt.filed_at", c.Names.In(lang))
	}
	if d.Software != "" {
		b.row("diagnostics.software", d.Software)
	}
	b.row("diagnostics.pack", fmt.Sprintf("%s v%d", p.Code, p.Version))
	b.row("receipt.date", b.date(d.At))
	b.rule()
	b.heading(b.msg("diagnostics.details"), Normal, true)
	for _, e := range d.Entries {
		if strings.TrimSpace(e.Label) == "" || strings.TrimSpace(e.Value) == "" {
			continue
		}
		b.add(Block{Kind: Row, Text: e.Label, Value: e.Value, Lang: "und"})
	}
	return b.end()
}

// AsDuplicate returns a copy of d marked as a duplicate, for an explicit
// reprint: "DUPLICATA" (in d's language and in every receipt language of
// the pack) and the reprint date at the top, the mark again above the cut.
// A document already marked is refused: reprints are made from the
// original.
func AsDuplicate(p *pack.Pack, d Document, k Kiosk, at time.Time) (Document, error) {
	if d.Duplicate {
		return Document{}, fmt.Errorf("receipt: %s document is already a duplicate", d.Kind)
	}
	b, err := newBuilder(p, d.Lang, k, d.Kind)
	if err != nil {
		return Document{}, err
	}
	var marks []string
	for _, code := range append([]string{d.Lang}, p.ReceiptLanguages...) {
		m := p.Message(code, "receipt.duplicate")
		if !slices.Contains(marks, m) {
			marks = append(marks, m)
		}
	}
	mark := strings.Join(marks, " / ")
	b.doc = Document{Kind: d.Kind, Tracking: d.Tracking, Lang: d.Lang, Duplicate: true}
	b.add(Block{Kind: Heading, Text: mark, Size: Large, Bold: true, Align: Centre, Lang: d.Lang, RTL: b.lang.RTL})
	b.row("receipt.reprinted", b.date(at))
	b.rule()
	b.doc.Blocks = append(b.doc.Blocks, d.Blocks[:len(d.Blocks)-1]...)
	b.add(Block{Kind: Heading, Text: mark, Bold: true, Align: Centre, Lang: d.Lang, RTL: b.lang.RTL})
	return b.end()
}
