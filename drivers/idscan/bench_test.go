package idscan_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"guichet/drivers/idscan"
	"guichet/drivers/idscan/idscansim"
	"guichet/drivers/serialport"
)

// BenchmarkAssembler measures the framing layer's throughput on a stream of
// cards, passports and power-up noise, fed in 64-byte reads.
func BenchmarkAssembler(b *testing.B) {
	var sb strings.Builder
	for i := range 100 {
		sb.WriteString("\x00\xff\x13READY V2.14\r\n")
		if i%2 == 0 {
			sb.WriteString(joined(cnie, "\r\n"))
		} else {
			sb.WriteString(joined(td3, "\r\n"))
		}
	}
	stream := []byte(sb.String())
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		a := idscan.NewAssembler(idscan.Framing{}, interChar)
		n := 0
		for i := 0; i < len(stream); i += 64 {
			n += len(a.Feed(stream[i:min(i+64, len(stream))], t0.Add(time.Duration(i)*time.Microsecond)))
		}
		if n != 100 {
			b.Fatalf("%d candidates, want 100", n)
		}
	}
}

// BenchmarkScanToEvent measures, through a real pseudo-terminal and
// serialport.Open, the time from the first byte of a TD1 card leaving the
// emulated reader to the driver's CardRead (event-µs), next to the time the
// card takes on the wire at the baud rate (wire-µs, the physical floor:
// 93 bytes × 10 bits / baud) and the time from the last byte written to
// the event (after-last-byte-µs, the driver's own latency). "unpaced"
// sends the bytes at once, so event-µs is the software path alone; its
// wire-µs is that of 9600 baud, for comparison.
func BenchmarkScanToEvent(b *testing.B) {
	for _, bc := range []struct {
		name      string
		simBaud   int // 0: unpaced
		lineSpeed int
	}{
		{"unpaced", 0, 9600},
		{"paced-9600", 9600, 9600},
		{"paced-115200", 115200, 115200},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sim, err := idscansim.New(b.TempDir(), idscansim.Options{Baud: bc.simBaud})
			if err != nil {
				b.Fatal(err)
			}
			defer sim.Close()
			line := serialport.Config{Path: sim.Path(), Baud: bc.lineSpeed}
			port, err := serialport.Open(line)
			if err != nil {
				b.Fatal(err)
			}
			defer port.Close()
			type stamped struct {
				e  idscan.Event
				at time.Time
			}
			events := make(chan stamped, 1)
			cfg := idscan.DefaultConfig()
			cfg.DuplicateWindow = 0 // the same card every time
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go idscan.New(port, cfg,
				idscan.WithEvents(func(e idscan.Event) { events <- stamped{e, time.Now()} }),
				idscan.WithClock(func() time.Time { return today })).Run(ctx)

			lines := card(b, "cnie").Lines
			wire := line.WireTime(cfg.Framing.WireLen(lines))
			var toEvent, afterLast time.Duration
			for b.Loop() {
				start := time.Now()
				if err := sim.Insert(ctx, lines); err != nil {
					b.Fatal(err)
				}
				sent := time.Now()
				ev := <-events
				if _, ok := ev.e.(idscan.CardRead); !ok {
					b.Fatalf("event %s, want a card read", describe(ev.e))
				}
				toEvent += ev.at.Sub(start)
				afterLast += ev.at.Sub(sent)
			}
			n := float64(b.N)
			b.ReportMetric(float64(wire.Microseconds()), "wire-µs")
			b.ReportMetric(float64(toEvent.Microseconds())/n, "event-µs")
			b.ReportMetric(float64(afterLast.Microseconds())/n, "after-last-byte-µs")
		})
	}
}
