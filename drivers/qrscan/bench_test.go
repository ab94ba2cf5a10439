package qrscan_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"guichet/drivers/qrscan"
	"guichet/drivers/qrscan/qrscansim"
	"guichet/drivers/serialport"
	"guichet/kiosk/clock"
)

// BenchmarkScanToEvent measures from the emulator writing a code on the
// pseudo-terminal to the Scanned event on the kiosk's side, through
// serialport, the framer and the duplicate check. wire-µs is the time the
// same bytes take on a real 9600-baud 8N1 line (the physical floor a pty
// does not have); event-µs is what the software adds on top of it.
func BenchmarkScanToEvent(b *testing.B) {
	for _, code := range []string{
		receiptQR,
		finePV,
		strings.Repeat("https://verif.justice.gov.ma/v/", 15), // a long code: 465 bytes
	} {
		b.Run(fmt.Sprintf("%dB", len(code)), func(b *testing.B) {
			r := newRig(b, qrscan.Config{DuplicateWindow: -1}, qrscansim.Options{}, clock.System)
			if err := r.sc.Arm(b.Context()); err != nil {
				b.Fatal(err)
			}
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				if err := r.sim.Scan(code); err != nil {
					b.Fatal(err)
				}
				if e, ok := (<-r.sc.Events()).(qrscan.Scanned); !ok || e.Payload != code {
					b.Fatalf("event %#v, want the code", e)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "event-µs")
			wire := serialport.Config{Baud: baud}.WireTime(len(code) + 1) // + CR
			b.ReportMetric(float64(wire.Microseconds()), "wire-µs")
		})
	}
}
