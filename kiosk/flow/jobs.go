package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"guichet/kiosk/audit"
	"guichet/kiosk/form"
	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/kiosk/tracking"
)

// run starts blocking work: the screen shows working (a message key) and
// taps wait; apply runs under the lock with the result, unless the session
// ended meanwhile (then only always-apply work, such as a taken payment,
// carries on).
func (f *Flow) run(fx *effects, working string, work func(ctx context.Context) func(fx *effects), timeout func() (context.Context, context.CancelFunc)) {
	st := &f.st
	st.busy = true
	st.working = working
	if st.kind != KindTechPIN && st.kind != KindTechnician {
		st.kind = KindWorking
	}
	epoch := st.epoch
	fx.job(func() {
		ctx, cancel := timeout()
		apply := work(ctx)
		cancel()
		f.update(func(fx *effects) {
			if f.st.epoch != epoch {
				fx.changed = false
				return
			}
			f.st.busy = false
			apply(fx)
			f.afterBusy(fx)
		})
	})
}

func (f *Flow) within(d time.Duration) func() (context.Context, context.CancelFunc) {
	return func() (context.Context, context.CancelFunc) { return f.ctx(d) }
}

// showMessage shows the message screen.
func (f *Flow) showMessage(title string, lines []notice, buttons ...msgButton) {
	f.st.j.msg = &message{title: title, lines: lines, buttons: buttons}
	f.st.kind = KindMessage
}

func errLine(key string, args ...string) []notice {
	n := notice{key: key, role: RoleError, args: map[string]string{}}
	for i := 0; i+1 < len(args); i += 2 {
		n.args[args[i]] = args[i+1]
	}
	return []notice{n}
}

func (f *Flow) finishButton() msgButton {
	return msgButton{id: TapFinish, label: "nav.finish", role: RolePrimary, do: f.finish}
}

func (f *Flow) cancelButton() msgButton {
	return msgButton{id: TapCancel, label: "nav.cancel", role: RoleDanger, do: f.finish}
}

// unavailable is the message of a service whose dependency is missing or
// failed for no reason the citizen can act on.
func (f *Flow) unavailable(fx *effects, retry func(fx *effects)) {
	buttons := []msgButton{f.cancelButton()}
	if retry != nil {
		buttons = append([]msgButton{{id: TapRetry, label: "nav.retry", role: RolePrimary, do: retry}}, buttons...)
	}
	f.showMessage("service.unavailable", errLine("service.unavailable_next"), buttons...)
}

// Review and payment.

// confirm is the review's "send": validate, then pay or submit.
func (f *Flow) confirm(fx *effects) {
	j := &f.st.j
	errs := j.form.Validate(f.formValues(), f.now())
	for i, id := range j.steps {
		if key, bad := errs[id]; bad {
			f.toStep(i)
			j.fieldErr = key
			return
		}
	}
	if len(errs) > 0 { // a card field is wrong: read the card again
		j.cardRead = false
		j.notice = &notice{key: "scan.again", role: RoleError}
		f.st.kind = KindScanCard
		return
	}
	amount, ok := j.service.Amount(j.form.Normalize(f.formValues()))
	if !ok {
		f.unavailable(fx, nil)
		return
	}
	j.amount = amount
	f.checkRoomThen(fx, func(fx *effects) {
		if amount == 0 {
			f.submit(fx)
			return
		}
		f.toPayment(fx)
	})
}

// checkRoomThen refuses before payment when the store is limited.
func (f *Flow) checkRoomThen(fx *effects, next func(fx *effects)) {
	h, err := f.deps.Store.Health()
	if err == nil && h.Limited {
		f.showMessage("queue.full", errLine("queue.full_next"), f.finishButton())
		return
	}
	if err := f.newRequestID(); err != nil {
		f.log.Error("flow: request id", "err", err)
		f.unavailable(fx, nil)
		return
	}
	next(fx)
}

