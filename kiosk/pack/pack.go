package pack

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"

	"guichet/kiosk/form"
)

// SchemaVersion is the version of the pack format this build reads. A pack
// with another schema is refused: a newer pack may mean fields this build
// would silently ignore.
const SchemaVersion = 1

// Pack is one country's pack.
type Pack struct {
	Schema          int        `json:"schema"`
	Code            string     `json:"code"`    // ISO 3166-1 alpha-2, lower case: "ma", "tg"
	Version         int        `json:"version"` // increases with every published change
	Country         Text       `json:"country"` // the country's name in each language
	Languages       []Language `json:"languages"`
	DefaultLanguage string     `json:"default_language"`
	Currency        Currency   `json:"currency"`

	Services       []Service       `json:"services"`
	Forms          []form.Form     `json:"forms"`
	Cities         []City          `json:"cities"`
	Courts         []Court         `json:"courts"`
	PaymentMethods []PaymentMethod `json:"payment_methods"`

	// CINPattern is the anchored regexp of the national ID number.
	CINPattern string `json:"cin_pattern"`
	// MRZNationalNumber says where the national number sits in the ID
	// card's machine-readable zone.
	MRZNationalNumber MRZLocation `json:"mrz_national_number"`

	// TrackingQRBase prefixes the tracking number in the receipt's QR code.
	TrackingQRBase string `json:"tracking_qr_base"`
	// ExtractVerificationBase prefixes the verification code printed as a
	// QR code on a delivered extract (kiosk/scan reads both bases).
	ExtractVerificationBase string `json:"extract_verification_base"`
	// CallCentre is the ministry's call-centre number as printed and shown;
	// empty when the pack has none (the help screen then offers only the
	// callback request).
	CallCentre string `json:"call_centre"`

	// ReceiptLanguages are the languages the receipt is printed in,
	// whatever the session's language; ReceiptLegalMention has exactly
	// these languages.
	ReceiptLanguages    []string `json:"receipt_languages"`
	ReceiptLegalMention Text     `json:"receipt_legal_mention"`

	// Messages maps a language to its screen messages (key → text).
	Messages map[string]map[string]string `json:"messages"`

	// Notes are for pack authors: sources and assumptions. Never shown.
	Notes []string `json:"notes,omitempty"`
}

// Language is one language of the pack.
type Language struct {
	Code    string `json:"code"`    // ISO 639: "ar", "fr", "zgh", "en"
	Autonym string `json:"autonym"` // the language's name in itself: "ⵜⴰⵎⴰⵣⵉⵖⵜ"
	Script  string `json:"script"`  // ISO 15924: "Arab", "Latn", "Tfng"
	RTL     bool   `json:"rtl"`     // written right to left
}

// Text is a text in each language of the pack (language code → text).
type Text map[string]string

