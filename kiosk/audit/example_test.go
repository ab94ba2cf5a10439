package audit_test

import (
	"fmt"
	"log"
	"time"

	"guichet/kiosk/audit"
)

func Example() {
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	var head audit.Head
	var chain []audit.Entry
	for _, step := range []struct {
		actor           audit.Actor
		action, subject string
	}{
		{audit.Citizen, "request.submitted", "MA-CAS-7K3Q-9XW2"},
		{audit.Registry, "request.acknowledged", "MA-CAS-7K3Q-9XW2"},
		{audit.Technician, "technician.printer_test", "escpos"},
	} {
		e, err := head.Next(at, step.actor, step.action, step.subject, "")
		if err != nil {
			log.Fatal(err)
		}
		chain = append(chain, e)
		head = e.Head()
	}

	if _, err := audit.Verify(chain); err == nil {
		fmt.Println("intact chain verifies")
	}

	chain[1].Subject = "MA-CAS-0000-0000" // someone edits the database
	_, err := audit.Verify(chain)
	fmt.Println(err)
	// Output:
	// intact chain verifies
	// audit: entry 2: hash mismatch (edited)
}
