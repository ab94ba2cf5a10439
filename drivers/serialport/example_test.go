package serialport_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"guichet/drivers"
	"guichet/drivers/serialport"
	"guichet/drivers/serialport/serialtest"
)

func ExampleOpen() {
	// A pseudo-terminal stands in for the scanner at /dev/guichet/idscan.
	pty, err := serialtest.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pty.Close()

	var cfg serialport.Config
	json.Unmarshal([]byte(`{"path": "`+pty.Path+`", "baud": 9600, "read_timeout": "200ms"}`), &cfg)
	port, err := serialport.Open(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer port.Close()

	pty.Far.Write([]byte("I<UTOD231458907<<<<<<<<<<<<<<<\r"))
	line, err := bufio.NewReader(port).ReadString('\r')
	fmt.Printf("%q %v\n", line, err)

	_, err = port.Read(make([]byte, 1)) // nothing more comes
	fmt.Println("timeout:", serialport.IsTimeout(err))
	// Output:
	// "I<UTOD231458907<<<<<<<<<<<<<<<\r" <nil>
	// timeout: true
}

func ExampleSupervisor() {
	s := &serialport.Supervisor{
		Device: "idscan",
		Label:  "ID-card scanner",
		Path:   "/nonexistent/guichet/idscan",
		Open:   serialport.Opener(serialport.Config{Path: "/nonexistent/guichet/idscan", Baud: 9600}),
		OnHealth: func(h drivers.Health) {
			fmt.Printf("%s %s: %s\n", h.Device, h.State, h.Reason)
		},
		MinBackoff: 10 * time.Millisecond,
		FailAfter:  2,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	s.Run(ctx, func(ctx context.Context, p drivers.Port) error {
		return nil // the device driver's loop goes here
	})
	// Output:
	// idscan reconnecting: opening /nonexistent/guichet/idscan
	// idscan reconnecting: not found at /nonexistent/guichet/idscan: is the ID-card scanner plugged in?
	// idscan failed: not found at /nonexistent/guichet/idscan: is the ID-card scanner plugged in?
}
