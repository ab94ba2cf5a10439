package pdfdoc

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-text/typesetting/shaping"
	"github.com/google/go-cmp/cmp"

	"guichet/drivers/bidi"
	"guichet/drivers/pdfdoc/pdfcheck"
	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

func sampleDoc(t testing.TB, code, lang string, edit func(*extract.Extract)) (*extract.Document, *extract.Extract) {
	t.Helper()
	p, err := pack.Embedded(code)
	if err != nil {
		t.Fatal(err)
	}
	e, err := extracttest.Sample(p)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(e)
		if err := extracttest.SignAll(e, p.ExtractVerificationBase); err != nil {
			t.Fatal(err)
		}
	}
	d, err := extract.Layout(e, p, lang, time.FixedZone("+01", 3600))
	if err != nil {
		t.Fatal(err)
	}
	return d, e
}

func render(t testing.TB, d *extract.Document) []byte {
	t.Helper()
	b, err := Render(d, Options{})
	if err != nil {
		t.Fatalf("Render() error: %v", err)
	}
	if !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("Render() = %q…, want a PDF", b[:min(len(b), 16)])
	}
	return b
}

// squash folds runs of white space, as pdftotext breaks and spaces lines
// as it sees them.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestRenderText reads the text layer back with pdftotext: every field of
// the extract is there, Arabic in logical order (which proves each glyph
// maps back to its letter, in whatever form it was drawn).
func TestRenderText(t *testing.T) {
	tests := []struct {
		code, lang string
		want       []string
	}{
		{"ma", "fr", []string{
			"Royaume du Maroc", "Tribunal de première instance de Casablanca", "Extrait du casier judiciaire",
			"B3/2026/004217", "K7MX-4HQ9-XR33", "16/03/2026 10:42", "EL AMRANI", "Fatima Zahra", "12/03/1990",
			"BE123456", "Néant", "Le greffier", "Le procureur du Roi", "Nadia Benjelloun", "Clé : sample-greffe-2026",
			"https://verif.justice.gov.ma/v/K7MX4HQ9XR33.", "Pour vérifier l'authenticité de cet extrait",
		}},
		{"tg", "fr", []string{
			"République togolaise", "Tribunal de première instance de Lomé", "AGBEKO", "Kossi Mawuli",
			"Néant", "Le procureur de la République", "https://verif.justice.gouv.tg/v/K7MX4HQ9XR33.",
		}},
		{"ma", "ar", []string{
			"المملكة المغربية", "وزارة العدل", "المحكمة الابتدائية بالدار البيضاء", "مستخرج من السجل العدلي",
			"العمراني", "فاطمة الزهراء", "خديجة بناني", "الدار البيضاء", "لا شيء", "كاتب الضبط", "وكيل الملك",
			"هوية المعني بالأمر", "B3/2026/004217", "BE123456", "12/03/1990",
			"https://verif.justice.gov.ma/v/K7MX4HQ9XR33.",
		}},
		{"ma", "zgh", []string{"ⵜⴰⴳⵍⴷⵉⵜ ⵏ ⵍⵎⵖⵔⵉⴱ", "ⴰⵙⵓⴼⵖ ⵏ ⵓⵙⵊⵊⵍ ⴰⵏⵣⵣⴰⵔⴼⵓ", "ⵡⴰⵍⵓ", "EL AMRANI", "B3/2026/004217"}},
	}
	for _, tt := range tests {
		t.Run(tt.code+"_"+tt.lang, func(t *testing.T) {
			pdfcheck.Need(t, "pdftotext")
			d, _ := sampleDoc(t, tt.code, tt.lang, nil)
			text := squash(pdfcheck.Text(t, render(t, d)))
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("pdftotext has no %q; it reads:\n%s", w, text)
				}
			}
		})
	}
}

