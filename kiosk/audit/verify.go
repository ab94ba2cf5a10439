package audit

import (
	"errors"
	"fmt"
	"sort"
)

// Kind says what was done to the chain.
type Kind int

// The kinds of tampering Check names.
const (
	Edited Kind = iota + 1
	Deleted
	Reordered
	Inserted
)

func (k Kind) String() string {
	switch k {
	case Edited:
		return "edited"
	case Deleted:
		return "deleted"
	case Reordered:
		return "reordered"
	case Inserted:
		return "inserted"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Problem is one finding of Check. Seq (through Last, for a run of missing
// entries) names the entries concerned.
type Problem struct {
	Seq    uint64
	Last   uint64 // equal to Seq unless a run of entries is concerned
	Kind   Kind
	Reason string
}

func (p Problem) Error() string {
	if p.Last > p.Seq {
		return fmt.Sprintf("audit: entries %d-%d: %s (%s)", p.Seq, p.Last, p.Reason, p.Kind)
	}
	return fmt.Sprintf("audit: entry %d: %s (%s)", p.Seq, p.Reason, p.Kind)
}

// Report is the outcome of Check.
type Report struct {
	Entries  int  // how many entries were read
	Head     Head // the entry with the highest sequence number
	Problems []Problem
}

// OK reports whether no problem was found.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// Err joins the problems into one error, or returns nil.
func (r Report) Err() error {
	errs := make([]error, len(r.Problems))
	for i, p := range r.Problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// Verify checks entries (in storage order) and returns the chain's head, or
// every problem found joined into one error (each a Problem).
func Verify(entries []Entry) (Head, error) {
	r := Check(entries)
	return r.Head, r.Err()
}

// Check walks entries in storage order and reports every problem, sorted by
// sequence number.
func Check(entries []Entry) Report { return check(entries, nil) }

// CheckAgainst is Check plus a comparison with a head recorded elsewhere: the
// chain must contain anchor's entry with anchor's hash, which catches a tail
// cut off after the anchor was taken.
func CheckAgainst(entries []Entry, anchor Head) Report { return check(entries, &anchor) }

func check(entries []Entry, anchor *Head) Report {
	r := Report{Entries: len(entries)}
	add := func(seq, last uint64, k Kind, format string, args ...any) {
		r.Problems = append(r.Problems, Problem{Seq: seq, Last: last, Kind: k, Reason: fmt.Sprintf(format, args...)})
	}
	defer func() {
		sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].Seq < r.Problems[j].Seq })
	}()

	// Which hashes entries claim as their predecessor, by the claimer's seq.
	linkedFrom := make(map[uint64]map[Hash]bool)
	bySeq := make(map[uint64][]int)
	for i, e := range entries {
		if linkedFrom[e.Seq] == nil {
			linkedFrom[e.Seq] = make(map[Hash]bool)
		}
		linkedFrom[e.Seq][e.Prev] = true
		bySeq[e.Seq] = append(bySeq[e.Seq], i)
	}

	// One genuine entry per sequence number: the one its successor links to.
	genuine := make([]bool, len(entries))
	for seq, idx := range bySeq {
		if len(idx) == 1 {
			genuine[idx[0]] = true
			continue
		}
		var linked []int
		for _, i := range idx {
			if linkedFrom[seq+1][entries[i].Hash] {
				linked = append(linked, i)
			}
		}
		keep := idx[0]
		if len(linked) == 1 {
			keep = linked[0]
			for _, i := range idx {
				if i != keep {
					add(seq, seq, Inserted, "second entry with this sequence number, not linked from entry %d", seq+1)
				}
			}
		} else {
			add(seq, seq, Inserted, "%d entries with this sequence number", len(idx))
		}
		genuine[keep] = true
	}

	// The genuine entries, in storage order.
	var order []int
	for i := range entries {
		if genuine[i] {
			order = append(order, i)
		}
	}
	selfOK := make(map[uint64]bool, len(order))
	for _, i := range order {
		e := entries[i]
		selfOK[e.Seq] = e.ComputeHash() == e.Hash
		if !selfOK[e.Seq] {
			add(e.Seq, e.Seq, Edited, "hash mismatch")
		}
	}

	// Entries outside a longest increasing run were moved.
	inRun := longestIncreasing(entries, order)
	for k, i := range order {
		switch {
		case inRun[k]:
		case k == 0:
			add(entries[i].Seq, entries[i].Seq, Reordered, "out of order, found first")
		default:
			add(entries[i].Seq, entries[i].Seq, Reordered, "out of order, found after entry %d", entries[order[k-1]].Seq)
		}
	}

	// In sequence order: gaps and broken links.
	sorted := append([]int(nil), order...)
	sort.Slice(sorted, func(a, b int) bool { return entries[sorted[a]].Seq < entries[sorted[b]].Seq })
	var prev *Entry
	for _, i := range sorted {
		e := &entries[i]
		switch {
		case prev == nil && e.Seq > 1:
			if e.Seq == 2 {
				add(1, 1, Deleted, "missing, chain starts at 2")
			} else {
				add(1, e.Seq-1, Deleted, "missing, chain starts at %d", e.Seq)
			}
		case prev == nil:
			if !e.Prev.IsZero() && selfOK[e.Seq] {
				add(1, 1, Edited, "does not start from the zero genesis hash")
			}
		case e.Seq > prev.Seq+1:
			add(prev.Seq+1, e.Seq-1, Deleted, "sequence gap after %d", prev.Seq)
		case e.Prev != prev.Hash && selfOK[e.Seq] && selfOK[prev.Seq]:
			// Both hash correctly, so one was rewritten whole: the
			// predecessor no longer is what its successor recorded.
			add(prev.Seq, prev.Seq, Edited, "rewritten with a new hash, entry %d recorded another", e.Seq)
		}
		prev = e
	}
	if prev != nil {
		r.Head = prev.Head()
	}

	if anchor != nil && anchor.Seq > 0 {
		switch {
		case r.Head.Seq < anchor.Seq:
			add(r.Head.Seq+1, anchor.Seq, Deleted, "missing at the end, the recorded head is %d", anchor.Seq)
		default:
			for _, i := range sorted {
				if e := entries[i]; e.Seq == anchor.Seq && e.Hash != anchor.Hash {
					add(e.Seq, e.Seq, Edited, "differs from the recorded head")
				}
			}
		}
	}
	return r
}

// longestIncreasing marks, for the entries at positions order, one longest
// subsequence with strictly increasing sequence numbers. It is built from the
// end (patience sorting on the reversed list) so that, when an entry and its
// neighbour are swapped, the one reported is the one found after a higher
// sequence number.
func longestIncreasing(entries []Entry, order []int) []bool {
	n := len(order)
	seq := func(k int) uint64 { return entries[order[k]].Seq }
	var tails []int        // tails[l]: k starting the best run of length l+1
	next := make([]int, n) // next k in the run starting at k
	for k := n - 1; k >= 0; k-- {
		s := seq(k)
		// tails hold decreasing sequence numbers; find the first <= s.
		l := sort.Search(len(tails), func(j int) bool { return seq(tails[j]) <= s })
		next[k] = -1
		if l > 0 {
			next[k] = tails[l-1]
		}
		if l == len(tails) {
			tails = append(tails, k)
		} else {
			tails[l] = k
		}
	}
	in := make([]bool, n)
	if len(tails) > 0 {
		for k := tails[len(tails)-1]; k >= 0; k = next[k] {
			in[k] = true
		}
	}
	return in
}
