package client

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/sync/client/faultproxy"
	"guichet/sync/registry"
	"guichet/sync/registry/pgstore/pgtest"
	"guichet/sync/wire"
)

var long = flag.Bool("long", false, "run the exactly-once proof with 200 kiosks × 250 requests")

// sentBodies records, per request id, every body hash the client read
// from the outbox to send: they must all be one, and the registry's.
type sentBodies struct {
	mu     sync.Mutex
	hashes map[string]wire.Hash
	bad    []string
}

func (s *sentBodies) record(id string, h wire.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.hashes[id]; ok && old != h {
		s.bad = append(s.bad, fmt.Sprintf("request %s sent with body hashes %s and %s", id, old, h))
	}
	s.hashes[id] = h
}

// recordingStore is a kiosk store that records the bodies the client reads.
type recordingStore struct {
	*store.Store
	sent *sentBodies
}

func (r recordingStore) PendingOutbox(limit int) ([]store.OutboxEntry, error) {
	out, err := r.Store.PendingOutbox(limit)
	for _, e := range out {
		r.sent.record(e.RequestID, wire.NewRequestItem(e.Request, e.Sealed).BodyHash)
	}
	return out, err
}

func exactlyOnceSize() (kiosks, perKiosk int) {
	kiosks, perKiosk = 50, 200
	if *long {
		kiosks, perKiosk = 200, 250
	}
	if v, err := strconv.Atoi(os.Getenv("GUICHET_SYNC_KIOSKS")); err == nil && v > 0 {
		kiosks = v
	}
	if v, err := strconv.Atoi(os.Getenv("GUICHET_SYNC_REQUESTS")); err == nil && v > 0 {
		perKiosk = v
	}
	return kiosks, perKiosk
}

// TestExactlyOnceThroughFaults is the headline proof of issue 6: kiosks
// with their own stores and certificates submit requests and are restarted
// at random while a fault-injecting proxy resets connections, cuts replies
// after the request went through, adds latency, trickles request bytes and
// partitions the network, and the registry answers 500 (before or after
// committing), 503 with Retry-After, or drops its reply after committing.
// A clerk moves requests along meanwhile, so the change feed runs through
// the same faults. Then the network heals, and every submitted request must
// be at the registry exactly once with the body hash the kiosk sent, every
// outbox empty, and every kiosk's feed at the registry's head with each
// request in the registry's state. On bbolt and on PostgreSQL.
func TestExactlyOnceThroughFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("the exactly-once proof takes half a minute per back end")
	}
	for _, backend := range []string{"bolt", "pg"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "pg" && pgtest.Bin() == "" && os.Getenv("CI") == "" {
				t.Skip("PostgreSQL is not installed")
			}
			runExactlyOnce(t, backend == "pg")
		})
	}
}

type simKiosk struct {
	id        string
	dir       string
	submitted []request.Request
	restarts  int
}

