package serialport

import (
	"errors"
	"io/fs"
	"testing"
	"time"

	"guichet/drivers/serialport/serialtest"
)

// TestHangUpWithThePathStillThere covers what the path check cannot see:
// the stable path still leads to a device node with the same number (as
// /dev/ttyUSB0 does when the adapter comes back before the driver noticed)
// while the open file is the hung-up one. Only reads ending at once tell;
// stat is made to show the old node throughout.
func TestHangUpWithThePathStillThere(t *testing.T) {
	pty, err := serialtest.Open()
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(Config{Path: pty.Path, Baud: 9600})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	old, err := stat(pty.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer func(saved func(string) (fs.FileInfo, error)) { stat = saved }(stat)
	stat = func(string) (fs.FileInfo, error) { return old, nil }

	pty.Close()
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 8))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrDeviceGone) {
			t.Errorf("Read on a hung-up port whose path looks the same = %v, want ErrDeviceGone", err)
		}
		if d := time.Since(start); d > tick/2 {
			t.Errorf("hang-up noticed after %v, want at once", d)
		}
	case <-time.After(time.Second):
		// The Read spins on; closing the port ends it.
		p.Close()
		<-done
		t.Fatal("Read on a hung-up port whose path looks the same did not end")
	}
}
