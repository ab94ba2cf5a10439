package console_test

import (
	"context"
	"fmt"
	"time"

	"guichet/sync/registry"
	"guichet/sync/registry/console"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Operations' alerts from the fleet's last telemetry.
func ExampleAlerts() {
	now := time.Date(2026, time.March, 2, 10, 0, 0, 0, time.UTC)
	th := console.Thresholds{OfflineAfter: 15 * time.Minute, QueueAgeMax: 2 * time.Hour, CertWarning: 24 * time.Hour}
	fleet := console.Fleet([]store.Kiosk{
		{ID: "ma-casa-01", LastSeen: now.Add(-2 * time.Minute), Telemetry: &wire.Telemetry{Paper: []wire.Paper{{Printer: "receipt_printer", Level: wire.PaperLow}}}},
		{ID: "ma-casa-02", LastSeen: now.Add(-40 * time.Minute)},
	}, now, th)
	for _, a := range console.Alerts(fleet, nil, now, th) {
		fmt.Println(a.Severity, a.KioskID, a.Text)
	}
	// Output:
	// critical ma-casa-02 Hors ligne depuis 40 min (seuil 15 min)
	// warning ma-casa-01 Papier bas (reçu : bas)
}

// The console beside an in-process registry, as `make run` starts it.
func ExampleNew() {
	ctx := context.Background()
	dir := "/var/lib/guichet-registry" // made by registry.Init
	reg, err := registry.New(registry.Config{Dir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	con, err := console.New(console.Config{Registry: reg, Dir: dir, Addr: console.DefaultAddr, PlainHTTP: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	go reg.ListenAndServe(ctx)
	con.ListenAndServe(ctx) // http://127.0.0.1:8444
}
