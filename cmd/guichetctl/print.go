package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"strings"
	"time"

	"guichet/drivers/escpos"
	"guichet/drivers/serialport"
	"guichet/kiosk/pack"
	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

// Exit statuses of `guichetctl print`.
const (
	printExitFailed = 1 // the document could not be made or written
	printExitUsage  = 2 // bad subcommand, flags or arguments
)

const printUsage = `usage: guichetctl print sample --kind KIND --lang LANG [--tracking NUMBER]
                              --escpos FILE [--png FILE] [--pack CODE] [--printer WIDTH]
       guichetctl print sample --kind extract --lang LANG --pdf FILE [--pack CODE]

Writes the exact ESC/POS bytes the kiosk sends its receipt printer for a
sample document, and optionally a preview image drawn by the kiosk's own
rasteriser (native text in the bundled Latin font on the printer's grid).
Send the bytes to a printer to check it: cat FILE > /dev/usb/lp0.

kinds: receipt (a request's receipt), payment, callback, slip (pay at the
counter), testpage, diagnostics; extract is the laser printer's PDF of a
sample bulletin n°3, signed with public sample keys.

Without --tracking, a fresh sample tracking number is generated.
FILE - writes the bytes to standard output.

Exit status: 0 written, 1 failed, 2 bad flags.

flags:
`

// printKinds maps the command line's names to the documents.
var printKinds = map[string]receipt.Kind{
	"receipt":     receipt.KindRequest,
	"payment":     receipt.KindPayment,
	"callback":    receipt.KindCallback,
	"slip":        receipt.KindCounterSlip,
	"testpage":    receipt.KindTestPage,
	"diagnostics": receipt.KindDiagnostics,
}

// runPrint implements `guichetctl print`.
func runPrint(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, printUsage)
		return &exitError{code: printExitUsage, err: errors.New("missing command (sample)")}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(c.stdout, printUsage)
		return nil
	case "sample":
		return printSample(ctx, c, args[1:])
	}
	fmt.Fprint(c.stderr, printUsage)
	return &exitError{code: printExitUsage, err: fmt.Errorf("unknown command %q (sample)", args[0])}
}

func printSample(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("print sample", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), printUsage)
		fs.PrintDefaults()
	}
	kindName := fs.String("kind", "", "receipt, payment, callback, slip, testpage, diagnostics or extract")
	lang := fs.String("lang", "", "language of the document (ar, fr, zgh, en in Morocco)")
	number := fs.String("tracking", "", "tracking number to print (default: a fresh sample one)")
	out := fs.String("escpos", "", "file to write the ESC/POS bytes to (- for standard output)")
	pngOut := fs.String("png", "", "file to write a preview image to")
	pdfOut := fs.String("pdf", "", "file to write the laser document to (--kind extract; - for standard output)")
	packCode := fs.String("pack", "ma", "country pack: "+strings.Join(pack.EmbeddedCodes(), ", "))
	width := fs.String("printer", escpos.Receipt80mm.Name, "printer profile: 80mm or 58mm")
	usage := func(err error) error {
		fs.Usage()
		return &exitError{code: printExitUsage, err: err}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: printExitUsage, err: errors.New("")}
	}
	if fs.NArg() > 0 {
		return usage(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *kindName == "extract" {
		return sampleExtract(ctx, c, *packCode, *lang, *pdfOut)
	}
	kind, ok := printKinds[*kindName]
	if !ok {
		return usage(fmt.Errorf("--kind %q: want receipt, payment, callback, slip, testpage or diagnostics", *kindName))
	}
	if *out == "" {
		return usage(errors.New("--escpos FILE is required"))
	}
	prof, err := escpos.ProfileNamed(*width)
	if err != nil {
		return usage(err)
	}
	p, err := pack.Embedded(*packCode)
	if err != nil {
		return usage(err)
	}
	if _, ok := p.Language(*lang); !ok {
		var codes []string
		for _, l := range p.Languages {
			codes = append(codes, l.Code)
		}
		return usage(fmt.Errorf("--lang %q: pack %s has %s", *lang, p.Code, strings.Join(codes, ", ")))
	}
	var n tracking.Number
	if *number == "" {
		n = tracking.NewGenerator(receipt.SampleKiosk(p).ID, nil, nil).Next()
	} else if n, err = tracking.Parse(*number); err != nil {
		return usage(fmt.Errorf("--tracking: %w", err))
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	doc, err := receipt.Sample(p, kind, *lang, n, time.Now().Truncate(time.Minute))
	if err != nil {
		return &exitError{code: printExitFailed, err: err}
	}
	r, err := escpos.NewRenderer(prof)
	if err != nil {
		return &exitError{code: printExitFailed, err: err}
	}
	r.Preview = *pngOut != ""
	job, err := r.Render(doc)
	if err != nil {
		return &exitError{code: printExitFailed, err: err}
	}
	data := job.Bytes()
	if *out == "-" {
		if _, err := c.stdout.Write(data); err != nil {
			return &exitError{code: printExitFailed, err: err}
		}
	} else if err := os.WriteFile(*out, data, 0o644); err != nil {
		return &exitError{code: printExitFailed, err: err}
	}
	if *pngOut != "" {
		var buf bytes.Buffer
		if err := png.Encode(&buf, job.Preview.Gray()); err != nil {
			return &exitError{code: printExitFailed, err: err}
		}
		if err := os.WriteFile(*pngOut, buf.Bytes(), 0o644); err != nil {
			return &exitError{code: printExitFailed, err: err}
		}
	}
	report := c.stdout
	if *out == "-" {
		report = c.stderr
	}
	s := job.Stats
	wire := serialport.Config{Baud: 115200}
	fmt.Fprintf(report, "%s %s (%s, %s), tracking %s: %d bytes in %d chunks, %d text and %d image lines, %.0f mm of paper; %.2f s at 115200 baud (plain text: %d bytes, %.2f s)\n",
		*kindName, *lang, p.Code, prof.Name, n, s.Bytes, len(job.Chunks), s.NativeLines, s.RasterLines,
		float64(job.Rows)/float64(prof.DotsPerMM), wire.WireTime(s.Bytes).Seconds(), s.Floor, wire.WireTime(s.Floor).Seconds())
	return nil
}
