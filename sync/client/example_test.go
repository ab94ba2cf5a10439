package client_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/sync/client"
	"guichet/sync/registry"
)

// Example enrols a kiosk with a registry started in-process (as `make run`
// does), opens its store, queues a citizen's request and sends it.
// cmd/guichet runs c.Run(ctx) instead of calling SendOutbox.
func Example() {
	base, err := os.MkdirTemp("", "client-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The ministry's registry.
	regDir := filepath.Join(base, "registry")
	if err := registry.Init(ctx, regDir, registry.InitOptions{Operator: "ops.dev", Password: "development only!"}); err != nil {
		log.Fatal(err)
	}
	srv, err := registry.New(registry.Config{Dir: regDir, Addr: "127.0.0.1:0"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ln, err := srv.Listen()
	if err != nil {
		log.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	tok, err := srv.IssueToken(ctx, "ops.dev", registry.TokenSpec{Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3})
	if err != nil {
		log.Fatal(err)
	}

	// The technician enrols the kiosk with the token.
	kioskDir := filepath.Join(base, "kiosk")
	id, err := client.Enrol(ctx, client.EnrolOptions{
		Dir: kioskDir, RegistryURL: "https://" + srv.Addr(), KioskID: "ma-tpi-casablanca-01",
		Token: tok.Token, Trust: srv.CAPool(), SoftwareVersion: "1.4.0",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("enrolled:", id.Serial, id.Court, id.CountryPack)

	// The kiosk's store seals to the key enrolment brought.
	st, err := store.Open(filepath.Join(kioskDir, "kiosk.db"), store.Options{KioskID: id.KioskID, RegistryKey: id.RegistryKey})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	c, err := client.New(client.Config{Dir: kioskDir, Store: st, SoftwareVersion: "1.4.0"})
	if err != nil {
		log.Fatal(err)
	}
	rid, _ := request.NewID(nil)
	r, err := st.Submit(ctx, request.Request{ID: rid, Service: "bulletin3", Court: "tpi-casablanca", Fee: 2000, Currency: "MAD"},
		[]byte(`{"cin":"AB123456","father":"Ahmed","mother":"Fatima"}`))
	if err != nil {
		log.Fatal(err)
	}
	n, err := c.SendOutbox(ctx)
	if err != nil {
		log.Fatal(err)
	}
	got, _ := st.Request(r.ID)
	s := c.Status()
	fmt.Println("sent:", n, got.State, "queue:", s.QueueDepth, "online:", s.Online)

	cancel()
	if err := <-served; err != nil {
		log.Fatal(err)
	}
	// Output:
	// enrolled: MA-000001 tpi-casablanca ma
	// sent: 1 acknowledged queue: 0 online: true
}
