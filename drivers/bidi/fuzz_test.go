package bidi

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// fuzzSeeds are the shared table's lines plus a few that stress the
// explicit rules.
func fuzzSeeds(f *testing.F) {
	for _, tt := range visualTests {
		f.Add(tt.text, uint8(tt.dir))
	}
	f.Add(strings.Repeat("\u2067(\u202E", 70)+"a1)"+strings.Repeat("\u2069\u202C", 3), uint8(Auto))
	f.Add("\u2068\u2068ب\u2069 a [b (c] d) \u2329x\u3009", uint8(RTL))
	f.Add("a\u2029ب\u2066\n1\xff", uint8(Auto))
}

func FuzzLevels(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string, d uint8) {
		dir := Direction(d % 3)
		runes := []rune(text)
		levels, para := Levels(runes, dir)
		if len(levels) != len(runes) {
			t.Fatalf("Levels(%+q, %v) gave %d levels for %d runes", text, dir, len(levels), len(runes))
		}
		switch {
		case dir == LTR && para != 0, dir == RTL && para != 1, para > 1:
			t.Fatalf("Levels(%+q, %v) paragraph level = %d", text, dir, para)
		}
		for i, l := range levels {
			if l < para || l > maxDepth+1 {
				t.Fatalf("Levels(%+q, %v) level of rune %d = %d, want %d to %d", text, dir, i, l, para, maxDepth+1)
			}
		}
		// Auto is the explicit direction it chose.
		if dir == Auto {
			fixed := LTR
			if para == 1 {
				fixed = RTL
			}
			again, _ := Levels(runes, fixed)
			if diff := cmp.Diff(levels, again); diff != "" {
				t.Fatalf("Levels(%+q, auto) differs from Levels with its paragraph level %v (-auto +fixed):\n%s", text, fixed, diff)
			}
		}
	})
}

func FuzzVisual(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, text string, d uint8) {
		dir := Direction(d % 3)
		got := Visual(text, dir)

		// Visual is a permutation of the runes it keeps, mirrored where
		// their level is odd.
		runes := []rune(text)
		levels, _ := Levels(runes, dir)
		var want []rune
		for i, r := range runes {
			if invisible(r, classOf(r)) {
				continue
			}
			if levels[i]%2 == 1 {
				r, _ = mirrorOf(r)
			}
			want = append(want, r)
		}
		gotRunes := []rune(got)
		for _, r := range gotRunes {
			if invisible(r, classOf(r)) {
				t.Fatalf("Visual(%+q, %v) = %+q, which keeps the control %U", text, dir, got, r)
			}
		}
		slices.Sort(want)
		slices.Sort(gotRunes)
		if !slices.Equal(want, gotRunes) {
			t.Fatalf("Visual(%+q, %v) = %+q, not a permutation of the kept runes", text, dir, got)
		}
		checkRuns(t, text, dir)

		// Broken in two, the paragraph keeps every character once, each
		// line's runs within the line.
		mid := len(text) / 2
		lines, err := VisualLines(text, dir, []int{mid})
		if err != nil {
			t.Fatalf("VisualLines(%+q, %v, [%d]): %v", text, dir, mid, err)
		}
		var inRuns, kept []rune
		for n, runs := range lines {
			for _, r := range runs {
				if n == 0 && r.End > mid+utf8.UTFMax || n == 1 && r.Start < mid {
					t.Fatalf("VisualLines(%+q, %v, [%d]) line %d has run %+v", text, dir, mid, n, r)
				}
				inRuns = append(inRuns, []rune(r.Text)...)
			}
		}
		for _, r := range text {
			if keptInRun(r, classOf(r)) {
				kept = append(kept, r)
			}
		}
		slices.Sort(inRuns)
		slices.Sort(kept)
		if !slices.Equal(inRuns, kept) {
			t.Fatalf("VisualLines(%+q, %v, [%d]) runs hold %+q, want the characters %+q", text, dir, mid, string(inRuns), string(kept))
		}
	})
}
