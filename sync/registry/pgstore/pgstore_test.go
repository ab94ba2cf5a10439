package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"guichet/sync/registry/pgstore"
	"guichet/sync/registry/pgstore/pgtest"
	"guichet/sync/registry/store"
	"guichet/sync/registry/store/storetest"
	"guichet/sync/wire"
)

func TestConformance(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{})
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := pgstore.Open(context.Background(), srv.NewDatabase(t))
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		return s
	})
}

// TestSeveralProcesses opens the same database from several Stores, as
// several registry processes would, and checks that the database keeps
// idempotency and gap-free feeds across them.
func TestSeveralProcesses(t *testing.T) {
	srv := pgtest.Start(t, pgtest.Options{})
	dsn := srv.NewDatabase(t)
	ctx := context.Background()
	const procs = 4
	stores := make([]*pgstore.Store, procs)
	var wg sync.WaitGroup
	for i := range procs {
		wg.Add(1)
		go func() { // concurrent Migrate at start
			defer wg.Done()
			s, err := pgstore.Open(ctx, dsn)
			if err != nil {
				t.Errorf("Open(process %d) = %v", i, err)
				return
			}
			stores[i] = s
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	defer func() {
		for _, s := range stores {
			s.Close()
		}
	}()
	const kiosk = "ma-casa-01"
	storetest.Enrol(t, stores[0], kiosk)
	var items []wire.RequestItem
	for i := range 40 {
		items = append(items, storetest.Item(kiosk, i, fmt.Sprint("sealed-", i)))
	}
	accepted := make([]int, len(items))
	var mu sync.Mutex
	for p, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < len(items); i += 8 {
				batch := items[i : i+8]
				if p%2 == 1 {
					batch = slices.Clone(batch)
					slices.Reverse(batch)
				}
				res, err := s.Ingest(ctx, kiosk, batch, storetest.T0.Add(time.Duration(p)*time.Second))
				if err != nil {
					t.Errorf("Ingest(process %d) = %v", p, err)
					return
				}
				if _, err := s.AppendChange(ctx, kiosk, wire.Change{Kind: wire.ChangeConfiguration, At: storetest.T0, Settings: &wire.Settings{Version: uint64(p*100 + i + 1)}}); err != nil {
					t.Errorf("AppendChange(process %d) = %v", p, err)
				}
				mu.Lock()
				for _, r := range res {
					if r.Outcome == wire.Accepted {
						for j := range items {
							if items[j].RequestID == r.RequestID {
								accepted[j]++
							}
						}
					} else if r.Outcome != wire.Duplicate {
						t.Errorf("Ingest(process %d) %s = %s", p, r.RequestID, r.Outcome)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i, n := range accepted {
		if n != 1 {
			t.Errorf("item %d accepted %d times across processes, want 1", i, n)
		}
	}
	all, err := stores[3].Requests(ctx, store.Filter{Limit: 1000})
	if err != nil || len(all) != len(items) {
		t.Errorf("Requests() = %d, %v, want %d", len(all), err, len(items))
	}
	changes, head, err := stores[2].Changes(ctx, kiosk, 0, 1000)
	if err != nil || int(head) != procs*5 || len(changes) != procs*5 {
		t.Fatalf("Changes() = %d, head %d, %v, want %d", len(changes), head, err, procs*5)
	}
	for i, c := range changes {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has seq %d", i, c.Seq)
		}
	}
}