// In returns the text in lang. A pack that loaded has every one of its
// languages in every Text; for a language outside the pack In falls back to
// the base language ("fr" for "fr-MA"), then to the first language in
// alphabetical order, so that a screen never shows nothing.
func (t Text) In(lang string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	for i := 0; i < len(lang); i++ {
		if lang[i] == '-' || lang[i] == '_' {
			if s, ok := t[lang[:i]]; ok {
				return s
			}
			break
		}
	}
	if len(t) == 0 {
		return ""
	}
	langs := make([]string, 0, len(t))
	for l := range t {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	return t[langs[0]]
}

// Currency is the pack's currency and how amounts are written in each
// language.
type Currency struct {
	Code       string                    `json:"code"`        // ISO 4217: "MAD", "XOF"
	MinorUnits int                       `json:"minor_units"` // digits after the decimal separator: 2 for MAD, 0 for XOF
	Formats    map[string]CurrencyFormat `json:"formats"`     // per language
}

// CurrencyFormat is how amounts are written in one language.
type CurrencyFormat struct {
	Symbol      string `json:"symbol"`       // "DH", "درهم", "F CFA"
	Decimal     string `json:"decimal"`      // decimal separator
	Group       string `json:"group"`        // thousands separator
	SymbolFirst bool   `json:"symbol_first"` // "MAD 20.00" rather than "20,00 DH"
}

// Service is one service the kiosk offers.
type Service struct {
	ID      string `json:"id"`
	Title   Text   `json:"title"`
	Summary Text   `json:"summary"`
	// Fee is in minor units of the pack's currency; its meaning depends on
	// FeeRule.
	Fee     int64   `json:"fee"`
	FeeRule FeeRule `json:"fee_rule"`
	// QuantityField is the form field holding the number of copies, for
	// FeePerCopy.
	QuantityField string `json:"quantity_field,omitempty"`
	// DelayHours is the promised processing time; 0 when immediate.
	DelayHours int `json:"delay_hours"`
	// Form is the id of the form the service uses.
	Form string `json:"form"`
	// PaymentMethods are the ids of the accepted payment methods; empty
	// for a free service.
	PaymentMethods []string `json:"payment_methods"`
}

// FeeRule says how a service's fee is computed.
type FeeRule string

// The fee rules.
const (
	FeeFree     FeeRule = "free"     // nothing to pay
	FeeFixed    FeeRule = "fixed"    // Fee per request
	FeePerCopy  FeeRule = "per_copy" // Fee times the QuantityField value
	FeeAssessed FeeRule = "assessed" // known only after a lookup (a fine's amount)
)

// Delay is the promised processing time.
func (s Service) Delay() time.Duration { return time.Duration(s.DelayHours) * time.Hour }

// Amount returns what the citizen pays for a request with these (valid)
// form values, and false when the amount is not known from the form alone
// (FeeAssessed) or the quantity is not a number.
func (s Service) Amount(values map[string]string) (int64, bool) {
	switch s.FeeRule {
	case FeeFree:
		return 0, true
	case FeeFixed:
		return s.Fee, true
	case FeePerCopy:
		n, err := strconv.ParseInt(values[s.QuantityField], 10, 64)
		if err != nil || n < 1 || n > 1000 {
			return 0, false
		}
		return s.Fee * n, true
	}
	return 0, false
}

// City is a city courts and directory entries refer to.
type City struct {
	ID    string `json:"id"`
	Names Text   `json:"names"`
}

// Court is one court.
type Court struct {
	ID    string    `json:"id"`
	Kind  CourtKind `json:"kind"`
	City  string    `json:"city"` // a City id
	Names Text      `json:"names"`
}

// CourtKind is the kind of a court.
type CourtKind string

// The court kinds a pack may use.
const (
	FirstInstance        CourtKind = "first_instance"
	Appeal               CourtKind = "appeal"
	Commercial           CourtKind = "commercial"
	CommercialAppeal     CourtKind = "commercial_appeal"
	Administrative       CourtKind = "administrative"
	AdministrativeAppeal CourtKind = "administrative_appeal"
	Cassation            CourtKind = "cassation" // Morocco's Cour de cassation
	Supreme              CourtKind = "supreme"   // Togo's Cour suprême
)

// CourtKinds lists every court kind.
var CourtKinds = []CourtKind{
	FirstInstance, Appeal, Commercial, CommercialAppeal, Administrative,
	AdministrativeAppeal, Cassation, Supreme,
}

// PaymentMethod is one way to pay.
type PaymentMethod struct {
	ID       string      `json:"id"`
	Kind     PaymentKind `json:"kind"`
	Provider string      `json:"provider,omitempty"` // "TMoney", "Flooz"; required for mobile money
	Name     Text        `json:"name"`
}

// PaymentKind is how a payment method works; the kiosk never sees card data.
type PaymentKind string

// The payment kinds.
const (
	PayCardTerminal PaymentKind = "card_terminal" // a certified terminal beside the screen
	PayCounter      PaymentKind = "counter"       // at the court's cash desk, with the receipt
	PayMobileMoney  PaymentKind = "mobile_money"  // a push request to the citizen's phone
)

// PaymentKinds lists every payment kind.
var PaymentKinds = []PaymentKind{PayCardTerminal, PayCounter, PayMobileMoney}

// MRZLocation says where the national number sits in the ID card's MRZ; it
// is what drivers/mrz takes as its Location.
type MRZLocation struct {
	// Field is MRZField*, or "" when the country's cards carry none.
	Field string `json:"field"`
	// Pattern is the anchored regexp the value must match.
	Pattern string `json:"pattern"`
	// IssuingStates limits the reading to cards of these issuing states
	// ("MAR"), so that a foreign card's optional data is never taken for a
	// national number.
	IssuingStates []string `json:"issuing_states,omitempty"`
}

// The MRZ fields a national number may sit in.
const (
	MRZFieldOptionalData1  = "optional_data_1"
	MRZFieldOptionalData2  = "optional_data_2"
	MRZFieldDocumentNumber = "document_number"
)

// Service returns the service with that id.
func (p *Pack) Service(id string) (Service, bool) {
	for _, s := range p.Services {
		if s.ID == id {
			return s, true
		}
	}
	return Service{}, false
}

// Form returns the form with that id, bound to the pack.
func (p *Pack) Form(id string) (form.Form, bool) {
	for _, f := range p.Forms {
		if f.ID == id {
			return f, true
		}
	}
	return form.Form{}, false
}

// ServiceForm returns the form of the service with that id.
func (p *Pack) ServiceForm(serviceID string) (form.Form, bool) {
	s, ok := p.Service(serviceID)
	if !ok {
		return form.Form{}, false
	}
	return p.Form(s.Form)
}

// Court returns the court with that id.
func (p *Pack) Court(id string) (Court, bool) {
	for _, c := range p.Courts {
		if c.ID == id {
			return c, true
		}
	}
	return Court{}, false
}

// CourtsOf returns the courts of the given kinds (every court when none is
// given), in pack order.
func (p *Pack) CourtsOf(kinds ...CourtKind) []Court {
	var out []Court
	for _, c := range p.Courts {
		if len(kinds) == 0 || slices.Contains(kinds, c.Kind) {
			out = append(out, c)
		}
	}
	return out
}

// City returns the city with that id.
func (p *Pack) City(id string) (City, bool) {
	for _, c := range p.Cities {
		if c.ID == id {
			return c, true
		}
	}
	return City{}, false
}

// PaymentMethod returns the payment method with that id.
func (p *Pack) PaymentMethod(id string) (PaymentMethod, bool) {
	for _, m := range p.PaymentMethods {
		if m.ID == id {
			return m, true
		}
	}
	return PaymentMethod{}, false
}

// Language returns the pack language with that code.
func (p *Pack) Language(code string) (Language, bool) {
	for _, l := range p.Languages {
		if l.Code == code {
			return l, true
		}
	}
	return Language{}, false
}

// Message returns the message key in lang, falling back to the default
// language, then to the key itself so that a missing message shows up on
// screen rather than as a blank. A pack that loaded has every message in
// every language.
func (p *Pack) Message(lang, key string) string {
	if s := p.Messages[lang][key]; s != "" {
		return s
	}
	if s := p.Messages[p.DefaultLanguage][key]; s != "" {
		return s
	}
	return key
}

// TrackingURL is what the receipt's QR code carries for a tracking number.
func (p *Pack) TrackingURL(trackingNumber string) string {
	return p.TrackingQRBase + url.PathEscape(trackingNumber)
}

// FormatMoney writes an amount of the pack's currency in lang.
func (p *Pack) FormatMoney(minor int64, lang string) string {
	return p.Currency.Format(minor, lang)
}
