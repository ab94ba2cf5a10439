package bidi

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// ucdRows returns the semicolon-separated fields of the data lines of a
// Unicode Character Database file, comments and blanks dropped, and its
// first line. With missing it also returns the "# @missing:" lines' fields.
func ucdRows(t *testing.T, name string, missing bool) (first string, rows [][]string) {
	t.Helper()
	sc := bufio.NewScanner(openUCD(t, name))
	for sc.Scan() {
		line := sc.Text()
		if first == "" {
			first = line
		}
		if missing && strings.HasPrefix(line, "# @missing:") {
			line = strings.TrimPrefix(line, "# @missing:")
		} else if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields := strings.Split(line, ";")
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		rows = append(rows, fields)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return first, rows
}

func codePoint(t *testing.T, s string) rune {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		t.Fatalf("code point %q: %v", s, err)
	}
	return rune(v)
}

// codeRange parses "0590" or "0590..05FF".
func codeRange(t *testing.T, s string) (lo, hi rune) {
	t.Helper()
	a, b, ok := strings.Cut(s, "..")
	lo = codePoint(t, a)
	if !ok {
		return lo, lo
	}
	return lo, codePoint(t, b)
}

func TestTablesVersion(t *testing.T) {
	if tablesUnicodeVersion != PropertiesVersion {
		t.Errorf("tables.go is Unicode %s but golang.org/x/text/unicode/bidi is %s: run go generate with matching data", tablesUnicodeVersion, PropertiesVersion)
	}
}

// TestBracketTable checks the generated bracket table against
// BidiBrackets.txt, read here independently of gen_tables.go.
func TestBracketTable(t *testing.T) {
	first, rows := ucdRows(t, "BidiBrackets.txt", false)
	checkVersion(t, "BidiBrackets.txt", first)
	pairs := map[rune]rune{}
	for _, f := range rows {
		r, pair := codePoint(t, f[0]), codePoint(t, f[1])
		pairs[r] = pair
		key, open, ok := bracketOf(r)
		if !ok {
			t.Errorf("bracketOf(%U) is not a bracket, BidiBrackets.txt says it pairs with %U", r, pair)
			continue
		}
		if wantOpen := f[2] == "o"; open != wantOpen {
			t.Errorf("bracketOf(%U) open = %v, want %v", r, open, wantOpen)
		}
		if pairKey, _, _ := bracketOf(pair); pairKey != key {
			t.Errorf("bracketOf(%U) key %U, its pair %U has key %U", r, key, pair, pairKey)
		}
	}
	if len(pairs) != len(bracketTable) {
		t.Errorf("bracketTable has %d entries, BidiBrackets.txt %d", len(bracketTable), len(pairs))
	}
	// BD16: U+2329 and U+232A are canonically equivalent to U+3008 and
	// U+3009, so each opening pairs with either closing.
	k1, _, _ := bracketOf(0x2329)
	k2, _, _ := bracketOf(0x3009)
	if k1 != k2 {
		t.Errorf("bracketOf(U+2329) key %U, bracketOf(U+3009) key %U, want equal", k1, k2)
	}
	for _, r := range []rune{'a', '<', 'ب', 0x10FFFF, -1} {
		if _, _, ok := bracketOf(r); ok {
			t.Errorf("bracketOf(%U) is a bracket, want not", r)
		}
	}
}

// TestMirrorTable checks mirrorOf against BidiMirroring.txt.
func TestMirrorTable(t *testing.T) {
	first, rows := ucdRows(t, "BidiMirroring.txt", false)
	checkVersion(t, "BidiMirroring.txt", first)
	want := map[rune]rune{}
	for _, f := range rows {
		want[codePoint(t, f[0])] = codePoint(t, f[1])
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		m, ok := mirrorOf(r)
		w, wok := want[r]
		if ok != wok || (ok && m != w) || (!ok && m != r) {
			t.Errorf("mirrorOf(%U) = %U, %v, want %U, %v", r, m, ok, w, wok)
		}
	}
}

// TestClassTable checks the Bidi_Class that golang.org/x/text gives every
// code point against DerivedBidiClass.txt, defaults for unassigned code
// points included. Surrogates are skipped: a rune cannot hold one, and
// x/text reads them as U+FFFD.
func TestClassTable(t *testing.T) {
	first, rows := ucdRows(t, "extracted/DerivedBidiClass.txt", true)
	checkVersion(t, "DerivedBidiClass.txt", first)
	names := map[string]class{
		"Left_To_Right": clL, "Right_To_Left": clR, "Arabic_Letter": clAL,
		"European_Terminator": clET, "Boundary_Neutral": clBN,
	}
	for short, c := range classNames {
		names[short] = c
	}
	want := make([]class, utf8.MaxRune+1)
	for _, f := range rows { // @missing lines come first, general before specific
		c, ok := names[f[1]]
		if !ok {
			t.Fatalf("DerivedBidiClass.txt: unknown class %q", f[1])
		}
		lo, hi := codeRange(t, f[0])
		for r := lo; r <= hi; r++ {
			want[r] = c
		}
	}
	bad := 0
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if 0xD800 <= r && r <= 0xDFFF {
			continue
		}
		if got := classOf(r); got != want[r] {
			if bad++; bad <= 10 {
				t.Errorf("classOf(%U) = %v, want %v", r, got, want[r])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d code points have another Bidi_Class than DerivedBidiClass.txt gives", bad)
	}
}