// TestRenderQR decodes the printed verification QR code with zbarimg.
func TestRenderQR(t *testing.T) {
	for _, lang := range []string{"fr", "ar"} {
		t.Run(lang, func(t *testing.T) {
			pdfcheck.Need(t, "pdftoppm", "zbarimg")
			d, e := sampleDoc(t, "ma", lang, nil)
			got := pdfcheck.QR(t, render(t, d), 150)
			if diff := cmp.Diff([]string{e.VerificationURL}, got); diff != "" {
				t.Errorf("QR codes on the page (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderPages: an extract with many convictions runs onto more pages,
// each numbered, and the QR code is printed once.
func TestRenderPages(t *testing.T) {
	pdfcheck.Need(t, "pdftotext", "pdfinfo")
	d, e := sampleDoc(t, "ma", "fr", func(e *extract.Extract) {
		for i := 0; i < 30; i++ {
			e.Entries = append(e.Entries, extract.Entry{
				Date:     fmt.Sprintf("20%02d-01-15", 10+i%15),
				Court:    extract.Written{Latin: "Tribunal de première instance de Rabat", Arabic: "المحكمة الابتدائية بالرباط"},
				Offence:  extract.Written{Latin: fmt.Sprintf("Infraction n° %d à la loi sur les chèques", i+1)},
				Sentence: extract.Written{Latin: "Deux ans d'emprisonnement ferme et une amende de 5 000 dirhams"},
			})
		}
	})
	b := render(t, d)
	n := pdfcheck.Pages(t, b)
	if n < 2 {
		t.Fatalf("pages = %d, want 2 or more for 30 convictions", n)
	}
	text := squash(pdfcheck.Text(t, b))
	for i := 1; i <= n; i++ {
		if w := fmt.Sprintf("%d/%d", i, n); !strings.Contains(text, w) {
			t.Errorf("no page number %q in the text", w)
		}
	}
	for _, w := range []string{"Infraction n° 1 à", "Infraction n° 30 à", "Le procureur du Roi"} {
		if !strings.Contains(text, w) {
			t.Errorf("pdftotext has no %q", w)
		}
	}
	if strings.Contains(text, "Néant") {
		t.Errorf("an extract with convictions prints Néant")
	}
	if got := pdfcheck.QR(t, b, 100); len(got) != 1 || got[0] != e.VerificationURL {
		t.Errorf("QR codes = %q, want one, %q", got, e.VerificationURL)
	}
}

func TestRenderDeterministic(t *testing.T) {
	d, _ := sampleDoc(t, "ma", "ar", nil)
	a, b := render(t, d), render(t, d)
	if !bytes.Equal(a, b) {
		t.Errorf("Render() gave different bytes for the same document")
	}
	c, err := Render(d, Options{Created: time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)})
	if err != nil || !bytes.Contains(c, []byte("/CreationDate(D:20260316")) {
		t.Errorf("Render(Created) has no creation date (err %v)", err)
	}
}

// TestShapeArabicForms checks that letters take their joining forms: the
// font maps the presentation forms to the same glyphs the shaper picks.
func TestShapeArabicForms(t *testing.T) {
	faces, err := newFaceSet()
	if err != nil {
		t.Fatal(err)
	}
	s := newShaper(faces, "ar", "Arab")
	arab := faces.get("Arab", false)
	form := func(r rune) uint32 {
		g, ok := arab.face.NominalGlyph(r)
		if !ok {
			t.Fatalf("Noto Naskh Arabic has no %U", r)
		}
		return uint32(g)
	}
	tests := []struct {
		text string
		want []rune // presentation forms, left to right
	}{
		{"ب", []rune{0xFE8F}},                   // isolated
		{"ببب", []rune{0xFE90, 0xFE92, 0xFE91}}, // final, medial, initial
		{"باب", []rune{0xFE8F, 0xFE8E, 0xFE91}}, // alef does not join to the left
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			l, err := s.shapeLine(tt.text, false, true)
			if err != nil {
				t.Fatal(err)
			}
			var got, want []uint32
			for _, g := range l.glyphs {
				got = append(got, uint32(g.gid))
			}
			for _, r := range tt.want {
				want = append(want, form(r))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("shapeLine(%q) glyphs (-want +got):\n%s", tt.text, diff)
			}
		})
	}
	// Noto Naskh draws lam-alef with two required-ligature forms (rlig)
	// rather than one ligature glyph.
	l, err := s.shapeLine("لا", false, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range l.glyphs {
		names = append(names, arab.face.GlyphName(g.gid))
	}
	if diff := cmp.Diff([]string{"uniFE8E.rlig", "uniFEDF.rlig"}, names); diff != "" {
		t.Errorf("shapeLine(lam-alef) glyphs (-want +got):\n%s", diff)
	}
}

// TestShapeOrder: read back in visual order, the glyphs' characters are
// the line as the bidi algorithm orders it (for text without ligatures),
// and the glyphs advance left to right.
func TestShapeOrder(t *testing.T) {
	faces, err := newFaceSet()
	if err != nil {
		t.Fatal(err)
	}
	s := newShaper(faces, "ar", "Arab")
	tests := []struct {
		text string
		rtl  bool
	}{
		{"رقم البطاقة " + bidi.Isolate("BE123456"), true},
		{"تاريخ الازدياد " + bidi.Isolate("12/03/1990"), true},
		{"المفتاح: " + bidi.Isolate("sample-greffe-2026"), true},
		{"البطاقة رقم 3", true},
		{"Clé : " + bidi.Isolate("sample-greffe-2026"), false},
		{"Tribunal de première instance d'Oujda", false},
		{"Nom : \u2068العمراني\u2069 (EL AMRANI)", false},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			l, err := s.shapeLine(tt.text, false, tt.rtl)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			x := -1.0
			for _, g := range l.glyphs {
				b.WriteRune(g.text)
				if g.x < x-1 {
					t.Errorf("glyph %U at x %.1f left of the one before (%.1f)", g.text, g.x, x)
				}
				x = g.x
			}
			dir := bidi.LTR
			if tt.rtl {
				dir = bidi.RTL
			}
			// Visual reverses Arabic letters; the glyphs of a right-to-left
			// run also come right to left, each standing for its letter.
			if got, want := b.String(), bidi.Visual(tt.text, dir); got != want {
				t.Errorf("glyph texts = %q, want %q", got, want)
			}
		})
	}
}

// TestClusterTexts gives clusterTexts shaper outputs of every kind:
// one glyph per character, a ligature, a character split into several
// glyphs, a base with its mark, in both directions.
func TestClusterTexts(t *testing.T) {
	g := func(cluster, runes, glyphs int) shaping.Glyph {
		return shaping.Glyph{ClusterIndex: cluster, RuneCount: runes, GlyphCount: glyphs}
	}
	tests := []struct {
		name  string
		text  string
		rtl   bool
		glyph []shaping.Glyph // as the shaper gives them, in visual order
		want  string          // the glyphs' characters, in the same order
	}{
		{"one glyph each", "abc", false, []shaping.Glyph{g(0, 1, 1), g(1, 1, 1), g(2, 1, 1)}, "abc"},
		{"right to left", "سلم", true, []shaping.Glyph{g(2, 1, 1), g(1, 1, 1), g(0, 1, 1)}, "ملس"},
		{"lam-alef ligature", "سلام", true, []shaping.Glyph{g(3, 1, 1), g(1, 2, 1), g(0, 1, 1)}, "م\uFEFBس"},
		{"other ligature", "ffi", false, []shaping.Glyph{g(0, 3, 1)}, "f"},
		{"base and mark", "بَ", true, []shaping.Glyph{g(0, 2, 2), g(0, 2, 2)}, "\u064e\u0628"},
		{"one character, two glyphs", "é", false, []shaping.Glyph{g(0, 1, 2), g(0, 1, 2)}, "é\u200b"},
		{"one character, two glyphs, right to left", "ب", true, []shaping.Glyph{g(0, 1, 2), g(0, 1, 2)}, "\u200bب"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(clusterTexts(tt.glyph, []rune(tt.text), tt.rtl))
			if got != tt.want {
				t.Errorf("clusterTexts(%q) = %+q, want %+q", tt.text, got, tt.want)
			}
		})
	}
}

func TestWrap(t *testing.T) {
	faces, err := newFaceSet()
	if err != nil {
		t.Fatal(err)
	}
	s := newShaper(faces, "fr", "Latn")
	text := "Pour vérifier l'authenticité de cet extrait, scannez ce code ou ouvrez l'adresse ci-dessous."
	for _, width := range []float64{8000, 12000, 20000, 100000} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			lines, err := s.wrap(text, false, false, width)
			if err != nil {
				t.Fatal(err)
			}
			var words []string
			for _, l := range lines {
				if l.width > width {
					t.Errorf("line %.0f wide, want at most %.0f", l.width, width)
				}
				var b strings.Builder
				for _, g := range l.glyphs {
					b.WriteRune(g.text)
				}
				words = append(words, b.String())
			}
			if got := strings.Join(words, " "); got != text {
				t.Errorf("wrapped lines joined = %q, want the text", got)
			}
			if width == 100000 && len(lines) != 1 {
				t.Errorf("%d lines at width %.0f, want 1", len(lines), width)
			}
		})
	}
	t.Run("word longer than a line", func(t *testing.T) {
		url := "https://verif.justice.gov.ma/v/K7MX4HQ9XR33.7JNHKRWXCTZICF4S"
		lines, err := s.wrap(url, false, false, 6000)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, l := range lines {
			if l.width > 6000 {
				t.Errorf("line %.0f wide, want at most 6000", l.width)
			}
			for _, g := range l.glyphs {
				b.WriteRune(g.text)
			}
		}
		if len(lines) < 2 || b.String() != url {
			t.Errorf("wrap(url) = %d lines reading %q, want it cut into several", len(lines), b.String())
		}
	})
}

