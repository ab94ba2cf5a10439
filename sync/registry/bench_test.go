package registry

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"guichet/sync/registry/pgstore/pgtest"
	"guichet/sync/wire"
)

// BenchmarkIngest sends b.N sealed requests through the HTTPS API, in
// batches of 10 from 8 kiosks at once, to a registry on bbolt and on a
// durable PostgreSQL (fsync on, as in production), and reports requests/s
// and the p50 and p99 of a batch's round trip.
func BenchmarkIngest(b *testing.B) {
	for _, backend := range []string{"bolt", "pg"} {
		b.Run(backend, func(b *testing.B) {
			if backend == "pg" && pgtest.Bin() == "" {
				b.Skip("PostgreSQL is not installed")
			}
			benchIngest(b, backend == "pg")
		})
	}
}

func benchIngest(b *testing.B, pg bool) {
	const kiosks, batchSize = 8, 10
	e := newEnv(b, envOptions{pg: pg, durable: true, cfg: func(c *Config) { c.MaxInFlight = 64 }})
	clients := make([]*kioskClient, kiosks)
	work := make([][]wire.RequestItem, kiosks)
	for i := range clients {
		clients[i] = e.enrol(fmt.Sprintf("ma-bench-%02d", i), "tpi-casablanca")
	}
	for n := range b.N {
		k := n % kiosks
		work[k] = append(work[k], e.item(clients[k], n, `{"cin":"AB123456","father":"Ahmed","mother":"Fatima"}`))
	}
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	b.ResetTimer()
	began := time.Now()
	for i, k := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items := work[i]
			for len(items) > 0 {
				n := min(batchSize, len(items))
				batch := wire.RequestBatch{KioskID: k.id, MessageID: k.nextMessage(), Items: items[:n]}
				t := time.Now()
				status, body := post(b, k.client, k.base+wire.PathRequests, &batch)
				d := time.Since(t)
				if status != http.StatusOK {
					b.Errorf("batch = %d %s", status, body)
					return
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				items = items[n:]
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	b.StopTimer()
	if n := e.stored(); n != b.N {
		b.Fatalf("%d requests stored, want %d", n, b.N)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "requests/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-batch-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-batch-ms")
	}
}
