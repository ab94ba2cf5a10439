package faultproxy

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// recorder is an upstream that records what it receives and echoes it.
type recorder struct {
	ln  net.Listener
	mu  sync.Mutex
	got bytes.Buffer
}

func newRecorder(t *testing.T) *recorder {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						r.mu.Lock()
						r.got.Write(buf[:n])
						r.mu.Unlock()
						c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return r
}

func (r *recorder) received() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.got.Len()
}

// exchange writes msg through the proxy and reads the echo; it returns
// what came back and the read error.
func exchange(t *testing.T, addr string, msg []byte) ([]byte, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go c.Write(msg)
	got := make([]byte, len(msg))
	n, err := io.ReadFull(c, got)
	return got[:n], err
}

func TestProxy(t *testing.T) {
	msg := bytes.Repeat([]byte("bulletin n°3 "), 400) // 5.6 KB
	tests := []struct {
		name       string
		faults     Faults
		wantEcho   bool
		wantAtMost int // bytes the upstream may have received; -1 all
		wantStat   func(Stats) int64
	}{
		{"pass through", Faults{}, true, -1, func(s Stats) int64 { return s.Connections }},
		{"reset", Faults{Reset: 1, ResetWithin: 1000}, false, 1000, func(s Stats) int64 { return s.Resets }},
		{"cut reply", Faults{CutReply: 1, ResetWithin: 100}, false, -1, func(s Stats) int64 { return s.CutReplies }},
		{"trickle and latency", Faults{Trickle: 1, TrickleChunk: 512, TrickleEvery: time.Millisecond, Latency: 5 * time.Millisecond}, true, -1, func(s Stats) int64 { return s.Trickled }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(t)
			p, err := New(r.ln.Addr().String(), 1)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetFaults(tt.faults)
			got, err := exchange(t, p.Addr(), msg)
			if tt.wantEcho != (err == nil && bytes.Equal(got, msg)) {
				t.Errorf("exchange() = %d bytes, %v; want echo %v", len(got), err, tt.wantEcho)
			}
			time.Sleep(50 * time.Millisecond)
			if tt.wantAtMost >= 0 && r.received() > tt.wantAtMost {
				t.Errorf("upstream received %d bytes, want at most %d", r.received(), tt.wantAtMost)
			}
			if tt.wantAtMost < 0 && r.received() != len(msg) {
				t.Errorf("upstream received %d bytes, want %d", r.received(), len(msg))
			}
			if n := tt.wantStat(p.Stats()); n != 1 {
				t.Errorf("Stats() counter = %d, want 1 (%+v)", n, p.Stats())
			}
		})
	}
}

func TestPartition(t *testing.T) {
	r := newRecorder(t)
	p, err := New(r.ln.Addr().String(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	open, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	if _, err := open.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	p.Partition()
	open.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 8)
	if _, err := io.ReadFull(open, buf[:1]); err == nil {
		// The echo of "x" may have arrived before the cut; the next read fails.
		if _, err := open.Read(buf); err == nil {
			t.Errorf("Read() on a partitioned connection = nil error")
		}
	}
	held, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	held.Write([]byte("y"))
	held.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if _, err := held.Read(buf); err == nil {
		t.Errorf("Read() during a partition = nil error, want a time-out")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Errorf("Read() during a partition = %v, want a time-out (held, no answer)", err)
	}
	p.Heal()
	held.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := held.Read(buf); err == nil || err.(net.Error).Timeout() {
		t.Errorf("Read() of a held connection after Heal = %v, want a reset", err)
	}
	if got, err := exchange(t, p.Addr(), []byte("after the partition")); err != nil || string(got) != "after the partition" {
		t.Errorf("exchange() after Heal = %q, %v", got, err)
	}
}
