package flow

import (
	"strconv"

	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
)

// render builds the view-model of the current state; the lock is held.
func (f *Flow) render() Screen {
	st := &f.st
	s := Screen{Kind: st.kind, Lang: st.lang, Seq: f.seq, Access: st.access, Busy: st.busy}
	if s.Lang == "" && st.kind != KindAttract && st.kind != KindLanguage {
		s.Lang = f.lang() // technician mode: the pack's default language
	}
	if l, ok := f.p.Language(s.Lang); ok {
		s.RTL = l.RTL
	}
	s.Status = f.status()
	switch st.kind {
	case KindAttract:
		f.renderAttract(&s)
	case KindLanguage:
		f.renderLanguage(&s)
	case KindServices:
		f.renderServices(&s)
	case KindServiceIntro:
		f.renderIntro(&s)
	case KindPrivacy:
		s.Title = f.msg("privacy.title")
		s.Lines = []Line{{Text: f.msg("privacy.body")}}
		s.Buttons = []Button{
			{ID: TapAccept, Label: f.msg("privacy.accept"), Role: RolePrimary},
			{ID: TapDecline, Label: f.msg("privacy.decline"), Role: RoleDanger},
		}
		s.Back = f.back()
	case KindScanCard:
		s.Title = f.msg("scan.title")
		s.Lines = []Line{{Text: f.msg("scan.instructions")}}
		s.Accepts.Card = true
		s.Buttons = []Button{f.cancel()}
		s.Back = f.back()
	case KindField, KindTrackingInput:
		f.renderField(&s)
	case KindReview:
		f.renderReview(&s)
	case KindPayMethod:
		s.Title = f.msg("pay.title")
		s.Lines = []Line{
			{Text: f.msg("review.fee") + " " + f.money(st.j.amount, f.lang()), Role: RoleEmphasis},
			{Text: f.msg("pay.choose_method")},
		}
		for _, m := range f.methods() {
			s.Buttons = append(s.Buttons, Button{ID: PrefixMethod + m.ID, Label: m.Name.In(f.lang()), Role: RolePrimary})
		}
		s.Buttons = append(s.Buttons, f.cancel())
		s.Back = f.back()
	case KindPaying:
		s.Title = f.msg("pay.title")
		s.Lines = []Line{{Text: f.msg("review.fee") + " " + f.money(st.j.amount, f.lang()), Role: RoleEmphasis}}
		if st.j.method.Kind == pack.PayMobileMoney {
			s.Lines = append(s.Lines, Line{Text: f.msgf("pay.confirm_on_phone", map[string]string{"phone": ltr(f.field(payPhoneField))})})
		} else {
			s.Lines = append(s.Lines, Line{Text: f.msg("pay.in_progress")})
		}
	case KindWorking:
		s.Title = st.j.service.Title.In(f.lang())
		if s.Title == "" {
			s.Title = f.msg("working.title")
		}
		s.Lines = []Line{{Text: f.msg(st.working)}}
	case KindDone:
		f.renderDone(&s)
	case KindMessage:
		if m := st.j.msg; m != nil {
			s.Title = f.msg(m.title)
			for _, n := range m.lines {
				s.Lines = append(s.Lines, Line{Text: f.msgf(n.key, n.args), Role: n.role})
			}
			for _, b := range m.buttons {
				s.Buttons = append(s.Buttons, Button{ID: b.id, Label: f.msg(b.label), Role: b.role})
			}
		}
	case KindFineLookup:
		s.Title = f.msg(st.j.form.Title)
		s.Lines = []Line{{Text: f.msg("fine.how")}, {Text: f.msg("hint.pv_number"), Role: RoleHint}}
		s.Accepts = Accepts{Card: true, Code: true}
		s.Buttons = []Button{{ID: TapTypePV, Label: f.msg("fine.type_pv"), Role: RoleSecondary}, f.cancel()}
		s.Back = f.back()
	case KindFines:
		f.renderFines(&s)
	case KindDirectory:
		f.renderDirectory(&s)
	case KindTracking:
		f.renderTracking(&s)
	case KindCollectCard:
		s.Title = f.msg("collect.title")
		s.Lines = []Line{{Text: f.msg("collect.instructions")}}
		s.Accepts.Card = true
		s.Buttons = []Button{f.cancel()}
		s.Back = f.back()
	case KindHelp:
		s.Title = f.msg("help.title")
		if f.p.CallCentre != "" {
			s.Lines = append(s.Lines, Line{Text: f.msg("help.call_centre")}, Line{Text: ltr(f.p.CallCentre), Role: RoleEmphasis})
		}
		s.Lines = append(s.Lines, Line{Text: f.msg("help.counter")})
		if id := f.callbackService(); id != "" && st.helpReturn != KindDone {
			sv, _ := f.p.Service(id)
			s.Buttons = append(s.Buttons, Button{ID: TapCallback, Label: sv.Title.In(f.lang()), Role: RolePrimary})
		}
		s.Back = f.back()
	case KindTechPIN, KindTechnician:
		f.renderTech(&s)
	}
	if st.j.notice != nil && st.kind != KindMessage {
		s.Lines = append(s.Lines, Line{Text: f.msgf(st.j.notice.key, st.j.notice.args), Role: st.j.notice.role})
	}
	switch st.kind {
	case KindTechPIN, KindTechnician:
	case KindAttract, KindLanguage:
		// The accessibility toggles only: a language is chosen below.
		s.Toolbar = f.accessToggles()
	default:
		s.Toolbar = f.toolbar()
	}
	if c := st.countdown; c != nil && st.sess != nil {
		s.Countdown = &Countdown{
			SecondsLeft: c.SecondsLeft,
			Text:        f.msg("session.still_there") + " " + f.msgf("session.seconds_left", map[string]string{"seconds": ltr(strconv.Itoa(c.SecondsLeft))}),
		}
		if c.ExtensionsLeft != 0 {
			s.Countdown.Extend = &Button{ID: TapExtend, Label: f.msg("session.extend"), Role: RolePrimary}
		}
	}
	if s.Busy {
		s.Accepts = Accepts{}
	}
	return s
}

