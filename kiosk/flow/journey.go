package flow

import (
	"slices"
	"strings"
	"unicode/utf8"

	"guichet/kiosk/audit"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/scan"
	"guichet/kiosk/tracking"
)

// tap handles a tap; the lock is held.
func (f *Flow) tap(fx *effects, id string) {
	st := &f.st
	if !f.offers(id) {
		fx.changed = false
		return
	}
	fx.touch = true
	switch id {
	case TapLargeText, TapHighContrast, TapSpeech:
		if st.kind == KindAttract {
			f.wake(fx) // the toggle applies to the session it starts
		}
	}
	switch id {
	case TapExtend:
		fx.extend = true
		st.countdown = nil
		return
	case TapLargeText:
		st.access.LargeText = !st.access.LargeText
		return
	case TapHighContrast:
		st.access.HighContrast = !st.access.HighContrast
		return
	case TapSpeech:
		st.access.Speech = !st.access.Speech
		f.spoken = ""
		return
	}
	if code, ok := strings.CutPrefix(id, PrefixLanguage); ok && st.kind != KindLanguage && st.kind != KindAttract {
		f.setLanguage(code)
		return
	}
	if st.kind == KindTechPIN || st.kind == KindTechnician {
		f.techTap(fx, id)
		return
	}
	if id == TapHelp {
		if st.kind != KindHelp {
			st.helpReturn = st.kind
			st.kind = KindHelp
		}
		return
	}
	if st.busy {
		return
	}
	switch st.kind {
	case KindAttract:
		f.wake(fx)
	case KindLanguage:
		if code, ok := strings.CutPrefix(id, PrefixLanguage); ok {
			f.setLanguage(code)
			st.kind = KindServices
		} else {
			f.finish(fx)
		}
	case KindServices:
		switch {
		case strings.HasPrefix(id, PrefixService):
			f.chooseService(strings.TrimPrefix(id, PrefixService))
		case id == TapBack && len(f.p.Languages) > 1:
			st.j = journey{fine: -1}
			st.kind = KindLanguage
		default:
			f.finish(fx)
		}
	case KindServiceIntro:
		switch id {
		case TapNext:
			f.begin(fx)
		case TapBack:
			f.toServices()
		}
	case KindPrivacy:
		switch id {
		case TapAccept:
			st.j.privacy = true
			f.afterPrivacy(fx)
		case TapDecline:
			f.toServices()
			st.j.notice = &notice{key: "privacy.declined", role: RoleError}
		case TapBack:
			st.kind = KindServiceIntro
		}
	case KindScanCard, KindFineLookup, KindCollectCard:
		switch id {
		case TapBack:
			if st.kind == KindCollectCard {
				st.kind = KindTracking
			} else {
				st.kind = KindServiceIntro
			}
			st.j.notice = nil
		case TapTypePV:
			st.j.steps = []string{"pv_number"}
			f.toStep(0)
		case TapCancel:
			f.finish(fx)
		}
	case KindField, KindTrackingInput:
		f.fieldTap(fx, id)
	case KindReview:
		switch {
		case id == TapSubmit:
			f.confirm(fx)
		case strings.HasPrefix(id, PrefixEdit):
			if i := slices.Index(st.j.steps, strings.TrimPrefix(id, PrefixEdit)); i >= 0 {
				st.j.editing = true
				f.toStep(i)
			}
		case id == TapScanAgain:
			st.j.cardRead = false
			st.kind = KindScanCard
		case id == TapBack:
			f.toStep(len(st.j.steps) - 1)
			f.retreatToApplicable()
		case id == TapCancel:
			f.finish(fx)
		}
	case KindPayMethod:
		switch {
		case strings.HasPrefix(id, PrefixMethod):
			f.chooseMethod(fx, strings.TrimPrefix(id, PrefixMethod))
		case id == TapBack:
			if st.j.kind == journeyFine {
				st.kind = KindFines
			} else {
				st.kind = KindReview
			}
		case id == TapCancel:
			f.finish(fx)
		}
	case KindFines:
		switch {
		case strings.HasPrefix(id, PrefixFine):
			f.chooseFine(fx, strings.TrimPrefix(id, PrefixFine))
		case id == TapPrevPage || id == TapNextPage:
			f.turnPage(id, len(st.j.fines), f.cfg.RowsPerPage)
		case id == TapBack:
			st.j.fines = nil
			st.kind = KindFineLookup
		case id == TapFinish:
			f.finish(fx)
		}
	case KindDirectory:
		switch id {
		case TapPrevPage:
			f.searchDirectory(fx, max(0, st.j.dirOffset-f.cfg.RowsPerPage))
		case TapNextPage:
			f.searchDirectory(fx, st.j.dirOffset+f.cfg.RowsPerPage)
		case TapBack:
			f.toStep(0)
		case TapFinish:
			f.finish(fx)
		}
	case KindTracking:
		switch id {
		case TapReprint:
			if st.j.tracked != nil {
				f.reprint(fx, st.j.tracked.Request.Tracking)
			}
		case TapCollect:
			st.j.collect = true
			if st.j.privacy {
				st.kind = KindCollectCard
			} else {
				st.kind = KindPrivacy
			}
		case TapTypeNumber:
			f.setField("tracking_number", "")
			st.j.tracked = nil
			f.toStep(0)
		case TapFinish:
			f.finish(fx)
		}
	case KindDone:
		f.finish(fx)
	case KindMessage:
		if m := st.j.msg; m != nil {
			for _, b := range m.buttons {
				if b.id == id {
					st.j.msg = nil
					b.do(fx)
					return
				}
			}
		}
	case KindHelp:
		switch id {
		case TapBack:
			st.kind = st.helpReturn
			st.helpReturn = ""
		case TapCallback:
			st.helpReturn = ""
			f.chooseService(f.callbackService())
			if st.kind == KindServiceIntro {
				f.begin(fx)
			}
		}
	}
}

