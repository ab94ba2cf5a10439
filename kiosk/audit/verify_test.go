package audit

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// at returns the index of entry seq in an untampered chain.
func at(seq int) int { return seq - 1 }

func forge(t testing.TB, prev Entry, detail string) Entry {
	t.Helper()
	e, err := prev.Head().Next(prev.Time, Technician, "technician.queue_purged", "req-forged", detail)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// tamperCases is shared by TestCheck and FuzzCheck's seeds.
var tamperCases = []struct {
	name   string
	tamper func(t testing.TB, c []Entry) []Entry
	anchor bool // check against the untampered head
	want   []string
}{
	{name: "intact"},
	{name: "empty", tamper: func(t testing.TB, c []Entry) []Entry { return nil }},
	{
		name:   "edited detail",
		tamper: func(t testing.TB, c []Entry) []Entry { c[at(17)].Detail = "court=tpi-rabat"; return c },
		want:   []string{"audit: entry 17: hash mismatch (edited)"},
	},
	{
		name:   "edited actor",
		tamper: func(t testing.TB, c []Entry) []Entry { c[at(3)].Actor = Citizen; return c },
		want:   []string{"audit: entry 3: hash mismatch (edited)"},
	},
	{
		name: "edited and rehashed",
		tamper: func(t testing.TB, c []Entry) []Entry {
			c[at(17)].Detail = "court=tpi-rabat"
			c[at(17)].Hash = c[at(17)].ComputeHash()
			return c
		},
		want: []string{"audit: entry 17: rewritten with a new hash, entry 18 recorded another (edited)"},
	},
	{
		name:   "deleted",
		tamper: func(t testing.TB, c []Entry) []Entry { return slices.Delete(c, at(12), at(13)) },
		want:   []string{"audit: entry 12: sequence gap after 11 (deleted)"},
	},
	{
		name:   "deleted run",
		tamper: func(t testing.TB, c []Entry) []Entry { return slices.Delete(c, at(12), at(15)) },
		want:   []string{"audit: entries 12-14: sequence gap after 11 (deleted)"},
	},
	{
		name:   "deleted first",
		tamper: func(t testing.TB, c []Entry) []Entry { return c[1:] },
		want:   []string{"audit: entry 1: missing, chain starts at 2 (deleted)"},
	},
	{
		name:   "deleted tail, no anchor",
		tamper: func(t testing.TB, c []Entry) []Entry { return c[:15] },
	},
	{
		name:   "deleted tail, against the recorded head",
		tamper: func(t testing.TB, c []Entry) []Entry { return c[:15] },
		anchor: true,
		want:   []string{"audit: entries 16-20: missing at the end, the recorded head is 20 (deleted)"},
	},
	{
		name: "last entry rewritten, against the recorded head",
		tamper: func(t testing.TB, c []Entry) []Entry {
			c[at(20)].Detail = "nothing happened"
			c[at(20)].Hash = c[at(20)].ComputeHash()
			return c
		},
		anchor: true,
		want:   []string{"audit: entry 20: differs from the recorded head (edited)"},
	},
	{
		name: "swapped neighbours",
		tamper: func(t testing.TB, c []Entry) []Entry {
			c[at(12)], c[at(13)] = c[at(13)], c[at(12)]
			return c
		},
		want: []string{"audit: entry 12: out of order, found after entry 13 (reordered)"},
	},
	{
		name: "moved to the end",
		tamper: func(t testing.TB, c []Entry) []Entry {
			e := c[at(5)]
			return append(slices.Delete(c, at(5), at(6)), e)
		},
		want: []string{"audit: entry 5: out of order, found after entry 20 (reordered)"},
	},
	{
		name: "moved to the front",
		tamper: func(t testing.TB, c []Entry) []Entry {
			e := c[at(20)]
			return append([]Entry{e}, c[:19]...)
		},
		want: []string{"audit: entry 20: out of order, found first (reordered)"},
	},
	{
		name: "inserted with a duplicate sequence number",
		tamper: func(t testing.TB, c []Entry) []Entry {
			return slices.Insert(c, at(12), forge(t, c[at(11)], "inserted"))
		},
		want: []string{"audit: entry 12: second entry with this sequence number, not linked from entry 13 (inserted)"},
	},
	{
		name: "inserted after the genuine entry",
		tamper: func(t testing.TB, c []Entry) []Entry {
			return slices.Insert(c, at(13), forge(t, c[at(11)], "inserted"))
		},
		want: []string{"audit: entry 12: second entry with this sequence number, not linked from entry 13 (inserted)"},
	},
	{
		name: "inserted without a valid hash",
		tamper: func(t testing.TB, c []Entry) []Entry {
			e := forge(t, c[at(11)], "inserted")
			e.Hash[0] ^= 1
			return slices.Insert(c, at(12), e)
		},
		want: []string{"audit: entry 12: second entry with this sequence number, not linked from entry 13 (inserted)"},
	},
	{
		name: "duplicated last entry",
		tamper: func(t testing.TB, c []Entry) []Entry {
			return append(c, forge(t, c[at(19)], "inserted"))
		},
		want: []string{"audit: entry 20: 2 entries with this sequence number (inserted)"},
	},
	{
		name: "rehashed first entry off the genesis",
		tamper: func(t testing.TB, c []Entry) []Entry {
			c[0].Prev[0] = 1
			c[0].Hash = c[0].ComputeHash()
			return c
		},
		want: []string{
			"audit: entry 1: does not start from the zero genesis hash (edited)",
			"audit: entry 1: rewritten with a new hash, entry 2 recorded another (edited)",
		},
	},
	{
		name: "edited and deleted",
		tamper: func(t testing.TB, c []Entry) []Entry {
			c[at(3)].Subject = "req-9999"
			return slices.Delete(c, at(8), at(9))
		},
		want: []string{
			"audit: entry 3: hash mismatch (edited)",
			"audit: entry 8: sequence gap after 7 (deleted)",
		},
	},
}

func TestCheck(t *testing.T) {
	for _, tt := range tamperCases {
		t.Run(tt.name, func(t *testing.T) {
			c := chain(t, 20)
			head := c[len(c)-1].Head()
			if tt.tamper != nil {
				c = tt.tamper(t, c)
			}
			var r Report
			if tt.anchor {
				r = CheckAgainst(c, head)
			} else {
				r = Check(c)
			}
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.Error())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check() problems mismatch (-want +got):\n%s", diff)
			}
			if r.OK() != (len(tt.want) == 0) || (r.Err() == nil) != r.OK() {
				t.Errorf("Check().OK() = %v, Err() = %v with %d problems", r.OK(), r.Err(), len(got))
			}
			if r.Entries != len(c) {
				t.Errorf("Check().Entries = %d, want %d", r.Entries, len(c))
			}
		})
	}
}

