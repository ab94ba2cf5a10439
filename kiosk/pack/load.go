package pack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"guichet/kiosk/form"
)

// MaxSize is the largest pack file Load accepts (the Moroccan pack is about
// a tenth of it).
const MaxSize = 4 << 20

// Problem is one defect of a pack: where (a JSON path such as
// courts[3].names.zgh, or a line and column for malformed JSON) and why.
type Problem struct {
	Path   string
	Reason string
}

// ValidationError is what Load returns for a pack it refuses: every problem
// found, in file order as far as possible.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error writes one line per problem: "pack: FILE: PATH: REASON".
func (e *ValidationError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("pack: ")
		if e.File != "" {
			b.WriteString(e.File + ": ")
		}
		if p.Path != "" {
			b.WriteString(p.Path + ": ")
		}
		b.WriteString(p.Reason)
	}
	return b.String()
}

// Load decodes and validates a pack. name is the file's name, used in
// errors. On failure the error is a *ValidationError listing every problem.
func Load(name string, data []byte) (*Pack, error) {
	v := &ValidationError{File: name}
	add := func(path, format string, args ...any) {
		v.Problems = append(v.Problems, Problem{path, fmt.Sprintf(format, args...)})
	}
	switch {
	case len(data) > MaxSize:
		add("", "file is %d bytes, more than the %d a pack may have", len(data), MaxSize)
		return nil, v
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		add("", "file starts with a UTF-8 byte-order mark; save it without one")
		return nil, v
	case !utf8.Valid(data):
		bad := 0
		for bad < len(data) {
			r, size := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			bad += size
		}
		line, col := lineCol(data, int64(bad))
		add("", "line %d, column %d: not valid UTF-8", line, col)
		return nil, v
	}
	root, err := readTree(data, add)
	if err != nil {
		add("", "%v", err)
		return nil, v
	}
	fit(root, reflect.TypeOf(Pack{}), "", add)
	if len(v.Problems) > 0 {
		return nil, v
	}
	p := new(Pack)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(p); err != nil {
		// fit accepted what encoding/json refuses: a bug here, not in the file.
		add("", "decoding: %v", err)
		return nil, v
	}
	check(p, add)
	if len(v.Problems) > 0 {
		return nil, v
	}
	return p, nil
}

var (
	packCodeRe   = regexp.MustCompile(`^[a-z]{2}$`)
	langCodeRe   = regexp.MustCompile(`^[a-z]{2,3}$`)
	scriptRe     = regexp.MustCompile(`^[A-Z][a-z]{3}$`)
	currencyRe   = regexp.MustCompile(`^[A-Z]{3}$`)
	idRe         = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)
	msgKeyRe     = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)
	stateRe      = regexp.MustCompile(`^[A-Z]{1,3}$`)
	callCentreRe = regexp.MustCompile(`^\+?[0-9][0-9 ]{2,19}$`)
)

// Scripts whose direction Load checks against Language.RTL.
var (
	rtlScripts = []string{"Arab", "Hebr", "Syrc", "Thaa", "Nkoo", "Adlm"}
	ltrScripts = []string{"Latn", "Tfng", "Cyrl", "Grek", "Ethi", "Vaii"}
)

type checker struct {
	p     *Pack
	add   func(path, format string, args ...any)
	langs []string // the pack's language codes, in pack order
}

func check(p *Pack, add func(path, format string, args ...any)) {
	c := &checker{p: p, add: add}
	if p.Schema != SchemaVersion {
		add("schema", "unsupported schema version %d (this build reads %d)", p.Schema, SchemaVersion)
	}
	if !packCodeRe.MatchString(p.Code) {
		add("code", "pack code %q must be two lower-case letters (ISO 3166-1)", p.Code)
	}
	if p.Version < 1 {
		add("version", "version must be 1 or more, got %d", p.Version)
	}
	c.languages()
	c.text("country", p.Country, "country name")
	c.currency()
	cities := c.cities()
	c.courts(cities)
	methods := c.paymentMethods()
	c.identity()
	c.tracking()
	c.receipt()
	forms := c.forms()
	c.services(forms, methods)
	c.messages()
}

