// Package faultproxy is a TCP proxy that breaks connections on purpose,
// for testing the sync client against the registry through a bad network:
// connection resets, replies cut after the request went through, added
// latency, a partition, and request bytes trickled slowly. It works below
// TLS, on the bytes, so it cannot answer an HTTP 500 itself; tests inject
// server errors with a handler wrapper in the registry process.
//
// Each accepted connection draws its fate from a seeded generator when it
// is accepted: pass through, reset after a random number of request bytes
// (the request may or may not have reached the server), or cut the reply
// (request bytes flow on, reply bytes are discarded, then the connection is
// reset — the server may well have committed). Latency and trickling apply
// on top. Partition cuts every open connection and holds new ones silent
// until it is lifted, then resets them.
//
// Limits: for tests on loopback only; one upstream address; faults are
// probabilistic per connection, not per HTTP request (HTTP/2 multiplexes
// several requests on one connection, and all of them share its fate).
package faultproxy

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Faults are the probabilities and amounts of trouble. The zero value
// passes everything through.
type Faults struct {
	Reset    float64       // a connection is reset after a random number of request bytes
	CutReply float64       // a connection's reply is discarded after a random number of request bytes, then reset
	Trickle  float64       // a connection's request bytes are sent a few at a time
	Latency  time.Duration // each chunk in either direction is delayed by up to this
	// ResetWithin bounds the request bytes before a reset or a cut (default
	// 16 KiB).
	ResetWithin int
	// TrickleChunk and TrickleEvery shape trickling (default 32 bytes
	// every 2 ms).
	TrickleChunk int
	TrickleEvery time.Duration
}

// Stats count what the proxy did.
type Stats struct {
	Connections int64
	Resets      int64
	CutReplies  int64
	Trickled    int64
	Partitioned int64 // connections cut or held by a partition
	BytesUp     int64
	BytesDown   int64
}

// Proxy forwards connections from its address to an upstream address.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu        sync.Mutex
	faults    Faults
	rng       *rand.Rand
	conns     map[*link]struct{}
	partition chan struct{} // closed when the current partition lifts; nil when none
	closed    bool

	wg    sync.WaitGroup
	stats struct {
		conns, resets, cuts, trickled, parted, up, down atomic.Int64
	}
}

// New listens on a free loopback port and forwards to upstream.
func New(upstream string, seed uint64) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), conns: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's address, to give the client instead of upstream's.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetFaults replaces the faults for connections accepted from now on.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// Partition cuts every open connection and holds new ones without an
// answer, until Heal.
func (p *Proxy) Partition() {
	p.mu.Lock()
	if p.partition == nil {
		p.partition = make(chan struct{})
	}
	var cut []*link
	for l := range p.conns {
		cut = append(cut, l)
	}
	p.mu.Unlock()
	for _, l := range cut {
		p.stats.parted.Add(1)
		l.reset()
	}
}

// Heal lifts a partition: held connections are reset, new ones pass.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.partition != nil {
		close(p.partition)
		p.partition = nil
	}
}

// Stats returns the counts so far.
func (p *Proxy) Stats() Stats {
	return Stats{
		Connections: p.stats.conns.Load(), Resets: p.stats.resets.Load(), CutReplies: p.stats.cuts.Load(),
		Trickled: p.stats.trickled.Load(), Partitioned: p.stats.parted.Load(),
		BytesUp: p.stats.up.Load(), BytesDown: p.stats.down.Load(),
	}
}

// Close stops accepting, resets every connection and waits for them.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	var all []*link
	for l := range p.conns {
		all = append(all, l)
	}
	if p.partition != nil {
		close(p.partition)
		p.partition = nil
	}
	p.mu.Unlock()
	err := p.ln.Close()
	for _, l := range all {
		l.reset()
	}
	p.wg.Wait()
	return err
}

// fate is what happens to one connection.
type fate struct {
	resetAt   int64 // request bytes after which the connection is reset; <0 never
	cutAt     int64 // request bytes after which replies are discarded; <0 never
	trickle   bool
	latency   time.Duration
	chunk     int
	every     time.Duration
	latencyFn func() time.Duration
}