// offers reports whether the screen shows a button with that id; taps on
// anything else (a stale tap after a change) are ignored.
func (f *Flow) offers(id string) bool {
	s := &f.screen
	has := func(bs []Button) bool {
		for _, b := range bs {
			if b.ID == id && !b.Disabled {
				return true
			}
		}
		return false
	}
	switch {
	case has(s.Buttons), has(s.Toolbar):
		return true
	case s.Back != nil && s.Back.ID == id:
		return true
	case s.Countdown != nil && s.Countdown.Extend != nil && id == TapExtend:
		return true
	case s.Paging != nil && (id == s.Paging.Prev.ID && !s.Paging.Prev.Disabled || id == s.Paging.Next.ID && !s.Paging.Next.Disabled):
		return true
	case s.Field != nil && (has(s.Field.Choices) || s.Field.Keyboard != KeyboardNone && (id == TapErase || id == TapClear)):
		return true
	}
	for _, r := range s.Rows {
		if r.Edit == id && id != "" {
			return true
		}
	}
	return false
}

// wake starts a session from the attract screen.
// wake starts a session from the attract screen, unless the kiosk is
// paused for an update; it reports whether it did.
func (f *Flow) wake(fx *effects) bool {
	if f.st.paused {
		fx.changed = false
		return false
	}
	f.startSession(fx)
	f.st.ended = false
	if len(f.p.Languages) == 1 {
		f.setLanguage(f.p.Languages[0].Code)
		f.st.kind = KindServices
		return true
	}
	f.st.kind = KindLanguage
	return true
}

func (f *Flow) setLanguage(code string) {
	if _, ok := f.p.Language(code); !ok {
		return
	}
	f.st.lang = code
	if f.st.sess != nil {
		_ = f.st.sess.SetLanguage(code)
	}
}

