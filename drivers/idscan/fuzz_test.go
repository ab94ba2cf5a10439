package idscan_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/idscan"
)

var fuzzFramings = []idscan.Framing{anyEnd, crOnly, lfOnly, crlf, stx, {Terminator: idscan.TermCRLF, STXETX: true}}

// FuzzAssembler feeds arbitrary bytes, in arbitrary chunks with arbitrary
// gaps, under every framing. The Assembler must never panic, never hold more
// than MaxBuffered bytes, and never emit a candidate that is not MRZ-shaped;
// cutting the same bytes into chunks without gaps must not change what
// comes out.
func FuzzAssembler(f *testing.F) {
	for _, tc := range framingCases {
		var data, steps []byte
		var prev time.Duration
		for _, fd := range tc.feeds {
			data = append(data, fd.data...)
			// One step per feed: its length in the low nibble is ignored
			// for long feeds, the gap before it in the high one.
			gap := byte(min((fd.at-prev)/(40*time.Millisecond), 15))
			steps = append(steps, gap<<4|byte(min(len(fd.data)-1, 15)))
			prev = fd.at
		}
		mode := byte(0)
		for i, fr := range fuzzFramings {
			if fr == tc.framing {
				mode = byte(i)
			}
		}
		f.Add(data, mode, steps)
	}
	f.Fuzz(func(t *testing.T, data []byte, mode byte, steps []byte) {
		framing := fuzzFramings[int(mode)%len(fuzzFramings)]
		a := idscan.NewAssembler(framing, interChar)
		t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		now := t0
		var got []idscan.Candidate
		rest := data
		for i := 0; len(rest) > 0; i++ {
			step := byte(0)
			if len(steps) > 0 {
				step = steps[i%len(steps)]
			}
			n := min(int(step&15)+1, len(rest))
			now = now.Add(time.Duration(step>>4) * 40 * time.Millisecond)
			for _, c := range a.Feed(rest[:n], now) {
				checkCandidate(t, c)
				got = append(got, c)
			}
			rest = rest[n:]
			if b := a.Buffered(); b > idscan.MaxBuffered {
				t.Fatalf("Buffered() = %d, want at most %d", b, idscan.MaxBuffered)
			}
		}
		for _, c := range a.Expire(now.Add(time.Hour)) {
			checkCandidate(t, c)
			if !c.Partial {
				t.Fatalf("Expire emitted a complete candidate %q", c.Lines)
			}
			got = append(got, c)
		}
		if _, ok := a.Deadline(); ok {
			t.Fatalf("Deadline() after Expire = _, true; want false")
		}
		st := a.Stats()
		if full := countFull(got); st.NoiseBytes > len(data) || st.Candidates != full || st.Partials != len(got)-full {
			t.Fatalf("Stats() = %+v for %d bytes and %d candidates", st, len(data), len(got))
		}

		// The same bytes in one chunk and in chunks of one byte, all at
		// the same time, give the same candidates.
		whole := idscan.NewAssembler(framing, interChar).Feed(data, t0)
		bytewise := idscan.NewAssembler(framing, interChar)
		var pieces []idscan.Candidate
		for i := range data {
			pieces = append(pieces, bytewise.Feed(data[i:i+1], t0)...)
		}
		if diff := cmp.Diff(whole, pieces); diff != "" {
			t.Fatalf("whole vs byte-by-byte feeding differ (-whole +bytewise):\n%s", diff)
		}
	})
}

func countFull(cs []idscan.Candidate) int {
	n := 0
	for _, c := range cs {
		if !c.Partial {
			n++
		}
	}
	return n
}
