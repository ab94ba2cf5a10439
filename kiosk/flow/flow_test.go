package flow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/audit"
	"guichet/kiosk/flow"
	"guichet/kiosk/flow/flowtest"
	"guichet/kiosk/pack"
	"guichet/kiosk/store"
)

// keyLike matches a message key shown instead of its text.
var keyLike = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$`)

// walkTo walks plan until the screen is of kind.
func walkTo(t *testing.T, k *flowtest.Kit, plan flowtest.Plan, kind flow.Kind) flow.Screen {
	t.Helper()
	for i := 0; i < 80; i++ {
		s := k.Screen()
		if s.Kind == kind {
			return s
		}
		st, done := k.Next(s, plan)
		if done {
			break
		}
		k.Do(st)
	}
	t.Fatalf("walking %+v: screen is %s, never reached %s", plan, k.Screen().Kind, kind)
	return flow.Screen{}
}

func has(texts []string, sub string) bool {
	for _, s := range texts {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// personalValues are the citizen's values a test looks for after the end.
func personalValues() []string {
	c := flowtest.Card()
	return []string{c.NationalNumber, c.DocumentNumber, c.Surname, "SALMA", c.BirthDate, "العلوي", "ALAOUI", "Hay Riad", "0612345678", "19620415", "1962-04-15"}
}

func TestEveryServiceInEveryLanguage(t *testing.T) {
	for _, code := range pack.EmbeddedCodes() {
		p, err := pack.Embedded(code)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Languages {
			for _, sv := range p.Services {
				t.Run(code+"/"+l.Code+"/"+sv.ID, func(t *testing.T) {
					k := flowtest.New(t, code, flow.Config{})
					plan := flowtest.Plan{Lang: l.Code, Service: sv.ID}
					var kinds []flow.Kind
					for i := 0; i < 80; i++ {
						s := k.Screen()
						for _, text := range flowtest.Texts(s) {
							if keyLike.MatchString(text) {
								t.Errorf("screen %s shows the key %q, not its text", s.Kind, text)
							}
						}
						if s.Kind != flow.KindAttract && s.Kind != flow.KindLanguage && s.Lang != l.Code {
							t.Errorf("screen %s is in %q, want %q", s.Kind, s.Lang, l.Code)
						}
						if len(kinds) == 0 || kinds[len(kinds)-1] != s.Kind {
							kinds = append(kinds, s.Kind)
						}
						st, done := k.Next(s, plan)
						if done {
							break
						}
						k.Do(st)
					}
					end := k.Screen()
					if i, j := slices.Index(kinds, flow.KindPrivacy), slices.Index(kinds, flow.KindScanCard); j >= 0 && (i < 0 || i > j) {
						t.Errorf("screens %v: the card is asked before the privacy notice", kinds)
					}
					switch sv.ID {
					case "directory":
						if end.Kind != flow.KindDirectory || len(end.Rows) == 0 {
							t.Fatalf("screens %v end on %s with %d rows, want directory results", kinds, end.Kind, len(end.Rows))
						}
					case "tracking":
						if end.Kind != flow.KindDone || len(k.Laser.Documents) != 1 {
							t.Fatalf("screens %v end on %s with %d extracts printed, want the extract collected", kinds, end.Kind, len(k.Laser.Documents))
						}
					default:
						if end.Kind != flow.KindDone {
							t.Fatalf("screens %v end on %s (%q), want done", kinds, end.Kind, flowtest.Texts(end))
						}
						reqs := k.Store.Submitted()
						if len(reqs) != 1 {
							t.Fatalf("%d requests stored, want 1", len(reqs))
						}
						if !has(flowtest.Texts(end), reqs[0].Tracking.String()) {
							t.Errorf("done screen %q lacks the tracking number %s", flowtest.Texts(end), reqs[0].Tracking)
						}
						if len(k.Printer.Receipts) != 1 || k.Printer.Receipts[0].Tracking != reqs[0].Tracking {
							t.Errorf("receipts %+v, want one for %s", k.Printer.Receipts, reqs[0].Tracking)
						}
						if sv.FeeRule != pack.FeeFree && len(k.Payments.Calls) != 1 {
							t.Errorf("%d payments, want 1", len(k.Payments.Calls))
						}
					}
					for _, v := range personalValues() {
						if end.Kind == flow.KindDone && has(flowtest.Texts(end), v) {
							t.Errorf("last screen still shows %q", v)
						}
					}
				})
			}
		}
	}
}

func TestPrivacyNoticeBeforeAnyCardIsRead(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	plan := flowtest.Plan{Lang: "fr", Service: "bulletin3"}
	s := walkTo(t, k, plan, flow.KindPrivacy)
	if s.Accepts.Card {
		t.Error("the privacy notice accepts the card reader")
	}
	k.CardRead(flowtest.Card())
	if got := k.Screen().Kind; got != flow.KindPrivacy {
		t.Fatalf("after a card on the privacy notice: screen %s, want privacy", got)
	}
	k.Must(t, flow.TapAccept)
	if s := k.Screen(); s.Kind != flow.KindScanCard || !s.Accepts.Card {
		t.Fatalf("after accepting: screen %s accepting the card %v, want scan_card accepting it", s.Kind, s.Accepts.Card)
	}
	for _, v := range personalValues() {
		if has(flowtest.Texts(k.Screen()), v) {
			t.Errorf("a card read before the notice left %q on screen", v)
		}
	}

	k2 := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k2, plan, flow.KindPrivacy)
	k2.Must(t, flow.TapDecline)
	s = k2.Screen()
	if s.Kind != flow.KindServices || !has(flowtest.Texts(s), k2.Pack.Message("fr", "privacy.declined")) {
		t.Errorf("after declining: screen %s %q, want the services with privacy.declined", s.Kind, flowtest.Texts(s))
	}
}

func TestCardRefused(t *testing.T) {
	expired := flowtest.Card()
	expired.ExpiryDate = "2026-03-09" // the day before the fake clock's today
	bad := flowtest.Card()
	bad.ChecksOK = false
	lastDay := flowtest.Card()
	lastDay.ExpiryDate = "2026-03-10"
	for _, tc := range []struct {
		name   string
		card   *flow.Card
		reason flow.CardFailure
		key    string // "" accepted
	}{
		{"expired", &expired, "", "scan.card_expired"},
		{"check digit", &bad, "", "scan.check_failed"},
		{"valid through today", &lastDay, "", ""},
		{"reader: not flat", nil, flow.CardPlaceFlat, "scan.place_flat"},
		{"reader: unreadable", nil, flow.CardUnreadable, "scan.unreadable"},
		{"reader: expired", nil, flow.CardExpired, "scan.card_expired"},
		{"reader: not an ID card", nil, flow.CardNotIDCard, "scan.not_id_card"},
		{"reader: unknown reason", nil, "smudge", "scan.unreadable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []string{"ar", "fr", "zgh", "en"} {
				k := flowtest.New(t, "ma", flow.Config{})
				walkTo(t, k, flowtest.Plan{Lang: lang, Service: "bulletin3"}, flow.KindScanCard)
				if tc.card != nil {
					k.CardRead(*tc.card)
				} else {
					k.CardFailed(tc.reason)
				}
				s := k.Screen()
				if tc.key == "" {
					if s.Kind != flow.KindField {
						t.Fatalf("%s: screen %s, want the first field", lang, s.Kind)
					}
					continue
				}
				if s.Kind != flow.KindScanCard {
					t.Fatalf("%s: screen %s, want scan_card", lang, s.Kind)
				}
				want := k.Pack.Message(lang, tc.key)
				if last := s.Lines[len(s.Lines)-1]; last.Text != want || last.Role != flow.RoleError {
					t.Errorf("%s: last line %+v, want error %q", lang, last, want)
				}
			}
		})
	}
}

func TestCardPrefillsAndReviewShowsBothScripts(t *testing.T) {
	for _, tc := range []struct{ lang, other string }{{"ar", "fr"}, {"fr", "ar"}, {"zgh", "ar"}, {"en", "ar"}} {
		t.Run(tc.lang, func(t *testing.T) {
			k := flowtest.New(t, "ma", flow.Config{})
			s := walkTo(t, k, flowtest.Plan{Lang: tc.lang, Service: "bulletin3"}, flow.KindReview)
			fm, _ := k.Pack.ServiceForm("bulletin3")
			rows := map[string]flow.Row{}
			for _, r := range s.Rows {
				rows[r.Label] = r
			}
			for _, fl := range fm.Fields {
				r, ok := rows[k.Pack.Message(tc.lang, fl.LabelKey())]
				if !ok {
					t.Errorf("review lacks %s", fl.ID)
					continue
				}
				if r.OtherLang != tc.other || r.LabelOther != k.Pack.Message(tc.other, fl.LabelKey()) {
					t.Errorf("row %s: other %q %q, want %q %q", fl.ID, r.OtherLang, r.LabelOther, tc.other, k.Pack.Message(tc.other, fl.LabelKey()))
				}
				if (fl.Source == "card") != (r.Edit == "") {
					t.Errorf("row %s (source %s): edit %q", fl.ID, fl.Source, r.Edit)
				}
			}
			court := rows[k.Pack.Message(tc.lang, "field.collection_court")]
			c := k.Pack.Courts[0]
			if court.Value != c.Names[tc.lang] || court.ValueOther != c.Names[tc.other] {
				t.Errorf("court row %q / %q, want %q / %q", court.Value, court.ValueOther, c.Names[tc.lang], c.Names[tc.other])
			}
			cin := rows[k.Pack.Message(tc.lang, "field.cin")]
			if want := "\u2066BK654321\u2069"; cin.Value != want {
				t.Errorf("CIN row %q, want %q (isolated, from the card)", cin.Value, want)
			}
			fee := s.Rows[len(s.Rows)-2]
			if !strings.Contains(fee.Value, k.Pack.FormatMoney(2000, tc.lang)) {
				t.Errorf("fee row %+v, want 20 DH in %s", fee, tc.lang)
			}
		})
	}
}

func TestEditFromReviewReturnsToReview(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindReview)
	k.Must(t, flow.PrefixEdit+"birth_place")
	s := k.Screen()
	if s.Kind != flow.KindField || s.Field.ID != "birth_place" {
		t.Fatalf("edit: screen %s field %+v", s.Kind, s.Field)
	}
	k.Must(t, flow.TapClear)
	k.Type("birth_place", "Fès")
	k.Must(t, flow.TapNext)
	s = k.Screen()
	if s.Kind != flow.KindReview || !has(flowtest.Texts(s), "Fès") {
		t.Errorf("after editing: screen %s %q, want the review with Fès", s.Kind, flowtest.Texts(s))
	}
}

func TestFieldErrorsAndSteps(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	s := walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindField)
	if s.Field.ID != "surname_ar" || s.Field.Keyboard != flow.KeyboardArabic {
		t.Fatalf("first field %+v, want surname_ar on the Arabic keyboard", s.Field)
	}
	k.Must(t, flow.TapNext)
	if got, want := k.Screen().Field.Error, k.Pack.Message("fr", "error.required"); got != want {
		t.Errorf("empty required field: error %q, want %q", got, want)
	}
	k.Type("surname_ar", "ALAOUI")
	k.Must(t, flow.TapNext)
	if got, want := k.Screen().Field.Error, k.Pack.Message("fr", "error.name_arabic_invalid"); got != want {
		t.Errorf("Latin letters in an Arabic name: error %q, want %q", got, want)
	}
	k.Must(t, flow.TapErase)
	if got := k.Screen().Field.Value; got != "ALAOU" {
		t.Errorf("after erase: value %q, want ALAOU", got)
	}
	k.Type("other_field", "x")
	if got := k.Screen().Field.Value; got != "ALAOU" {
		t.Errorf("typing into another field changed this one: %q", got)
	}
	k.Must(t, flow.TapClear)
	k.Type("surname_ar", "العلوي")
	k.Must(t, flow.TapNext)
	s = k.Screen()
	if s.Field.ID != "given_names_ar" {
		t.Fatalf("next field %s, want given_names_ar", s.Field.ID)
	}
	if !has(flowtest.Texts(s), "Étape \u20662\u2069 sur") {
		t.Errorf("step line missing: %q", flowtest.Texts(s))
	}
	k.Must(t, flow.TapBack)
	if s := k.Screen(); s.Field.ID != "surname_ar" || s.Field.Value != "العلوي" {
		t.Errorf("back: field %s value %q, want surname_ar kept", s.Field.ID, s.Field.Value)
	}
}

func TestDateTypedAsDigits(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindScanCard)
	c := flowtest.Card()
	c.BirthDate = "" // unknown on the card: asked
	k.CardRead(c)
	plan := flowtest.Plan{Lang: "fr", Service: "bulletin3"}
	for i := 0; i < 20 && k.Screen().Field != nil && k.Screen().Field.ID != "birth_date"; i++ {
		st, _ := k.Next(k.Screen(), plan)
		k.Do(st)
	}
	s := k.Screen()
	if s.Field == nil || s.Field.ID != "birth_date" || s.Field.Keyboard != flow.KeyboardDigits {
		t.Fatalf("screen %s field %+v, want birth_date on digits", s.Kind, s.Field)
	}
	for _, d := range "19620415" {
		k.Type("birth_date", string(d))
	}
	if got := k.Screen().Field.Value; got != "1962-04-15" {
		t.Errorf("typed 19620415: value %q, want 1962-04-15", got)
	}
	k.Must(t, flow.TapErase)
	if got := k.Screen().Field.Value; got != "1962-04-1" {
		t.Errorf("erase: %q", got)
	}
}

func TestListFieldPaging(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{ChoicesPerPage: 4})
	plan := flowtest.Plan{Lang: "ar", Service: "bulletin3"}
	for i := 0; i < 40; i++ {
		s := k.Screen()
		if s.Kind == flow.KindField && s.Field.ID == "collection_court" {
			break
		}
		st, _ := k.Next(s, plan)
		k.Do(st)
	}
	s := k.Screen()
	courts := k.Pack.CourtsOf(pack.FirstInstance)
	if s.Field == nil || len(s.Field.Choices) != 4 || s.Paging == nil {
		t.Fatalf("court list: %+v paging %+v", s.Field, s.Paging)
	}
	if s.Paging.Prev.ID != flow.TapPrevPage || !s.Paging.Prev.Disabled || s.Paging.Pages != (len(courts)+3)/4 {
		t.Errorf("paging %+v, want page 1 of %d", s.Paging, (len(courts)+3)/4)
	}
	k.Must(t, flow.TapNextPage)
	s = k.Screen()
	if got, want := s.Field.Choices[0].Label, courts[4].Names["ar"]; got != want {
		t.Errorf("page 2 starts with %q, want %q", got, want)
	}
	k.Must(t, s.Field.Choices[1].ID)
	if got := k.Screen().Kind; got != flow.KindReview {
		t.Fatalf("after choosing: %s, want review", got)
	}
	k.Must(t, flow.PrefixEdit+"collection_court")
	s = k.Screen()
	if s.Paging.Page != 2 || !s.Field.Choices[1].Selected {
		t.Errorf("reopened list on page %d, selected %+v; want page 2 with the choice selected", s.Paging.Page, s.Field.Choices[1])
	}
}

func TestLanguageSwitchKeepsTheForm(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	plan := flowtest.Plan{Lang: "fr", Service: "bulletin3"}
	walkTo(t, k, plan, flow.KindField)
	k.Type("surname_ar", "العلوي")
	k.Must(t, flow.TapNext)
	k.Type("given_names_ar", "سلمى")
	k.Must(t, flow.PrefixLanguage+"ar")
	s := k.Screen()
	if s.Kind != flow.KindField || s.Field.ID != "given_names_ar" || s.Field.Value != "سلمى" || !s.RTL || s.Lang != "ar" {
		t.Fatalf("after switching to Arabic: %s %+v rtl=%v lang=%s", s.Kind, s.Field, s.RTL, s.Lang)
	}
	if want := k.Pack.Message("ar", "field.given_names_ar"); s.Field.Label != want {
		t.Errorf("label %q, want %q", s.Field.Label, want)
	}
	walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "bulletin3"}, flow.KindReview)
	k.Must(t, flow.PrefixLanguage+"zgh")
	s = k.Screen()
	if s.Kind != flow.KindReview || !has(flowtest.Texts(s), "العلوي") || s.Lang != "zgh" {
		t.Errorf("review after switching to Tamazight: %s %s %q", s.Kind, s.Lang, flowtest.Texts(s))
	}
}

func TestPaymentOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		outcome flow.Outcome
		err     error
		key     string
	}{
		{"declined", flow.Declined, nil, "pay.refused"},
		{"timed out", flow.TimedOut, nil, "pay.timeout"},
		{"deadline", "", fmt.Errorf("cmi: %w", context.DeadlineExceeded), "pay.timeout"},
		{"terminal offline", "", fmt.Errorf("cmi: %w", flow.ErrPaymentUnavailable), "pay.unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := flowtest.New(t, "ma", flow.Config{})
			k.Payments.Outcome, k.Payments.Err = tc.outcome, tc.err
			walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindPayMethod)
			k.Must(t, flow.PrefixMethod+"card_terminal")
			s := k.Screen()
			if s.Kind != flow.KindMessage || s.Lines[0].Text != k.Pack.Message("fr", tc.key) {
				t.Fatalf("screen %s %q, want message %s", s.Kind, flowtest.Texts(s), tc.key)
			}
			if n := len(k.Store.Submitted()); n != 0 {
				t.Errorf("%d requests stored after a failed payment", n)
			}
			k.Must(t, flow.TapRetry)
			if got := k.Screen().Kind; got != flow.KindPayMethod {
				t.Fatalf("retry: %s, want pay_method", got)
			}
			k.Payments.Outcome, k.Payments.Err = flow.Approved, nil
			k.Must(t, flow.PrefixMethod+"card_terminal")
			if got := k.Screen().Kind; got != flow.KindDone {
				t.Fatalf("second payment: %s, want done", got)
			}
			calls := k.Payments.Calls
			if len(calls) != 2 || calls[0].Reference != calls[1].Reference || calls[0].Amount != 2000 || calls[0].Currency != "MAD" {
				t.Errorf("payments %+v: want two of 2000 MAD with the same reference", calls)
			}
			var pl struct {
				Payment struct{ Authorisation string }
			}
			if err := json.Unmarshal(k.Store.Personal[0], &pl); err != nil || pl.Payment.Authorisation != "A00002" {
				t.Errorf("sealed payload payment %+v (%v), want authorisation A00002", pl, err)
			}
		})
	}
}

func TestPayAtTheCounterPrintsASlip(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	s := walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "bulletin3", Method: "counter"}, flow.KindDone)
	if len(k.Payments.Calls) != 0 {
		t.Errorf("%d payments for the counter", len(k.Payments.Calls))
	}
	if r := k.Printer.Receipts; len(r) != 1 || r[0].Kind != flow.ReceiptCounterSlip || r[0].Amount != 2000 {
		t.Errorf("receipts %+v, want one counter slip of 2000", r)
	}
	if !has(flowtest.Texts(s), k.Pack.Message("ar", "pay.at_counter")) {
		t.Errorf("done screen %q lacks pay.at_counter", flowtest.Texts(s))
	}
}

func TestMobileMoneyAsksThePhone(t *testing.T) {
	k := flowtest.New(t, "tg", flow.Config{})
	plan := flowtest.Plan{Lang: "fr", Service: "bulletin3", Method: "tmoney"}
	walkTo(t, k, plan, flow.KindPayMethod)
	k.Must(t, flow.PrefixMethod+"tmoney")
	s := k.Screen()
	if s.Kind != flow.KindField || s.Field.Keyboard != flow.KeyboardPhone || s.Field.Value == "" {
		t.Fatalf("mobile money: %s %+v, want the phone prefilled from the form", s.Kind, s.Field)
	}
	k.Must(t, flow.TapClear)
	k.Type(s.Field.ID, "12")
	k.Must(t, flow.TapNext)
	if k.Screen().Field.Error == "" {
		t.Error("a two-digit phone was accepted")
	}
	k.Type(s.Field.ID, "345678")
	k.Must(t, flow.TapNext)
	if got := k.Screen().Kind; got != flow.KindDone {
		t.Fatalf("after the phone: %s", got)
	}
	if c := k.Payments.Calls; len(c) != 1 || c[0].Phone != "12345678" || c[0].Method.Provider != "TMoney" || c[0].Amount != 500 {
		t.Errorf("payment %+v, want 500 by TMoney from 12345678", c)
	}
}

func TestAcceptedOnlyAfterTheStoreCommits(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "callback"}, flow.KindReview)
	gate := make(chan struct{})
	k.Store.Gate = gate
	k.Async.Store(true)
	k.Must(t, flow.TapSubmit)
	time.Sleep(20 * time.Millisecond)
	s := k.Screen()
	accepted := k.Pack.Message("fr", "help.callback_accepted")
	if s.Kind != flow.KindWorking || !s.Busy || has(flowtest.Texts(s), accepted) {
		t.Fatalf("while the store commits: %s busy=%v %q", s.Kind, s.Busy, flowtest.Texts(s))
	}
	k.Tap(flow.TapCancel) // ignored while busy
	close(gate)
	s = k.WaitFor(t, flow.KindDone)
	if s.Title != accepted {
		t.Errorf("done title %q, want %q", s.Title, accepted)
	}
}

func TestQueueFullRefusesBeforePayment(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	k.Store.Limited = true
	walkTo(t, k, flowtest.Plan{Lang: "en", Service: "bulletin3"}, flow.KindReview)
	k.Must(t, flow.TapSubmit)
	s := k.Screen()
	if s.Kind != flow.KindMessage || s.Title != k.Pack.Message("en", "queue.full") || len(k.Payments.Calls) != 0 {
		t.Errorf("screen %s %q with %d payments, want queue.full before paying", s.Kind, s.Title, len(k.Payments.Calls))
	}
}

func TestStoreErrorsWithoutPayment(t *testing.T) {
	for _, tc := range []struct {
		err   error
		title string
	}{
		{store.ErrQueueFull, "queue.full"},
		{fmt.Errorf("store: write: %w", store.ErrNoSpace), "queue.full"},
		{store.ErrNoRegistryKey, "service.unavailable"},
		{errors.New("store: closed"), "service.unavailable"},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			k := flowtest.New(t, "ma", flow.Config{})
			k.Store.SubmitErr = tc.err
			walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "callback"}, flow.KindReview)
			k.Must(t, flow.TapSubmit)
			s := k.Screen()
			if s.Kind != flow.KindMessage || s.Title != k.Pack.Message("fr", tc.title) {
				t.Errorf("screen %s %q, want %s", s.Kind, s.Title, tc.title)
			}
			if len(k.Printer.Receipts) != 0 {
				t.Errorf("a receipt was printed for a request not stored")
			}
		})
	}
}

func TestPaidButNotRecorded(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	k.Store.SubmitErr = store.ErrNoSpace
	s := walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindDone)
	if !has(flowtest.Texts(s), "\u2066A00001\u2069") || s.Title != k.Pack.Message("fr", "pay.not_recorded_title") {
		t.Errorf("done screen %q lacks the authorisation", flowtest.Texts(s))
	}
	r := k.Printer.Receipts
	if len(r) != 1 || r[0].Kind != flow.ReceiptPaymentIncident || r[0].Authorisation != "A00001" || r[0].Tracking != "" {
		t.Errorf("receipts %+v, want the incident slip", r)
	}
	if got := k.Store.AuditActions(audit.Citizen); !slices.Contains(got, "payment.not_recorded") {
		t.Errorf("audit %v lacks payment.not_recorded", got)
	}
}

func TestPrinterFaultAfterCommit(t *testing.T) {
	for _, tc := range []struct {
		err error
		key string
	}{
		{fmt.Errorf("escpos: %w", flow.ErrPaperOut), "printer.paper_out"},
		{flow.ErrCoverOpen, "printer.cover_open"},
		{flow.ErrPrinterAbsent, "printer.absent"},
		{errors.New("escpos: cutter jammed"), "printer.error"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			k := flowtest.New(t, "ma", flow.Config{})
			k.Printer.Err = tc.err
			s := walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "bulletin3"}, flow.KindDone)
			reqs := k.Store.Submitted()
			if len(reqs) != 1 {
				t.Fatalf("%d requests stored", len(reqs))
			}
			texts := flowtest.Texts(s)
			if !has(texts, reqs[0].Tracking.String()) || !has(texts, k.Pack.Message("ar", tc.key)) || s.Title != k.Pack.Message("ar", "receipt.accepted") {
				t.Errorf("done screen %q: want accepted, the tracking number and %s", texts, tc.key)
			}
		})
	}
}

func TestIdleTimeout(t *testing.T) {
	cfg := flow.Config{}
	k := flowtest.New(t, "ma", cfg)
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindField)
	k.Type("surname_ar", "العلوي")
	k.Clock.Advance(90 * time.Second)
	s := k.Screen()
	if s.Countdown == nil || s.Countdown.SecondsLeft != 30 || s.Countdown.Extend == nil {
		t.Fatalf("after 90 s idle: countdown %+v, want 30 s with more time", s.Countdown)
	}
	if s.Countdown.SecondsLeft < 20 {
		t.Errorf("only %d s to react", s.Countdown.SecondsLeft)
	}
	k.Clock.Advance(10 * time.Second)
	if got := k.Screen().Countdown.SecondsLeft; got != 20 {
		t.Errorf("10 s later: %d s left", got)
	}
	k.Must(t, flow.TapExtend)
	if s := k.Screen(); s.Countdown != nil || s.Field.Value != "العلوي" {
		t.Fatalf("after more time: countdown %+v value %q", s.Countdown, s.Field.Value)
	}
	k.Clock.Advance(2 * time.Minute)
	s = k.Screen()
	if s.Kind != flow.KindAttract {
		t.Fatalf("after expiry: %s, want attract", s.Kind)
	}
	if !has(flowtest.Texts(s), k.Pack.Message("fr", "session.ended")) {
		t.Errorf("attract %q does not say the session ended", flowtest.Texts(s))
	}
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindField)
	if v := k.Screen().Field.Value; v != "" {
		t.Errorf("the next citizen sees %q", v)
	}
}

func TestSessionKeptAliveWhilePaying(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindPayMethod)
	gate := make(chan struct{})
	k.Store.Gate = gate
	k.Async.Store(true)
	k.Must(t, flow.PrefixMethod+"card_terminal")
	k.WaitFor(t, flow.KindWorking)
	k.Clock.Advance(5 * time.Minute)
	if s := k.Screen(); s.Kind != flow.KindWorking || s.Countdown != nil {
		t.Fatalf("5 min into the submission: %s countdown %+v", s.Kind, s.Countdown)
	}
	close(gate)
	k.WaitFor(t, flow.KindDone)
}

func TestDoneReturnsToAttract(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{DoneDelay: 30 * time.Second})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "callback"}, flow.KindDone)
	k.Clock.Advance(29 * time.Second)
	if got := k.Screen().Kind; got != flow.KindDone {
		t.Fatalf("29 s after done: %s", got)
	}
	k.Clock.Advance(time.Second)
	if got := k.Screen().Kind; got != flow.KindAttract {
		t.Fatalf("30 s after done: %s", got)
	}
}

func TestFines(t *testing.T) {
	t.Run("by card", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		s := walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "radar_fine"}, flow.KindFines)
		if len(s.Rows) != 2 || !has(flowtest.Texts(s), "\u206620250117-RF-0042\u2069") {
			t.Fatalf("fines %q", flowtest.Texts(s))
		}
		if q := k.Fines.Queries; len(q) != 1 || q[0].NationalNumber != "BK654321" {
			t.Errorf("queries %+v", q)
		}
		k.Must(t, flow.PrefixFine+"1")
		k.Must(t, flow.PrefixMethod+"card_terminal")
		if r := k.Store.Submitted(); len(r) != 1 || r[0].Fee != 70000 || r[0].Service != "radar_fine" {
			t.Errorf("stored %+v, want the 700 DH fine", r)
		}
	})
	t.Run("by typed PV", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "radar_fine"}, flow.KindFineLookup)
		k.Must(t, flow.TapTypePV)
		s := k.Screen()
		if s.Field == nil || s.Field.ID != "pv_number" || s.Field.Keyboard != flow.KeyboardCode {
			t.Fatalf("typed PV: %+v", s.Field)
		}
		k.Type("pv_number", "2025 1002-rf-1187")
		k.Must(t, flow.TapNext)
		if s := k.Screen(); s.Kind != flow.KindFines || len(s.Rows) != 1 {
			t.Fatalf("screen %s rows %d (%v)", s.Kind, len(s.Rows), k.Fines.Queries)
		}
	})
	t.Run("by scanned PV", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "radar_fine"}, flow.KindFineLookup)
		k.Scanned("https://example.org/x")
		if s := k.Screen(); s.Kind != flow.KindFineLookup || s.Lines[len(s.Lines)-1].Role != flow.RoleError {
			t.Fatalf("an unknown code: %s %q", s.Kind, flowtest.Texts(s))
		}
		k.Scanned("20250117-RF-0042\r\n")
		if s := k.Screen(); s.Kind != flow.KindFines || len(s.Rows) != 1 {
			t.Fatalf("scanned PV: %s %d rows", s.Kind, len(s.Rows))
		}
	})
	t.Run("none", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		k.Fines.ByCIN = nil
		s := walkTo(t, k, flowtest.Plan{Lang: "en", Service: "radar_fine"}, flow.KindFines)
		if !has(flowtest.Texts(s), k.Pack.Message("en", "fine.none")) {
			t.Errorf("no fine: %q", flowtest.Texts(s))
		}
	})
	t.Run("offline", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		k.Fines.Err = fmt.Errorf("sync: %w", flow.ErrOffline)
		s := walkTo(t, k, flowtest.Plan{Lang: "zgh", Service: "radar_fine"}, flow.KindMessage)
		if s.Lines[0].Text != k.Pack.Message("zgh", "fine.offline") || !flowtest.Offers(s, flow.TapRetry) {
			t.Errorf("offline: %q", flowtest.Texts(s))
		}
		k.Fines.Err = nil
		k.Must(t, flow.TapRetry)
		if got := k.Screen().Kind; got != flow.KindFines {
			t.Errorf("retry: %s", got)
		}
	})
	t.Run("card without national number", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "radar_fine"}, flow.KindFineLookup)
		c := flowtest.Card()
		c.NationalNumber = ""
		k.CardRead(c)
		s := k.Screen()
		if s.Kind != flow.KindFineLookup || s.Lines[len(s.Lines)-1].Text != k.Pack.Message("fr", "fine.card_without_number") {
			t.Errorf("%s %q", s.Kind, flowtest.Texts(s))
		}
	})
}

func TestDirectoryPaging(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{RowsPerPage: 2})
	for i := range k.Directory.Entries {
		k.Directory.Entries[i].City = k.Pack.Cities[0].ID
	}
	s := walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "directory"}, flow.KindDirectory)
	n := len(k.Directory.Entries)
	if len(s.Rows) != 2 || s.Paging == nil || s.Paging.Pages != (n+1)/2 {
		t.Fatalf("rows %d paging %+v, want 2 of %d entries", len(s.Rows), s.Paging, n)
	}
	if s.Rows[0].Label != "\u2068الأستاذ بناني 0\u2069" || s.Rows[0].OtherLang != "fr" {
		t.Errorf("first row %+v, want the Arabic name first in an Arabic session", s.Rows[0])
	}
	k.Must(t, flow.TapNextPage)
	s = k.Screen()
	if s.Paging.Page != 2 || !strings.Contains(s.Rows[0].Label, "2") {
		t.Errorf("page 2: %+v %+v", s.Paging, s.Rows[0])
	}
	k.Must(t, flow.TapPrevPage)
	if got := k.Screen().Paging.Page; got != 1 {
		t.Errorf("back to page %d", got)
	}
}

func TestTracking(t *testing.T) {
	t.Run("typed number and freshness", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		k.SetConnectivity(flow.Connectivity{Online: false, LastSync: flowtest.Start.Add(-10 * time.Minute)})
		s := walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "tracking", TypeTracking: true}, flow.KindTracking)
		texts := flowtest.Texts(s)
		for _, want := range []string{k.Ready.String(), k.Pack.Message("fr", "status.ready"), "2026-03-10 06:30", "2026-03-10 09:20"} {
			if !has(texts, want) {
				t.Errorf("tracking screen %q lacks %q", texts, want)
			}
		}
		if s.Lines[0].Role != flow.RoleError {
			t.Errorf("an offline kiosk's answer is not flagged: %+v", s.Lines[0])
		}
	})
	t.Run("scanned at attract", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		k.Scanned(k.Pack.TrackingURL(string(k.Ready)))
		s := k.Screen()
		if s.Kind != flow.KindTracking || s.Lang != k.Pack.DefaultLanguage {
			t.Fatalf("receipt scanned at attract: %s %s", s.Kind, s.Lang)
		}
	})
	t.Run("not found", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		walkTo(t, k, flowtest.Plan{Lang: "en", Service: "tracking"}, flow.KindTrackingInput)
		k.Type("tracking_number", "KM7X4HQ9XR3T")
		k.Must(t, flow.TapNext)
		s := k.Screen()
		if s.Kind == flow.KindTrackingInput {
			if want := k.Pack.Message("en", "error.tracking_invalid"); s.Field.Error != want {
				t.Fatalf("error %q, want %q", s.Field.Error, want)
			}
			return
		}
		if s.Kind != flow.KindMessage || s.Lines[0].Text != k.Pack.Message("en", "tracking.not_found") {
			t.Errorf("unknown number: %s %q", s.Kind, flowtest.Texts(s))
		}
	})
	t.Run("offline", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		k.Tracker.Err = flow.ErrOffline
		s := walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "tracking"}, flow.KindMessage)
		if s.Lines[0].Text != k.Pack.Message("ar", "tracking.offline") {
			t.Errorf("%q", flowtest.Texts(s))
		}
	})
}

func TestCollectionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(k *flowtest.Kit)
		key  string
	}{
		{"another card", func(k *flowtest.Kit) { k.Extracts.Holders[k.Ready] = "ZZ111111" }, "collect.identity_mismatch"},
		{"not ready", func(k *flowtest.Kit) { k.Extracts.Err = flow.ErrNotReady }, "collect.not_ready"},
		{"collected already", func(k *flowtest.Kit) { k.Extracts.Done = append(k.Extracts.Done, k.Ready) }, "collect.already_delivered"},
		{"bad signature", func(k *flowtest.Kit) { k.Extracts.Err = flow.ErrSignatureInvalid }, "collect.signature_invalid"},
		{"offline", func(k *flowtest.Kit) { k.Extracts.Err = flow.ErrOffline }, "collect.offline"},
		{"laser jammed", func(k *flowtest.Kit) { k.Laser.Err = errors.New("ipp: media jam") }, "collect.print_failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := flowtest.New(t, "ma", flow.Config{})
			tc.set(k)
			s := walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "tracking"}, flow.KindMessage)
			if s.Lines[0].Text != k.Pack.Message("fr", tc.key) {
				t.Errorf("%q, want %s", flowtest.Texts(s), tc.key)
			}
			if tc.key != "collect.print_failed" && len(k.Laser.Documents) != 0 {
				t.Errorf("printed %d extracts", len(k.Laser.Documents))
			}
		})
	}
}

func TestTechnicianMode(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindField)
	k.Type("surname_ar", "العلوي")
	k.ServiceKey(true)
	s := k.Screen()
	if s.Kind != flow.KindTechPIN || !s.Field.Masked {
		t.Fatalf("key turned: %s %+v", s.Kind, s.Field)
	}
	if has(flowtest.Texts(s), "العلوي") {
		t.Error("the technician sees the citizen's form")
	}
	// Five wrong PINs lock the screen.
	for i := 0; i < flow.MaxPINAttempts; i++ {
		k.Type("tech.pin", "000000")
		k.Must(t, flow.TapNext)
	}
	s = k.Screen()
	if s.Kind != flow.KindTechPIN || !has(flowtest.Texts(s), "\u20665\u2069") {
		t.Fatalf("after %d wrong PINs: %s %q", flow.MaxPINAttempts, s.Kind, flowtest.Texts(s))
	}
	k.Type("tech.pin", flowtest.PIN)
	k.Must(t, flow.TapNext)
	if got := k.Screen().Kind; got != flow.KindTechPIN {
		t.Fatalf("the right PIN during the lockout: %s", got)
	}
	k.Clock.Advance(flow.PINLockout)
	k.Type("tech.pin", flowtest.PIN)
	k.Must(t, flow.TapNext)
	s = k.Screen()
	if s.Kind != flow.KindTechnician {
		t.Fatalf("right PIN after the lockout: %s %q", s.Kind, flowtest.Texts(s))
	}
	if s.Status.QueueDepth != 0 || !has(flowtest.Texts(s), "unplugged") || !has(flowtest.Texts(s), "registry.justice.gov.ma") {
		t.Errorf("technician screen: depth %d %q", s.Status.QueueDepth, flowtest.Texts(s))
	}
	k.Must(t, flow.TapTechTestPrint)
	k.Must(t, flow.TapTechTestScan)
	if !k.Screen().Accepts.Code {
		t.Error("test scan does not arm the readers")
	}
	k.Scanned(k.Pack.TrackingURL(string(k.Ready)))
	if s := k.Screen(); s.Kind != flow.KindTechnician || !has(flowtest.Texts(s), "tracking_number") || has(flowtest.Texts(s), string(k.Ready)) {
		t.Errorf("test scan result %q: want the kind, not the payload", flowtest.Texts(s))
	}
	k.CardRead(flowtest.Card())
	if s := k.Screen(); has(flowtest.Texts(s), flowtest.Card().NationalNumber) || has(flowtest.Texts(s), flowtest.Card().Surname) {
		t.Errorf("test card read shows personal data: %q", flowtest.Texts(s))
	}
	k.ServiceKey(false)
	if got := k.Screen().Kind; got != flow.KindAttract {
		t.Errorf("key off: %s", got)
	}
	want := []string{"tech.key_on", "tech.pin_failed", "tech.pin_failed", "tech.pin_failed", "tech.pin_failed", "tech.pin_failed",
		"tech.login", "tech.test_print", "tech.test_scan", "tech.test_scan", "tech.test_scan", "tech.exit"}
	if diff := cmp.Diff(want, k.Store.AuditActions(audit.Technician)); diff != "" {
		t.Errorf("technician audit (-want +got):\n%s", diff)
	}
	if k.Technician.Prints != 1 || k.Technician.Armed != 1 {
		t.Errorf("prints %d armed %d", k.Technician.Prints, k.Technician.Armed)
	}
}

func TestTechnicianModeWithoutPIN(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	f, err := flow.New(flow.Config{TechnicianPINHash: "pbkdf2-sha256$1$x$y"}, flow.Deps{Pack: k.Pack, Store: k.Store})
	if err == nil {
		f.Close()
		t.Fatal("a malformed PIN hash was accepted")
	}
}

func TestStaleTapsAreIgnored(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "bulletin3"}, flow.KindPrivacy)
	before := k.Screen()
	for _, id := range []string{flow.TapSubmit, flow.PrefixService + "tracking", flow.PrefixChoice + "x", flow.TapTechExit, ""} {
		k.Tap(id)
		if s := k.Screen(); s.Kind != before.Kind || s.Seq != before.Seq {
			t.Errorf("tap %q changed the screen to %s", id, s.Kind)
		}
	}
}

func TestAccessibilityToggles(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "bulletin3"}, flow.KindServiceIntro)
	for _, id := range []string{flow.TapLargeText, flow.TapHighContrast, flow.TapSpeech} {
		k.Must(t, id)
	}
	s := k.Screen()
	if !s.Access.LargeText || !s.Access.HighContrast || !s.Access.Speech {
		t.Fatalf("access %+v", s.Access)
	}
	k.Must(t, flow.TapNext)
	if len(k.Speaker.Said) == 0 || !strings.HasPrefix(k.Speaker.Said[len(k.Speaker.Said)-1], "ar: "+k.Pack.Message("ar", "privacy.title")) {
		t.Errorf("said %q, want the privacy title in Arabic", k.Speaker.Said)
	}
}

func TestScanFailedTellsWhatToDo(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	k.ScanFailed("scan.incomplete") // attract: nothing to say yet
	if got := k.Screen().Kind; got != flow.KindAttract {
		t.Fatalf("a failed scan at attract moved to %s", got)
	}
	walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "tracking"}, flow.KindTrackingInput)
	for _, tc := range []struct{ reason, key string }{
		{"scan.incomplete", "scan.incomplete"},
		{"scan.too_long", "scan.too_long"},
		{"garbage", "scan.unknown_code"},
	} {
		k.ScanFailed(tc.reason)
		s := k.Screen()
		if last := s.Lines[len(s.Lines)-1]; last.Text != k.Pack.Message("ar", tc.key) || last.Role != flow.RoleError {
			t.Errorf("ScanFailed(%q): last line %+v, want %s", tc.reason, last, tc.key)
		}
	}
}

func TestAccessToggleWakesTheKiosk(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	k.Must(t, flow.TapHighContrast)
	s := k.Screen()
	if s.Kind != flow.KindLanguage || !s.Access.HighContrast {
		t.Fatalf("contrast from attract: %s %+v", s.Kind, s.Access)
	}
	k.Must(t, flow.TapBack)
	if s := k.Screen(); s.Kind != flow.KindAttract || s.Access.HighContrast {
		t.Errorf("back to attract: %s %+v, want the settings gone with the session", s.Kind, s.Access)
	}
}

// TestReprint: a citizen whose receipt did not come out (paper out) tracks
// the request and asks for a duplicate; a number this kiosk never printed a
// receipt for is refused with what to do.
func TestReprint(t *testing.T) {
	t.Run("a receipt printed here", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		k.Printer.Receipts = append(k.Printer.Receipts, flow.Receipt{Kind: flow.ReceiptRequest, Tracking: k.Ready})
		s := walkTo(t, k, flowtest.Plan{Lang: "fr", Service: "tracking", TypeTracking: true}, flow.KindTracking)
		if !flowtest.Offers(s, flow.TapReprint) {
			t.Fatalf("tracking screen offers %q, no reprint", flowtest.IDs(s))
		}
		k.Must(t, flow.TapReprint)
		s = k.Screen()
		if s.Kind != flow.KindMessage || !has(flowtest.Texts(s), k.Pack.Message("fr", "tracking.reprinted")) {
			t.Fatalf("after reprint: %s %q", s.Kind, flowtest.Texts(s))
		}
		if len(k.Printer.Reprints) != 1 || k.Printer.Reprints[0] != k.Ready {
			t.Errorf("reprints = %v, want [%s]", k.Printer.Reprints, k.Ready)
		}
	})
	t.Run("no receipt printed here", func(t *testing.T) {
		k := flowtest.New(t, "ma", flow.Config{})
		walkTo(t, k, flowtest.Plan{Lang: "ar", Service: "tracking", TypeTracking: true}, flow.KindTracking)
		k.Must(t, flow.TapReprint)
		s := k.Screen()
		if s.Kind != flow.KindMessage || !has(flowtest.Texts(s), k.Pack.Message("ar", "tracking.reprint_none")) {
			t.Fatalf("reprint of an unknown receipt: %s %q", s.Kind, flowtest.Texts(s))
		}
		if len(k.Printer.Reprints) != 0 {
			t.Errorf("a duplicate printed for a receipt this kiosk never printed")
		}
	})
}

// TestPausedForUpdate: while an update is activated the attract screen says
// the kiosk is back in a moment, in every language, and neither a touch, the
// presence sensor nor a scanned receipt starts a session; resumed, it does.
func TestPausedForUpdate(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	k.SetPaused(true)
	s := k.Screen()
	if s.Kind != flow.KindAttract || len(s.Buttons) != 0 || s.Accepts.Code || len(s.Lines) != len(k.Pack.Languages) {
		t.Fatalf("paused attract screen: %+v", s)
	}
	for _, l := range s.Lines {
		if l.Text != k.Pack.Message(l.Lang, "home.back_soon") || l.Text == "" {
			t.Errorf("line %q in %s", l.Text, l.Lang)
		}
	}
	k.Tap(flow.TapStart)
	k.Presence()
	k.Scanned(k.Pack.TrackingURL(string(k.Ready)))
	if got := k.Screen().Kind; got != flow.KindAttract {
		t.Fatalf("a paused kiosk went to %s", got)
	}
	k.SetPaused(false)
	k.Tap(flow.TapStart)
	if got := k.Screen().Kind; got != flow.KindLanguage {
		t.Errorf("resumed, a touch leads to %s, want the language screen", got)
	}
}

// TestTechnicianEnrolsWithTicket: with the readers armed on the technician
// screen, a scanned enrolment ticket enrols the kiosk; a refused one says
// why; both go to the audit chain.
func TestTechnicianEnrolsWithTicket(t *testing.T) {
	k := flowtest.New(t, "ma", flow.Config{})
	k.Technician.Enrolled = flow.Enrolment{Detail: "not enrolled"}
	k.Technician.Ticket = flowtest.TicketPrefix + "good.sig"
	k.ServiceKey(true)
	k.Type("tech.pin", flowtest.PIN)
	k.Must(t, flow.TapNext)
	k.Must(t, flow.TapTechTestScan)
	k.Scanned(flowtest.TicketPrefix + "old.sig")
	fr := k.Pack.Messages["fr"]
	if s := k.Screen(); !has(flowtest.Texts(s), "expired") {
		t.Fatalf("a refused ticket: %q", flowtest.Texts(s))
	}
	k.Must(t, flow.TapTechTestScan)
	k.Scanned(k.Technician.Ticket)
	s := k.Screen()
	if !has(flowtest.Texts(s), "ma-rabat-09") || has(flowtest.Texts(s), fr["tech.not_enrolled"]) {
		t.Fatalf("after the ticket: %q", flowtest.Texts(s))
	}
	acts := strings.Join(k.Store.AuditActions(audit.Technician), ",")
	if strings.Count(acts, "tech.enrol") != 2 {
		t.Errorf("technician audit %s, want two tech.enrol", acts)
	}
}