func (f *Flow) back() *Button {
	return &Button{ID: TapBack, Label: f.msg("nav.back"), Role: RoleSecondary}
}

func (f *Flow) cancel() Button {
	return Button{ID: TapCancel, Label: f.msg("nav.cancel"), Role: RoleDanger}
}

func (f *Flow) toolbar() []Button {
	st := &f.st
	var tb []Button
	if st.kind != KindHelp && !st.busy {
		tb = append(tb, Button{ID: TapHelp, Label: f.msg("nav.help")})
	}
	tb = append(tb, f.accessToggles()...)
	if len(f.p.Languages) > 1 {
		for _, l := range f.p.Languages {
			if l.Code != st.lang {
				tb = append(tb, Button{ID: PrefixLanguage + l.Code, Label: l.Autonym, Lang: l.Code})
			}
		}
	}
	return tb
}

// accessToggles are larger text, high contrast and speech, one tap away on
// every screen.
func (f *Flow) accessToggles() []Button {
	a := f.st.access
	return []Button{
		{ID: TapLargeText, Label: f.msg("access.large_text"), Selected: a.LargeText},
		{ID: TapHighContrast, Label: f.msg("access.contrast"), Selected: a.HighContrast},
		{ID: TapSpeech, Label: f.msg("access.speech"), Selected: a.Speech},
	}
}

