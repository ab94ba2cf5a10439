package client

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"guichet/kiosk/store"
	"guichet/sync/registry"
)

// BenchmarkReconnectStorm: the network comes back after a day's outage
// and every kiosk of a fleet reconnects at once, each holding a day's
// backlog. It measures the time until every outbox is empty and the
// registry's ingest rate over it. The kiosks are real: each has its own
// enrolled certificate, its own bbolt store with its sealed requests and
// its own client (outbox sender, change-feed long-poll, telemetry), all in
// this one process against one registry on bbolt with its production
// settings (64 POSTs in flight, then 503 with Retry-After 5 s; long-polls
// re-read the store every 2 s).
// GUICHET_STORM_KIOSKS (5000) and GUICHET_STORM_BACKLOG (20) size it.
func BenchmarkReconnectStorm(b *testing.B) {
	kiosks, backlog := 5000, 20
	if v, err := strconv.Atoi(os.Getenv("GUICHET_STORM_KIOSKS")); err == nil && v > 0 {
		kiosks = v
	}
	if v, err := strconv.Atoi(os.Getenv("GUICHET_STORM_BACKLOG")); err == nil && v > 0 {
		backlog = v
	}
	for range b.N {
		b.StopTimer()
		// Production settings: PollInterval 2 s (the tests' 50 ms would
		// have 5000 long-polls read the store 100,000 times a second).
		e := newRegistry(b, regOptions{cfg: func(c *registry.Config) { c.PollInterval = 2 * time.Second }})
		ctx := context.Background()
		stores := make([]*store.Store, kiosks)
		clients := make([]*Client, kiosks)
		var wg sync.WaitGroup
		sem := make(chan struct{}, 16)
		setup := time.Now()
		for i := range kiosks {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				id := fmt.Sprintf("ma-kiosk-%05d", i+1)
				dir := b.TempDir()
				e.enrol(b, ctx, dir, id, e.url)
				stores[i] = openKioskStore(b, dir, id)
				c, err := New(Config{Dir: dir, Store: stores[i], SoftwareVersion: "1.4.0"})
				if err != nil {
					b.Error(err)
					return
				}
				clients[i] = c
				var sub sync.WaitGroup
				for range backlog { // a day's citizens, committed in groups
					sub.Add(1)
					go func() { defer sub.Done(); submit(b, stores[i], 1) }()
				}
				sub.Wait()
			}()
		}
		wg.Wait()
		if b.Failed() {
			return
		}
		b.Logf("%d kiosks enrolled with %d requests each in %v", kiosks, backlog, time.Since(setup).Round(time.Millisecond))

		runCtx, stop := context.WithCancel(ctx)
		done := make(chan struct{}, kiosks)
		b.StartTimer()
		began := time.Now()
		for _, c := range clients {
			go func() { c.Run(runCtx); done <- struct{}{} }()
		}
		last := time.Now()
		for {
			empty := 0
			for _, st := range stores {
				if h, err := st.Health(); err == nil && h.QueueDepth == 0 {
					empty++
				}
			}
			if empty == kiosks {
				break
			}
			if time.Since(last) > 10*time.Second {
				b.Logf("%v: %d of %d outboxes empty", time.Since(began).Round(time.Second), empty, kiosks)
				last = time.Now()
			}
			if time.Since(began) > 15*time.Minute {
				b.Fatalf("outboxes not empty after 15 minutes (%d of %d)", empty, kiosks)
			}
			time.Sleep(100 * time.Millisecond)
		}
		elapsed := time.Since(began)
		b.StopTimer()
		stop()
		for range clients {
			<-done
		}
		total := kiosks * backlog
		if n := len(e.registryRequests(b)); n != total {
			b.Fatalf("registry holds %d requests, want %d", n, total)
		}
		for _, st := range stores {
			st.Close()
		}
		b.ReportMetric(elapsed.Seconds(), "s-to-empty")
		b.ReportMetric(float64(total)/elapsed.Seconds(), "requests/s")
		b.ReportMetric(float64(kiosks), "kiosks")
		b.Logf("reconnect storm: %d kiosks × %d requests: every outbox empty after %v, %.0f requests/s ingested",
			kiosks, backlog, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())
	}
}
