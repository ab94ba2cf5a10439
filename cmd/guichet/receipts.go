package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
	"guichet/kiosk/store"
	"guichet/kiosk/tracking"
)

// receipts implements flow.ReceiptPrinter on the durable print queue: the
// receipt is on disk before anything is sent, so a printer fault holds it
// (and the spooler prints it when the fault clears) instead of losing it.
// PrintReceipt waits for the first outcome to tell the citizen.
type receipts struct {
	sp    *printq.Spooler
	st    *store.Store
	pack  *pack.Pack
	kiosk receipt.Kiosk

	mu      sync.Mutex
	waiting map[uint64]chan printq.Event
	early   map[uint64]printq.Event // events that came before PrintReceipt listened
}

func newReceipts(sp *printq.Spooler, st *store.Store, p *pack.Pack, k receipt.Kiosk) *receipts {
	return &receipts{sp: sp, st: st, pack: p, kiosk: k, waiting: map[uint64]chan printq.Event{}, early: map[uint64]printq.Event{}}
}

// onEvent is the spooler's OnEvent: it must not block.
func (r *receipts) onEvent(e printq.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch := r.waiting[e.Job.ID]; ch != nil {
		select {
		case ch <- e:
		default:
		}
		return
	}
	if len(r.early) >= 64 { // nobody waits for most jobs' later events
		clear(r.early)
	}
	r.early[e.Job.ID] = e
}

func (r *receipts) document(rc flow.Receipt) (receipt.Document, error) {
	switch rc.Kind {
	case flow.ReceiptCallback:
		return receipt.CallbackTicket(r.pack, rc.Lang, r.kiosk, receipt.Callback{Tracking: rc.Tracking, Topic: rc.Service, At: rc.At})
	case flow.ReceiptPaymentIncident:
		return receipt.PaymentReceipt(r.pack, rc.Lang, r.kiosk, receipt.Payment{
			Service: rc.Service, Reference: rc.Reference, Amount: rc.Amount,
			Method: rc.Method, Authorisation: rc.Authorisation, At: rc.At,
		})
	}
	req, err := r.st.ByTracking(rc.Tracking)
	if err != nil {
		return receipt.Document{}, fmt.Errorf("guichet: receipt for %s: %w", rc.Tracking, err)
	}
	if rc.Kind == flow.ReceiptCounterSlip {
		return receipt.CounterSlip(r.pack, rc.Lang, r.kiosk, req)
	}
	return receipt.Request(r.pack, rc.Lang, r.kiosk, req, receipt.Fee{Paid: rc.Authorisation != "", Method: rc.Method})
}

func (r *receipts) PrintReceipt(ctx context.Context, rc flow.Receipt) error {
	doc, err := r.document(rc)
	if err != nil {
		return err
	}
	return r.print(ctx, doc)
}

// ReprintReceipt prints a duplicate of the receipt of request n, as a
// citizen whose receipt did not come out asks at the tracking screen.
func (r *receipts) ReprintReceipt(ctx context.Context, n tracking.Number) error {
	job, err := r.sp.Reprint(n)
	switch {
	case errors.Is(err, printq.ErrNoJob):
		return fmt.Errorf("%w: no receipt printed here for %s", flow.ErrNotFound, n)
	case errors.Is(err, printq.ErrNotPrinted):
		return fmt.Errorf("%w: %v", flow.ErrNotReady, err)
	case err != nil:
		return err
	}
	return r.wait(ctx, job)
}

// testPage prints the technician's test page.
func (r *receipts) testPage(ctx context.Context) error {
	doc, err := receipt.TestPageFor(r.pack, r.pack.DefaultLanguage, r.kiosk, receipt.TestPage{At: time.Now()})
	if err != nil {
		return err
	}
	return r.print(ctx, doc)
}

// print queues doc and waits for its first outcome.
func (r *receipts) print(ctx context.Context, doc receipt.Document) error {
	job, err := r.sp.Submit(doc)
	if err != nil {
		return fmt.Errorf("guichet: print queue: %w", err)
	}
	return r.wait(ctx, job)
}

// wait follows a queued job to its first outcome.
func (r *receipts) wait(ctx context.Context, job printq.Job) error {
	ch := make(chan printq.Event, 4)
	r.mu.Lock()
	if e, ok := r.early[job.ID]; ok {
		delete(r.early, job.ID)
		ch <- e
	}
	r.waiting[job.ID] = ch
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiting, job.ID)
		r.mu.Unlock()
	}()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: the receipt is queued and prints when the printer answers", flow.ErrPrinterAbsent)
		case e := <-ch:
			switch e.Kind {
			case printq.EventPrinted:
				return nil
			case printq.EventHeld:
				return faultError(e.Fault)
			case printq.EventExpired, printq.EventInterrupted:
				return errors.New("guichet: the receipt was not printed; ask for a reprint with the tracking number")
			}
		}
	}
}

func faultError(f printq.Fault) error {
	switch f {
	case printq.FaultPaperOut:
		return flow.ErrPaperOut
	case printq.FaultCoverOpen:
		return flow.ErrCoverOpen
	case printq.FaultAbsent:
		return flow.ErrPrinterAbsent
	}
	return fmt.Errorf("guichet: printer fault %s", f)
}
