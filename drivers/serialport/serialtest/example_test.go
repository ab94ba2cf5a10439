package serialtest_test

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"guichet/drivers/serialport/serialtest"
)

func ExampleOpen() {
	pty, err := serialtest.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pty.Close()

	// The code under test opens the near side like any serial device
	// (drivers/serialport.Open in the kiosk) ...
	near, err := os.OpenFile(pty.Path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer near.Close()
	// ... while the test plays the device on the far side.
	pty.Far.Write([]byte("0000123456789\r\n"))
	line := make([]byte, 15)
	io.ReadFull(near, line)
	fmt.Printf("%q\n", line)
	// Output: "0000123456789\r\n"
}
