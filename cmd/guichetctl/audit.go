package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"guichet/kiosk/store"
)

// Exit statuses of `guichetctl audit`.
const (
	auditExitBroken = 1 // the chain is broken, or the database cannot be read
	auditExitUsage  = 2 // bad subcommand or arguments
)

const auditUsage = `usage: guichetctl audit COMMAND DB

The audit chain records every request state change and every technician
action of a kiosk, each entry hashed together with the one before it.

commands:
  verify DB  open the kiosk database DB read-only, verify the chain against
             the head recorded in the database, and print
             "ok: N entries, head HASH" or every problem found, naming the
             entry and what was done to it (edited, deleted, reordered,
             inserted)
  list DB    print every entry: sequence, time, actor, action, subject, detail

The kiosk holds its database locked while it runs: stop it, or work on a copy.
Exit status: 0 the chain verifies, 1 it is broken or DB cannot be read,
2 usage error.
`

// runAudit implements `guichetctl audit`.
func runAudit(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, auditUsage)
		return &exitError{code: auditExitUsage, err: errors.New("missing command")}
	}
	switch args[0] {
	case "-h", "--help", "help":
		fmt.Fprint(c.stdout, auditUsage)
		return nil
	case "verify", "list":
		if len(args) != 2 {
			fmt.Fprint(c.stderr, auditUsage)
			return &exitError{code: auditExitUsage, err: fmt.Errorf("%s: want exactly one database file", args[0])}
		}
		s, err := store.Open(args[1], store.Options{ReadOnly: true})
		if err != nil {
			return &exitError{code: auditExitBroken, err: err}
		}
		defer s.Close()
		if args[0] == "list" {
			return auditList(c, s)
		}
		return auditVerify(c, s)
	}
	fmt.Fprint(c.stderr, auditUsage)
	return &exitError{code: auditExitUsage, err: fmt.Errorf("unknown command %q", args[0])}
}

func auditVerify(c *cli, s *store.Store) error {
	r, err := s.AuditReport()
	if err != nil {
		return &exitError{code: auditExitBroken, err: err}
	}
	if r.OK() {
		fmt.Fprintf(c.stdout, "ok: %d entries, head %s\n", r.Entries, r.Head.Hash)
		return nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(c.stdout, p.Error())
	}
	return &exitError{code: auditExitBroken, err: fmt.Errorf("audit chain broken: %d problems in %d entries", len(r.Problems), r.Entries)}
}

func auditList(c *cli, s *store.Store) error {
	entries, err := s.AuditEntries()
	if err != nil {
		return &exitError{code: auditExitBroken, err: err}
	}
	for _, e := range entries {
		fields := []string{fmt.Sprint(e.Seq), e.Time.UTC().Format("2006-01-02T15:04:05.000Z"), e.Actor.String(), e.Action, e.Subject, e.Detail}
		fmt.Fprintln(c.stdout, strings.Join(fields, "\t"))
	}
	return nil
}