func runExactlyOnce(t *testing.T, pg bool) {
	kiosks, perKiosk := exactlyOnceSize()
	seed := uint64(time.Now().UnixNano())
	t.Logf("%d kiosks × %d requests, seed %d", kiosks, perKiosk, seed)
	began := time.Now()
	e := newRegistry(t, regOptions{pg: pg, cfg: func(c *registry.Config) {
		c.RetryAfter = time.Second
		c.MaxInFlight = 32
	}})
	proxy, err := faultproxy.New(e.addr, seed)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	url := "https://" + proxy.Addr()
	faulty := func() {
		proxy.SetFaults(faultproxy.Faults{Reset: 0.2, CutReply: 0.2, Trickle: 0.1, Latency: 3 * time.Millisecond,
			ResetWithin: 64 << 10, TrickleChunk: 256, TrickleEvery: time.Millisecond})
		e.faults.SetRandom(map[string]float64{"500-before": 0.02, "500-after": 0.02, "drop-after": 0.03, "503": 0.02})
	}
	faulty()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// Partitions come and go while the faults last.
	stopPartitions := make(chan struct{})
	partitionsDone := make(chan int)
	go func() {
		n := 0
		rng := rand.New(rand.NewPCG(seed, 3))
		defer func() { proxy.Heal(); partitionsDone <- n }()
		for {
			select {
			case <-stopPartitions:
				return
			case <-time.After(time.Duration(800+rng.IntN(1500)) * time.Millisecond):
			}
			proxy.Partition()
			n++
			select {
			case <-stopPartitions:
				return
			case <-time.After(time.Duration(100+rng.IntN(400)) * time.Millisecond):
			}
			proxy.Heal()
		}
	}()

	// Enrolment goes through the faults too.
	sims := make([]*simKiosk, kiosks)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range sims {
		sims[i] = &simKiosk{id: fmt.Sprintf("ma-tpi-casablanca-%03d", i+1), dir: t.TempDir()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			e.enrol(t, ctx, sims[i].dir, sims[i].id, url)
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d kiosks enrolled through the faults in %v", kiosks, time.Since(began).Round(time.Millisecond))

	sent := &sentBodies{hashes: map[string]wire.Hash{}}
	newClient := func(k *simKiosk, st *store.Store) *Client {
		c, err := New(Config{Dir: k.dir, Store: recordingStore{st, sent}, SoftwareVersion: "1.4.0",
			RetryMin: 20 * time.Millisecond, RetryMax: time.Second, OutboxPoll: 300 * time.Millisecond,
			RequestTime: 10 * time.Second, FeedWait: 2 * time.Second, TelemetryTime: 2 * time.Second})
		if err != nil {
			t.Errorf("New(%s) = %v", k.id, err)
		}
		return c
	}

	// The clerk works on what arrives.
	var clerkMoves atomic.Int64
	clerkStop := make(chan struct{})
	clerkDone := make(chan struct{})
	var idsMu sync.Mutex
	var ids []struct{ kiosk, id string }
	go func() {
		defer close(clerkDone)
		clerk := e.clerk(t)
		rng := rand.New(rand.NewPCG(seed, 5))
		for {
			select {
			case <-clerkStop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			idsMu.Lock()
			if len(ids) == 0 {
				idsMu.Unlock()
				continue
			}
			pick := ids[rng.IntN(len(ids))]
			idsMu.Unlock()
			r, err := e.st.Request(ctx, pick.kiosk, pick.id)
			if err != nil {
				continue // not arrived yet
			}
			to := request.InProcessing
			if r.State == request.InProcessing {
				to = request.Ready
			} else if r.State != request.Acknowledged {
				continue
			}
			if _, err := e.srv.SetStatus(ctx, clerk, pick.kiosk, pick.id, to, ""); err == nil {
				clerkMoves.Add(1)
			}
		}
	}()

	// Each kiosk submits its requests over several lives, restarted at
	// random: store and client closed and opened again.
	for i, k := range sims {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(i)+100))
			for len(k.submitted) < perKiosk && !t.Failed() {
				st := openKioskStore(t, k.dir, k.id)
				c := newClient(k, st)
				if c == nil {
					st.Close()
					return
				}
				cctx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				go func() { done <- c.Run(cctx) }()
				life := time.Now().Add(time.Duration(200+rng.IntN(1200)) * time.Millisecond)
				for time.Now().Before(life) && len(k.submitted) < perKiosk {
					n := min(1+rng.IntN(8), perKiosk-len(k.submitted))
					rs := submit(t, st, n)
					k.submitted = append(k.submitted, rs...)
					idsMu.Lock()
					for _, r := range rs {
						ids = append(ids, struct{ kiosk, id string }{k.id, r.ID})
					}
					idsMu.Unlock()
					c.Notify()
					time.Sleep(time.Duration(5+rng.IntN(40)) * time.Millisecond)
				}
				stop()
				<-done
				if err := st.Close(); err != nil {
					t.Errorf("%s: store Close() = %v", k.id, err)
				}
				k.restarts++
			}
		}()
	}
	wg.Wait()
	submittedAt := time.Since(began)

	// The last life: faults for a while longer, then the network heals and
	// every kiosk drains its outbox and catches up with its feed.
	stores := make([]*store.Store, kiosks)
	clients := make([]*Client, kiosks)
	runs := make([]chan error, kiosks)
	finalCtx, stopAll := context.WithCancel(ctx)
	for i, k := range sims {
		stores[i] = openKioskStore(t, k.dir, k.id)
		clients[i] = newClient(k, stores[i])
		runs[i] = make(chan error, 1)
		go func() { runs[i] <- clients[i].Run(finalCtx) }()
	}
	time.Sleep(2 * time.Second)
	close(clerkStop)
	<-clerkDone
	close(stopPartitions)
	partitions := <-partitionsDone
	proxy.SetFaults(faultproxy.Faults{})
	e.faults.SetRandom(nil)
	healedAt := time.Since(began)
	for i := range sims {
		clients[i].Notify()
	}
	waitFor(t, 90*time.Second, "every outbox empty and every feed at its head", func() bool {
		for i, k := range sims {
			h, err := stores[i].Health()
			if err != nil || h.QueueDepth != 0 {
				return false
			}
			ki, err := e.st.Kiosk(ctx, k.id)
			fs, ferr := stores[i].Feed()
			if err != nil || ferr != nil || fs.Since != ki.FeedHead {
				return false
			}
		}
		return true
	})
	drained := time.Since(began)
	stopAll()
	for i := range sims {
		<-runs[i]
	}

	// Every request exactly once at the registry, with the body the kiosk sent.
	held := e.registryRequests(t)
	type key struct{ kiosk, id string }
	at := make(map[key]int, len(held))
	total := 0
	for _, r := range held {
		k := key{r.KioskID, r.RequestID}
		if _, dup := at[k]; dup {
			t.Errorf("request %s of %s held twice", r.RequestID, r.KioskID)
		}
		at[k] = total
		total++
		full, err := e.st.Request(ctx, r.KioskID, r.RequestID) // the listing leaves the sealed payload out
		if err != nil || full.ComputeBodyHash() != r.BodyHash {
			t.Errorf("request %s: stored body does not hash to its body hash (%v)", r.RequestID, err)
		}
		if h, ok := sent.hashes[r.RequestID]; !ok || h != r.BodyHash {
			t.Errorf("request %s: registry body hash %s, kiosk sent %s", r.RequestID, r.BodyHash, h)
		}
	}
	for _, b := range sent.bad {
		t.Error(b)
	}
	submitted, restarts := 0, 0
	for i, k := range sims {
		restarts += k.restarts
		for _, r := range k.submitted {
			submitted++
			j, ok := at[key{k.id, r.ID}]
			if !ok {
				t.Errorf("%s: request %s never reached the registry", k.id, r.ID)
				continue
			}
			local, err := stores[i].Request(r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if local.State != held[j].State {
				t.Errorf("%s: request %s is %s on the kiosk, %s at the registry", k.id, r.ID, local.State, held[j].State)
			}
		}
		for _, a := range stores[i].Alarms() {
			t.Errorf("%s: alarm %s: %s", k.id, a.Kind, a.Message)
		}
		if err := stores[i].Close(); err != nil {
			t.Error(err)
		}
	}
	if total != submitted {
		t.Errorf("registry holds %d requests, kiosks submitted %d", total, submitted)
	}
	ps := proxy.Stats()
	e.faults.mu.Lock()
	injected := fmt.Sprint(e.faults.applied)
	e.faults.mu.Unlock()
	t.Logf("%d requests from %d kiosks (%d restarts) exactly once at the registry; %d clerk moves followed on the feed",
		submitted, kiosks, restarts, clerkMoves.Load())
	t.Logf("faults: proxy %d connections, %d resets, %d cut replies, %d trickled, %d partitions (%d connections cut or held); registry %s",
		ps.Connections, ps.Resets, ps.CutReplies, ps.Trickled, partitions, ps.Partitioned, injected)
	t.Logf("timing: submitted by %v, healed at %v, all drained at %v (drain %v)",
		submittedAt.Round(time.Millisecond), healedAt.Round(time.Millisecond), drained.Round(time.Millisecond), (drained - healedAt).Round(time.Millisecond))
}
