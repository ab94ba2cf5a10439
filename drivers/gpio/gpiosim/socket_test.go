package gpiosim_test

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/drivers/gpio"
)

func TestListen(t *testing.T) {
	sim, b := board(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sock := filepath.Join(t.TempDir(), "gpio.sock")
	if err := sim.Listen(ctx, sock); err != nil {
		t.Fatal(err)
	}
	ask := func(cmd string) string {
		t.Helper()
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		io.WriteString(c, cmd+"\n")
		out, err := io.ReadAll(c)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	if out := ask("press help"); out != "" {
		t.Errorf(`"press help" answered %q, want nothing`, out)
	}
	select {
	case e := <-b.Events():
		if e.Input != gpio.Help || !e.Active {
			t.Errorf("event %+v, want help active", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event after press help on the socket")
	}
	b.SetLED(gpio.LEDBusy, true)
	if out := ask("leds"); !strings.Contains(out, "led-busy=on") {
		t.Errorf("leds = %q, want led-busy=on", out)
	}
	if out := ask("press nothing"); !strings.HasPrefix(out, "error: ") {
		t.Errorf(`"press nothing" = %q, want an error`, out)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the socket still answers after ctx is done")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