func (c *checker) languages() {
	p := c.p
	if len(p.Languages) == 0 {
		c.add("languages", "a pack needs at least one language")
	}
	seen := map[string]bool{}
	for i, l := range p.Languages {
		lp := pathIndex("languages", i)
		switch {
		case !langCodeRe.MatchString(l.Code):
			c.add(lp+".code", "language code %q must be 2 or 3 lower-case letters (ISO 639)", l.Code)
		case seen[l.Code]:
			c.add(lp+".code", "duplicate language %q", l.Code)
		default:
			seen[l.Code] = true
			c.langs = append(c.langs, l.Code)
		}
		if strings.TrimSpace(l.Autonym) == "" {
			c.add(lp+".autonym", "missing autonym (the language's name in itself)")
		}
		switch {
		case !scriptRe.MatchString(l.Script):
			c.add(lp+".script", "script %q must be an ISO 15924 code such as Arab, Latn, Tfng", l.Script)
		case slices.Contains(rtlScripts, l.Script) && !l.RTL:
			c.add(lp+".rtl", "script %s is written right to left: rtl must be true", l.Script)
		case slices.Contains(ltrScripts, l.Script) && l.RTL:
			c.add(lp+".rtl", "script %s is written left to right: rtl must be false", l.Script)
		}
	}
	if !seen[p.DefaultLanguage] {
		c.add("default_language", "default language %q is not one of the pack's languages (%s)", p.DefaultLanguage, strings.Join(c.langs, ", "))
	}
}

// text checks that t has a non-empty text in every pack language and no
// other language.
func (c *checker) text(path string, t Text, noun string) {
	for _, l := range c.langs {
		s, ok := t[l]
		switch {
		case !ok:
			c.add(pathKey(path, l), "missing %s for language %s", noun, l)
		case strings.TrimSpace(s) == "":
			c.add(pathKey(path, l), "empty %s for language %s", noun, l)
		case hasControl(s):
			c.add(pathKey(path, l), "%s contains a control character", noun)
		}
	}
	for _, l := range sortedKeys(t) {
		if !slices.Contains(c.langs, l) {
			c.add(pathKey(path, l), "language %s is not a language of this pack (%s)", l, strings.Join(c.langs, ", "))
		}
	}
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return true
		}
	}
	return false
}

func (c *checker) currency() {
	cur := c.p.Currency
	if !currencyRe.MatchString(cur.Code) {
		c.add("currency.code", "currency code %q must be three capital letters (ISO 4217)", cur.Code)
	}
	if cur.MinorUnits < 0 || cur.MinorUnits > 4 {
		c.add("currency.minor_units", "minor_units must be between 0 and 4, got %d", cur.MinorUnits)
	}
	for _, l := range c.langs {
		fp := pathKey("currency.formats", l)
		f, ok := cur.Formats[l]
		if !ok {
			c.add(fp, "missing currency format for language %s", l)
			continue
		}
		if strings.TrimSpace(f.Symbol) == "" {
			c.add(fp+".symbol", "missing currency symbol")
		}
		if cur.MinorUnits > 0 && f.Decimal == "" {
			c.add(fp+".decimal", "a currency with minor units needs a decimal separator")
		}
		if f.Decimal != "" && f.Decimal == f.Group {
			c.add(fp+".group", "the thousands separator must differ from the decimal separator %q", f.Decimal)
		}
		if strings.ContainsAny(f.Decimal+f.Group, "0123456789") {
			c.add(fp, "separators must not contain digits")
		}
	}
	for _, l := range sortedKeys(cur.Formats) {
		if !slices.Contains(c.langs, l) {
			c.add(pathKey("currency.formats", l), "language %s is not a language of this pack", l)
		}
	}
}

func (c *checker) cities() map[string]bool {
	ids := map[string]bool{}
	for i, city := range c.p.Cities {
		cp := pathIndex("cities", i)
		c.id(cp+".id", city.ID, ids, "city")
		c.text(cp+".names", city.Names, "name")
	}
	return ids
}

// id checks the shape and uniqueness of an id and records it in seen.
func (c *checker) id(path, id string, seen map[string]bool, what string) {
	switch {
	case !idRe.MatchString(id):
		c.add(path, "%s id %q must be lower-case letters, digits, - and _", what, id)
	case seen[id]:
		c.add(path, "duplicate %s id %q", what, id)
	}
	seen[id] = true
}

