package escpos_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"guichet/drivers/escpos"
	"guichet/drivers/serialport"
	"guichet/kiosk/pack"
	"guichet/kiosk/printq"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

func mustParse(b testing.TB, s string) tracking.Number {
	n, err := tracking.Parse(s)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// wire is a receipt printer's serial line: 115200 baud, 8N1.
var wire = serialport.Config{Path: "/dev/guichet/receipt", Baud: 115200}

// BenchmarkReceipt measures the request receipt in each language: its
// bytes and their time on the wire at 115200 baud, next to the floor (the
// same content as plain text), and the time to lay it out.
func BenchmarkReceipt(b *testing.B) {
	ma, err := pack.Embedded("ma")
	if err != nil {
		b.Fatal(err)
	}
	for _, prof := range escpos.Profiles {
		r, err := escpos.NewRenderer(prof)
		if err != nil {
			b.Fatal(err)
		}
		for _, lang := range []string{"ar", "fr", "zgh", "en"} {
			doc, err := receipt.Sample(ma, receipt.KindRequest, lang, mustParse(b, "3G33-XKDE-NM3M"), at)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(prof.Name+"/"+lang, func(b *testing.B) {
				var job *escpos.Job
				for b.Loop() {
					job, err = r.Render(doc)
					if err != nil {
						b.Fatal(err)
					}
				}
				s := job.Stats
				b.ReportMetric(float64(s.Bytes), "bytes")
				b.ReportMetric(float64(wire.WireTime(s.Bytes).Milliseconds()), "wire-ms")
				b.ReportMetric(float64(s.Floor), "floor-bytes")
				b.ReportMetric(float64(wire.WireTime(s.Floor).Milliseconds()), "floor-wire-ms")
				b.ReportMetric(float64(s.RasterBytes), "raster-bytes")
				b.ReportMetric(float64(s.QRBytes), "qr-bytes")
				b.ReportMetric(float64(s.TextBytes), "text-bytes")
				b.ReportMetric(float64(s.RasterLines), "raster-lines")
				b.ReportMetric(float64(s.NativeLines), "native-lines")
				b.ReportMetric(float64(len(job.Chunks)), "chunks")
				b.ReportMetric(float64(job.Rows)/float64(prof.DotsPerMM), "paper-mm")
			})
		}
	}
}

// BenchmarkRasterLine measures shaping, ordering and rasterising one line
// of each script, through a one-line document (the per-line cost of the
// raster path, framing included).
func BenchmarkRasterLine(b *testing.B) {
	r, err := escpos.NewRenderer(escpos.Receipt80mm)
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name, text, lang string
		rtl              bool
	}{
		{"arabic", "احتفظوا بهذا الوصل، فهو ضروري لتتبع طلبكم", "ar", true},
		{"arabic-mixed", receipt.SampleArabicMixed, "ar", true},
		{"tifinagh", "ⵃⴹⵓ ⴰⵡⵚⵍ ⴰ, ⵉⵍⴰⵇ ⵉ ⵓⴹⴼⴼⵓⵕ ⴷ ⵓⵙⵉ ⵏ ⵜⵓⵜⵔⴰ", "zgh", false},
		{"latin-oe-raster", "Le cœur de l'œuvre, sœur Œdipe", "fr", false},
	} {
		doc := receipt.Document{Kind: receipt.KindTestPage, Lang: tt.lang, Blocks: []receipt.Block{
			{Kind: receipt.Paragraph, Text: tt.text, Lang: tt.lang, RTL: tt.rtl}, {Kind: receipt.Cut},
		}}
		if tt.name == "latin-oe-raster" {
			prof := escpos.Receipt80mm
			prof.CodePage = escpos.PC858
			r, _ = escpos.NewRenderer(prof)
		}
		b.Run(tt.name, func(b *testing.B) {
			var job *escpos.Job
			for b.Loop() {
				job, err = r.Render(doc)
				if err != nil {
					b.Fatal(err)
				}
			}
			if job.Stats.RasterLines != 1 {
				b.Fatalf("%d raster lines, want 1", job.Stats.RasterLines)
			}
			b.ReportMetric(float64(job.Stats.RasterBytes), "raster-bytes")
		})
	}
}

// instantPort is a printer that answers every status query "ready" at once
// and notes when the first byte of a job arrives.
type instantPort struct {
	mu      sync.Mutex
	answers []byte
	ready   chan struct{}
	first   chan time.Time
	jobs    int
}

func newInstantPort() *instantPort {
	return &instantPort{ready: make(chan struct{}, 1), first: make(chan time.Time, 1)}
}

func (p *instantPort) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if bytes.HasPrefix(b, []byte{0x10, 0x04}) {
		for range len(b) / 3 {
			p.answers = append(p.answers, 0x12)
		}
		select {
		case p.ready <- struct{}{}:
		default:
		}
		return len(b), nil
	}
	if bytes.HasPrefix(b, []byte{0x1B, 0x40}) {
		p.jobs++
		select {
		case p.first <- time.Now():
		default:
		}
	}
	return len(b), nil
}

func (p *instantPort) Read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.answers) > 0 {
			n := copy(b, p.answers)
			p.answers = p.answers[n:]
			p.mu.Unlock()
			return n, nil
		}
		p.mu.Unlock()
		select {
		case <-p.ready:
		case <-time.After(time.Second):
			return 0, os.ErrDeadlineExceeded
		}
	}
}

func (p *instantPort) SetReadTimeout(time.Duration) error { return nil }
func (p *instantPort) Close() error                       { return nil }

// BenchmarkSubmitToFirstByte measures, for an Arabic request receipt, the
// time from the spooler's Submit (the job written to the print queue on
// disk) to the first byte of the job on the printer's port, the printer
// answering at once: queueing, layout and rasterising, and the status
// check before the first chunk.
func BenchmarkSubmitToFirstByte(b *testing.B) {
	ma, _ := pack.Embedded("ma")
	for _, lang := range []string{"ar", "fr"} {
		b.Run(lang, func(b *testing.B) {
			doc, err := receipt.Sample(ma, receipt.KindRequest, lang, mustParse(b, "3G33-XKDE-NM3M"), at)
			if err != nil {
				b.Fatal(err)
			}
			prof := escpos.Receipt80mm
			prof.Speed = 1 << 20
			p, err := escpos.New(prof, escpos.Options{PollInterval: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			port := newInstantPort()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go p.Drive(ctx, port)
			q, err := printq.Open(filepath.Join(b.TempDir(), "printq.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			printed := make(chan struct{}, 1)
			s := &printq.Spooler{Queue: q, Printer: p, Pack: ma, Kiosk: receipt.SampleKiosk(ma),
				OnEvent: func(e printq.Event) {
					if e.Kind == printq.EventPrinted {
						printed <- struct{}{}
					}
				}}
			go s.Run(ctx)
			waitReady(b, p)
			var total time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := s.Submit(doc); err != nil {
					b.Fatal(err)
				}
				total += (<-port.first).Sub(start)
				<-printed
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms-to-first-byte")
		})
	}
}

// BenchmarkStatusQuery measures one round of DLE EOT 1–4 with a printer
// answering at once: the cost of a check between two chunks, wire aside
// (12 bytes out and 4 back take 1.4 ms at 115200 baud).
func BenchmarkStatusQuery(b *testing.B) {
	c := &escpos.Conn{Port: newInstantPort(), Profile: escpos.Receipt80mm}
	for b.Loop() {
		if _, err := c.Status(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(wire.WireTime(16).Microseconds())/1000, "wire-ms")
}
