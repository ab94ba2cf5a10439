package pack

import (
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/form"
	"guichet/kiosk/request"
	"guichet/kiosk/scan"
)

func mustEmbedded(t testing.TB, code string) *Pack {
	t.Helper()
	p, err := Embedded(code)
	if err != nil {
		t.Fatalf("Embedded(%q): %v", code, err)
	}
	return p
}

func TestEmbeddedCodes(t *testing.T) {
	if diff := cmp.Diff([]string{"ma", "tg"}, EmbeddedCodes()); diff != "" {
		t.Errorf("EmbeddedCodes() mismatch (-want +got):\n%s", diff)
	}
	for _, code := range []string{"fr", "", "../ma", "MA"} {
		if _, err := Embedded(code); err == nil {
			t.Errorf("Embedded(%q) = nil error, want ErrNoPack", code)
		} else if !strings.Contains(err.Error(), "have ma, tg") {
			t.Errorf("Embedded(%q) = %v, want the list of packs", code, err)
		}
	}
}

func TestEmbeddedPacks(t *testing.T) {
	type summary struct {
		Code, Default, Currency string
		MinorUnits              int
		Languages, Receipt      []string
		RTL                     []bool
		MRZField                string
	}
	tests := []struct {
		code string
		want summary
	}{
		{"ma", summary{"ma", "ar", "MAD", 2, []string{"ar", "fr", "zgh", "en"}, []string{"ar", "fr"}, []bool{true, false, false, false}, MRZFieldOptionalData1}},
		{"tg", summary{"tg", "fr", "XOF", 0, []string{"fr"}, []string{"fr"}, []bool{false}, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			p := mustEmbedded(t, tt.code)
			got := summary{Code: p.Code, Default: p.DefaultLanguage, Currency: p.Currency.Code,
				MinorUnits: p.Currency.MinorUnits, Receipt: p.ReceiptLanguages, MRZField: p.MRZNationalNumber.Field}
			for _, l := range p.Languages {
				got.Languages = append(got.Languages, l.Code)
				got.RTL = append(got.RTL, l.RTL)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Embedded(%q) mismatch (-want +got):\n%s", tt.code, diff)
			}
			if p.Schema != SchemaVersion || p.Version < 1 {
				t.Errorf("schema %d version %d, want schema %d and a version", p.Schema, p.Version, SchemaVersion)
			}
		})
	}
}

// TestEmbeddedIsFresh checks that a caller changing its pack does not
// change the next caller's.
func TestEmbeddedIsFresh(t *testing.T) {
	a := mustEmbedded(t, "ma")
	a.Courts[0].Names["fr"] = "changed"
	a.Messages["fr"]["nav.back"] = "changed"
	b := mustEmbedded(t, "ma")
	if b.Courts[0].Names["fr"] == "changed" || b.Messages["fr"]["nav.back"] == "changed" {
		t.Error("Embedded returned a pack shared with an earlier caller")
	}
}

// The facts DOMAIN.md marks [src].
func TestServiceFacts(t *testing.T) {
	tests := []struct {
		code, service string
		fee           int64
		rule          FeeRule
		delay         time.Duration
		methods       []string
		formatted     string // the fee in the default language... or French
	}{
		{"ma", "bulletin3", 2000, FeeFixed, 24 * time.Hour, []string{"card_terminal", "counter"}, "20,00\u00a0DH"},
		{"ma", "civil_status", 2000, FeePerCopy, 120 * time.Hour, []string{"card_terminal"}, "20,00\u00a0DH"},
		{"ma", "radar_fine", 0, FeeAssessed, 0, []string{"card_terminal", "counter"}, "0,00\u00a0DH"},
		{"ma", "directory", 0, FeeFree, 0, nil, "0,00\u00a0DH"},
		{"ma", "tracking", 0, FeeFree, 0, nil, "0,00\u00a0DH"},
		{"ma", "callback", 0, FeeFree, 24 * time.Hour, nil, "0,00\u00a0DH"},
		{"tg", "bulletin3", 500, FeeFixed, 72 * time.Hour, []string{"tmoney", "flooz", "card_terminal", "counter"}, "500\u00a0F\u00a0CFA"},
		{"tg", "directory", 0, FeeFree, 0, nil, "0\u00a0F\u00a0CFA"},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.service, func(t *testing.T) {
			p := mustEmbedded(t, tt.code)
			s, ok := p.Service(tt.service)
			if !ok {
				t.Fatalf("Service(%q) not found", tt.service)
			}
			if s.Fee != tt.fee || s.FeeRule != tt.rule || s.Delay() != tt.delay {
				t.Errorf("Service(%q) = fee %d %s delay %v, want %d %s %v", tt.service, s.Fee, s.FeeRule, s.Delay(), tt.fee, tt.rule, tt.delay)
			}
			if diff := cmp.Diff(tt.methods, s.PaymentMethods, cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })); diff != "" {
				t.Errorf("Service(%q).PaymentMethods mismatch (-want +got):\n%s", tt.service, diff)
			}
			if got := p.FormatMoney(s.Fee, "fr"); got != tt.formatted {
				t.Errorf("FormatMoney(%d, fr) = %q, want %q", s.Fee, got, tt.formatted)
			}
			if _, ok := p.ServiceForm(tt.service); !ok {
				t.Errorf("ServiceForm(%q) not found", tt.service)
			}
		})
	}
	p := mustEmbedded(t, "tg")
	for _, id := range []string{"tmoney", "flooz"} {
		if m, ok := p.PaymentMethod(id); !ok || m.Kind != PayMobileMoney {
			t.Errorf("tg PaymentMethod(%q) = %+v, %v; want mobile money", id, m, ok)
		}
	}
}

