package devsim_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/drivers"
	"guichet/drivers/devsim"
	"guichet/drivers/idscan"
	"guichet/drivers/payterm"
	"guichet/drivers/qrscan"
	"guichet/drivers/serialport"
	"guichet/kiosk/clock"
)

func start(t *testing.T, gpioSock string) *devsim.Devices {
	t.Helper()
	d, err := devsim.Start(devsim.Config{Dir: t.TempDir(), GPIOSim: gpioSock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func open(t *testing.T, path string) drivers.Port {
	t.Helper()
	p, err := serialport.Open(serialport.Config{Path: path, Baud: 9600, ReadTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("serialport.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestCommandsReachTheDrivers scripts every device through devsim's text
// commands and reads the result through the kiosk's real drivers.
func TestCommandsReachTheDrivers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := start(t, "")

	// The ID-card reader: a sample card arrives as a parsed MRZ.
	cards := make(chan idscan.Event, 4)
	reader := idscan.New(open(t, d.Paths()["idscan"]), idscan.DefaultConfig(), idscan.WithEvents(func(e idscan.Event) { cards <- e }))
	go reader.Run(ctx)
	if out, err := d.Exec(ctx, "card insert cnie"); err != nil {
		t.Fatalf("card insert: %v", err)
	} else if out != "inserted cnie" {
		t.Errorf("card insert said %q", out)
	}
	select {
	case e := <-cards:
		if _, ok := e.(idscan.CardRead); !ok {
			t.Fatalf("event %#v, want a CardRead", e)
		}
	case <-ctx.Done():
		t.Fatal("no card event")
	}
	if _, err := d.Exec(ctx, "card insert cnie-expired"); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-cards:
		f, ok := e.(idscan.ReadFailed)
		if !ok || f.Reason != idscan.Reason("expired") {
			t.Fatalf("event %#v, want ReadFailed expired", e)
		}
	case <-ctx.Done():
		t.Fatal("no event for the expired card")
	}

	// The QR scanner: a code shown through devsim reaches the driver.
	sc, err := qrscan.New(qrscan.Config{}, clock.System, nil)
	if err != nil {
		t.Fatal(err)
	}
	go sc.Serve(ctx, open(t, d.Paths()["qrscan"]))
	if err := sc.Arm(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, "qr scan 00123456-RF-2024"); err != nil {
		t.Fatalf("qr scan: %v", err)
	}
	select {
	case e := <-sc.Events():
		s, ok := e.(qrscan.Scanned)
		if !ok || s.Payload != "00123456-RF-2024" {
			t.Fatalf("event %#v, want the scanned PV number", e)
		}
	case <-ctx.Done():
		t.Fatal("no scan event")
	}

	// The payment terminal: decline on command.
	term := payterm.New(open(t, d.Paths()["payterm"]), payterm.Config{AckTimeout: time.Second, ResultTimeout: time.Second, QueryTimeout: time.Second})
	if _, err := d.Exec(ctx, "pay decline expired_card"); err != nil {
		t.Fatal(err)
	}
	a, err := term.Pay(ctx, "ref-1", 2000, "MAD", "card")
	if err != nil || a.Outcome != payterm.Declined || a.Reason != "expired_card" {
		t.Fatalf("Pay = %+v, %v, want declined expired_card", a, err)
	}
}

func TestBadCommandsAreAnsweredNotFatal(t *testing.T) {
	d := start(t, "")
	in := strings.NewReader("frobnicate\ncard insert nobody\ncard noise 0\n# a comment\npaths\n")
	var out strings.Builder
	if err := d.Serve(context.Background(), in, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for i, want := range []string{"error: devsim: unknown command", "error: devsim: no sample card", "error: devsim: noise: N must be"} {
		if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
			t.Errorf("answer %d = %q, want prefix %q", i, lines[i], want)
		}
	}
	if !strings.Contains(out.String(), "idscan="+d.Paths()["idscan"]) {
		t.Errorf("paths not printed: %q", out.String())
	}
}

func TestGPIOCommandsGoToTheKioskSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "gpio.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		line, _ := bufio.NewReader(c).ReadString('\n')
		got <- strings.TrimSpace(line)
		fmt.Fprintln(c, "presence: active")
		c.Close()
	}()
	d := start(t, sock)
	out, err := d.Exec(context.Background(), "gpio press presence")
	if err != nil || out != "presence: active" {
		t.Fatalf("gpio press = %q, %v", out, err)
	}
	if cmd := <-got; cmd != "press presence" {
		t.Errorf("the kiosk got %q, want %q", cmd, "press presence")
	}
}

func TestPrinterCommands(t *testing.T) {
	d := start(t, "")
	if out, err := d.Exec(context.Background(), "printer paper-out"); err != nil {
		t.Fatalf("printer paper-out: %q, %v", out, err)
	}
	out, err := d.Exec(context.Background(), "printer status")
	if err != nil || !strings.Contains(strings.ToLower(out), "paper") {
		t.Fatalf("printer status = %q, %v, want the paper state", out, err)
	}
	if _, ok := d.Paths()["receipt"]; !ok {
		t.Error("no receipt printer path")
	}
}
