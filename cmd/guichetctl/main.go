// Command guichetctl is the technician's and operations' command-line tool.
// Each subcommand lives in its own file as a func(ctx, *cli, args) error; the
// logic itself lives in the packages it calls, so tests call those directly.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// cli carries the standard streams so that tests can run a subcommand in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// exitError lets a subcommand choose its exit status (for example `mrz` exits
// 1 for a parsed but invalid MRZ and 2 for text that is not an MRZ).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

type command struct {
	run     func(ctx context.Context, c *cli, args []string) error
	summary string
}

// commands is the whole list of subcommands; keep it sorted by name.
var commands = map[string]command{
	"audit": {runAudit, "verify the audit chain of a kiosk database"},
	"bidi":  {runBidi, "print logical lines in visual order"},
	"mrz":   {runMRZ, "parse and check MRZ lines read on standard input"},
	"pack":  {runPack, "check a country pack file"},
	"print": {runPrint, "write the ESC/POS bytes of a sample receipt"},

	"decommission": {runDecommission, "report the kiosk out of service and crypto-erase its keys and queue"},
	"provision":    {runProvision, "enrol the kiosk, set its court and test every peripheral"},

	"release": {runRelease, "build and sign software releases for the kiosks"},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: guichetctl COMMAND [ARGS]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// run executes one command line and returns the process exit status.
func run(ctx context.Context, c *cli, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(c.stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(c.stderr, "guichetctl: unknown command %q\n", args[0])
		usage(c.stderr)
		return 2
	}
	if err := cmd.run(ctx, c, args[1:]); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintf(c.stderr, "guichetctl %s: %v\n", args[0], ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(c.stderr, "guichetctl %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}
