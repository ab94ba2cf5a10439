package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"guichet/drivers/mrz"
)

// maxMRZInput caps what `guichetctl mrz` reads: an MRZ is under 100 bytes,
// so anything near this is not one.
const maxMRZInput = 64 << 10

// Exit statuses of `guichetctl mrz`.
const (
	mrzExitInvalid = 1 // parsed, but a check failed
	mrzExitNotMRZ  = 2 // not 3×30, 2×36 or 2×44 characters
	mrzExitUsage   = 3 // bad flags or national-number settings
)

const mrzUsage = `usage: guichetctl mrz [flags] < lines

Reads the lines of a machine-readable zone (ICAO 9303: TD1, TD2, TD3, MRV-A,
MRV-B) on standard input, checks every check digit, and prints one JSON
object: format, document_code, issuing_state, document_number,
optional_data_1, optional_data_2, birth_date, expiry_date (YYYY-MM-DD,
unknown parts as XXXX/XX, "" when unreadable), sex ("" when unspecified),
nationality, surname, given_names, national_number, valid, errors.

Exit status: 0 valid, 1 parsed but invalid, 2 not an MRZ (nothing on
standard output), 3 bad flags.

flags:
`

// runMRZ implements `guichetctl mrz`.
func runMRZ(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("mrz", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), mrzUsage)
		fs.PrintDefaults()
	}
	now := fs.String("now", "", "today's date, `YYYY-MM-DD`, for the century of two-digit years (default: the system clock)")
	field := fs.String("national-field", "", "where the national number sits: optional_data_1, optional_data_2 or document_number")
	pattern := fs.String("national-pattern", "", "regular expression the whole national number must match, e.g. '[A-Z]{1,2}[0-9]{1,6}'")
	states := fs.String("national-states", "", "comma-separated issuing states whose documents carry the national number, e.g. MAR (default: any)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: mrzExitUsage, err: errors.New("")} // flag already said why
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{code: mrzExitUsage, err: fmt.Errorf("unexpected argument %q: the MRZ is read from standard input", fs.Arg(0))}
	}

	opts := mrz.Options{NationalNumber: mrz.Location{Field: *field, Pattern: *pattern}}
	if *states != "" {
		opts.NationalNumber.IssuingStates = strings.Split(*states, ",")
	}
	if *now != "" {
		t, err := time.ParseInLocation(time.DateOnly, *now, time.Local)
		if err != nil {
			return &exitError{code: mrzExitUsage, err: fmt.Errorf("--now %q: want YYYY-MM-DD", *now)}
		}
		opts.Now = func() time.Time { return t }
	}

	text, err := readAll(ctx, c.stdin, maxMRZInput)
	if err != nil {
		return err
	}
	m, err := mrz.Parse(mrz.Split(text), opts)
	switch {
	case errors.Is(err, mrz.ErrNotMRZ):
		return &exitError{code: mrzExitNotMRZ, err: err}
	case err != nil:
		return &exitError{code: mrzExitUsage, err: err}
	}

	enc := json.NewEncoder(c.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m.Report()); err != nil {
		return err
	}
	if !m.Valid {
		failed := make([]string, len(m.Errors))
		for i, e := range m.Errors {
			failed[i] = e.Field + " " + string(e.Code)
		}
		return &exitError{code: mrzExitInvalid, err: fmt.Errorf("invalid MRZ: %s", strings.Join(failed, ", "))}
	}
	return nil
}

// readAll reads r up to limit bytes, giving up when ctx ends. Input over the
// limit is reported as not an MRZ.
func readAll(ctx context.Context, r io.Reader, limit int64) (string, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := io.ReadAll(io.LimitReader(r, limit+1))
		done <- result{b, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case res := <-done:
		if res.err != nil {
			return "", fmt.Errorf("reading standard input: %w", res.err)
		}
		if int64(len(res.b)) > limit {
			return "", &exitError{code: mrzExitNotMRZ, err: fmt.Errorf("%w: more than %d bytes of input", mrz.ErrNotMRZ, limit)}
		}
		return string(res.b), nil
	}
}
