package payterm_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"guichet/drivers/payterm"
	"guichet/drivers/payterm/paytermsim"
	"guichet/drivers/serialport"
	"guichet/drivers/serialport/serialtest"
)

func newTerminal(t *testing.T, path string, cfg payterm.Config) *payterm.Terminal {
	t.Helper()
	port, err := serialport.Open(serialport.Config{Path: path, Baud: 9600, ReadTimeout: time.Second})
	if err != nil {
		t.Fatalf("serialport.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { port.Close() })
	return payterm.New(port, cfg)
}

func newSim(t *testing.T) *paytermsim.Sim {
	t.Helper()
	sim, err := paytermsim.New(t.TempDir(), paytermsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func fast() payterm.Config {
	return payterm.Config{AckTimeout: time.Second, ResultTimeout: 400 * time.Millisecond, QueryTimeout: time.Second}
}

func TestPayThroughAPseudoTerminal(t *testing.T) {
	ctx := context.Background()
	sim := newSim(t)
	term := newTerminal(t, sim.Path(), fast())

	t.Run("approved", func(t *testing.T) {
		a, err := term.Pay(ctx, "req-1", 2000, "MAD", "card")
		if err != nil || a.Outcome != payterm.Approved || a.Code == "" {
			t.Fatalf("Pay = %+v, %v, want approved with a code", a, err)
		}
		if got := sim.Charged("req-1"); got != 2000 {
			t.Errorf("charged %d, want 2000", got)
		}
	})
	t.Run("a retry of the same reference is not charged twice", func(t *testing.T) {
		first, _ := term.Query(ctx, "req-1")
		a, err := term.Pay(ctx, "req-1", 2000, "MAD", "card")
		if err != nil || a != first {
			t.Fatalf("second Pay = %+v, %v, want the first answer %+v", a, err, first)
		}
		if got := sim.Charged("req-1"); got != 2000 {
			t.Errorf("charged %d after a retry, want 2000 once", got)
		}
	})
	t.Run("declined", func(t *testing.T) {
		sim.SetMode(paytermsim.Decline, "insufficient_funds")
		a, err := term.Pay(ctx, "req-2", 500, "MAD", "card")
		if err != nil || a.Outcome != payterm.Declined || a.Reason != "insufficient_funds" {
			t.Fatalf("Pay = %+v, %v, want declined for insufficient_funds", a, err)
		}
	})
	t.Run("the citizen walks away: aborted, not charged", func(t *testing.T) {
		sim.SetMode(paytermsim.Stall, "")
		start := time.Now()
		a, err := term.Pay(ctx, "req-3", 500, "MAD", "card")
		if err != nil || a.Outcome != payterm.Declined || a.Reason != "aborted" {
			t.Fatalf("Pay = %+v, %v, want declined as aborted", a, err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("a stalled payment took %v to give up", took)
		}
		if sim.Charged("req-3") != 0 {
			t.Error("an aborted payment was charged")
		}
		q, err := term.Query(ctx, "req-3")
		if err != nil || q.Reason != "aborted" {
			t.Errorf("Query after abort = %+v, %v", q, err)
		}
	})
	t.Run("unknown reference", func(t *testing.T) {
		if _, err := term.Query(ctx, "never-seen"); !errors.Is(err, payterm.ErrUndetermined) {
			t.Errorf("Query(unknown) error = %v, want ErrUndetermined", err)
		}
	})
}

func TestNoTerminalAnswers(t *testing.T) {
	path, far := serialtest.Pair(t)
	go func() { // a line that only echoes garbage, never the protocol
		buf := make([]byte, 64)
		for {
			n, err := far.Read(buf)
			if err != nil {
				return
			}
			far.Write([]byte("\x00\xff garbage " + string(rune('a'+n%26)) + "\r\n"))
		}
	}()
	term := newTerminal(t, path, fast())
	_, err := term.Pay(context.Background(), "req-9", 100, "MAD", "card")
	if !errors.Is(err, payterm.ErrNoTerminal) {
		t.Fatalf("Pay with no terminal: error = %v, want ErrNoTerminal", err)
	}
}

// TestAckAndResultInOneRead: a terminal that answers ACK and RESULT in one
// burst must not make Pay wait for a RESULT it already read (the kiosk's
// real-window test caught Pay sitting out its whole time-out).
func TestAckAndResultInOneRead(t *testing.T) {
	path, far := serialtest.Pair(t)
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := far.Read(buf)
			if err != nil {
				return
			}
			if m, derr := payterm.Decode(string(buf[:n-2])); derr == nil && m.Verb == "PAY" {
				far.Write([]byte("ACK " + m.Ref + "\r\nRESULT " + m.Ref + " APPROVED A000042\r\n"))
			}
		}
	}()
	cfg := fast()
	cfg.ResultTimeout = 10 * time.Second
	term := newTerminal(t, path, cfg)
	start := time.Now()
	a, err := term.Pay(context.Background(), "burst-1", 700, "MAD", "card")
	if err != nil || a.Outcome != payterm.Approved || a.Code != "A000042" {
		t.Fatalf("Pay = %+v, %v, want approved A000042", a, err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Pay took %v with both answers in one read, want well under the 10 s result time-out", took)
	}
}