func TestEmbedderPlace(t *testing.T) {
	faces, err := newFaceSet()
	if err != nil {
		t.Fatal(err)
	}
	ar, la := faces.get("Arab", false), faces.get("Latn", false)
	e := newEmbedder()
	steps := []struct {
		f      *face
		gid    uint16
		text   rune
		family string
	}{
		{ar, 38, 'ب', "ArabR0"},      // beh, initial
		{ar, 38, 'ب', "ArabR0"},      // again: same instance
		{ar, 40, 'ب', "ArabR1"},      // beh, another form: the character is taken
		{ar, 41, 'ت', "ArabR0"},      // teh fits the first instance
		{ar, 41, 'ث', "ArabR1"},      // the glyph is taken for another character
		{ar, 42, 'ب', "ArabR2"},      // a third form of beh
		{la, 38, 'a', "LatnR0"},      // other faces have their own instances
		{ar, 40, 'ب', "ArabR1"},      // found again where it is
		{ar, 38, '\u200b', "ArabR1"}, // the first instance without glyph 38 nor U+200B
	}
	for i, st := range steps {
		in := e.place(st.f, fontGID(st.gid), st.text)
		if in.family != st.family {
			t.Errorf("step %d: place(%s, %d, %U) = %s, want %s", i, st.f.name, st.gid, st.text, in.family, st.family)
		}
	}
	for _, in := range e.order {
		for r, g := range in.byRune {
			if in.byGID[g] != r {
				t.Errorf("%s maps %U to glyph %d but glyph %d to %U", in.family, r, g, g, in.byGID[g])
			}
		}
	}
}

func BenchmarkRender(b *testing.B) {
	for _, lang := range []string{"fr", "ar"} {
		b.Run(lang, func(b *testing.B) {
			d, _ := sampleDoc(b, "ma", lang, nil)
			var n int
			for b.Loop() {
				pdf, err := Render(d, Options{})
				if err != nil {
					b.Fatal(err)
				}
				n = len(pdf)
			}
			b.ReportMetric(float64(n), "bytes/pdf")
		})
	}
}