func (f *Flow) status() Status {
	st := &f.st
	s := Status{Lang: f.lang(), Online: st.conn.Online, Printer: st.printer, QueueDepth: -1}
	if st.conn.Online {
		s.OnlineText = f.msg("strip.online")
	} else {
		s.OnlineText = f.msg("strip.offline")
	}
	if st.conn.LastSync.IsZero() {
		s.OnlineText += " · " + f.msg("strip.never_synced")
	} else {
		s.OnlineText += " · " + f.msgf("strip.last_sync", map[string]string{"time": f.dateTime(st.conn.LastSync)})
	}
	switch st.printer {
	case PrinterPaperLow:
		s.PrinterText = f.msg("strip.paper_low")
	case PrinterPaperOut:
		s.PrinterText = f.msg("strip.paper_out")
	case PrinterFault:
		s.PrinterText = f.msg("strip.printer_fault")
	}
	if st.kind == KindTechnician && st.tech.health != nil {
		s.QueueDepth = st.tech.health.QueueDepth
	}
	return s
}

func (f *Flow) renderAttract(s *Screen) {
	def := f.p.DefaultLanguage
	s.Title = f.p.Country.In(def)
	if f.st.ended {
		for _, l := range f.p.Languages {
			s.Lines = append(s.Lines, Line{Text: f.p.Message(l.Code, "session.ended"), Role: RoleHint, Lang: l.Code})
		}
	}
	if f.st.paused {
		for _, l := range f.p.Languages {
			s.Lines = append(s.Lines, Line{Text: f.p.Message(l.Code, "home.back_soon"), Role: RoleEmphasis, Lang: l.Code})
		}
		return
	}
	for _, l := range f.p.Languages {
		s.Lines = append(s.Lines,
			Line{Text: f.p.Message(l.Code, "home.welcome"), Role: RoleHeading, Lang: l.Code},
			Line{Text: f.p.Message(l.Code, "home.touch_to_start"), Lang: l.Code})
	}
	s.Buttons = []Button{{ID: TapStart, Label: f.p.Message(def, "home.touch_to_start"), Role: RolePrimary, Lang: def}}
	s.Accepts.Code = true
}

func (f *Flow) renderLanguage(s *Screen) {
	def := f.p.DefaultLanguage
	s.Title = f.p.Message(def, "home.choose_language")
	for _, l := range f.p.Languages {
		if l.Code != def {
			s.Lines = append(s.Lines, Line{Text: f.p.Message(l.Code, "home.choose_language"), Lang: l.Code})
		}
		s.Buttons = append(s.Buttons, Button{ID: PrefixLanguage + l.Code, Label: l.Autonym, Role: RolePrimary, Lang: l.Code})
	}
	s.Back = &Button{ID: TapBack, Label: f.p.Message(def, "nav.back"), Role: RoleSecondary, Lang: def}
}

func (f *Flow) renderServices(s *Screen) {
	s.Title = f.msg("home.choose_service")
	for _, sv := range f.p.Services {
		s.Buttons = append(s.Buttons, Button{ID: PrefixService + sv.ID, Label: sv.Title.In(f.lang()), Role: RolePrimary})
	}
	s.Accepts.Code = true
	if len(f.p.Languages) > 1 {
		s.Back = f.back()
	} else {
		s.Back = &Button{ID: TapCancel, Label: f.msg("nav.home"), Role: RoleSecondary}
	}
}

func (f *Flow) renderIntro(s *Screen) {
	sv := f.st.j.service
	lang := f.lang()
	s.Title = sv.Title.In(lang)
	s.Lines = []Line{{Text: sv.Summary.In(lang)}}
	s.Lines = append(s.Lines, Line{Text: f.msg("review.fee") + " " + f.feeText(sv), Role: RoleEmphasis})
	if sv.DelayHours > 0 {
		s.Lines = append(s.Lines, Line{Text: f.msg("review.delay") + " " + ltr(strconv.Itoa(sv.DelayHours)) + " " + f.msg("unit.hours")})
	}
	if f.st.j.kind == journeyRequest && (f.st.printer == PrinterPaperOut || f.st.printer == PrinterFault) {
		s.Lines = append(s.Lines, Line{Text: f.msg("printer.unavailable_before"), Role: RoleError})
	}
	s.Buttons = []Button{{ID: TapNext, Label: f.msg("nav.next"), Role: RolePrimary}}
	s.Back = f.back()
}