func (c *checker) courts(cities map[string]bool) {
	if len(c.p.Courts) == 0 {
		c.add("courts", "a pack needs at least one court")
	}
	ids := map[string]bool{}
	for i, court := range c.p.Courts {
		cp := pathIndex("courts", i)
		c.id(cp+".id", court.ID, ids, "court")
		if !slices.Contains(CourtKinds, court.Kind) {
			c.add(cp+".kind", "unknown court kind %q (want one of %s)", court.Kind, joinKinds(CourtKinds))
		}
		if !cities[court.City] {
			c.add(cp+".city", "unknown city %q (not in cities)", court.City)
		}
		c.text(cp+".names", court.Names, "name")
	}
}

func (c *checker) paymentMethods() map[string]bool {
	ids := map[string]bool{}
	for i, m := range c.p.PaymentMethods {
		mp := pathIndex("payment_methods", i)
		c.id(mp+".id", m.ID, ids, "payment method")
		if !slices.Contains(PaymentKinds, m.Kind) {
			c.add(mp+".kind", "unknown payment kind %q (want one of %s)", m.Kind, joinKinds(PaymentKinds))
		}
		if m.Kind == PayMobileMoney && strings.TrimSpace(m.Provider) == "" {
			c.add(mp+".provider", "a mobile-money method needs its provider")
		}
		c.text(mp+".name", m.Name, "name")
	}
	return ids
}

func (c *checker) identity() {
	p := c.p
	if p.CINPattern == "" {
		c.add("cin_pattern", "missing the national ID number's pattern")
	} else if _, err := compileAnchored(p.CINPattern); err != nil {
		c.add("cin_pattern", "%v", err)
	}
	m := p.MRZNationalNumber
	switch m.Field {
	case "":
		if m.Pattern != "" || len(m.IssuingStates) > 0 {
			c.add("mrz_national_number.field", "empty field (no national number in the MRZ) with a pattern or issuing states")
		}
	case MRZFieldOptionalData1, MRZFieldOptionalData2, MRZFieldDocumentNumber:
		if m.Pattern == "" {
			c.add("mrz_national_number.pattern", "missing the pattern the national number must match")
		} else if _, err := compileAnchored(m.Pattern); err != nil {
			c.add("mrz_national_number.pattern", "%v", err)
		}
	default:
		c.add("mrz_national_number.field", "unknown MRZ field %q (want %s, %s, %s or empty)", m.Field,
			MRZFieldOptionalData1, MRZFieldOptionalData2, MRZFieldDocumentNumber)
	}
	for i, s := range m.IssuingStates {
		if !stateRe.MatchString(s) {
			c.add(pathIndex("mrz_national_number.issuing_states", i), "issuing state %q must be an ICAO code such as MAR", s)
		}
	}
}

func (c *checker) tracking() {
	p := c.p
	c.qrBase("tracking_qr_base", p.TrackingQRBase, "the tracking QR code")
	c.qrBase("extract_verification_base", p.ExtractVerificationBase, "the extract verification code")
	if p.TrackingQRBase != "" && p.TrackingQRBase == p.ExtractVerificationBase {
		c.add("extract_verification_base", "must differ from tracking_qr_base: a scan must tell a receipt from an extract")
	}
	if p.CallCentre != "" && !callCentreRe.MatchString(p.CallCentre) {
		c.add("call_centre", "call-centre number %q must be digits and spaces, optionally after +", p.CallCentre)
	}
}

// qrBase checks the base URL a QR code's payload starts with.
func (c *checker) qrBase(path, base, what string) {
	u, err := url.Parse(base)
	switch {
	case base == "":
		c.add(path, "missing the base of %s", what)
	case err != nil:
		c.add(path, "not a URL: %v", err)
	case u.Scheme != "https":
		c.add(path, "must be an https URL, got scheme %q", u.Scheme)
	case u.Host == "":
		c.add(path, "URL has no host")
	case u.User != nil || u.Fragment != "":
		c.add(path, "URL must not carry user information or a fragment")
	case !strings.HasSuffix(base, "/") && !strings.HasSuffix(base, "="):
		c.add(path, "must end with / or = (the number is appended)")
	}
}