func TestServiceAmount(t *testing.T) {
	p := mustEmbedded(t, "ma")
	tests := []struct {
		service string
		values  map[string]string
		want    int64
		ok      bool
	}{
		{"bulletin3", nil, 2000, true},
		{"civil_status", map[string]string{"copies": "3"}, 6000, true},
		{"civil_status", map[string]string{"copies": "x"}, 0, false},
		{"civil_status", map[string]string{}, 0, false},
		{"radar_fine", nil, 0, false},
		{"tracking", nil, 0, true},
	}
	for _, tt := range tests {
		s, _ := p.Service(tt.service)
		got, ok := s.Amount(tt.values)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s.Amount(%v) = %d, %v; want %d, %v", tt.service, tt.values, got, ok, tt.want, tt.ok)
		}
	}
}

// Morocco: the first-instance courts and courts of appeal of the twelve
// regions' main cities, named in every language in the right script.
func TestMoroccanCourts(t *testing.T) {
	p := mustEmbedded(t, "ma")
	cities := []string{"tanger", "oujda", "fes", "rabat", "beni-mellal", "casablanca", "marrakech",
		"errachidia", "agadir", "guelmim", "laayoune", "dakhla"}
	for _, city := range cities {
		for _, kind := range []CourtKind{FirstInstance, Appeal} {
			if kind == Appeal && city == "dakhla" {
				continue // under the Laâyoune court of appeal
			}
			found := false
			for _, c := range p.CourtsOf(kind) {
				found = found || c.City == city
			}
			if !found {
				t.Errorf("no %s court in %s", kind, city)
			}
		}
	}
	want := map[string]Text{
		"tpi-casablanca": {"ar": "المحكمة الابتدائية بالدار البيضاء", "fr": "Tribunal de première instance de Casablanca", "zgh": "ⵍⵎⵃⴽⴰⵎⴰ ⵜⴰⵎⵣⵡⴰⵔⵓⵜ ⵏ ⴰⵏⴼⴰ", "en": "Court of First Instance of Casablanca"},
		"ca-oujda":       {"ar": "محكمة الاستئناف بوجدة", "fr": "Cour d'appel d'Oujda", "zgh": "ⵍⵎⵃⴽⴰⵎⴰ ⵏ ⵓⵙⵜⵉⵏⴰⴼ ⵏ ⵡⵓⵊⴷⴰ", "en": "Court of Appeal of Oujda"},
		"tpi-laayoune":   {"ar": "المحكمة الابتدائية بالعيون", "fr": "Tribunal de première instance de Laâyoune", "zgh": "ⵍⵎⵃⴽⴰⵎⴰ ⵜⴰⵎⵣⵡⴰⵔⵓⵜ ⵏ ⵍⵄⵢⵓⵏ", "en": "Court of First Instance of Laayoune"},
	}
	for id, names := range want {
		c, ok := p.Court(id)
		if !ok {
			t.Errorf("Court(%q) not found", id)
			continue
		}
		if diff := cmp.Diff(names, c.Names); diff != "" {
			t.Errorf("Court(%q).Names mismatch (-want +got):\n%s", id, diff)
		}
	}
	for _, c := range p.Courts {
		checkScript(t, "court "+c.ID, c.Names)
	}
	for _, c := range p.Cities {
		checkScript(t, "city "+c.ID, c.Names)
	}
}

