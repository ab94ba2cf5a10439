package qrscan_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"guichet/drivers/qrscan"
	"guichet/drivers/qrscan/qrscansim"
	"guichet/drivers/serialport"
	"guichet/kiosk/clock"
	"guichet/kiosk/scan"
)

// A Honeywell scanner in serial trigger mode, emulated on a pseudo-terminal:
// the tracking screen arms the reader, the citizen shows a receipt, the
// kiosk classifies the code.
func Example() {
	dir, err := os.MkdirTemp("", "qrscan-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sim, err := qrscansim.New(dir, qrscansim.Options{Trigger: qrscan.TriggerHoneywell})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	sc, err := qrscan.New(qrscan.Config{Trigger: qrscan.TriggerHoneywell}, clock.System, nil)
	if err != nil {
		log.Fatal(err)
	}
	port, err := serialport.Open(serialport.Config{Path: sim.Path(), Baud: 9600})
	if err != nil {
		log.Fatal(err)
	}
	defer port.Close()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go sc.Serve(ctx, port) // in the kiosk: a serialport.Supervisor's drive function

	// The citizen holds the receipt up before the screen asks: nothing is read.
	sim.Scan("https://suivi.justice.gov.ma/t/K7MX4HQ9XR33")
	screen, leave := context.WithCancel(ctx)
	defer leave()
	sc.Arm(screen) // sends SYN T CR; the scanner reads the receipt

	e := (<-sc.Events()).(qrscan.Scanned)
	r := scan.Classify(e.Payload, scan.Params{TrackingQRBase: "https://suivi.justice.gov.ma/t/"})
	fmt.Println(r.Kind, r.Tracking)
	// Output:
	// tracking_number K7MX-4HQ9-XR33
}