func (c *checker) receipt() {
	p := c.p
	if len(p.ReceiptLanguages) == 0 {
		c.add("receipt_languages", "a pack needs at least one receipt language")
	}
	seen := map[string]bool{}
	for i, l := range p.ReceiptLanguages {
		switch {
		case !slices.Contains(c.langs, l):
			c.add(pathIndex("receipt_languages", i), "%q is not a language of this pack", l)
		case seen[l]:
			c.add(pathIndex("receipt_languages", i), "duplicate receipt language %q", l)
		}
		seen[l] = true
	}
	for _, l := range p.ReceiptLanguages {
		s, ok := p.ReceiptLegalMention[l]
		if !ok || strings.TrimSpace(s) == "" {
			c.add(pathKey("receipt_legal_mention", l), "missing legal mention for language %s", l)
		}
	}
	for _, l := range sortedKeys(p.ReceiptLegalMention) {
		if !seen[l] {
			c.add(pathKey("receipt_legal_mention", l), "language %s is not a receipt language", l)
		}
	}
}

func (c *checker) forms() map[string]*form.Form {
	p := c.p
	env := form.Env{CINPattern: p.CINPattern}
	if _, err := compileAnchored(p.CINPattern); err != nil {
		env.CINPattern = "" // reported once, at cin_pattern
	}
	for _, court := range p.Courts {
		env.Courts = append(env.Courts, form.CourtRef{ID: court.ID, Kind: string(court.Kind)})
	}
	for _, city := range p.Cities {
		env.Cities = append(env.Cities, city.ID)
	}
	byID := map[string]*form.Form{}
	for i := range p.Forms {
		f := &p.Forms[i]
		fp := pathIndex("forms", i)
		if _, dup := byID[f.ID]; dup {
			c.add(fp+".id", "duplicate form id %q", f.ID)
		} else {
			byID[f.ID] = f
		}
		for _, prob := range f.Bind(env) {
			path := fp
			if prob.Path != "" {
				path += "." + prob.Path
			}
			c.add(path, "%s", prob.Reason)
		}
	}
	return byID
}

func (c *checker) services(forms map[string]*form.Form, methods map[string]bool) {
	p := c.p
	if len(p.Services) == 0 {
		c.add("services", "a pack needs at least one service")
	}
	ids := map[string]bool{}
	for i, s := range p.Services {
		sp := pathIndex("services", i)
		c.id(sp+".id", s.ID, ids, "service")
		c.text(sp+".title", s.Title, "title")
		c.text(sp+".summary", s.Summary, "summary")
		f, formOK := forms[s.Form]
		if !formOK {
			c.add(sp+".form", "unknown form %q (not in forms)", s.Form)
		}
		if s.Fee < 0 {
			c.add(sp+".fee", "fee must not be negative, got %d", s.Fee)
		}
		switch s.FeeRule {
		case FeeFree, FeeAssessed:
			if s.Fee != 0 {
				c.add(sp+".fee", "a %s service has fee 0, got %d", s.FeeRule, s.Fee)
			}
		case FeeFixed, FeePerCopy:
			if s.Fee == 0 {
				c.add(sp+".fee", "a %s fee must be more than 0 (use fee_rule free)", s.FeeRule)
			}
		default:
			c.add(sp+".fee_rule", "unknown fee rule %q (want free, fixed, per_copy or assessed)", s.FeeRule)
		}
		if s.FeeRule == FeePerCopy {
			if s.QuantityField == "" {
				c.add(sp+".quantity_field", "a per_copy fee needs the form field holding the number of copies")
			} else if formOK {
				fl, ok := f.Field(s.QuantityField)
				switch {
				case !ok:
					c.add(sp+".quantity_field", "no field %q in form %q", s.QuantityField, s.Form)
				case fl.Type != form.TypeNumber || !fl.Required || fl.Rules.Min == nil || *fl.Rules.Min < 1 || fl.Rules.Max == nil:
					c.add(sp+".quantity_field", "field %q must be a required number with min ≥ 1 and a max", s.QuantityField)
				}
			}
		} else if s.QuantityField != "" {
			c.add(sp+".quantity_field", "quantity_field is only for per_copy fees")
		}
		if s.DelayHours < 0 || s.DelayHours > 24*365 {
			c.add(sp+".delay_hours", "delay must be between 0 and 8760 hours, got %d", s.DelayHours)
		}
		seen := map[string]bool{}
		for j, m := range s.PaymentMethods {
			mp := pathIndex(sp+".payment_methods", j)
			switch {
			case !methods[m]:
				c.add(mp, "unknown payment method %q (not in payment_methods)", m)
			case seen[m]:
				c.add(mp, "duplicate payment method %q", m)
			}
			seen[m] = true
		}
		if s.FeeRule == FeeFree && len(s.PaymentMethods) > 0 {
			c.add(sp+".payment_methods", "a free service takes no payment")
		}
		if s.FeeRule != FeeFree && slices.Contains([]FeeRule{FeeFixed, FeePerCopy, FeeAssessed}, s.FeeRule) && len(s.PaymentMethods) == 0 {
			c.add(sp+".payment_methods", "a paid service needs at least one payment method")
		}
	}
}