func TestVerify(t *testing.T) {
	c := chain(t, 20)
	head, err := Verify(c)
	if err != nil || head != c[19].Head() {
		t.Errorf("Verify(intact) = %v, %v; want %v, nil", head, err, c[19].Head())
	}
	c[at(17)].Detail = "x"
	c = slices.Delete(c, at(5), at(6))
	_, err = Verify(c)
	var p Problem
	if !errors.As(err, &p) || p.Kind != Deleted || p.Seq != 5 {
		t.Errorf("Verify(tampered) = %v; want a Problem for deleted entry 5 first", err)
	}
}

// FuzzCheck tampers a valid chain with fuzzer-chosen deletions, moves,
// edits, rehashes and insertions, and checks Check against a plain model: the
// result must pass exactly when it is still a well-formed chain (a cut or
// rewritten tail is what a bare chain cannot see; CheckAgainst covers it).
func FuzzCheck(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 11})       // delete 12
	f.Add([]byte{1, 11, 12})   // swap 12 and 13
	f.Add([]byte{2, 16, 'x'})  // edit 17
	f.Add([]byte{3, 11, 0})    // insert before 12
	f.Add([]byte{0, 19})       // cut the last
	f.Add([]byte{4, 16, 0, 1}) // rehash 17
	f.Fuzz(func(t *testing.T, ops []byte) {
		c := chain(t, 20)
		for len(ops) >= 2 && len(c) > 0 {
			op, i := ops[0]%5, int(ops[1])%len(c)
			ops = ops[2:]
			var arg byte
			if len(ops) > 0 {
				arg, ops = ops[0], ops[1:]
			}
			switch op {
			case 0:
				c = slices.Delete(c, i, i+1)
			case 1:
				j := int(arg) % len(c)
				c[i], c[j] = c[j], c[i]
			case 2:
				c[i].Detail += string(rune('a' + arg%26))
			case 3:
				c = slices.Insert(c, i, forge(t, c[i], string(rune('a'+arg%26))))
			case 4:
				c[i].Subject += "!"
				c[i].Hash = c[i].ComputeHash()
			}
		}
		r := Check(c)
		if want := wellFormed(c); r.OK() != want {
			t.Fatalf("Check(chain with seqs %v).OK() = %v (%v), want %v", seqs(c), r.OK(), r.Err(), want)
		}
	})
}

// wellFormed is the model: sequence 1..n in order, every hash right, every
// link to the previous hash, starting from zero.
func wellFormed(c []Entry) bool {
	var prev Hash
	for i, e := range c {
		if e.Seq != uint64(i+1) || e.Prev != prev || e.ComputeHash() != e.Hash {
			return false
		}
		prev = e.Hash
	}
	return true
}

func seqs(c []Entry) []uint64 {
	out := make([]uint64, len(c))
	for i, e := range c {
		out[i] = e.Seq
	}
	return out
}
