package qrscansim_test

import (
	"fmt"
	"log"
	"os"

	"guichet/drivers/qrscan"
	"guichet/drivers/qrscan/qrscansim"
)

// guichet-devsim plugs a scanner in, prints its path for guichet, and
// passes the operator's commands to Exec.
func ExampleSim_Exec() {
	dir, err := os.MkdirTemp("", "devsim")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sim, err := qrscansim.New(dir, qrscansim.Options{Trigger: qrscan.TriggerHoneywell})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	for _, cmd := range []string{"scan https://suivi.justice.gov.ma/t/K7MX4HQ9XR33", "status", "unplug", "replug"} {
		out, err := sim.Exec(cmd)
		if err != nil {
			log.Fatal(err)
		}
		if out != "" {
			fmt.Println(out[:len("plugged=true scanning=false in_view=1")])
		}
	}
	fmt.Println(sim.Plugged(), sim.InView()) // the receipt still waits for a trigger
	// Output:
	// plugged=true scanning=false in_view=1
	// true 1
}