func (f *Flow) newRequestID() error {
	if f.st.j.requestID != "" {
		return nil
	}
	id, err := request.NewID(f.deps.Rand)
	if err != nil {
		return err
	}
	f.st.j.requestID = id
	return nil
}

func (f *Flow) toPayment(fx *effects) {
	j := &f.st.j
	methods := f.methods()
	if len(methods) == 1 {
		f.chooseMethod(fx, methods[0].ID)
		return
	}
	j.notice = nil
	f.st.kind = KindPayMethod
}

// methods are the service's payment methods the kiosk can take now.
func (f *Flow) methods() []pack.PaymentMethod {
	var out []pack.PaymentMethod
	for _, id := range f.st.j.service.PaymentMethods {
		m, ok := f.p.PaymentMethod(id)
		if !ok {
			continue
		}
		if m.Kind != pack.PayCounter && f.deps.Payments == nil {
			continue
		}
		out = append(out, m)
	}
	return out
}

func (f *Flow) chooseMethod(fx *effects, id string) {
	j := &f.st.j
	var m pack.PaymentMethod
	found := false
	for _, mm := range f.methods() {
		if mm.ID == id {
			m, found = mm, true
		}
	}
	if !found {
		f.unavailable(fx, nil)
		return
	}
	j.method = m
	switch m.Kind {
	case pack.PayCounter:
		f.submit(fx)
	case pack.PayMobileMoney:
		if f.field(payPhoneField) == "" {
			if id := fieldOfType(j.form, form.TypePhone); id != "" {
				f.setField(payPhoneField, f.field(id))
			}
		}
		j.payPhone = true
		j.fieldErr = ""
		f.st.kind = KindField
	default:
		f.pay(fx)
	}
}

// pay takes the payment, then submits.
func (f *Flow) pay(fx *effects) {
	j := &f.st.j
	p := Payment{
		Amount:    j.amount,
		Currency:  f.p.Currency.Code,
		Method:    j.method,
		Reference: j.requestID,
	}
	if j.method.Kind == pack.PayMobileMoney {
		p.Phone = f.field(payPhoneField)
	}
	payments := f.deps.Payments
	f.run(fx, "", func(ctx context.Context) func(fx *effects) {
		auth, err := payments.Pay(ctx, p)
		return func(fx *effects) { f.paid(fx, auth, err) }
	}, f.within(f.cfg.PaymentTimeout))
	f.st.kind = KindPaying
}

func (f *Flow) paid(fx *effects, auth Authorisation, err error) {
	j := &f.st.j
	retry := msgButton{id: TapRetry, label: "pay.other_method", role: RolePrimary, do: func(fx *effects) { f.toPayment(fx) }}
	switch {
	case err == nil && auth.Outcome == Approved:
		j.paid = &auth
		f.log.Info("flow: payment approved", "service", j.service.ID, "method", j.method.ID, "request", j.requestID)
		f.submit(fx)
	case err == nil && auth.Outcome == Declined:
		f.showMessage("pay.title", []notice{{key: "pay.refused", role: RoleError}, {key: "pay.refused_next"}}, retry, f.cancelButton())
	case err == nil && auth.Outcome == TimedOut, errors.Is(err, context.DeadlineExceeded):
		f.showMessage("pay.title", errLine("pay.timeout"), retry, f.cancelButton())
	default:
		f.log.Warn("flow: payment provider failed", "method", j.method.ID, "err", err)
		f.showMessage("pay.title", errLine("pay.unavailable"), retry, f.cancelButton())
	}
}

// Submission and receipt.

// personalPayload is what is sealed to the registry with the request.
type personalPayload struct {
	Service  string            `json:"service"`
	Language string            `json:"language"`
	Fields   map[string]string `json:"fields,omitempty"`
	Card     map[string]string `json:"card,omitempty"`
	Payment  *paymentRecord    `json:"payment,omitempty"`
	Fine     *fineRecord       `json:"fine,omitempty"`
}