// feeText says what a service costs.
func (f *Flow) feeText(sv pack.Service) string {
	lang := f.lang()
	switch sv.FeeRule {
	case pack.FeeFixed:
		return f.money(sv.Fee, lang)
	case pack.FeePerCopy:
		return f.money(sv.Fee, lang) + " " + f.msg("fee.per_copy")
	case pack.FeeAssessed:
		return f.msg("fee.assessed")
	}
	return f.msg("fee.free")
}

func (f *Flow) renderField(s *Screen) {
	st := &f.st
	j := &st.j
	lang := f.lang()
	l, _ := f.p.Language(lang)
	id := f.stepID()
	if j.payPhone {
		s.Title = f.msg("pay.title")
		s.Field = &FieldView{
			ID: id, Label: f.msg("pay.phone"), Hint: f.msg("hint.phone"),
			Value: f.field(id), Required: true, Keyboard: KeyboardPhone,
			Keyboards: []Keyboard{KeyboardPhone}, MaxLength: 16,
		}
		if j.fieldErr != "" {
			s.Field.Error = f.msg(j.fieldErr)
		}
		s.Buttons = []Button{{ID: TapNext, Label: f.msg("nav.next"), Role: RolePrimary}, f.cancel()}
		s.Back = f.back()
		return
	}
	fl, _ := j.form.Field(id)
	s.Title = f.msg(j.form.Title)
	if st.kind == KindTrackingInput {
		s.Accepts.Code = true
	} else if j.kind == journeyFine {
		s.Accepts.Code = true
	} else if n := len(j.steps); n > 1 {
		s.Lines = append(s.Lines, Line{Text: f.msgf("form.step", map[string]string{
			"n": ltr(strconv.Itoa(j.step + 1)), "total": ltr(strconv.Itoa(n)),
		}), Role: RoleHint})
	}
	fv := &FieldView{ID: id, Label: f.msg(fl.LabelKey()), Value: f.field(id), Required: fl.Required || fl.RequiredWhen != nil && f.applicable(id) && !fl.RequiredWhen.Filled}
	if fl.Hint != "" {
		fv.Hint = f.msg(fl.Hint)
	} else if k, ok := defaultHints[fl.Type]; ok {
		fv.Hint = f.msg(k)
	}
	if j.fieldErr != "" {
		fv.Error = f.msg(j.fieldErr)
	}
	fv.Keyboards = keyboards(fl.Type, l.Script == "Arab")
	if len(fv.Keyboards) > 0 {
		fv.Keyboard = fv.Keyboards[0]
	}
	fv.MaxLength = form.MaxValueLength
	if fl.Rules.MaxLength > 0 {
		fv.MaxLength = fl.Rules.MaxLength
	}
	switch fl.Type {
	case form.TypeDate:
		fv.MaxLength = 10
	case form.TypeTrackingNumber:
		fv.MaxLength = 14
	}
	if fl.Source == form.SourceList {
		all := f.choices(fl)
		per := f.cfg.ChoicesPerPage
		page := min(j.page, max(0, (len(all)-1)/per))
		for _, c := range all[min(page*per, len(all)):min((page+1)*per, len(all))] {
			label := c.label.In(lang)
			if c.key != "" {
				label = f.msg(c.key)
			}
			fv.Choices = append(fv.Choices, Button{ID: PrefixChoice + c.value, Label: label, Role: RoleSecondary, Selected: c.value == fv.Value})
		}
		s.Paging = f.paging(page, len(all), per)
		if !fv.Required {
			s.Buttons = append(s.Buttons, Button{ID: TapSkip, Label: f.msg("nav.skip"), Role: RoleSecondary})
		}
		if fv.Value != "" {
			s.Buttons = append([]Button{{ID: TapNext, Label: f.msg("nav.next"), Role: RolePrimary}}, s.Buttons...)
		}
	} else {
		s.Buttons = append(s.Buttons, Button{ID: TapNext, Label: f.msg("nav.next"), Role: RolePrimary})
	}
	s.Field = fv
	s.Buttons = append(s.Buttons, f.cancel())
	s.Back = f.back()
}

