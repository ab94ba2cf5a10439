package escpos

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers/escpos/escposdecode"
	"guichet/kiosk/pack"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

var (
	sampleAt     = time.Date(2026, time.May, 12, 13, 5, 0, 0, time.UTC)
	sampleNumber = mustNumber("3G33-XKDE-NM3M")
)

func mustNumber(s string) tracking.Number {
	n, err := tracking.Parse(s)
	if err != nil {
		panic(err)
	}
	return n
}

var packs sync.Map

func mustPack(t testing.TB, code string) *pack.Pack {
	t.Helper()
	if p, ok := packs.Load(code); ok {
		return p.(*pack.Pack)
	}
	p, err := pack.Embedded(code)
	if err != nil {
		t.Fatal(err)
	}
	packs.Store(code, p)
	return p
}

var renderers sync.Map

func renderer(t testing.TB, prof Profile) *Renderer {
	t.Helper()
	if r, ok := renderers.Load(prof.Name); ok {
		return r.(*Renderer)
	}
	r, err := NewRenderer(prof)
	if err != nil {
		t.Fatal(err)
	}
	r.Preview = true
	renderers.Store(prof.Name, r)
	return r
}

// pngDir is where the decoded receipts are saved: $RECEIPT_PNG_DIR when
// set (to look at them), the test's temporary directory otherwise.
func pngDir(t *testing.T) string {
	if d := os.Getenv("RECEIPT_PNG_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// TestReceiptsDecode prints every document in every language on both
// printer widths, and reads the bytes back with the independent decoder:
// every chunk is whole commands, nothing wraps, the receipt is cut once at
// the end, its native text holds what the document says in Latin letters,
// its QR code reads back with zbarimg to exactly the tracking payload, and
// the preview the kiosk draws is as tall as the paper the decoder used.
func TestReceiptsDecode(t *testing.T) {
	escposdecode.NeedZbar(t)
	dir := pngDir(t)
	for _, prof := range Profiles {
		for _, code := range pack.EmbeddedCodes() {
			p := mustPack(t, code)
			for _, kind := range receipt.Kinds {
				for _, l := range p.Languages {
					name := fmt.Sprintf("%s/%s/%s/%s", prof.Name, code, kind, l.Code)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						doc, err := receipt.Sample(p, kind, l.Code, sampleNumber, sampleAt)
						if err != nil {
							t.Fatal(err)
						}
						checkReceipt(t, prof, doc, filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+".png"))
					})
				}
			}
		}
	}
}

func checkReceipt(t *testing.T, prof Profile, doc receipt.Document, png string) *escposdecode.Result {
	t.Helper()
	job, err := renderer(t, prof).Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range job.Chunks {
		var p escposdecode.Parser
		if err := p.Feed(c, func(escposdecode.Command) {}); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if err := p.Close(); err != nil {
			t.Fatalf("chunk %d does not end on a command boundary: %v", i, err)
		}
	}
	res, err := escposdecode.Decode(job.Bytes(), prof.Dots)
	if err != nil {
		t.Fatal(err)
	}
	if err := escposdecode.WritePNG(png, res.Image()); err != nil {
		t.Fatal(err)
	}
	if res.Wrapped != 0 {
		t.Errorf("%d lines wrapped by the printer:\n%s", res.Wrapped, res.Text())
	}
	if diff := cmp.Diff([]int{res.Rows()}, res.Cuts); diff != "" {
		t.Errorf("cuts (-want one at the end +got):\n%s", diff)
	}
	if res.Inits != 1 || !slices.Equal(res.CodePages, []int{int(prof.CodePage.Number)}) {
		t.Errorf("ESC @ %d times, code pages %v; want once and [%d]", res.Inits, res.CodePages, prof.CodePage.Number)
	}
	if job.Rows != res.Rows() || job.Preview.H != res.Rows() {
		t.Errorf("job rows %d, preview %d, decoded paper %d: want them equal", job.Rows, job.Preview.H, res.Rows())
	}
	if s := job.Stats; s.Bytes != len(job.Bytes()) {
		t.Errorf("Stats.Bytes = %d, want %d", s.Bytes, len(job.Bytes()))
	} else if other := s.Bytes - s.TextBytes - s.RasterBytes - s.QRBytes; other < 0 || other > 400 {
		t.Errorf("stats: %d bytes = %d text + %d raster + %d QR + %d other; want the other (feeds, init, cut) under 400", s.Bytes, s.TextBytes, s.RasterBytes, s.QRBytes, other)
	}
	// Headings and paragraphs the code page holds are native text.
	text := strings.Join(strings.Fields(res.Text()), "")
	for _, b := range doc.Blocks {
		if b.Kind != receipt.Heading && b.Kind != receipt.Paragraph {
			continue
		}
		if _, ok := prof.CodePage.Encode(b.Text); ok && !b.RTL {
			if !strings.Contains(text, strings.Join(strings.Fields(b.Text), "")) {
				t.Errorf("native text lacks %q:\n%s", b.Text, res.Text())
			}
		}
	}
	got, err := escposdecode.ScanQR(png)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(doc.QRPayloads(), got); diff != "" {
		t.Errorf("zbarimg %s (-want +got):\n%s", png, diff)
	}
	return res
}

