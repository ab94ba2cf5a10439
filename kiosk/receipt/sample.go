package receipt

import (
	"fmt"
	"time"

	"guichet/kiosk/pack"
	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// SampleKiosk is the kiosk that sample documents say printed them: it
// stands in the pack's first first-instance court.
func SampleKiosk(p *pack.Pack) Kiosk {
	k := Kiosk{ID: p.Code + "-sample-01", Location: time.UTC}
	if courts := p.CourtsOf(pack.FirstInstance); len(courts) > 0 {
		k.Court = courts[0].ID
	}
	return k
}

// Sample builds a representative document of kind in lang, as a
// technician's `guichetctl print sample` prints it and as the tests and
// benchmarks measure it: a criminal-record request (the pack's first
// paid service) paid by card and collected at the pack's last
// first-instance court, its payment receipt, a callback about it, its
// counter slip, a test page and a diagnostics page. n is the tracking
// number to print; at the time the documents give.
func Sample(p *pack.Pack, kind Kind, lang string, n tracking.Number, at time.Time) (Document, error) {
	k := SampleKiosk(p)
	svc, ok := firstPaidService(p)
	if !ok {
		return Document{}, fmt.Errorf("receipt: sample: pack %s has no paid service", p.Code)
	}
	r := request.Request{
		ID:          "5a3c0e1f9b2d4c6a8e0f1a2b3c4d5e6f",
		Tracking:    n,
		Service:     svc.ID,
		Fee:         svc.Fee,
		Currency:    p.Currency.Code,
		State:       request.Queued,
		CreatedAt:   at,
		UpdatedAt:   at,
		KioskID:     k.ID,
		PackVersion: p.Version,
	}
	if courts := p.CourtsOf(pack.FirstInstance); len(courts) > 0 {
		r.Court = courts[len(courts)-1].ID
	}
	method := ""
	for _, m := range p.PaymentMethods {
		if m.Kind == pack.PayCardTerminal {
			method = m.ID
		}
	}
	switch kind {
	case KindRequest:
		return Request(p, lang, k, r, Fee{Paid: method != "", Method: method})
	case KindPayment:
		return PaymentReceipt(p, lang, k, Payment{
			Tracking: n, Service: svc.ID, Amount: svc.Fee, Method: method,
			Authorisation: "A7F3Q2", At: at,
		})
	case KindCallback:
		return CallbackTicket(p, lang, k, Callback{Tracking: n, Topic: svc.ID, Phone: "0612345678", At: at})
	case KindCounterSlip:
		return CounterSlip(p, lang, k, r)
	case KindTestPage:
		return TestPageFor(p, lang, k, TestPage{
			Software: "guichet (sample)",
			Printer:  []string{"paper: present", "cover: closed", "cutter: ok"},
			At:       at,
		})
	case KindDiagnostics:
		return DiagnosticsPage(p, lang, k, Diagnostics{
			Software: "guichet (sample)",
			At:       at,
			Entries: []Entry{
				{"idscan", "connected /dev/guichet/idscan"},
				{"qrscan", "connected /dev/guichet/qrscan"},
				{"receipt printer", "connected, paper present"},
				{"outbox", "0 waiting"},
			},
		})
	}
	return Document{}, fmt.Errorf("receipt: sample: unknown kind %q", kind)
}

func firstPaidService(p *pack.Pack) (pack.Service, bool) {
	for _, s := range p.Services {
		if s.FeeRule == pack.FeeFixed && s.Fee > 0 {
			return s, true
		}
	}
	return pack.Service{}, false
}
