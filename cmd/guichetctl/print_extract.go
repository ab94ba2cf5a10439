package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"guichet/drivers/pdfdoc"
	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
)

// sampleExtract implements `guichetctl print sample --kind extract`: the
// laser document of a sample bulletin n°3, made as the kiosk makes it —
// signed (with the public sample keys), verified, laid out in lang from
// the country pack's words, rendered to PDF — and written to out ("-" for
// standard output). Times are shown in the host's time zone, as on the
// kiosk.
func sampleExtract(ctx context.Context, c *cli, packCode, lang, out string) error {
	usage := func(err error) error { return &exitError{code: printExitUsage, err: err} }
	if out == "" {
		return usage(errors.New("--kind extract: --pdf FILE is required"))
	}
	p, err := pack.Embedded(packCode)
	if err != nil {
		return usage(err)
	}
	if _, ok := p.Language(lang); !ok {
		var codes []string
		for _, l := range p.Languages {
			codes = append(codes, l.Code)
		}
		return usage(fmt.Errorf("--lang %q: pack %s has %s", lang, p.Code, strings.Join(codes, ", ")))
	}
	failed := func(err error) error { return &exitError{code: printExitFailed, err: err} }
	e, err := extracttest.Sample(p)
	if err != nil {
		return failed(err)
	}
	// The kiosk prints only what verifies.
	if err := e.Verify(extracttest.Keys(), p.ExtractVerificationBase); err != nil {
		return failed(err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	doc, err := extract.Layout(e, p, lang, time.Local)
	if err != nil {
		return failed(err)
	}
	start := time.Now()
	pdf, err := pdfdoc.Render(doc, pdfdoc.Options{})
	if err != nil {
		return failed(err)
	}
	took := time.Since(start)
	report := c.stdout
	if out == "-" {
		report = c.stderr
		if _, err := c.stdout.Write(pdf); err != nil {
			return failed(err)
		}
	} else if err := os.WriteFile(out, pdf, 0o644); err != nil {
		return failed(err)
	}
	fmt.Fprintf(report, "extract %s (%s), number %s, tracking %s: %d bytes of PDF in %v; verification QR %s\n",
		lang, p.Code, e.Number, e.Tracking, len(pdf), took.Round(time.Millisecond), e.VerificationURL)
	return nil
}