type paymentRecord struct {
	Method        string `json:"method"`
	Kind          string `json:"kind"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	Authorisation string `json:"authorisation,omitempty"`
	ProviderRef   string `json:"provider_ref,omitempty"`
	PayerPhone    string `json:"payer_phone,omitempty"`
	AtCounter     bool   `json:"at_counter,omitempty"`
}

type fineRecord struct {
	PVNumber string `json:"pv_number"`
	Amount   int64  `json:"amount"`
}

// draft builds the request and its personal payload from the session.
func (f *Flow) draft() (request.Request, []byte, error) {
	j := &f.st.j
	court := f.cfg.KioskCourt
	if id := fieldOfType(j.form, form.TypeCourt); id != "" && f.field(id) != "" {
		court = f.field(id)
	}
	req := request.Request{
		ID:          j.requestID,
		Service:     j.service.ID,
		Court:       court,
		Fee:         j.amount,
		Currency:    f.p.Currency.Code,
		PackVersion: f.p.Version,
	}
	pl := personalPayload{Service: j.service.ID, Language: f.st.lang}
	if vals := f.formValues(); len(vals) > 0 {
		pl.Fields = j.form.Normalize(vals)
	}
	if f.st.sess != nil {
		if m := f.st.sess.MRZ(); len(m) > 0 {
			pl.Card = m
		}
	}
	if j.amount > 0 {
		pr := &paymentRecord{Method: j.method.ID, Kind: string(j.method.Kind), Amount: j.amount, Currency: f.p.Currency.Code}
		if j.paid != nil {
			pr.Authorisation, pr.ProviderRef = j.paid.Code, j.paid.ProviderRef
		}
		if j.method.Kind == pack.PayMobileMoney {
			pr.PayerPhone = f.field(payPhoneField)
		}
		pr.AtCounter = j.method.Kind == pack.PayCounter
		pl.Payment = pr
	}
	if j.fine >= 0 && j.fine < len(j.fines) {
		pl.Fine = &fineRecord{PVNumber: j.fines[j.fine].PVNumber, Amount: j.fines[j.fine].Amount}
	}
	b, err := json.Marshal(pl)
	return req, b, err
}

// submitAttempts is how often a submission is tried when the store fails
// for a reason that may pass (a retried Submit of the same id is accepted
// once).
const submitAttempts = 3

func (f *Flow) submit(fx *effects) {
	req, personal, err := f.draft()
	if err != nil {
		f.log.Error("flow: request payload", "err", err)
		f.unavailable(fx, nil)
		return
	}
	st := f.deps.Store
	f.run(fx, "submit.in_progress", func(ctx context.Context) func(fx *effects) {
		var stored request.Request
		var err error
		for i := 0; i < submitAttempts; i++ {
			stored, err = st.Submit(ctx, req, personal)
			if err == nil || errors.Is(err, store.ErrQueueFull) || errors.Is(err, store.ErrNoSpace) ||
				errors.Is(err, store.ErrNoRegistryKey) || errors.Is(err, store.ErrConflict) || ctx.Err() != nil {
				break
			}
		}
		clear(personal)
		return func(fx *effects) { f.submitted(fx, stored, err) }
	}, f.within(f.cfg.SubmitTimeout))
}

func (f *Flow) submitted(fx *effects, stored request.Request, err error) {
	j := &f.st.j
	if err == nil {
		j.tracking = stored.Tracking
		if f.st.sess != nil {
			_ = f.st.sess.SetReceipt(stored.Tracking)
		}
		f.log.Info("flow: request accepted", "service", stored.Service, "tracking", string(stored.Tracking))
		j.receipt = ReceiptRequest
		switch {
		case j.method.Kind == pack.PayCounter:
			j.receipt = ReceiptCounterSlip
		case j.service.ID == f.callbackService():
			j.receipt = ReceiptCallback
		}
		f.printReceipt(fx)
		return
	}
	f.log.Error("flow: submit failed", "service", j.service.ID, "err", err)
	if j.paid != nil {
		// The money is taken and the request is not recorded: the citizen
		// leaves with the authorisation on paper and on screen.
		j.incident = true
		auth := j.paid.Code
		f.recordAudit(audit.Citizen, "payment.not_recorded", j.requestID, "method="+j.method.ID+" authorisation="+auth+" amount="+strconv.FormatInt(j.amount, 10))
		j.receipt = ReceiptPaymentIncident
		f.printReceipt(fx)
		return
	}
	switch {
	case errors.Is(err, store.ErrQueueFull), errors.Is(err, store.ErrNoSpace):
		f.showMessage("queue.full", errLine("queue.full_next"), f.finishButton())
	case errors.Is(err, store.ErrNoRegistryKey):
		f.showMessage("service.unavailable", errLine("service.not_enrolled"), f.finishButton())
	default:
		f.unavailable(fx, f.submit)
	}
}

// receipt is what the printer gets.
func (f *Flow) receipt() Receipt {
	j := &f.st.j
	r := Receipt{
		Kind:      j.receipt,
		Tracking:  j.tracking,
		Service:   j.service.ID,
		Amount:    j.amount,
		Currency:  f.p.Currency.Code,
		Method:    j.method.ID,
		Reference: j.requestID,
		Lang:      f.st.lang,
		At:        f.now(),
	}
	if id := fieldOfType(j.form, form.TypeCourt); id != "" {
		r.Court = f.field(id)
	}
	if j.paid != nil {
		r.Authorisation = j.paid.Code
	}
	return r
}

func (f *Flow) printReceipt(fx *effects) {
	r := f.receipt()
	printer := f.deps.Receipts
	f.run(fx, "printer.printing", func(ctx context.Context) func(fx *effects) {
		err := ErrPrinterAbsent
		if printer != nil {
			err = printer.PrintReceipt(ctx, r)
		}
		return func(fx *effects) {
			if err != nil {
				f.log.Warn("flow: receipt not printed", "kind", string(r.Kind), "tracking", string(r.Tracking), "err", err)
				f.st.j.printErr = printFailureKey(err)
			}
			f.done(fx)
		}
	}, f.within(f.cfg.PrintTimeout))
}

// printFailureKey says what a printer failure means for the citizen.
func printFailureKey(err error) string {
	switch {
	case errors.Is(err, ErrPaperOut):
		return "printer.paper_out"
	case errors.Is(err, ErrCoverOpen):
		return "printer.cover_open"
	case errors.Is(err, ErrPrinterAbsent):
		return "printer.absent"
	}
	return "printer.error"
}

// done shows the journey's last screen and wipes the session: nothing
// personal is needed any more; the tracking number is not personal.
func (f *Flow) done(fx *effects) {
	st := &f.st
	if st.sess != nil {
		fx.wipe = st.sess
		st.sess = nil
	}
	st.countdown = nil
	st.j.fines = nil
	st.j.tracked = nil
	st.kind = KindDone
	f.armDoneTimer()
}

// Fines.

func (f *Flow) lookupFines(fx *effects, q FineQuery) {
	lookup := f.deps.Fines
	if lookup == nil {
		f.unavailable(fx, nil)
		return
	}
	f.run(fx, "fine.searching", func(ctx context.Context) func(fx *effects) {
		fines, err := lookup.Lookup(ctx, q)
		return func(fx *effects) {
			j := &f.st.j
			switch {
			case err == nil:
				j.fines, j.page, j.fine = fines, 0, -1
				f.st.kind = KindFines
			case errors.Is(err, ErrOffline), errors.Is(err, context.DeadlineExceeded):
				f.showMessage("form.radar_fine.title", errLine("fine.offline"),
					msgButton{id: TapRetry, label: "nav.retry", role: RolePrimary, do: func(fx *effects) { f.lookupFines(fx, q) }},
					f.finishButton())
			default:
				f.log.Warn("flow: fine lookup failed", "err", err)
				f.unavailable(fx, func(fx *effects) { f.lookupFines(fx, q) })
			}
		}
	}, f.within(f.cfg.LookupTimeout))
}

func (f *Flow) chooseFine(fx *effects, idx string) {
	j := &f.st.j
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(j.fines) {
		return
	}
	j.fine = i
	j.amount = j.fines[i].Amount
	f.setField("pv_number", j.fines[i].PVNumber)
	f.checkRoomThen(fx, f.toPayment)
}

// Directory.

func (f *Flow) searchDirectory(fx *effects, offset int) {
	dir := f.deps.Directory
	if dir == nil {
		f.unavailable(fx, nil)
		return
	}
	q := DirectoryQuery{}
	for _, fl := range f.st.j.form.Fields {
		v := f.field(fl.ID)
		switch fl.Type {
		case form.TypeCity:
			q.City = v
		case form.TypeText:
			q.Name = v
		case form.TypeChoice:
			if fl.ID == "language" {
				q.Language = v
			} else {
				q.Profession = v
			}
		}
	}
	limit := f.cfg.RowsPerPage
	f.run(fx, "directory.searching", func(ctx context.Context) func(fx *effects) {
		page, err := dir.Search(ctx, q, offset, limit)
		return func(fx *effects) {
			if err != nil {
				f.log.Warn("flow: directory search failed", "err", err)
				f.unavailable(fx, func(fx *effects) { f.searchDirectory(fx, offset) })
				return
			}
			f.st.j.dir, f.st.j.dirOffset = page, offset
			f.st.kind = KindDirectory
		}
	}, f.within(f.cfg.LookupTimeout))
}

// Tracking and collection.

func (f *Flow) track(fx *effects, n tracking.Number) {
	tr := f.deps.Tracker
	if tr == nil {
		f.unavailable(fx, nil)
		return
	}
	f.run(fx, "tracking.searching", func(ctx context.Context) func(fx *effects) {
		t, err := tr.Track(ctx, n)
		return func(fx *effects) {
			j := &f.st.j
			again := msgButton{id: TapTypeNumber, label: "tracking.another", role: RolePrimary, do: func(fx *effects) {
				f.setField(j.steps[0], "")
				f.toStep(0)
			}}
			switch {
			case err == nil:
				j.tracked = &t
				f.st.kind = KindTracking
			case errors.Is(err, ErrNotFound):
				f.showMessage("tracking.status", []notice{{key: "tracking.not_found", role: RoleError}, {key: "tracking.check_number", role: RoleHint}}, again, f.finishButton())
			case errors.Is(err, ErrOffline), errors.Is(err, context.DeadlineExceeded):
				f.showMessage("tracking.status", errLine("tracking.offline"), again, f.finishButton())
			default:
				f.log.Warn("flow: tracking failed", "err", err)
				f.unavailable(fx, func(fx *effects) { f.track(fx, n) })
			}
		}
	}, f.within(f.cfg.LookupTimeout))
}

// reprint prints the receipt of a tracked request again, as a duplicate.
func (f *Flow) reprint(fx *effects, n tracking.Number) {
	rp, ok := f.deps.Receipts.(ReceiptReprinter)
	if !ok {
		f.unavailable(fx, nil)
		return
	}
	f.run(fx, "tracking.reprinting", func(ctx context.Context) func(fx *effects) {
		err := rp.ReprintReceipt(ctx, n)
		return func(fx *effects) {
			f.recordAudit(audit.Citizen, "receipt.reprint", string(n), fmt.Sprintf("asked at the kiosk: %v", errText(err)))
			switch {
			case err == nil:
				f.showMessage("tracking.status", []notice{{key: "tracking.reprinted", role: RoleEmphasis}}, f.finishButton())
			case errors.Is(err, ErrNotFound):
				f.showMessage("tracking.status", errLine("tracking.reprint_none"), f.finishButton())
			case errors.Is(err, ErrNotReady):
				f.showMessage("tracking.status", errLine("tracking.reprint_pending"), f.finishButton())
			default:
				f.log.Warn("flow: reprint failed", "tracking", string(n), "err", err)
				f.showMessage("tracking.status", errLine(printFailureKey(err)), f.finishButton())
			}
		}
	}, f.within(f.cfg.PrintTimeout))
}

func errText(err error) string {
	if err == nil {
		return "printed"
	}
	return err.Error()
}

// canCollect reports whether a tracked request's extract can be collected
// here.
func (f *Flow) canCollect() bool {
	t := f.st.j.tracked
	if t == nil || t.Request.State != request.Ready || f.deps.Extracts == nil || f.deps.Documents == nil {
		return false
	}
	s, ok := f.p.Service(t.Request.Service)
	if !ok {
		return false
	}
	fm, _ := f.p.Form(s.Form)
	return hasCardField(fm) && classify(s, fm) == journeyRequest && s.ID != f.callbackService()
}

func (f *Flow) collect(fx *effects, h Holder) {
	j := &f.st.j
	n := j.tracked.Request.Tracking
	fetcher, printer := f.deps.Extracts, f.deps.Documents
	f.run(fx, "collect.fetching", func(ctx context.Context) func(fx *effects) {
		e, err := fetcher.Fetch(ctx, n, h)
		if err == nil {
			err = printer.PrintDocument(ctx, e)
			if err != nil {
				err = printError{err}
			} else if derr := fetcher.Delivered(ctx, n); derr != nil {
				// Printed: the citizen has the extract. The delivery is
				// recorded again by the registry's reconciliation.
				f.log.Error("flow: delivery not recorded", "tracking", string(n), "err", derr)
			}
		}
		clear(e.Document)
		return func(fx *effects) {
			if err == nil {
				j.receipt = ""
				j.tracking = n
				f.recordAudit(audit.Citizen, "extract.delivered", string(n), "printed at the kiosk")
				f.done(fx)
				j.collect = true
				return
			}
			f.log.Warn("flow: collection failed", "tracking", string(n), "err", err)
			key := "collect.failed"
			var pe printError
			switch {
			case errors.As(err, &pe):
				key = "collect.print_failed"
			case errors.Is(err, ErrIdentityMismatch):
				key = "collect.identity_mismatch"
			case errors.Is(err, ErrNotReady):
				key = "collect.not_ready"
			case errors.Is(err, ErrAlreadyDelivered):
				key = "collect.already_delivered"
			case errors.Is(err, ErrSignatureInvalid):
				key = "collect.signature_invalid"
			case errors.Is(err, ErrNotFound):
				key = "tracking.not_found"
			case errors.Is(err, ErrOffline), errors.Is(err, context.DeadlineExceeded):
				key = "collect.offline"
			}
			f.showMessage("collect.title", errLine(key), f.finishButton())
		}
	}, f.within(f.cfg.LookupTimeout+f.cfg.PrintTimeout))
}

// printError marks a failure of the laser printer, after a good fetch.
type printError struct{ err error }

func (e printError) Error() string { return "flow: print: " + e.err.Error() }
func (e printError) Unwrap() error { return e.err }

// recordAudit writes to the audit chain without blocking the caller.
func (f *Flow) recordAudit(actor audit.Actor, action, subject, detail string) {
	st := f.deps.Store
	log := f.log
	f.deps.Go(func() {
		ctx, cancel := f.ctx(f.cfg.SubmitTimeout)
		defer cancel()
		if _, err := st.RecordAudit(ctx, actor, action, subject, detail); err != nil {
			log.Error("flow: audit not recorded", "action", action, "err", err)
		}
	})
}