func (p *Proxy) draw() fate {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	within := f.ResetWithin
	if within <= 0 {
		within = 16 << 10
	}
	ft := fate{resetAt: -1, cutAt: -1, chunk: f.TrickleChunk, every: f.TrickleEvery, latency: f.Latency}
	if ft.chunk <= 0 {
		ft.chunk = 32
	}
	if ft.every <= 0 {
		ft.every = 2 * time.Millisecond
	}
	switch r := p.rng.Float64(); {
	case r < f.Reset:
		ft.resetAt = int64(p.rng.IntN(within))
	case r < f.Reset+f.CutReply:
		ft.cutAt = int64(p.rng.IntN(within))
	}
	ft.trickle = p.rng.Float64() < f.Trickle
	if ft.latency > 0 {
		seed := p.rng.Uint64()
		lr := rand.New(rand.NewPCG(seed, seed+1))
		var lmu sync.Mutex
		ft.latencyFn = func() time.Duration {
			lmu.Lock()
			defer lmu.Unlock()
			return time.Duration(lr.Int64N(int64(ft.latency)))
		}
	}
	return ft
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.stats.conns.Add(1)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			return
		}
		held := p.partition
		l := &link{client: c.(*net.TCPConn)}
		p.conns[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go func() {
			defer p.wg.Done()
			defer func() {
				p.mu.Lock()
				delete(p.conns, l)
				p.mu.Unlock()
			}()
			if held != nil {
				p.stats.parted.Add(1)
				<-held
				l.reset()
				return
			}
			p.serve(l, p.draw())
		}()
	}
}

// link is one proxied connection.
type link struct {
	client   *net.TCPConn
	upstream *net.TCPConn
	once     sync.Once
	mu       sync.Mutex
}

// reset closes both sides with an RST (linger 0).
func (l *link) reset() {
	l.once.Do(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.client.SetLinger(0)
		l.client.Close()
		if l.upstream != nil {
			l.upstream.SetLinger(0)
			l.upstream.Close()
		}
	})
}

func (p *Proxy) serve(l *link, ft fate) {
	up, err := net.DialTimeout("tcp", p.upstream, 5*time.Second)
	if err != nil {
		l.reset()
		return
	}
	l.mu.Lock()
	l.upstream = up.(*net.TCPConn)
	l.mu.Unlock()
	if ft.trickle {
		p.stats.trickled.Add(1)
	}
	var sentUp atomic.Int64
	cut := make(chan struct{})
	var cutOnce sync.Once
	done := make(chan struct{}, 2)
	// client → upstream
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := l.client.Read(buf)
			if n > 0 {
				data := buf[:n]
				if ft.resetAt >= 0 && sentUp.Load()+int64(n) > ft.resetAt {
					keep := ft.resetAt - sentUp.Load()
					p.forward(l.upstream, data[:keep], ft, &sentUp)
					p.stats.resets.Add(1)
					l.reset()
					return
				}
				// Decide the cut before the bytes go up, so that no part of the
				// server's answer to them can slip back to the client first.
				if ft.cutAt >= 0 && sentUp.Load()+int64(n) > ft.cutAt {
					cutOnce.Do(func() {
						p.stats.cuts.Add(1)
						close(cut)
						// Give the server time to answer into the void, then reset.
						go func() {
							time.Sleep(time.Duration(50+rand.IntN(200)) * time.Millisecond)
							l.reset()
						}()
					})
				}
				if !p.forward(l.upstream, data, ft, &sentUp) {
					l.reset()
					return
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					l.upstream.CloseWrite()
				} else {
					l.reset()
				}
				return
			}
		}
	}()
	// upstream → client
	go func() {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := l.upstream.Read(buf)
			if n > 0 {
				select {
				case <-cut:
					continue // the reply is lost
				default:
				}
				if ft.latencyFn != nil {
					time.Sleep(ft.latencyFn())
				}
				if _, werr := l.client.Write(buf[:n]); werr != nil {
					l.reset()
					return
				}
				p.stats.down.Add(int64(n))
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					l.client.CloseWrite()
				} else {
					l.reset()
				}
				return
			}
		}
	}()
	<-done
	<-done
	l.reset()
}

// forward writes data upstream, delayed and trickled as the fate says.
func (p *Proxy) forward(w net.Conn, data []byte, ft fate, sent *atomic.Int64) bool {
	if ft.latencyFn != nil {
		time.Sleep(ft.latencyFn())
	}
	for len(data) > 0 {
		n := len(data)
		if ft.trickle {
			n = min(n, ft.chunk)
		}
		if _, err := w.Write(data[:n]); err != nil {
			return false
		}
		sent.Add(int64(n))
		p.stats.up.Add(int64(n))
		data = data[n:]
		if ft.trickle && len(data) > 0 {
			time.Sleep(ft.every)
		}
	}
	return true
}