// paging is the paging of a list of n items, per page; nil for one page.
func (f *Flow) paging(page, n, per int) *Paging {
	pages := max(1, (n+per-1)/per)
	if pages == 1 {
		return nil
	}
	return &Paging{
		Page: page + 1, Pages: pages,
		Prev:  Button{ID: TapPrevPage, Label: f.msg("nav.previous_page"), Disabled: page == 0},
		Next:  Button{ID: TapNextPage, Label: f.msg("nav.next_page"), Disabled: page >= pages-1},
		Label: ltr(strconv.Itoa(page+1) + " / " + strconv.Itoa(pages)),
	}
}

func (f *Flow) renderReview(s *Screen) {
	j := &f.st.j
	lang := f.lang()
	other := otherLang(f.p, lang)
	s.Title = f.msg("review.title")
	s.Lines = []Line{{Text: f.msg("review.instructions"), Role: RoleHint}}
	for _, fl := range j.form.Fields {
		v := f.field(fl.ID)
		if v == "" {
			continue
		}
		r := Row{Label: f.msg(fl.LabelKey()), Value: f.displayValue(fl, v, lang)}
		if other != "" {
			r.OtherLang = other
			r.LabelOther = f.p.Message(other, fl.LabelKey())
			r.ValueOther = f.displayValue(fl, v, other)
		}
		if fl.Source != form.SourceCard || !j.cardRead {
			r.Edit = PrefixEdit + fl.ID
		}
		s.Rows = append(s.Rows, r)
	}
	amount, _ := j.service.Amount(j.form.Normalize(f.formValues()))
	fee := Row{Label: f.msg("review.fee"), Value: f.feeOrFree(amount, lang), Role: RoleEmphasis}
	if other != "" {
		fee.OtherLang, fee.LabelOther, fee.ValueOther = other, f.p.Message(other, "review.fee"), f.feeOrFree(amount, other)
	}
	s.Rows = append(s.Rows, fee)
	if d := j.service.DelayHours; d > 0 {
		r := Row{Label: f.msg("review.delay"), Value: ltr(strconv.Itoa(d)) + " " + f.msg("unit.hours")}
		if other != "" {
			r.OtherLang, r.LabelOther, r.ValueOther = other, f.p.Message(other, "review.delay"), ltr(strconv.Itoa(d))+" "+f.p.Message(other, "unit.hours")
		}
		s.Rows = append(s.Rows, r)
	}
	if f.st.printer == PrinterPaperOut || f.st.printer == PrinterFault {
		s.Lines = append(s.Lines, Line{Text: f.msg("printer.unavailable_before"), Role: RoleError})
	}
	label := "review.submit"
	if amount > 0 {
		label = "review.pay"
	}
	s.Buttons = []Button{{ID: TapSubmit, Label: f.msg(label), Role: RolePrimary}}
	if j.cardRead {
		s.Buttons = append(s.Buttons, Button{ID: TapScanAgain, Label: f.msg("scan.again_button"), Role: RoleSecondary})
	}
	s.Buttons = append(s.Buttons, f.cancel())
	s.Back = f.back()
}

func (f *Flow) feeOrFree(amount int64, lang string) string {
	if amount == 0 {
		return f.p.Message(lang, "fee.free")
	}
	return f.money(amount, lang)
}

