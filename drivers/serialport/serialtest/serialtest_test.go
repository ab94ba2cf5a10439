package serialtest_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"guichet/drivers/serialport/serialtest"
)

func TestPairCarriesBytesBothWaysRaw(t *testing.T) {
	path, far := serialtest.Pair(t)
	near, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer near.Close()

	// Every byte value, CR and LF included, must cross untranslated.
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if _, err := far.Write(all); err != nil {
		t.Fatal(err)
	}
	near.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 256)
	if _, err := io.ReadFull(near, got); err != nil {
		t.Fatalf("read near side: %v", err)
	}
	if !bytes.Equal(got, all) {
		t.Errorf("near side read %q, want %q", got, all)
	}

	if _, err := near.Write([]byte("\x16T\r")); err != nil {
		t.Fatal(err)
	}
	far.SetReadDeadline(time.Now().Add(10 * time.Second))
	back := make([]byte, 3)
	if _, err := io.ReadFull(far, back); err != nil {
		t.Fatalf("read far side: %v", err)
	}
	if string(back) != "\x16T\r" {
		t.Errorf("far side read %q, want %q (no echo, no translation)", back, "\x16T\r")
	}
	// Nothing echoed back to the near side.
	near.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := near.Read(make([]byte, 8)); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("near side after write: read %d bytes, err %v; want nothing (no echo)", n, err)
	}
}

func TestCloseHangsUpNearSide(t *testing.T) {
	p, err := serialtest.Open()
	if err != nil {
		t.Fatal(err)
	}
	near, err := os.OpenFile(p.Path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer near.Close()
	p.Close()
	// A hung-up tty reads as end of file at once (Linux replaces its file
	// operations); some kernels answer EIO instead. Either way, not a wait.
	near.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err = near.Read(make([]byte, 8))
	if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.EIO) {
		t.Errorf("read after Close = %v, want EOF or EIO", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("read after Close took %v, want an immediate answer", d)
	}
	if _, err := near.Write([]byte("x")); !errors.Is(err, syscall.EIO) {
		t.Errorf("write after Close = %v, want EIO", err)
	}
}

func TestFarSideHonoursDeadlinesAndClose(t *testing.T) {
	p, err := serialtest.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Nothing to read: the deadline ends the wait.
	p.Far.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := p.Far.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Read with nothing sent = %v, want os.ErrDeadlineExceeded", err)
	}
	// Nobody reads the near side: a big write fills the pty and blocks
	// until Close ends it, as Unplug does in an emulator.
	done := make(chan error, 1)
	go func() {
		_, err := p.Far.Write(make([]byte, 1<<20))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	p.Far.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("blocked Write after Close = %v, want os.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a blocked Write")
	}
}