func (f *Flow) toServices() {
	f.st.j = journey{fine: -1}
	f.st.kind = KindServices
}

func (f *Flow) callbackService() string {
	for _, s := range f.p.Services {
		if fm, ok := f.p.Form(s.Form); ok && s.FeeRule == pack.FeeFree && hasType(fm, form.TypePhone) && !hasCardField(fm) {
			return s.ID
		}
	}
	return ""
}

// chooseService shows a service's introduction.
func (f *Flow) chooseService(id string) {
	s, ok := f.p.Service(id)
	if !ok {
		return
	}
	fm, _ := f.p.Form(s.Form)
	keep := f.st.j.privacy && f.st.j.service.ID == id
	f.st.j = journey{service: s, form: fm, kind: classify(s, fm), fine: -1, privacy: keep}
	if f.st.sess != nil {
		_ = f.st.sess.SetService(id)
	}
	f.st.kind = KindServiceIntro
}

// classify chooses a service's journey from its pack data.
func classify(s pack.Service, fm form.Form) journeyKind {
	switch {
	case hasType(fm, form.TypeTrackingNumber):
		return journeyTracking
	case s.FeeRule == pack.FeeAssessed:
		return journeyFine
	case s.FeeRule == pack.FeeFree && !hasPersonal(fm) && s.DelayHours == 0:
		return journeyDirectory
	}
	return journeyRequest
}

func hasType(fm form.Form, t form.FieldType) bool {
	return slices.ContainsFunc(fm.Fields, func(fl form.Field) bool { return fl.Type == t })
}

func hasCardField(fm form.Form) bool {
	return slices.ContainsFunc(fm.Fields, func(fl form.Field) bool { return fl.Source == form.SourceCard })
}

// hasPersonal reports whether a form collects personal data, which law
// 09-08 says the citizen is told about first.
func hasPersonal(fm form.Form) bool {
	return slices.ContainsFunc(fm.Fields, func(fl form.Field) bool {
		switch fl.Type {
		case form.TypeNameLatin, form.TypeNameArabic, form.TypeDate, form.TypePhone, form.TypeCIN, form.TypeDocumentNumber:
			return true
		}
		return fl.Source == form.SourceCard
	})
}

// begin starts the service's journey after its introduction.
func (f *Flow) begin(fx *effects) {
	j := &f.st.j
	j.notice = nil
	switch j.kind {
	case journeyTracking:
		j.steps = []string{fieldOfType(j.form, form.TypeTrackingNumber)}
		f.toStep(0)
	case journeyDirectory:
		j.steps = nil
		for _, fl := range j.form.Fields {
			j.steps = append(j.steps, fl.ID)
		}
		f.toStep(0)
	default:
		if !j.privacy && hasPersonal(j.form) {
			f.st.kind = KindPrivacy
			return
		}
		f.afterPrivacy(fx)
	}
}

func fieldOfType(fm form.Form, t form.FieldType) string {
	for _, fl := range fm.Fields {
		if fl.Type == t {
			return fl.ID
		}
	}
	return ""
}

func (f *Flow) afterPrivacy(fx *effects) {
	j := &f.st.j
	switch {
	case j.collect:
		f.st.kind = KindCollectCard
	case j.kind == journeyFine:
		f.st.kind = KindFineLookup
	case hasCardField(j.form) && !j.cardRead && f.cardRequired():
		f.st.kind = KindScanCard
	default:
		f.computeSteps()
		if len(j.steps) == 0 {
			f.st.kind = KindReview
			return
		}
		f.toStep(0)
	}
}

// cardRequired reports whether the form needs the card (a required field
// comes from it).
func (f *Flow) cardRequired() bool {
	return slices.ContainsFunc(f.st.j.form.Fields, func(fl form.Field) bool {
		return fl.Source == form.SourceCard && fl.Required
	})
}