// TestNativeQR prints the request receipt with the printer's own QR
// command instead of a raster image.
func TestNativeQR(t *testing.T) {
	escposdecode.NeedZbar(t)
	prof := Receipt80mm
	prof.Name, prof.NativeQR = "80mm-native-qr", true
	doc, err := receipt.Sample(mustPack(t, "ma"), receipt.KindRequest, "fr", sampleNumber, sampleAt)
	if err != nil {
		t.Fatal(err)
	}
	res := checkReceipt(t, prof, doc, filepath.Join(pngDir(t), "80mm-native-qr.png"))
	if diff := cmp.Diff(doc.QRPayloads(), res.QRCodes); diff != "" {
		t.Errorf("native QR payloads (-want +got):\n%s", diff)
	}
}

// TestCheapestEncoding: a French receipt is native text but for the
// Arabic legal mention; an Arabic one is raster but for the identifiers
// and Latin lines.
func TestCheapestEncoding(t *testing.T) {
	ma := mustPack(t, "ma")
	r := renderer(t, Receipt80mm)
	stats := map[string]Stats{}
	for _, lang := range []string{"fr", "ar", "zgh", "en"} {
		doc, _ := receipt.Sample(ma, receipt.KindRequest, lang, sampleNumber, sampleAt)
		job, err := r.Render(doc)
		if err != nil {
			t.Fatal(err)
		}
		stats[lang] = job.Stats
	}
	arabicMention := 0
	for _, line := range wrap(ma.ReceiptLegalMention["ar"], Receipt80mm.Dots, func(s string) int { return r.sh.shape(s, 2, style{scale: 1}).Width() }) {
		_ = line
		arabicMention++
	}
	if got := stats["fr"].RasterLines; got != arabicMention {
		t.Errorf("French receipt: %d raster lines, want %d (the Arabic legal mention only)", got, arabicMention)
	}
	if stats["en"].RasterLines != arabicMention {
		t.Errorf("English receipt: %d raster lines, want %d", stats["en"].RasterLines, arabicMention)
	}
	for _, lang := range []string{"ar", "zgh"} {
		if s := stats[lang]; s.NativeLines < 5 || s.RasterLines < 10 {
			t.Errorf("%s receipt: %d native, %d raster lines; want identifiers native, words raster", lang, s.NativeLines, s.RasterLines)
		}
	}
	// With PC858 a line with œ is raster; with WPC1252 it is text.
	for _, tt := range []struct {
		page   CodePage
		raster int
	}{{WPC1252, 0}, {PC858, 1}} {
		prof := Receipt80mm
		prof.Name, prof.CodePage = "80mm-"+tt.page.Name, tt.page
		rr, _ := NewRenderer(prof)
		job, err := rr.Render(receipt.Document{Kind: receipt.KindTestPage, Lang: "fr", Blocks: []receipt.Block{
			{Kind: receipt.Paragraph, Text: "Le cœur de l'œuvre", Lang: "fr"}, {Kind: receipt.Cut},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if job.Stats.RasterLines != tt.raster {
			t.Errorf("%s: %d raster lines for œ, want %d", tt.page.Name, job.Stats.RasterLines, tt.raster)
		}
	}
}
