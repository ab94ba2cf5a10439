package bidi

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// visualTests is the shared table of lines a receipt or a screen shows. It
// also seeds FuzzVisual and FuzzLevels.
var visualTests = []struct {
	name string
	text string
	dir  Direction
	want string
}{
	{"tracking number after Arabic, not isolated", "رقم التتبع 2024-00123", Auto, "00123-2024 عبتتلا مقر"},
	{"tracking number after Arabic, isolated", "رقم التتبع \u20662024-00123\u2069", Auto, "2024-00123 عبتتلا مقر"},
	{"PV number after Arabic, not isolated", "رقم المحضر 00000000-RF-0000", Auto, "RF-0000-00000000 رضحملا مقر"},
	{"PV number after Arabic, isolated", "رقم المحضر \u206600000000-RF-0000\u2069", Auto, "00000000-RF-0000 رضحملا مقر"},
	{"amount after Arabic, not isolated", "المبلغ: 20,00 DH", Auto, "DH 20,00 :غلبملا"},
	{"amount after Arabic, isolated", "المبلغ: \u206620,00 DH\u2069", Auto, "20,00 DH :غلبملا"},
	{"date after Arabic reads as written even so", "بتاريخ 12/03/2026", Auto, "12/03/2026 خيراتب"},
	{"service title with brackets", "السجل العدلي (البطاقة رقم 3)", Auto, "(3 مقر ةقاطبلا) يلدعلا لجسلا"},
	{"Latin name in Arabic", "المحامي Karim El Amrani بالرباط", Auto, "طابرلاب Karim El Amrani يماحملا"},
	{"Latin in brackets in Arabic", "محكمة (Casablanca)", Auto, "(Casablanca) ةمكحم"},
	{"Arabic in French", "Tribunal de première instance de الرباط", Auto, "Tribunal de première instance de طابرلا"},
	{"Arabic in brackets in French", "Casier judiciaire (السجل العدلي)", Auto, "Casier judiciaire (يلدعلا لجسلا)"},
	{"Tifinagh", "ⵜⴰⵎⴰⵣⵉⵖⵜ 2024", Auto, "ⵜⴰⵎⴰⵣⵉⵖⵜ 2024"},
	{"Latin forced right to left", "Reçu 12 !", RTL, "! Reçu 12"},
	{"Arabic forced left to right", "مرحبا  ", LTR, "ابحرم  "},
	{"override", "\u202Eabc\u202C", LTR, "cba"},
	{"mirrored comparison in Arabic", "أ < ب", Auto, "ب > أ"},
	{"Arabic-Indic digits", "رقم ٢٠٢٤-٠٠١٢٣", Auto, "٠٠١٢٣-٢٠٢٤ مقر"},
	{"first strong inside an isolate is skipped", "\u2067שלום\u2069 ok", Auto, "םולש ok"},
	{"zero-width and marks dropped", "a\u200Bb\u200Ec\u00AD", LTR, "abc"},
	{"empty", "", Auto, ""},
}

func TestVisual(t *testing.T) {
	for _, tt := range visualTests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Visual(tt.text, tt.dir); got != tt.want {
				t.Errorf("Visual(%+q, %v) = %+q, want %+q", tt.text, tt.dir, got, tt.want)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		dir       Direction
		levels    []uint8
		paraLevel uint8
	}{
		{"Arabic then European digits become Arabic numbers", "ب 12", Auto, []uint8{1, 1, 2, 2}, 1},
		{"Latin then digits", "a 12", Auto, []uint8{0, 0, 0, 0}, 0},
		{"no strong character is left to right", "12-3", Auto, []uint8{0, 0, 0, 0}, 0},
		{"Latin in a right-to-left line", "ab", RTL, []uint8{2, 2}, 1},
		{"isolate resets trailing controls (L1)", "ب\u2066a\u2069", Auto, []uint8{1, 1, 2, 1}, 1},
		{"removed controls take the level before", "a\u202Bب\u202C", LTR, []uint8{0, 0, 1, 0}, 0},
		{"embedding", "a\u202Bb\u202Cc", LTR, []uint8{0, 0, 2, 2, 0}, 0},
		{"tab is reset to the paragraph level", "ب\tب", LTR, []uint8{1, 0, 1}, 0},
		{"empty", "", RTL, []uint8{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			levels, para := Levels([]rune(tt.text), tt.dir)
			if para != tt.paraLevel {
				t.Errorf("Levels(%+q, %v) paragraph level = %d, want %d", tt.text, tt.dir, para, tt.paraLevel)
			}
			if diff := cmp.Diff(tt.levels, levels); diff != "" {
				t.Errorf("Levels(%+q, %v) levels (-want +got):\n%s", tt.text, tt.dir, diff)
			}
		})
	}
}