var placeholderRe = regexp.MustCompile(`\{[A-Za-z0-9_]+\}`)

// checkScript checks that a Moroccan text is written in the script of its
// language: Arabic letters in ar, Tifinagh in zgh, Latin in fr and en.
func checkScript(t *testing.T, what string, text Text) {
	t.Helper()
	scripts := map[string]*unicode.RangeTable{"ar": unicode.Arabic, "zgh": unicode.Tifinagh, "fr": unicode.Latin, "en": unicode.Latin}
	// Letters a text may carry whatever its language: codes and examples.
	allowed := []string{"QR", "PV", "RF", "CIN", "DH", "MAD"}
	for lang, s := range text {
		// Placeholders ({time}, {amount}) are filled in by the screens.
		rest := placeholderRe.ReplaceAllString(s, "")
		for _, a := range allowed {
			rest = strings.ReplaceAll(rest, a, "")
		}
		script := scripts[lang]
		mine := 0
		for _, r := range rest {
			if !unicode.IsLetter(r) {
				continue
			}
			if unicode.Is(script, r) {
				mine++
			} else {
				t.Errorf("%s in %s: %q has letter %q outside its script", what, lang, s, r)
				break
			}
		}
		if mine == 0 {
			t.Errorf("%s in %s: %q has no letter of its script", what, lang, s)
		}
	}
}

// TestMessagesComplete is the test the brief asks for: a key missing in
// any language of a pack fails, and every Moroccan message is written in
// its language's script.
func TestMessagesComplete(t *testing.T) {
	for _, code := range EmbeddedCodes() {
		t.Run(code, func(t *testing.T) {
			p := mustEmbedded(t, code)
			keys := map[string]bool{}
			for _, table := range p.Messages {
				for k := range table {
					keys[k] = true
				}
			}
			for _, k := range ScreenKeys {
				keys[k] = true
			}
			for k := range keys {
				for _, l := range p.Languages {
					if strings.TrimSpace(p.Messages[l.Code][k]) == "" {
						t.Errorf("message %q missing in %s", k, l.Code)
					}
				}
			}
			if code != "ma" {
				return
			}
			for k := range keys {
				text := Text{}
				for _, l := range p.Languages {
					text[l.Code] = p.Messages[l.Code][k]
				}
				checkScript(t, "message "+k, text)
			}
			for _, s := range p.Services {
				checkScript(t, "service "+s.ID+" title", s.Title)
				checkScript(t, "service "+s.ID+" summary", s.Summary)
			}
		})
	}
}

// TestFormKeysTranslated checks, pack by pack, that every key a form uses
// and every key its validation actually returns has a message in every
// language.
func TestFormKeysTranslated(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	// Values that break every kind of field.
	bad := []string{"", "x", "\x07", "1", "-1", "99999999999", "2099-01-01", "1800-01-01", "2000-01-01",
		"ABC", "محمد", "ⴰⵎⴰⵣⵉⵖ", strings.Repeat("a", 300), "12345678-RF-0001", "1990", "2099", "nope"}
	for _, code := range EmbeddedCodes() {
		p := mustEmbedded(t, code)
		for _, f := range p.Forms {
			t.Run(code+"/"+f.ID, func(t *testing.T) {
				keys := map[string]bool{}
				for _, k := range f.Keys() {
					keys[k] = true
				}
				for _, fl := range f.Fields {
					for _, v := range bad {
						for _, key := range f.Validate(map[string]string{fl.ID: v}, now) {
							keys[key] = true
						}
					}
				}
				for _, key := range f.Validate(map[string]string{"no_such_field": "x"}, now) {
					keys[key] = true
				}
				for k := range keys {
					for _, l := range p.Languages {
						if p.Messages[l.Code][k] == "" {
							t.Errorf("form %s uses %q, missing in %s", f.ID, k, l.Code)
						}
					}
				}
			})
		}
	}
}

