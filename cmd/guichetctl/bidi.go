package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"guichet/drivers/bidi"
)

// maxBidiLine caps one input line of `guichetctl bidi`: a receipt or screen
// line is under a kilobyte.
const maxBidiLine = 1 << 20

// bidiExitUsage is the exit status for bad flags or arguments.
const bidiExitUsage = 2

const bidiUsage = `usage: guichetctl bidi [--rtl|--ltr] < lines

Reads lines of text in logical order (the order they are typed and stored)
on standard input and prints each one in visual order: left to right as it
appears on a receipt or the screen, after the Unicode Bidirectional
Algorithm (UAX #9), with brackets mirrored in right-to-left runs and the
isolate, embedding and other invisible format characters removed. Arabic
letters are not shaped.

Each line is a paragraph. By default its direction is that of its first
strong letter (right to left for Arabic, left to right for Latin or
Tifinagh, left to right when it has none).

Exit status: 0 done, 1 unreadable input or a line over 1 MiB, 2 bad flags.

flags:
`

// runBidi implements `guichetctl bidi`.
func runBidi(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("bidi", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), bidiUsage)
		fs.PrintDefaults()
	}
	rtl := fs.Bool("rtl", false, "lay every line out right to left, as an Arabic screen does")
	ltr := fs.Bool("ltr", false, "lay every line out left to right, as a French screen does")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &exitError{code: bidiExitUsage, err: errors.New("")} // flag already said why
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &exitError{code: bidiExitUsage, err: fmt.Errorf("unexpected argument %q: the lines are read from standard input", fs.Arg(0))}
	}
	dir := bidi.Auto
	switch {
	case *rtl && *ltr:
		return &exitError{code: bidiExitUsage, err: errors.New("--rtl and --ltr exclude each other")}
	case *rtl:
		dir = bidi.RTL
	case *ltr:
		dir = bidi.LTR
	}

	// Lines are read in a goroutine so that an interrupt ends the command
	// even while it waits for a terminal.
	type line struct {
		text string
		err  error
	}
	lines := make(chan line, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(c.stdin)
		sc.Buffer(make([]byte, 0, 4096), maxBidiLine)
		for sc.Scan() {
			select {
			case lines <- line{text: sc.Text()}:
			case <-ctx.Done():
				return
			}
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				err = fmt.Errorf("a line is longer than %d bytes", maxBidiLine)
			}
			select {
			case lines <- line{err: fmt.Errorf("reading standard input: %w", err)}:
			case <-ctx.Done():
			}
		}
	}()

	out := bufio.NewWriter(c.stdout)
	for n := 1; ; n++ {
		var l line
		var ok bool
		select {
		case <-ctx.Done():
			out.Flush()
			return ctx.Err()
		case l, ok = <-lines:
		}
		if !ok {
			return out.Flush()
		}
		if l.err != nil {
			out.Flush()
			return fmt.Errorf("line %d: %w", n, l.err)
		}
		out.WriteString(bidi.Visual(strings.TrimSuffix(l.text, "\r"), dir))
		out.WriteByte('\n')
		if len(lines) == 0 { // show each line at once when typed by hand
			if err := out.Flush(); err != nil {
				return err
			}
		}
	}
}
