package ipp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"guichet/drivers/ipp"
)

func ExampleDecodeReasons() {
	for _, r := range ipp.DecodeReasons([]string{"media-empty-error", "toner-low-report", "paused"}) {
		fmt.Println(r.Condition, r.Severity, "—", r.Condition.Message("fr"))
	}
	// Output:
	// media-empty error — plus de papier : remettez du papier
	// toner-low report — toner bientôt épuisé
	// paused error — file suspendue (cupsenable pour reprendre)
}

func ExampleStatus_Health() {
	st := ipp.Status{
		Queue: "laser", State: ipp.Stopped, AcceptingJobs: true, Message: "Out of paper",
		Reasons: ipp.DecodeReasons([]string{"media-empty-error", "paused"}),
	}
	h := st.Health("laser", "ipp://localhost/printers/laser", time.Time{})
	fmt.Println(h.State, "—", h.Reason)
	// Output: failed — out of paper: load paper; printer says: Out of paper
}

// The kiosk prints a verified extract and tells the citizen what happens.
func ExamplePrinter_Print() {
	p, err := ipp.New(ipp.DefaultConfig())
	if err != nil {
		log.Fatal(err)
	}
	var pdf []byte // from pdfdoc.Render
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	job, err := p.Print(ctx, ipp.Document{Name: "extract B3/2026/004217", PDF: pdf}, func(e ipp.Event) {
		if pc, ok := e.(ipp.PrinterChanged); ok && !pc.Status.Ready() {
			log.Printf("tell the citizen and alert the technician: %s", pc.Status.Health("laser", "", time.Now()).Reason)
		}
	})
	switch {
	case errors.Is(err, ipp.ErrJobPending):
		log.Printf("still queued; the extract prints when the printer is back: %v", err)
	case err != nil:
		log.Printf("not printed; the request stays ready for another try: %v", err)
	default:
		log.Printf("printed: job %d, %d pages", job.ID, job.Pages)
	}
}