func (f *Flow) renderDone(s *Screen) {
	j := &f.st.j
	switch {
	case j.collect:
		s.Title = f.msg("collect.title")
		s.Lines = []Line{{Text: f.msg("collect.done"), Role: RoleEmphasis}}
	case j.incident:
		s.Title = f.msg("pay.not_recorded_title")
		s.Lines = []Line{{Text: f.msgf("pay.not_recorded", map[string]string{"authorisation": ltr(j.paid.Code)}), Role: RoleError}}
		if j.printErr != "" {
			s.Lines = append(s.Lines, Line{Text: f.msg("pay.not_recorded_no_slip"), Role: RoleError})
		}
	default:
		if j.receipt == ReceiptCallback {
			s.Title = f.msg("help.callback_accepted")
		} else {
			s.Title = f.msg("receipt.accepted")
		}
		s.Lines = []Line{{Text: f.msg("receipt.tracking_number") + " " + ltr(j.tracking.String()), Role: RoleEmphasis}}
		if j.printErr != "" {
			s.Lines = append(s.Lines, Line{Text: f.msg(j.printErr), Role: RoleError})
		} else {
			s.Lines = append(s.Lines, Line{Text: f.msg("receipt.take")}, Line{Text: f.msg("receipt.keep")})
		}
		if j.receipt == ReceiptCounterSlip {
			s.Lines = append(s.Lines, Line{Text: f.msg("pay.at_counter") + " " + f.money(j.amount, f.lang()), Role: RoleEmphasis})
		}
		if d := j.service.DelayHours; d > 0 && j.receipt != ReceiptCallback {
			s.Lines = append(s.Lines, Line{Text: f.msg("review.delay") + " " + ltr(strconv.Itoa(d)) + " " + f.msg("unit.hours")})
		}
	}
	s.Buttons = []Button{{ID: TapFinish, Label: f.msg("nav.finish"), Role: RolePrimary}}
}

func (f *Flow) renderFines(s *Screen) {
	j := &f.st.j
	lang := f.lang()
	s.Title = f.msg(j.form.Title)
	if len(j.fines) == 0 {
		s.Lines = []Line{{Text: f.msg("fine.none"), Role: RoleEmphasis}}
		s.Buttons = []Button{{ID: TapFinish, Label: f.msg("nav.finish"), Role: RolePrimary}}
		s.Back = f.back()
		return
	}
	s.Lines = []Line{{Text: f.msg("fine.found"), Role: RoleHeading}}
	per := f.cfg.RowsPerPage
	page := min(j.page, (len(j.fines)-1)/per)
	for i := page * per; i < min((page+1)*per, len(j.fines)); i++ {
		fn := j.fines[i]
		detail := f.date(fn.Date)
		if fn.Place != "" {
			detail += " · " + firstStrong(fn.Place)
		}
		if c, ok := f.p.Court(fn.Court); ok {
			detail += " · " + c.Names.In(lang)
		}
		s.Rows = append(s.Rows, Row{Label: f.msg("field.pv_number") + " " + ltr(fn.PVNumber), Value: detail})
		s.Buttons = append(s.Buttons, Button{
			ID:    PrefixFine + strconv.Itoa(i),
			Label: f.msgf("fine.pay_this", map[string]string{"amount": f.money(fn.Amount, lang), "pv": ltr(fn.PVNumber)}),
			Role:  RolePrimary,
		})
	}
	s.Paging = f.paging(page, len(j.fines), per)
	s.Buttons = append(s.Buttons, Button{ID: TapFinish, Label: f.msg("nav.finish"), Role: RoleSecondary})
	s.Back = f.back()
}

