package bidi

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// ucdDir is where Debian's unicode-data package installs the Unicode
// Character Database (images/host-packages.txt lists it).
const ucdDir = "/usr/share/unicode/"

// openUCD opens a file of the Unicode Character Database. Without it the
// test is skipped, unless it runs in CI, where the file must be there.
func openUCD(t testing.TB, name string) *os.File {
	t.Helper()
	f, err := os.Open(ucdDir + name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v: install Debian's unicode-data package", err)
		}
		t.Skipf("%v: install Debian's unicode-data package to run this test", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

var fileVersion = regexp.MustCompile(`^# \w+-(\d+\.\d+\.\d+)\.txt`)

// checkVersion fails when a conformance file is of another Unicode version
// than the property tables: the counts the report gives would then compare
// two different versions of the algorithm's data.
func checkVersion(t *testing.T, name, firstLine string) {
	t.Helper()
	m := fileVersion.FindStringSubmatch(firstLine)
	if m == nil {
		t.Fatalf("%s: no version on its first line %q", name, firstLine)
	}
	if m[1] != PropertiesVersion {
		t.Errorf("%s is Unicode %s, the properties are Unicode %s: cases with characters new since then may fail", name, m[1], PropertiesVersion)
	}
}

func parseLevels(field string) []int {
	var levels []int
	for _, f := range strings.Fields(field) {
		if f == "x" {
			levels = append(levels, -1)
			continue
		}
		l, err := strconv.Atoi(f)
		if err != nil {
			panic(fmt.Sprintf("level %q: %v", f, err))
		}
		levels = append(levels, l)
	}
	return levels
}

func parseInts(field string) []int {
	out := []int{}
	for _, f := range strings.Fields(field) {
		v, err := strconv.Atoi(f)
		if err != nil {
			panic(fmt.Sprintf("index %q: %v", f, err))
		}
		out = append(out, v)
	}
	return out
}

// conformanceResult is what the test computes for one case, in the files'
// terms: a level per character (-1 where X9 removes it) and the visual order
// of the characters that are not removed.
func conformanceResult(text []rune, dir Direction) (paraLevel int, levels, order []int) {
	got, para := Levels(text, dir)
	levels = make([]int, len(text))
	for i, r := range text {
		levels[i] = int(got[i])
		if removedByX9(classOf(r)) {
			levels[i] = -1
		}
	}
	order = []int{}
	for _, i := range visualOrder(got) {
		if levels[i] >= 0 {
			order = append(order, i)
		}
	}
	return int(para), levels, order
}

// TestBidiCharacterTest runs every case of BidiCharacterTest.txt: levels,
// paragraph level and visual order.
func TestBidiCharacterTest(t *testing.T) {
	f := openUCD(t, "BidiCharacterTest.txt")
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var passed, total, line int
	for sc.Scan() {
		line++
		s := sc.Text()
		if line == 1 {
			checkVersion(t, "BidiCharacterTest.txt", s)
		}
		if s == "" || s[0] == '#' {
			continue
		}
		fields := strings.Split(s, ";")
		if len(fields) != 5 {
			t.Fatalf("line %d: %d fields, want 5", line, len(fields))
		}
		var text []rune
		for _, h := range strings.Fields(fields[0]) {
			v, err := strconv.ParseUint(h, 16, 32)
			if err != nil {
				t.Fatalf("line %d: code point %q: %v", line, h, err)
			}
			text = append(text, rune(v))
		}
		dir := map[string]Direction{"0": LTR, "1": RTL, "2": Auto}[fields[1]]
		wantPara, _ := strconv.Atoi(fields[2])
		wantLevels, wantOrder := parseLevels(fields[3]), parseInts(fields[4])

		total++
		para, levels, order := conformanceResult(text, dir)
		if para != wantPara || !slices.Equal(levels, wantLevels) || !slices.Equal(order, wantOrder) {
			if total-passed <= 10 {
				t.Errorf("line %d: %s dir %v:\n paragraph level %d, want %d\n levels %v\n want   %v\n order %v\n want  %v",
					line, fields[0], dir, para, wantPara, levels, wantLevels, order, wantOrder)
			}
			continue
		}
		passed++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Fatal("BidiCharacterTest.txt holds no case")
	}
	t.Logf("BidiCharacterTest.txt: %d/%d cases pass", passed, total)
	if passed != total {
		t.Errorf("BidiCharacterTest.txt: %d of %d cases fail", total-passed, total)
	}
}

// classSample is one character of each Bidi_Class, for BidiTest.txt, whose
// cases are sequences of classes. None is a bracket or mirrored.
var classSample = map[string]rune{
	"L": 'a', "R": 'א', "AL": 'ا', "EN": '1', "ES": '+', "ET": '$', "AN": '\u0660',
	"CS": ',', "NSM": '\u0300', "BN": '\u00AD', "B": '\u2029', "S": '\t', "WS": ' ',
	"ON": '!', "LRE": '\u202A', "RLE": '\u202B', "PDF": '\u202C', "LRO": '\u202D',
	"RLO": '\u202E', "LRI": '\u2066', "RLI": '\u2067', "FSI": '\u2068', "PDI": '\u2069',
}

var classNames = map[string]class{
	"L": clL, "R": clR, "AL": clAL, "EN": clEN, "ES": clES, "ET": clET, "AN": clAN,
	"CS": clCS, "NSM": clNSM, "BN": clBN, "B": clB, "S": clS, "WS": clWS,
	"ON": clON, "LRE": clLRE, "RLE": clRLE, "PDF": clPDF, "LRO": clLRO,
	"RLO": clRLO, "LRI": clLRI, "RLI": clRLI, "FSI": clFSI, "PDI": clPDI,
}

// TestBidiTest runs every case of BidiTest.txt, each class sequence with
// each paragraph direction its bit set names.
func TestBidiTest(t *testing.T) {
	f := openUCD(t, "BidiTest.txt")
	for name, r := range classSample {
		if got, want := classOf(r), classNames[name]; got != want {
			t.Fatalf("classOf(%U) = %v, want %v (%s)", r, got, want, name)
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var wantLevels, wantOrder []int
	var passed, total, line int
	for sc.Scan() {
		line++
		s := sc.Text()
		if line == 1 {
			checkVersion(t, "BidiTest.txt", s)
		}
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		switch {
		case s == "":
			continue
		case strings.HasPrefix(s, "@Levels:"):
			wantLevels = parseLevels(strings.TrimPrefix(s, "@Levels:"))
			continue
		case strings.HasPrefix(s, "@Reorder:"):
			wantOrder = parseInts(strings.TrimPrefix(s, "@Reorder:"))
			continue
		case s[0] == '@':
			continue
		}
		input, bits, ok := strings.Cut(s, ";")
		if !ok {
			t.Fatalf("line %d: no ';' in %q", line, s)
		}
		var text []rune
		for _, c := range strings.Fields(input) {
			r, ok := classSample[c]
			if !ok {
				t.Fatalf("line %d: unknown class %q", line, c)
			}
			text = append(text, r)
		}
		set, err := strconv.ParseUint(strings.TrimSpace(bits), 16, 8)
		if err != nil {
			t.Fatalf("line %d: bit set %q: %v", line, bits, err)
		}
		for bit, dir := range []Direction{Auto, LTR, RTL} {
			if set&(1<<bit) == 0 {
				continue
			}
			total++
			_, levels, order := conformanceResult(text, dir)
			if !slices.Equal(levels, wantLevels) || !slices.Equal(order, wantOrder) {
				if total-passed <= 10 {
					t.Errorf("line %d: %s dir %v:\n levels %v\n want   %v\n order %v\n want  %v",
						line, input, dir, levels, wantLevels, order, wantOrder)
				}
				continue
			}
			passed++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Fatal("BidiTest.txt holds no case")
	}
	t.Logf("BidiTest.txt: %d/%d cases pass", passed, total)
	if passed != total {
		t.Errorf("BidiTest.txt: %d of %d cases fail", total-passed, total)
	}
}