// computeSteps lists the fields to ask: all but those the card filled.
func (f *Flow) computeSteps() {
	j := &f.st.j
	j.steps = j.steps[:0]
	for _, fl := range j.form.Fields {
		if fl.Source == form.SourceCard && f.field(fl.ID) != "" && j.cardRead {
			continue
		}
		j.steps = append(j.steps, fl.ID)
	}
}

// applicable reports whether a step's field is asked now: a field required
// only when another has a value is skipped while that condition fails.
func (f *Flow) applicable(id string) bool {
	fl, ok := f.st.j.form.Field(id)
	if !ok {
		return true
	}
	if fl.RequiredWhen == nil || fl.Required {
		return true
	}
	c := fl.RequiredWhen
	v := f.field(c.Field)
	if c.Filled {
		return true // an optional field that becomes required: always ask
	}
	return v == c.Equals
}

func (f *Flow) toStep(i int) {
	j := &f.st.j
	j.step = i
	j.page = 0
	j.fieldErr = ""
	j.notice = nil
	j.payPhone = false
	if j.kind == journeyTracking {
		f.st.kind = KindTrackingInput
		return
	}
	f.st.kind = KindField
	// Open a list on the page of its current value.
	if fl, ok := j.form.Field(f.stepID()); ok && fl.Source == form.SourceList {
		if v := f.field(fl.ID); v != "" {
			for k, c := range f.choices(fl) {
				if c.value == v {
					j.page = k / f.cfg.ChoicesPerPage
				}
			}
		}
	}
}

// retreatToApplicable moves back from the current step to one that is asked.
func (f *Flow) retreatToApplicable() {
	j := &f.st.j
	for j.step > 0 && !f.applicable(j.steps[j.step]) {
		j.step--
	}
}

func (f *Flow) stepID() string {
	j := &f.st.j
	if j.payPhone {
		return payPhoneField
	}
	if j.step < 0 || j.step >= len(j.steps) {
		return ""
	}
	return j.steps[j.step]
}

// payPhoneField is the session field of the mobile-money number.
const payPhoneField = "_payer_phone"

func (f *Flow) field(id string) string {
	if f.st.sess == nil {
		return ""
	}
	v, _ := f.st.sess.Field(id)
	return v
}

func (f *Flow) setField(id, v string) {
	if f.st.sess != nil {
		_ = f.st.sess.SetField(id, v)
	}
}

// formValues returns the session's values of the form's fields.
func (f *Flow) formValues() map[string]string {
	vals := map[string]string{}
	for _, fl := range f.st.j.form.Fields {
		if v := f.field(fl.ID); v != "" {
			vals[fl.ID] = v
		}
	}
	return vals
}

func (f *Flow) fieldTap(fx *effects, id string) {
	j := &f.st.j
	fid := f.stepID()
	switch {
	case id == TapErase:
		v := f.field(fid)
		if v != "" {
			_, size := utf8.DecodeLastRuneInString(v)
			v = v[:len(v)-size]
			if fl, ok := j.form.Field(fid); ok && fl.Type == form.TypeDate {
				v = strings.TrimSuffix(v, "-")
			}
			f.setField(fid, v)
		}
		j.fieldErr = ""
	case id == TapClear:
		f.setField(fid, "")
		j.fieldErr = ""
	case strings.HasPrefix(id, PrefixChoice):
		f.setField(fid, strings.TrimPrefix(id, PrefixChoice))
		f.advance(fx)
	case id == TapSkip:
		f.setField(fid, "")
		f.advance(fx)
	case id == TapPrevPage || id == TapNextPage:
		if fl, ok := j.form.Field(fid); ok {
			f.turnPage(id, len(f.choices(fl)), f.cfg.ChoicesPerPage)
		}
	case id == TapNext:
		if j.payPhone {
			if !validPayerPhone(f.field(payPhoneField)) {
				j.fieldErr = form.KeyPhoneInvalid
				return
			}
			j.payPhone = false
			f.pay(fx)
			return
		}
		if key := f.checkStep(fid); key != "" {
			j.fieldErr = key
			return
		}
		f.advance(fx)
	case id == TapBack:
		switch {
		case j.payPhone:
			j.payPhone = false
			f.st.kind = KindPayMethod
		case j.editing:
			j.editing = false
			f.st.kind = KindReview
		case j.step > 0:
			j.step--
			f.retreatToApplicable()
			f.toStep(j.step)
		case j.kind == journeyFine:
			f.st.kind = KindFineLookup
		case j.kind == journeyTracking || j.kind == journeyDirectory:
			f.st.kind = KindServiceIntro
		default:
			f.st.kind = KindServiceIntro
		}
	case id == TapCancel:
		f.finish(fx)
	}
}

