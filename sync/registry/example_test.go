package registry_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"guichet/sync/registry"
)

// Example starts a registry in-process on loopback and enrols a local
// kiosk through its API, as `make run` does.
func Example() {
	dir, err := os.MkdirTemp("", "registry-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := registry.Init(ctx, dir, registry.InitOptions{Operator: "ops.dev", Password: "development only!"}); err != nil {
		log.Fatal(err)
	}
	srv, err := registry.New(registry.Config{Dir: dir, Addr: "127.0.0.1:0"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()

	k, err := srv.EnrolLocal(ctx, "ops.dev", "dev-kiosk-1", "tpi-casablanca", "ma", 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(k.Enrolment.Serial, k.Enrolment.Court, k.Enrolment.RegistryKey == srv.RegistryKey().String())
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	// Output:
	// MA-000001 tpi-casablanca true
}
