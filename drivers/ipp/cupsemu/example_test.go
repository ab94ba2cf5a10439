package cupsemu_test

import (
	"context"
	"fmt"
	"log"

	"guichet/drivers/ipp/cupsemu"
)

// A laser printer out of paper, as guichet-devsim plays it: the kiosk prints
// to ipp://ADDR/printers/guichet-laser and the PDFs land in out/laser.
func Example() {
	s, err := cupsemu.Start(context.Background(), cupsemu.Options{})
	if err != nil {
		log.Fatal(err) // errors.Is(err, cupsemu.ErrUnavailable): no CUPS or not root
	}
	defer s.Close()
	laser, err := s.AddFaultQueue(cupsemu.QueueOptions{Name: "guichet-laser", Out: "out/laser"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("print to", s.Addr(), laser.Name)
	// Load paper, then restart the queue a job out of paper stopped.
	if err := laser.SetPaper(true); err != nil {
		log.Fatal(err)
	}
	if err := laser.Enable(); err != nil {
		log.Fatal(err)
	}
}
