package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/store"
)

func Example() {
	dir, err := os.MkdirTemp("", "guichet-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// At enrolment the kiosk receives the registry's public key.
	registry, err := seal.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	s, err := store.Open(filepath.Join(dir, "kiosk.db"), store.Options{
		RegistryKey: registry.Public(),
		KioskID:     "ma-tpi-casablanca-01",
	})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// The citizen confirms a bulletin n°3 request: "accepted" only after commit.
	id, _ := request.NewID(nil)
	draft := request.Request{ID: id, Service: "bulletin3", Court: "tpi-casablanca", Fee: 2000, Currency: "MAD"}
	queued, err := s.Submit(ctx, draft, []byte(`{"cin":"AB123456","father":"Ahmed","mother":"Fatima"}`))
	if err != nil {
		log.Fatal(err) // store.ErrQueueFull: tell the citizen the service is limited
	}
	fmt.Println("accepted:", queued.State, queued.Tracking.Valid())

	// The sync client sends the outbox; the registry acknowledges.
	out, _ := s.PendingOutbox(10)
	fmt.Println("to send:", len(out), out[0].IdempotencyKey == id)
	_ = s.MarkSent(ctx, out[0].RequestID)
	_ = s.Acknowledge(ctx, out[0].RequestID)

	// Nothing personal remains once the kiosk compacts, when idle.
	h, _ := s.Health()
	fmt.Println("queue:", h.QueueDepth, "residue:", h.Residue)
	_ = s.Compact(ctx)
	h, _ = s.Health()
	fmt.Println("after compaction residue:", h.Residue)

	r, _ := s.ByTracking(queued.Tracking)
	fmt.Println("status:", r.State)
	// Output:
	// accepted: queued true
	// to send: 1 true
	// queue: 0 residue: 1
	// after compaction residue: 0
	// status: acknowledged
}
