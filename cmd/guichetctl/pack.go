package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"guichet/kiosk/pack"
)

// Exit statuses of `guichetctl pack`.
const (
	packExitRefused = 1 // a pack file was refused, or could not be read
	packExitUsage   = 2 // bad subcommand or arguments
)

const packUsage = `usage: guichetctl pack COMMAND [ARGS]

Country packs hold everything country-specific the kiosk knows (languages,
currency, services and forms, courts, payment methods, messages).

commands:
  check FILE...  load each pack file as the kiosk does and print, per file,
                 "FILE: ok (…)" or every problem with its JSON path and reason;
                 FILE - reads standard input
  list           list the packs built into this binary
  export CODE    print a built-in pack's JSON, to copy and edit

Exit status: 0 every pack is good, 1 a pack was refused, 2 usage error.
`

// runPack implements `guichetctl pack`.
func runPack(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, packUsage)
		return &exitError{code: packExitUsage, err: errors.New("missing command")}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(c.stdout, packUsage)
		return nil
	case "check":
		return packCheck(ctx, c, args[1:])
	case "list":
		return packList(c, args[1:])
	case "export":
		return packExport(c, args[1:])
	}
	fmt.Fprint(c.stderr, packUsage)
	return &exitError{code: packExitUsage, err: fmt.Errorf("unknown command %q", args[0])}
}

func packCheck(ctx context.Context, c *cli, files []string) error {
	if len(files) == 0 {
		fmt.Fprint(c.stderr, packUsage)
		return &exitError{code: packExitUsage, err: errors.New("check: no pack file given")}
	}
	refused := 0
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := readPackFile(c, name)
		if err != nil {
			fmt.Fprintf(c.stderr, "pack: %s: cannot read: %v\n", name, err)
			refused++
			continue
		}
		p, err := pack.Load(name, data)
		if err != nil {
			fmt.Fprintln(c.stderr, err)
			refused++
			continue
		}
		fmt.Fprintf(c.stdout, "%s: ok (pack %s v%d, %s, %s, %s)\n", name, p.Code, p.Version,
			plural(len(p.Languages), "language"), plural(len(p.Courts), "court"), plural(len(p.Services), "service"))
	}
	if refused > 0 {
		return &exitError{code: packExitRefused, err: fmt.Errorf("%d of %d pack files refused", refused, len(files))}
	}
	return nil
}

// readPackFile reads a pack file, or standard input for "-", reading at
// most one byte more than a pack may have so that Load reports the size.
func readPackFile(c *cli, name string) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = c.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return io.ReadAll(io.LimitReader(r, pack.MaxSize+1))
}

func packList(c *cli, args []string) error {
	if len(args) > 0 {
		return &exitError{code: packExitUsage, err: fmt.Errorf("list: unexpected argument %q", args[0])}
	}
	w := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CODE\tVERSION\tLANGUAGES\tCURRENCY\tCOURTS\tSERVICES")
	for _, code := range pack.EmbeddedCodes() {
		p, err := pack.Embedded(code)
		if err != nil {
			return err // a built-in pack that does not load is a build bug
		}
		langs := make([]string, len(p.Languages))
		for i, l := range p.Languages {
			langs[i] = l.Code
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%d\t%d\n", p.Code, p.Version, strings.Join(langs, ","), p.Currency.Code, len(p.Courts), len(p.Services))
	}
	return w.Flush()
}

func packExport(c *cli, args []string) error {
	if len(args) != 1 {
		return &exitError{code: packExitUsage, err: errors.New("export: give exactly one pack code, e.g. ma")}
	}
	data, err := pack.EmbeddedData(args[0])
	if err != nil {
		return &exitError{code: packExitRefused, err: err}
	}
	_, err = c.stdout.Write(data)
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