// TestFormsAcceptCitizens runs realistic requests through the embedded
// forms.
func TestFormsAcceptCitizens(t *testing.T) {
	now := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		code, service string
		values        map[string]string
		want          form.FieldErrors
	}{
		{"ma", "bulletin3", map[string]string{
			"surname": "EL FASSI", "given_names": "NAIMA", "surname_ar": "الفاسي", "given_names_ar": "نعيمة",
			"birth_date": "1988-11-02", "birth_place": "Fès", "cin": "C123456", "document_number": "AB1234567",
			"expiry_date": "2030-05-01", "father_name": "MOHAMED EL FASSI", "father_name_ar": "محمد الفاسي",
			"mother_name": "FATIMA BENNANI", "mother_name_ar": "فاطمة بناني", "collection_court": "tpi-fes",
		}, nil},
		{"ma", "bulletin3", map[string]string{
			"surname": "EL FASSI", "given_names": "NAIMA", "surname_ar": "الفاسي", "given_names_ar": "نعيمة",
			"birth_date": "1988-11-02", "birth_place": "Fès", "cin": "C123456", "document_number": "AB1234567",
			"expiry_date": "2026-03-14", "father_name": "MOHAMED EL FASSI", "father_name_ar": "محمد الفاسي",
			"mother_name": "FATIMA BENNANI", "mother_name_ar": "فاطمة بناني", "collection_court": "ca-fes",
		}, form.FieldErrors{"expiry_date": form.KeyDateInPast, "collection_court": form.KeyCourtUnknown}},
		{"ma", "radar_fine", map[string]string{"pv_number": "12345678-RF-0001"}, nil},
		{"ma", "radar_fine", map[string]string{"cin": "1234567890"}, nil},
		{"ma", "radar_fine", map[string]string{}, form.FieldErrors{"cin": "error.cin_or_pv_required", "pv_number": "error.cin_or_pv_required"}},
		{"ma", "civil_status", map[string]string{
			"act_type": "birth_full_copy", "copies": "2", "birth_commune": "Aït Melloul", "surname": "OUBELLA",
			"given_names": "YOUSSEF", "surname_ar": "أوبلا", "given_names_ar": "يوسف", "birth_date": "1995-01-20",
			"father_name_ar": "الحسين أوبلا", "mother_name_ar": "عائشة أيت باها", "destination": "abroad",
			"address": "12 rue des Lilas", "postal_city": "Lyon", "phone": "+33 6 12 34 56 78",
		}, form.FieldErrors{"country": form.KeyRequired}},
		{"ma", "tracking", map[string]string{"tracking_number": "k7mx-4hq9-xr3t"}, nil},
		{"ma", "tracking", map[string]string{"tracking_number": "K7MX-4HQ9-XR3O"}, form.FieldErrors{"tracking_number": form.KeyTrackingInvalid}},
		{"ma", "callback", map[string]string{"phone": "0612345678", "topic": "radar_fine"}, nil},
		{"ma", "directory", map[string]string{"profession": "adoul", "city": "guelmim", "language": "zgh"}, nil},
		{"tg", "bulletin3", map[string]string{
			"surname": "AGBEKO", "given_names": "KOSSI", "birth_date": "1992-04-27", "birth_place": "Kpalimé",
			"father_name": "AMEVI AGBEKO", "mother_name": "AKOSUA MENSAH", "supporting_document": "birth_act",
			"supporting_document_number": "1234/1992", "collection_court": "tpi-kpalime", "phone": "+228 90 12 34 56",
		}, nil},
		{"tg", "callback", map[string]string{"phone": "0612345678", "topic": "other"}, form.FieldErrors{"phone": form.KeyPhoneInvalid}},
	}
	for _, tt := range tests {
		t.Run(tt.code+"/"+tt.service, func(t *testing.T) {
			p := mustEmbedded(t, tt.code)
			f, ok := p.ServiceForm(tt.service)
			if !ok {
				t.Fatalf("ServiceForm(%q) not found", tt.service)
			}
			got := f.Validate(tt.values, now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Validate mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCurrencyFormat(t *testing.T) {
	mad := mustEmbedded(t, "ma").Currency
	xof := mustEmbedded(t, "tg").Currency
	tests := []struct {
		c     Currency
		minor int64
		lang  string
		want  string
	}{
		{mad, 2000, "fr", "20,00\u00a0DH"},
		{mad, 2000, "ar", "20,00\u00a0درهم"},
		{mad, 2000, "zgh", "20,00\u00a0ⴷⵔⵀⵎ"},
		{mad, 2000, "en", "MAD\u00a020.00"},
		{mad, 5, "fr", "0,05\u00a0DH"},
		{mad, 123456789, "fr", "1\u00a0234\u00a0567,89\u00a0DH"},
		{mad, 123456789, "en", "MAD\u00a01,234,567.89"},
		{mad, -2050, "fr", "-20,50\u00a0DH"},
		{mad, 2000, "es", "MAD\u00a020.00"}, // no format for that language
		{xof, 500, "fr", "500\u00a0F\u00a0CFA"},
		{xof, 1500, "fr", "1\u00a0500\u00a0F\u00a0CFA"},
		{xof, 0, "fr", "0\u00a0F\u00a0CFA"},
		{xof, math.MinInt64, "fr", "-9\u00a0223\u00a0372\u00a0036\u00a0854\u00a0775\u00a0808\u00a0F\u00a0CFA"},
		{Currency{Code: "XXX", MinorUnits: 40}, 1, "fr", "XXX\u00a00.000000001"},
	}
	for _, tt := range tests {
		if got := tt.c.Format(tt.minor, tt.lang); got != tt.want {
			t.Errorf("%s.Format(%d, %q) = %q, want %q", tt.c.Code, tt.minor, tt.lang, got, tt.want)
		}
	}
}

func TestTextIn(t *testing.T) {
	text := Text{"fr": "Retour", "ar": "رجوع"}
	tests := []struct{ lang, want string }{
		{"fr", "Retour"}, {"ar", "رجوع"}, {"fr-MA", "Retour"}, {"fr_TG", "Retour"}, {"zgh", "رجوع"}, {"", "رجوع"},
	}
	for _, tt := range tests {
		if got := text.In(tt.lang); got != tt.want {
			t.Errorf("Text.In(%q) = %q, want %q", tt.lang, got, tt.want)
		}
	}
	if got := (Text{}).In("fr"); got != "" {
		t.Errorf("empty Text.In(fr) = %q, want empty", got)
	}
}

func TestMessage(t *testing.T) {
	p := mustEmbedded(t, "ma")
	tests := []struct{ lang, key, want string }{
		{"fr", "nav.back", "Retour"},
		{"zgh", "home.choose_language", "ⵙⵜⵉ ⵜⵓⵜⵍⴰⵢⵜ"},
		{"ar", "error.date_in_future", "هذا التاريخ في المستقبل"},
		{"es", "nav.back", "رجوع"},           // not a pack language: the default, Arabic
		{"fr", "no.such.key", "no.such.key"}, // visible, not blank
	}
	for _, tt := range tests {
		if got := p.Message(tt.lang, tt.key); got != tt.want {
			t.Errorf("Message(%q, %q) = %q, want %q", tt.lang, tt.key, got, tt.want)
		}
	}
	if got, want := p.TrackingURL("K7MX4HQ9XR3T"), "https://suivi.justice.gov.ma/t/K7MX4HQ9XR3T"; got != want {
		t.Errorf("TrackingURL = %q, want %q", got, want)
	}
	if l, ok := p.Language("zgh"); !ok || l.Autonym != "ⵜⴰⵎⴰⵣⵉⵖⵜ" || l.Script != "Tfng" || l.RTL {
		t.Errorf("Language(zgh) = %+v, %v", l, ok)
	}
	if c, ok := p.City("casablanca"); !ok || c.Names.In("zgh") != "ⴰⵏⴼⴰ" {
		t.Errorf("City(casablanca) = %+v, %v", c, ok)
	}
}

// BenchmarkLoad measures what a kiosk pays at start-up and on every pack
// update pushed by the registry.
func BenchmarkLoad(b *testing.B) {
	for _, code := range EmbeddedCodes() {
		data, err := EmbeddedData(code)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(code, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Load(code+".json", data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestScreenKeysCoverOtherPackages checks that the keys other kiosk packages
// hand to the UI are ones every pack must translate.
func TestScreenKeysCoverOtherPackages(t *testing.T) {
	var keys []string
	for _, k := range []string{scan.MsgTooLong, scan.MsgNotText, scan.MsgIncomplete, scan.MsgEmpty,
		scan.MsgTrackingMalformed, scan.MsgTrackingCheckFailed, scan.MsgFinePVMalformed,
		scan.MsgExtractMalformed, scan.MsgExtractCheckFailed, scan.MsgUnknownCode} {
		keys = append(keys, k)
	}
	for _, st := range []request.State{request.Draft, request.Queued, request.Sent, request.Acknowledged,
		request.InProcessing, request.Ready, request.Delivered, request.Rejected, request.Cancelled} {
		keys = append(keys, "status."+string(st))
	}
	for _, k := range keys {
		if !slices.Contains(ScreenKeys, k) {
			t.Errorf("ScreenKeys lacks %q", k)
		}
	}
}