// TestEmbeddingDepth checks that embeddings past level 125 overflow rather
// than wrap or panic.
func TestEmbeddingDepth(t *testing.T) {
	text := []rune(strings.Repeat("\u202B\u202A", 100) + "a" + strings.Repeat("\u2067", 100) + "b")
	levels, _ := Levels(text, LTR)
	if got := slices.Max(levels); got != maxDepth+1 {
		t.Errorf("Levels(200 embeddings and 100 isolates) highest level = %d, want %d", got, maxDepth+1)
	}
}

func TestVisualRuns(t *testing.T) {
	arabic := "رقم التتبع "
	tests := []struct {
		name string
		text string
		dir  Direction
		want []Run
	}{
		{
			"isolated tracking number in Arabic",
			arabic + Isolate("K7MX-4HQ9-XR33"), Auto,
			[]Run{
				{Text: "K7MX-4HQ9-XR33", Level: 2, Start: len(arabic) + 3, End: len(arabic) + 3 + 14},
				{Text: arabic, RTL: true, Level: 1, Start: 0, End: len(arabic)},
			},
		},
		{
			"Arabic name in French",
			"Me الرباط (Rabat)", Auto,
			[]Run{
				{Text: "Me ", Level: 0, Start: 0, End: 3},
				{Text: "الرباط", RTL: true, Level: 1, Start: 3, End: 15},
				{Text: " (Rabat)", Level: 0, Start: 15, End: 23},
			},
		},
		{
			"number in Arabic",
			"ب 12 ج", Auto,
			[]Run{
				{Text: " ج", RTL: true, Level: 1, Start: 5, End: 8},
				{Text: "12", Level: 2, Start: 3, End: 5},
				{Text: "ب ", RTL: true, Level: 1, Start: 0, End: 3},
			},
		},
		{
			"joiner kept, zero-width space dropped",
			"ب\u200Dب\u200Bج", RTL,
			[]Run{{Text: "ب\u200Dبج", RTL: true, Level: 1, Start: 0, End: len("ب\u200Dب\u200Bج")}},
		},
		{"empty", "", Auto, nil},
		{"only controls", "\u2066\u2069", Auto, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := VisualRuns(tt.text, tt.dir)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("VisualRuns(%+q, %v) (-want +got):\n%s", tt.text, tt.dir, diff)
			}
		})
	}
}

// TestVisualRunsMatchVisual checks, over the shared table, that the runs
// give back Visual's string once each right-to-left run is reversed and
// mirrored, and that each run's Text is its span of the line.
func TestVisualRunsMatchVisual(t *testing.T) {
	for _, tt := range visualTests {
		t.Run(tt.name, func(t *testing.T) {
			checkRuns(t, tt.text, tt.dir)
		})
	}
}