// ScreenKeys are the messages every pack must have, in every language, for
// the screens that do not depend on a form.
var ScreenKeys = []string{
	"home.welcome", "home.touch_to_start", "home.choose_language", "home.choose_service",
	"nav.back", "nav.next", "nav.cancel", "nav.confirm", "nav.home", "nav.help",
	"privacy.title", "privacy.body", "privacy.accept", "privacy.decline",
	"scan.title", "scan.instructions", "scan.card_expired", "scan.check_failed", "scan.unreadable",
	// kiosk/scan's keys for codes read by the QR reader.
	"scan.too_long", "scan.not_text", "scan.incomplete", "scan.empty", "scan.tracking_malformed",
	"scan.tracking_check_failed", "scan.fine_pv_malformed", "scan.extract_malformed",
	"scan.extract_check_failed", "scan.unknown_code",
	"form.required_hint",
	"review.title", "review.instructions", "review.fee", "review.delay", "review.submit",
	"unit.hours",
	"fee.free", "fee.per_copy", "fee.assessed",
	"pay.title", "pay.choose_method", "pay.in_progress", "pay.refused", "pay.at_counter",
	"receipt.accepted", "receipt.take", "receipt.tracking_number", "receipt.keep",
	"session.still_there", "session.extend", "session.ended",
	"tracking.status", "tracking.last_updated", "tracking.not_found",
	"status.draft", "status.queued", "status.sent", "status.acknowledged", "status.in_processing",
	"status.ready", "status.delivered", "status.rejected", "status.cancelled",
	"fine.none", "fine.found",
	"directory.results", "directory.no_result",
	"help.title", "help.call_centre", "help.callback_accepted",
	"service.unavailable", "queue.full",
}

func (c *checker) messages() {
	p := c.p
	// Every key some language has, plus every key something needs.
	needed := map[string]string{} // key → who needs it
	for _, k := range ScreenKeys {
		needed[k] = "screens"
	}
	for _, f := range p.Forms {
		for _, k := range f.Keys() {
			if _, ok := needed[k]; !ok {
				needed[k] = "form " + f.ID
			}
		}
	}
	all := map[string]bool{}
	for k := range needed {
		all[k] = true
	}
	for _, l := range sortedKeys(p.Messages) {
		if !slices.Contains(c.langs, l) {
			c.add(pathKey("messages", l), "language %s is not a language of this pack", l)
			continue
		}
		for k := range p.Messages[l] {
			all[k] = true
		}
	}
	keys := sortedKeys(all)
	for _, l := range c.langs {
		table, ok := p.Messages[l]
		if !ok {
			c.add(pathKey("messages", l), "missing messages for language %s", l)
			continue
		}
		lp := pathKey("messages", l)
		for _, k := range keys {
			s, ok := table[k]
			kp := pathKey(lp, k)
			switch {
			case !ok:
				why := ""
				if who, ok := needed[k]; ok {
					why = " (needed by " + who + ")"
				}
				c.add(kp, "missing message for language %s%s", l, why)
			case !msgKeyRe.MatchString(k):
				c.add(kp, "message key must be dotted lower-case words such as home.back")
			case strings.TrimSpace(s) == "":
				c.add(kp, "empty message")
			case hasControl(s):
				c.add(kp, "message contains a control character")
			}
		}
	}
}

// compileAnchored compiles a pattern that must match a whole value.
func compileAnchored(pattern string) (*regexp.Regexp, error) {
	if !strings.HasPrefix(pattern, "^") || !strings.HasSuffix(pattern, "$") {
		return nil, fmt.Errorf("pattern %q must be anchored with ^ and $", pattern)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern %q does not compile: %v", pattern, err)
	}
	return re, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func joinKinds[K ~string](kinds []K) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