// checkStep returns the message key of what is wrong with a step's value.
func (f *Flow) checkStep(id string) string {
	j := &f.st.j
	if j.kind == journeyTracking {
		return checkTracking(f.field(id))
	}
	errs := j.form.Validate(f.formValues(), f.now())
	key := errs[id]
	if key == form.KeyOneOfRequired || (key != "" && isOneOfKey(j.form, key)) {
		// A fine's PV number alone: the card alternative is another screen.
		if j.kind == journeyFine {
			return form.KeyRequired
		}
	}
	return key
}

func isOneOfKey(fm form.Form, key string) bool {
	for _, g := range fm.OneOf {
		if g.Message == key {
			return true
		}
	}
	return false
}

func checkTracking(v string) string {
	if _, err := tracking.Parse(v); err != nil {
		if v == "" {
			return form.KeyRequired
		}
		return form.KeyTrackingInvalid
	}
	return ""
}

// advance goes to the next applicable step, or past the last.
func (f *Flow) advance(fx *effects) {
	j := &f.st.j
	if j.editing {
		j.editing = false
		f.st.kind = KindReview
		return
	}
	for i := j.step + 1; i < len(j.steps); i++ {
		if f.applicable(j.steps[i]) {
			f.toStep(i)
			return
		}
		f.setField(j.steps[i], "") // a skipped field holds no stale value
	}
	f.afterSteps(fx)
}

// afterSteps is what follows the last field.
func (f *Flow) afterSteps(fx *effects) {
	j := &f.st.j
	switch j.kind {
	case journeyTracking:
		n, _ := tracking.Parse(f.field(j.steps[0]))
		f.track(fx, n)
	case journeyDirectory:
		f.searchDirectory(fx, 0)
	case journeyFine:
		f.lookupFines(fx, FineQuery{PVNumber: j.form.Normalize(map[string]string{"pv_number": f.field("pv_number")})["pv_number"]})
	default:
		f.st.kind = KindReview
	}
}

// typeText appends typed text to the field on screen.
func (f *Flow) typeText(fx *effects, id, text string) {
	st := &f.st
	if st.kind == KindTechPIN {
		if id == techPINField && len(st.tech.pin) < 12 {
			for _, r := range text {
				if r >= '0' && r <= '9' && len(st.tech.pin) < 12 {
					st.tech.pin = append(st.tech.pin, byte(r))
				}
			}
		}
		return
	}
	if (st.kind != KindField && st.kind != KindTrackingInput) || id != f.stepID() || st.busy {
		fx.changed = false
		return
	}
	fx.touch = true
	v := f.field(id) + text
	max := form.MaxValueLength
	if fl, ok := st.j.form.Field(id); ok {
		if fl.Rules.MaxLength > 0 {
			max = fl.Rules.MaxLength
		}
		if fl.Type == form.TypeDate {
			v = formatDateDigits(v)
		}
		if fl.Source == form.SourceList {
			return
		}
	}
	if utf8.RuneCountInString(v) > max {
		return
	}
	f.setField(id, v)
	st.j.fieldErr = ""
}