// checkRuns compares VisualRuns(text, dir) with Visual(text, dir).
func checkRuns(t *testing.T, text string, dir Direction) {
	t.Helper()
	runs := VisualRuns(text, dir)
	for _, r := range runs {
		if r.Start < 0 || r.End > len(text) || r.Start >= r.End {
			t.Fatalf("VisualRuns(%+q, %v): run %+v has bounds outside the line", text, dir, r)
		}
		var span strings.Builder
		for _, c := range text[r.Start:r.End] { // invalid bytes read as U+FFFD, as in VisualRuns
			if keptInRun(c, classOf(c)) {
				span.WriteRune(c)
			}
		}
		if span.String() != r.Text {
			t.Errorf("VisualRuns(%+q, %v): run %+v: Text is not its span %+q", text, dir, r, span.String())
		}
		if r.RTL != (r.Level%2 == 1) {
			t.Errorf("VisualRuns(%+q, %v): run %+v: RTL does not match its level", text, dir, r)
		}
	}
	if got, want := joinRuns(runs), Visual(text, dir); got != want {
		t.Errorf("VisualRuns(%+q, %v) put together = %+q, want Visual's %+q", text, dir, got, want)
	}
}

// joinRuns puts runs together as Visual would show them: right-to-left runs
// reversed and mirrored, joiners dropped.
func joinRuns(runs []Run) string {
	var b strings.Builder
	for _, r := range runs {
		runes := []rune(r.Text)
		if r.RTL {
			slices.Reverse(runes)
			for i, c := range runes {
				runes[i], _ = mirrorOf(c)
			}
		}
		for _, c := range runes {
			if c != zwj && c != zwnj {
				b.WriteRune(c)
			}
		}
	}
	return b.String()
}
func TestDirectionString(t *testing.T) {
	for d, want := range map[Direction]string{Auto: "auto", LTR: "ltr", RTL: "rtl", 7: "Direction(7)"} {
		if got := d.String(); got != want {
			t.Errorf("Direction(%d).String() = %q, want %q", d, got, want)
		}
	}
}

func TestVisualLines(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		dir      Direction
		lineEnds []int
		want     []string // each line as Visual shows it
	}{
		{
			"wrapped Arabic line starting with a Latin word stays right to left",
			"المحامي Karim El Amrani بالرباط", Auto, []int{len("المحامي Karim ")},
			[]string{" Karim يماحملا", "طابرلاب El Amrani"},
		},
		{
			"digits keep the context of the line before",
			"رقم التتبع 2024-00123", Auto, []int{len("رقم التتبع ")},
			[]string{" عبتتلا مقر", "00123-2024"},
		},
		{
			"French paragraph, final end given",
			"Casier judiciaire (السجل العدلي) n° 12", Auto, []int{18, len("Casier judiciaire (السجل العدلي) n° 12")},
			[]string{"Casier judiciaire ", "(يلدعلا لجسلا) n° 12"},
		},
		{
			"break inside a character ends the line after it",
			"بب", RTL, []int{1},
			[]string{"ب", "ب"},
		},
		{"empty lines", "ab", LTR, []int{0, 0, 2}, []string{"", "", "ab"}},
		{"no ends: one line", "ب 12", Auto, nil, []string{"12 ب"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := VisualLines(tt.text, tt.dir, tt.lineEnds)
			if err != nil {
				t.Fatalf("VisualLines(%+q, %v, %v) error: %v", tt.text, tt.dir, tt.lineEnds, err)
			}
			got := make([]string, len(lines))
			for i, runs := range lines {
				got[i] = joinRuns(runs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("VisualLines(%+q, %v, %v) (-want +got):\n%s", tt.text, tt.dir, tt.lineEnds, diff)
			}
		})
	}
}

func TestVisualLinesOneLineIsVisualRuns(t *testing.T) {
	for _, tt := range visualTests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := VisualLines(tt.text, tt.dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([][]Run{VisualRuns(tt.text, tt.dir)}, lines); diff != "" {
				t.Errorf("VisualLines(%+q, %v, nil) differs from VisualRuns (-want +got):\n%s", tt.text, tt.dir, diff)
			}
		})
	}
}

func TestVisualLinesErrors(t *testing.T) {
	for _, ends := range [][]int{{3, 1}, {-1}, {10}} {
		if lines, err := VisualLines("abcd", LTR, ends); err == nil || !strings.HasPrefix(err.Error(), "bidi: ") {
			t.Errorf("VisualLines(%q, ltr, %v) = %v, %v, want a bidi: error", "abcd", ends, lines, err)
		}
	}
}
