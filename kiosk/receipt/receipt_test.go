package receipt

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

var (
	at       = time.Date(2026, time.May, 12, 13, 5, 0, 0, time.UTC)
	number   = tracking.NewGenerator("ma-casa-01", func() time.Time { return at }, strings.NewReader(strings.Repeat("\x17", 64))).Next()
	casablan = mustLoc("Africa/Casablanca")
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("+01", 3600)
	}
	return l
}

func mustPack(t testing.TB, code string) *pack.Pack {
	t.Helper()
	p, err := pack.Embedded(code)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKeysInEveryPack(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p := mustPack(t, code)
		for _, l := range p.Languages {
			for _, k := range Keys {
				if p.Messages[l.Code][k] == "" {
					t.Errorf("pack %s, language %s: no message %s", code, l.Code, k)
				}
			}
		}
	}
}

func bulletin3(fee int64) request.Request {
	return request.Request{
		ID: "00112233445566778899aabbccddeeff", Tracking: number, Service: "bulletin3",
		Court: "tpi-fes", Fee: fee, Currency: "MAD", State: request.Queued,
		CreatedAt: at, UpdatedAt: at, KioskID: "ma-casa-01", PackVersion: 1,
	}
}

var kiosk = Kiosk{ID: "ma-casa-01", Court: "tpi-casablanca", Location: casablan}

func TestRequest(t *testing.T) {
	ma := mustPack(t, "ma")
	tests := []struct {
		name  string
		lang  string
		fee   int64
		paid  Fee
		want  []string // texts that must appear, in order
		avoid []string
	}{
		{
			name: "french, paid by card", lang: "fr", fee: 2000, paid: Fee{Paid: true, Method: "card_terminal"},
			want: []string{
				"Royaume du Maroc", "Récépissé de dépôt de demande", "Service", "Casier judiciaire (bulletin n° 3)",
				"Numéro de suivi", number.String(), "Date et heure", "12/05/2026 14:05", "Borne", "ma-casa-01",
				"Déposée à", "Tribunal de première instance de Casablanca", "Retrait au", "Tribunal de première instance de Fès",
				"Montant payé", "20,00\u00a0DH", "Mode de paiement", "Carte bancaire (terminal de paiement)",
				"Délai de traitement", "24 heures", ma.ReceiptLegalMention["ar"], ma.ReceiptLegalMention["fr"],
			},
			avoid: []string{"Montant à payer"},
		},
		{
			name: "arabic, due at the counter", lang: "ar", fee: 2000,
			want:  []string{"المملكة المغربية", "وصل إيداع طلب", number.String(), "المبلغ الواجب أداؤه", "20,00\u00a0درهم", "المرجو الأداء بصندوق المحكمة مع تقديم الوصل", "24 ساعة"},
			avoid: []string{"المبلغ المؤدى"},
		},
		{
			name: "tamazight, free", lang: "zgh", fee: 0,
			want: []string{"ⵜⴰⴳⵍⴷⵉⵜ ⵏ ⵍⵎⵖⵔⵉⴱ", number.String(), "ⴰⵅⵍⵍⵚ", "ⴱⵍⴰ ⴰⵅⵍⵍⵚ", ma.ReceiptLegalMention["ar"]},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Request(ma, tt.lang, kiosk, bulletin3(tt.fee), tt.paid)
			if err != nil {
				t.Fatal(err)
			}
			texts := d.Texts()
			i := 0
			for _, w := range tt.want {
				j := slices.Index(texts[i:], w)
				if j < 0 {
					t.Fatalf("Request texts lack %q after position %d:\n%s", w, i, strings.Join(texts, "\n"))
				}
				i += j + 1
			}
			for _, a := range tt.avoid {
				if slices.Contains(texts, a) {
					t.Errorf("Request texts hold %q", a)
				}
			}
			if diff := cmp.Diff([]string{"https://suivi.justice.gov.ma/t/" + string(number)}, d.QRPayloads()); diff != "" {
				t.Errorf("QR payloads (-want +got):\n%s", diff)
			}
			if d.Tracking != number || d.Kind != KindRequest || d.Lang != tt.lang {
				t.Errorf("Request = kind %s, tracking %s, lang %s", d.Kind, d.Tracking, d.Lang)
			}
			// The legal mention prints in Arabic right to left and in
			// French left to right, whatever the body's language.
			for _, b := range d.Blocks {
				if b.Text == ma.ReceiptLegalMention["ar"] && (!b.RTL || b.Lang != "ar") {
					t.Errorf("Arabic legal mention block = %+v, want RTL ar", b)
				}
				if b.Text == ma.ReceiptLegalMention["fr"] && (b.RTL || b.Lang != "fr") {
					t.Errorf("French legal mention block = %+v, want LTR fr", b)
				}
			}
		})
	}
}