// formatDateDigits writes up to eight typed digits as 2006-01-02 as they come.
func formatDateDigits(v string) string {
	var d []byte
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' && len(d) < 8 {
			d = append(d, v[i])
		}
	}
	var b strings.Builder
	for i, c := range d {
		if i == 4 || i == 6 {
			b.WriteByte('-')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func validPayerPhone(v string) bool {
	v = strings.TrimPrefix(v, "+")
	if len(v) < 8 || len(v) > 15 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func (f *Flow) turnPage(id string, items, per int) {
	pages := max(1, (items+per-1)/per)
	j := &f.st.j
	if id == TapPrevPage && j.page > 0 {
		j.page--
	}
	if id == TapNextPage && j.page < pages-1 {
		j.page++
	}
}

// choice is one item of a list field.
type choice struct {
	value string
	label pack.Text // for choices, the key in every language
	key   string
}

// choices lists a list field's items in pack order.
func (f *Flow) choices(fl form.Field) []choice {
	var out []choice
	switch fl.Type {
	case form.TypeChoice:
		for _, c := range fl.Choices {
			out = append(out, choice{value: c.Value, key: c.Label})
		}
	case form.TypeCourt:
		var kinds []pack.CourtKind
		for _, k := range fl.CourtKinds {
			kinds = append(kinds, pack.CourtKind(k))
		}
		for _, c := range f.p.CourtsOf(kinds...) {
			out = append(out, choice{value: c.ID, label: c.Names})
		}
	case form.TypeCity:
		for _, c := range f.p.Cities {
			out = append(out, choice{value: c.ID, label: c.Names})
		}
	}
	return out
}

// Cards and codes.

func (f *Flow) cardRead(fx *effects, c Card) {
	st := &f.st
	if st.kind == KindTechnician {
		f.techCardRead(fx, c)
		return
	}
	if st.busy || st.sess == nil {
		fx.changed = false
		return
	}
	switch st.kind {
	case KindScanCard, KindFineLookup, KindCollectCard:
	default:
		fx.changed = false
		return
	}
	fx.touch = true
	if key := f.checkCard(c); key != "" {
		st.j.notice = &notice{key: key, role: RoleError}
		return
	}
	st.j.notice = nil
	switch st.kind {
	case KindScanCard:
		_ = st.sess.SetMRZ(c.mrzFields())
		for _, fl := range st.j.form.Fields {
			if fl.Source == form.SourceCard {
				f.setField(fl.ID, c.cardValue(fl.CardField))
			}
		}
		st.j.cardRead = true
		f.computeSteps()
		if len(st.j.steps) == 0 {
			st.kind = KindReview
			return
		}
		f.toStep(0)
	case KindFineLookup:
		if c.NationalNumber == "" {
			st.j.notice = &notice{key: "fine.card_without_number", role: RoleError}
			return
		}
		_ = st.sess.SetMRZ(c.mrzFields())
		f.setField(fieldOfType(st.j.form, form.TypeCIN), c.NationalNumber)
		f.lookupFines(fx, FineQuery{NationalNumber: c.NationalNumber})
	case KindCollectCard:
		_ = st.sess.SetMRZ(c.mrzFields())
		f.collect(fx, Holder{NationalNumber: c.NationalNumber, DocumentNumber: c.DocumentNumber, BirthDate: c.BirthDate, Lang: f.st.lang})
	}
}

// checkCard refuses a card whose check digits fail or that has expired.
func (f *Flow) checkCard(c Card) string {
	if !c.ChecksOK {
		return "scan.check_failed"
	}
	if c.ExpiryDate != "" {
		today := f.now().In(f.cfg.Location).Format(form.DateLayout)
		if c.ExpiryDate < today {
			return "scan.card_expired"
		}
	}
	return ""
}

// cardFailureKeys are the messages of the reader's failures.
var cardFailureKeys = map[CardFailure]string{
	CardPlaceFlat:  "scan.place_flat",
	CardUnreadable: "scan.unreadable",
	CardExpired:    "scan.card_expired",
	CardNotIDCard:  "scan.not_id_card",
}

func (f *Flow) cardFailed(fx *effects, reason CardFailure) {
	st := &f.st
	switch st.kind {
	case KindScanCard, KindFineLookup, KindCollectCard:
	case KindTechnician:
		f.techCardFailed(fx, reason)
		return
	default:
		fx.changed = false
		return
	}
	if st.busy {
		fx.changed = false
		return
	}
	fx.touch = true
	key, ok := cardFailureKeys[reason]
	if !ok {
		key = "scan.unreadable"
	}
	st.j.notice = &notice{key: key, role: RoleError}
}

func (f *Flow) scanParams() scan.Params {
	return scan.Params{TrackingQRBase: f.p.TrackingQRBase, VerificationBase: f.p.ExtractVerificationBase}
}

func (f *Flow) scanned(fx *effects, payload string) {
	st := &f.st
	if st.kind == KindTechnician {
		f.techScanned(fx, payload)
		return
	}
	if st.busy {
		fx.changed = false
		return
	}
	r := scan.Classify(payload, f.scanParams())
	switch st.kind {
	case KindAttract, KindServices, KindServiceIntro:
		if !r.OK() || (r.Kind != scan.TrackingNumber && r.Kind != scan.ExtractVerification) {
			if st.kind == KindAttract {
				fx.changed = false
				return
			}
			st.j.notice = &notice{key: orKey(r.Message, scan.MsgUnknownCode), role: RoleError}
			return
		}
		if st.kind == KindAttract {
			if !f.wake(fx) {
				return
			}
			f.setLanguage(f.p.DefaultLanguage)
		}
		if !f.startTracking() {
			return
		}
		f.setField(st.j.steps[0], string(r.Tracking))
		f.track(fx, r.Tracking)
	case KindTrackingInput:
		fx.touch = true
		if !r.OK() || (r.Kind != scan.TrackingNumber && r.Kind != scan.ExtractVerification) {
			st.j.notice = &notice{key: orKey(r.Message, scan.MsgUnknownCode), role: RoleError}
			return
		}
		f.setField(st.j.steps[0], string(r.Tracking))
		f.track(fx, r.Tracking)
	case KindFineLookup, KindField:
		if st.j.kind != journeyFine {
			fx.changed = false
			return
		}
		fx.touch = true
		if !r.OK() || r.Kind != scan.FinePV {
			st.j.notice = &notice{key: orKey(r.Message, scan.MsgFinePVMalformed), role: RoleError}
			return
		}
		f.setField("pv_number", r.FinePV)
		f.lookupFines(fx, FineQuery{PVNumber: r.FinePV})
	default:
		fx.changed = false
	}
}

func (f *Flow) scanFailed(fx *effects, reason string) {
	if !slices.Contains(scan.Messages, reason) {
		reason = scan.MsgUnknownCode
	}
	st := &f.st
	switch {
	case st.kind == KindTechnician && st.tech.scanArmed:
		st.tech.result = &notice{key: reason, role: RoleError}
		f.recordAudit(audit.Technician, "tech.test_scan", "qr_reader", "failed "+reason)
	case !f.screen.Accepts.Code || st.busy || st.kind == KindAttract:
		fx.changed = false
	default:
		fx.touch = true
		st.j.notice = &notice{key: reason, role: RoleError}
	}
}

func orKey(k, def string) string {
	if k != "" {
		return k
	}
	return def
}

// startTracking opens the tracking service's journey; false when the pack
// has none.
func (f *Flow) startTracking() bool {
	for _, s := range f.p.Services {
		fm, _ := f.p.Form(s.Form)
		if classify(s, fm) == journeyTracking {
			f.chooseService(s.ID)
			f.st.j.steps = []string{fieldOfType(fm, form.TypeTrackingNumber)}
			f.st.j.step = 0
			return true
		}
	}
	return false
}