func (f *Flow) renderDirectory(s *Screen) {
	j := &f.st.j
	lang := f.lang()
	l, _ := f.p.Language(lang)
	other := otherLang(f.p, lang)
	s.Title = f.msg("directory.results")
	if j.dir.Total == 0 {
		s.Lines = []Line{{Text: f.msg("directory.no_result"), Role: RoleEmphasis}}
	} else {
		s.Lines = []Line{{Text: f.msgf("directory.count", map[string]string{"count": ltr(strconv.Itoa(j.dir.Total))})}}
	}
	if !j.dir.SyncedAt.IsZero() {
		s.Lines = append(s.Lines, Line{Text: f.msgf("directory.synced", map[string]string{"time": f.dateTime(j.dir.SyncedAt)}), Role: RoleHint})
	}
	prof, _ := j.form.Field("profession")
	for _, e := range j.dir.Entries {
		name, otherName := e.NameLatin, e.NameArabic
		if l.Script == "Arab" && e.NameArabic != "" {
			name, otherName = e.NameArabic, e.NameLatin
		}
		value := f.displayValue(prof, e.Profession, lang)
		if c, ok := f.p.City(e.City); ok {
			value += " · " + c.Names.In(lang)
		}
		if e.Phone != "" {
			value += " · " + ltr(e.Phone)
		}
		if e.Status != "" && e.Status != "active" {
			value += " · " + f.msg("directory.status."+e.Status)
		}
		r := Row{Label: firstStrong(name), Value: value, OtherLang: other, LabelOther: firstStrong(otherName), ValueOther: firstStrong(e.Address)}
		s.Rows = append(s.Rows, r)
	}
	per := f.cfg.RowsPerPage
	s.Paging = f.paging(j.dirOffset/per, j.dir.Total, per)
	s.Buttons = []Button{
		{ID: TapBack, Label: f.msg("directory.new_search"), Role: RoleSecondary},
		{ID: TapFinish, Label: f.msg("nav.finish"), Role: RolePrimary},
	}
}

func (f *Flow) renderTracking(s *Screen) {
	j := &f.st.j
	t := j.tracked
	s.Title = f.msg("tracking.status")
	if t == nil {
		return
	}
	r := t.Request
	s.Rows = []Row{
		{Label: f.msg("receipt.tracking_number"), Value: ltr(r.Tracking.String())},
	}
	if sv, ok := f.p.Service(r.Service); ok {
		s.Rows = append(s.Rows, Row{Label: f.msg("receipt.service"), Value: sv.Title.In(f.lang())})
	}
	s.Rows = append(s.Rows,
		Row{Label: f.msg("tracking.status"), Value: f.msg("status." + string(r.State)), Role: RoleEmphasis},
		Row{Label: f.msg("tracking.last_updated"), Value: f.dateTime(r.UpdatedAt)},
	)
	if c, ok := f.p.Court(r.Court); ok && r.State == request.Ready {
		s.Rows = append(s.Rows, Row{Label: f.msg("receipt.collection_court"), Value: c.Names.In(f.lang())})
	}
	if r.State == request.Rejected && r.RejectReason != "" {
		s.Rows = append(s.Rows, Row{Label: f.msg("tracking.reason"), Value: firstStrong(r.RejectReason)})
	}
	switch {
	case t.Source == FromRegistry:
		s.Lines = append(s.Lines, Line{Text: f.msgf("tracking.checked_now", map[string]string{"time": f.dateTime(t.SyncedAt)}), Role: RoleHint})
	case t.SyncedAt.IsZero():
		s.Lines = append(s.Lines, Line{Text: f.msg("tracking.never_synced"), Role: RoleHint})
	case f.st.conn.Online:
		s.Lines = append(s.Lines, Line{Text: f.msgf("tracking.synced", map[string]string{"time": f.dateTime(t.SyncedAt)}), Role: RoleHint})
	default:
		s.Lines = append(s.Lines, Line{Text: f.msgf("tracking.synced_offline", map[string]string{"time": f.dateTime(t.SyncedAt)}), Role: RoleError})
	}
	if f.canCollect() {
		s.Buttons = append(s.Buttons, Button{ID: TapCollect, Label: f.msg("collect.button"), Role: RolePrimary})
	}
	if _, ok := f.deps.Receipts.(ReceiptReprinter); ok && t.Source == FromLocal {
		s.Buttons = append(s.Buttons, Button{ID: TapReprint, Label: f.msg("tracking.reprint"), Role: RoleSecondary})
	}
	s.Buttons = append(s.Buttons,
		Button{ID: TapTypeNumber, Label: f.msg("tracking.another"), Role: RoleSecondary},
		Button{ID: TapFinish, Label: f.msg("nav.finish"), Role: RoleSecondary},
	)
}
