package printq_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

// paperOutOnce runs out of paper on its first receipt, then prints.
type paperOutOnce struct{ tries int }

func (p *paperOutOnce) Print(ctx context.Context, doc receipt.Document) error {
	p.tries++
	if p.tries == 1 {
		return fmt.Errorf("stopped after chunk 9 of 36: %w", printq.ErrPaperOut)
	}
	return nil
}

func (p *paperOutOnce) Ready(context.Context) error { return nil }

func ExampleSpooler() {
	dir, _ := os.MkdirTemp("", "printq")
	defer os.RemoveAll(dir)
	q, err := printq.Open(filepath.Join(dir, "printq.db"))
	if err != nil {
		panic(err)
	}
	defer q.Close()
	ma, _ := pack.Embedded("ma")
	n, _ := tracking.Parse("3G33-XKDE-NM3M")
	doc, _ := receipt.Sample(ma, receipt.KindRequest, "ar", n, time.Now())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s := &printq.Spooler{
		Queue: q, Printer: &paperOutOnce{}, Pack: ma, Kiosk: receipt.SampleKiosk(ma),
		RetryEvery: time.Millisecond,
		OnEvent: func(e printq.Event) {
			fmt.Println(strings.TrimSpace(fmt.Sprint(e.Kind, " ", e.Job.Document.Tracking, " ", e.MessageKey)))
			if e.Kind == printq.EventPrinted {
				cancel()
			}
		},
	}
	go func() { s.Run(ctx); close(done) }()
	s.Submit(doc)
	<-done
	// Output:
	// held 3G33-XKDE-NM3M printer.paper_out
	// resumed 3G33-XKDE-NM3M
	// printed 3G33-XKDE-NM3M
}