func TestRequestRefuses(t *testing.T) {
	ma := mustPack(t, "ma")
	tests := []struct {
		name string
		lang string
		edit func(*request.Request)
		msg  string
	}{
		{"language outside the pack", "ee", func(*request.Request) {}, `language "ee"`},
		{"no tracking number", "fr", func(r *request.Request) { r.Tracking = "" }, "tracking number"},
		{"unknown service", "fr", func(r *request.Request) { r.Service = "marriage" }, `service "marriage"`},
		{"unknown court", "fr", func(r *request.Request) { r.Court = "tpi-paris" }, `court "tpi-paris"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := bulletin3(2000)
			tt.edit(&r)
			_, err := Request(ma, tt.lang, kiosk, r, Fee{})
			if err == nil || !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), "receipt: ") {
				t.Errorf("Request = %v, want an error with %q", err, tt.msg)
			}
		})
	}
}

func TestSamples(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p := mustPack(t, code)
		for _, kind := range Kinds {
			for _, l := range p.Languages {
				t.Run(code+"/"+string(kind)+"/"+l.Code, func(t *testing.T) {
					d, err := Sample(p, kind, l.Code, number, at)
					if err != nil {
						t.Fatal(err)
					}
					if err := d.Validate(); err != nil {
						t.Fatal(err)
					}
					for _, s := range d.Texts() {
						if strings.Contains(s, ".") && p.Messages[l.Code][s] != "" {
							t.Errorf("a message key printed as text: %q", s)
						}
					}
					b, err := json.Marshal(d)
					if err != nil {
						t.Fatal(err)
					}
					var back Document
					if err := json.Unmarshal(b, &back); err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(d, back); diff != "" {
						t.Errorf("JSON round trip (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
}

func TestPaymentCallbackSlip(t *testing.T) {
	ma := mustPack(t, "ma")
	pay, err := PaymentReceipt(ma, "fr", kiosk, Payment{Reference: "12345678-RF-0042", Service: "radar_fine", Amount: 70000, Method: "card_terminal", Authorisation: "A1B2C3", At: at})
	if err != nil {
		t.Fatal(err)
	}
	if got := pay.QRPayloads(); got != nil {
		t.Errorf("fine payment QR = %q, want none (no tracking number)", got)
	}
	for _, w := range []string{"Reçu de paiement", "12345678-RF-0042", "700,00\u00a0DH", "A1B2C3", "Tribunal de première instance de Casablanca"} {
		if !slices.Contains(pay.Texts(), w) {
			t.Errorf("payment receipt lacks %q", w)
		}
	}
	if _, err := PaymentReceipt(ma, "fr", kiosk, Payment{Reference: "x", Service: "radar_fine", Amount: 0, Method: "card_terminal"}); err == nil {
		t.Errorf("PaymentReceipt(amount 0) = nil error")
	}
	if _, err := PaymentReceipt(ma, "fr", kiosk, Payment{Reference: "x", Service: "radar_fine", Amount: 1, Method: "tmoney"}); err == nil {
		t.Errorf("PaymentReceipt(method of another pack) = nil error")
	}

	cb, err := CallbackTicket(ma, "ar", kiosk, Callback{Tracking: number, Topic: "bulletin3", Phone: "+212 612 345 678", At: at})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"طلب معاودة الاتصال", "السجل العدلي", "+21* *** *** *78", "24 ساعة"} {
		if !slices.Contains(cb.Texts(), w) {
			t.Errorf("callback ticket lacks %q:\n%s", w, strings.Join(cb.Texts(), "\n"))
		}
	}
	if _, err := CallbackTicket(ma, "ar", kiosk, Callback{Topic: "weather"}); err == nil {
		t.Errorf("CallbackTicket(unknown topic) = nil error")
	}

	slip, err := CounterSlip(ma, "fr", kiosk, bulletin3(2000))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"À payer à la caisse", number.String(), "20,00\u00a0DH", "Payez à la caisse du tribunal en présentant votre reçu"} {
		if !slices.Contains(slip.Texts(), w) {
			t.Errorf("counter slip lacks %q", w)
		}
	}
	if _, err := CounterSlip(ma, "fr", kiosk, bulletin3(0)); err == nil {
		t.Errorf("CounterSlip(free request) = nil error")
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0612345678", "06******78"},
		{"+212612345678", "+21********78"},
		{"06 12 34 56 78", "06 ** ** ** 78"},
		{"1234", "****"},
		{"", ""},
		{"call me", ""},
	}
	for _, tt := range tests {
		if got := MaskPhone(tt.in); got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAsDuplicate(t *testing.T) {
	ma := mustPack(t, "ma")
	orig, err := Request(ma, "fr", kiosk, bulletin3(2000), Fee{Paid: true, Method: "card_terminal"})
	if err != nil {
		t.Fatal(err)
	}
	dup, err := AsDuplicate(ma, orig, kiosk, at.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !dup.Duplicate || orig.Duplicate {
		t.Errorf("Duplicate flags: copy %v, original %v; want true, false", dup.Duplicate, orig.Duplicate)
	}
	texts := dup.Texts()
	if texts[0] != "DUPLICATA / نسخة" || texts[len(texts)-1] != "DUPLICATA / نسخة" {
		t.Errorf("duplicate marks = %q … %q, want DUPLICATA / نسخة at both ends", texts[0], texts[len(texts)-1])
	}
	if !slices.Contains(texts, "14/05/2026 14:05") {
		t.Errorf("duplicate lacks its reprint date")
	}
	if diff := cmp.Diff(orig.Texts(), texts[3:len(texts)-1]); diff != "" {
		t.Errorf("duplicate body differs from the original (-want +got):\n%s", diff)
	}
	if _, err := AsDuplicate(ma, dup, kiosk, at); err == nil {
		t.Errorf("AsDuplicate(duplicate) = nil error, want a refusal")
	}
	ar, _ := Request(ma, "ar", kiosk, bulletin3(2000), Fee{})
	dupAr, _ := AsDuplicate(ma, ar, kiosk, at)
	if got := dupAr.Texts()[0]; got != "نسخة / DUPLICATA" {
		t.Errorf("Arabic duplicate mark = %q, want نسخة / DUPLICATA", got)
	}
}

var invalidDocs = []struct {
	name string
	doc  Document
	msg  string
}{
	{"unknown kind", Document{Kind: "menu", Blocks: []Block{{Kind: Cut}}}, "unknown kind"},
	{"no cut", Document{Kind: KindRequest, Blocks: []Block{{Kind: Paragraph, Text: "a"}}}, "must end with a cut"},
	{"cut in the middle", Document{Kind: KindRequest, Blocks: []Block{{Kind: Cut}, {Kind: Cut}}}, "a cut before the end"},
	{"control", Document{Kind: KindRequest, Blocks: []Block{{Kind: Paragraph, Text: "a\nb"}, {Kind: Cut}}}, "control character"},
	{"override", Document{Kind: KindRequest, Blocks: []Block{{Kind: Paragraph, Text: "a\u202Eb"}, {Kind: Cut}}}, "control character"},
	{"empty row", Document{Kind: KindRequest, Blocks: []Block{{Kind: Row, Text: "a"}, {Kind: Cut}}}, "label and a value"},
	{"long QR", Document{Kind: KindRequest, Blocks: []Block{{Kind: QR, Payload: strings.Repeat("x", 201)}, {Kind: Cut}}}, "QR payload"},
	{"feed 0", Document{Kind: KindRequest, Blocks: []Block{{Kind: Feed}, {Kind: Cut}}}, "feed of 0"},
	{"bad size", Document{Kind: KindRequest, Blocks: []Block{{Kind: Heading, Text: "a", Size: "huge"}, {Kind: Cut}}}, "unknown size"},
	{"bad tracking", Document{Kind: KindRequest, Tracking: "K7MX", Blocks: []Block{{Kind: Cut}}}, "not valid"},
}

func TestValidateRefuses(t *testing.T) {
	for _, tt := range invalidDocs {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.doc.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Validate() = %v, want an error with %q", err, tt.msg)
			}
			b, _ := json.Marshal(tt.doc)
			var d Document
			if err := json.Unmarshal(b, &d); err == nil {
				t.Errorf("Unmarshal(invalid) = nil error")
			}
		})
	}
}

// FuzzDocumentJSON: the decoder never panics, and what it accepts is valid
// and encodes back to a document it reads the same.
func FuzzDocumentJSON(f *testing.F) {
	ma := mustPack(f, "ma")
	for _, kind := range Kinds {
		d, err := Sample(ma, kind, "ar", number, at)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := json.Marshal(d)
		f.Add(b)
	}
	for _, tt := range invalidDocs {
		b, _ := json.Marshal(tt.doc)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Document
		if err := json.Unmarshal(b, &d); err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted an invalid document: %v", err)
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var d2 Document
		if err := json.Unmarshal(again, &d2); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(d, d2); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
