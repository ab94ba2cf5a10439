package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/site"
	"guichet/kiosk/store"
	"guichet/sync/client"
)

const decommissionUsage = `usage: guichetctl decommission -data DIR -reason TEXT [-force]

Takes the kiosk out of service: checks that its outbox is empty, tells the
registry (which revokes the kiosk's certificate), then erases the kiosk's
private keys, its store and print queue (sealed personal data) and its
enrolment files, overwriting each with random bytes before removing it.

Without -force it refuses when requests are still queued (they would be
lost) or when the registry cannot be told. With -force it erases anyway and
says what operations must do in the console. Stop the kiosk first
(systemctl stop guichet).`

// erasable is a file of the kiosk's data directory that decommissioning
// erases, with what it holds, keys first.
type erasable struct {
	name, what string
	glob       bool // name is a glob pattern
}

var erasables = []erasable{
	{name: client.FileIdentity, what: "the kiosk's private key and certificate"},
	{name: "enrol-pending.key", what: "the key of an enrolment in progress"},
	{name: "registry-dev.key", what: "a development registry's private key"},
	{name: "kiosk.db", what: "the store: request index, sealed personal data, outbox, audit chain"},
	{name: "kiosk.db.corrupt-*", what: "a damaged store moved aside: sealed personal data", glob: true},
	{name: "printq.db", what: "the print queue: receipts, with personal data"},
	{name: client.FileEnrolment, what: "the enrolment: serial, court, registry address"},
	{name: client.FileRegistryCA, what: "the pinned registry CA"},
	{name: client.FileRegistryKey, what: "the registry's sealing key"},
	{name: client.FileKioskID, what: "the kiosk's id"},
	{name: site.File, what: "the kiosk's country pack and court"},
}

func runDecommission(ctx context.Context, c *cli, args []string) error {
	fs := flag.NewFlagSet("decommission", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() { fmt.Fprintln(c.stderr, decommissionUsage); fs.PrintDefaults() }
	data := fs.String("data", applianceData, "the kiosk's data directory")
	reason := fs.String("reason", "", "why the kiosk is taken out of service (sent to the registry)")
	force := fs.Bool("force", false, "erase although requests are queued or the registry cannot be told")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	switch {
	case fs.NArg() > 0:
		return &exitError{2, fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), decommissionUsage)}
	case strings.TrimSpace(*reason) == "":
		return &exitError{2, errors.New("-reason is required: say why the kiosk is taken out of service (the registry keeps it)")}
	case *data == "":
		return &exitError{2, errors.New("-data is required")}
	}
	d := decommissioner{c: c, dir: *data, reason: strings.TrimSpace(*reason), force: *force, clock: clock.System}
	return d.run(ctx)
}

type decommissioner struct {
	c      *cli
	dir    string
	reason string
	force  bool
	clock  clock.Clock
}

func (d *decommissioner) say(format string, a ...any) { fmt.Fprintf(d.c.stdout, format+"\n", a...) }

func (d *decommissioner) run(ctx context.Context) error {
	if fi, err := os.Stat(d.dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not the kiosk's data directory: give it with -data", d.dir)
	}
	if err := kioskStopped(d.dir); err != nil {
		return err
	}
	id, err := client.LoadIdentity(d.dir)
	if err != nil {
		if !d.force {
			return fmt.Errorf("the kiosk in %s is not enrolled or its enrolment cannot be read (%s): nothing can be reported to the registry; to erase what is there anyway, run again with -force", d.dir, trimPkg(err))
		}
		d.say("! the kiosk is not enrolled (%s): the registry is not told", trimPkg(err))
		id = nil
	}

	// The queue: requests not yet acknowledged by the registry.
	var st *store.Store
	defer func() {
		if st != nil {
			st.Close()
		}
	}()
	depth := 0
	dbPath := filepath.Join(d.dir, "kiosk.db")
	if _, err := os.Stat(dbPath); err == nil {
		opts := store.Options{LockTimeout: 3 * time.Second}
		if id != nil {
			opts.RegistryKey, opts.KioskID = id.RegistryKey, id.KioskID
		}
		st, err = store.Open(dbPath, opts)
		if err != nil {
			return fmt.Errorf("the kiosk's store %s cannot be opened (%v): if the kiosk is running, stop it first (systemctl stop guichet)", dbPath, err)
		}
		h, err := st.Health()
		if err != nil {
			if !d.force {
				return fmt.Errorf("the kiosk's queue cannot be read (%v): run again with -force to erase it unread", err)
			}
			d.say("! the queue cannot be read (%v): erasing it unread (-force)", err)
		} else {
			depth = h.QueueDepth
		}
		if depth > 0 {
			if !d.force {
				return fmt.Errorf("%s still queued (the oldest since %s) and would be lost: start the kiosk connected to the network until its technician screen shows an empty queue, then run again; or run with -force to erase them (the citizens must then file again)",
					countOf(depth, "request is", "requests are"), h.Oldest.Local().Format("2006-01-02 15:04"))
			}
			d.say("! %s will be erased unsent (-force)", countOf(depth, "queued request", "queued requests"))
		} else if err == nil {
			d.say("✓ the outbox is empty")
		}
	} else {
		d.say("✓ no store: nothing queued")
	}

	// Tell the registry, which revokes the kiosk.
	told := false
	if id != nil {
		err := errors.New("no store to open the client with")
		if st == nil {
			st, err = openKioskStore(d.dir, id)
		}
		if st != nil {
			var cl *client.Client
			cl, err = client.New(client.Config{Dir: d.dir, Store: st, SoftwareVersion: softwareVersion(), Clock: d.clock, RequestTime: 30 * time.Second})
			if err == nil {
				err = cl.ReportDecommissioning(ctx, d.reason, depth, d.force)
			}
		}
		switch {
		case err == nil:
			told = true
			d.say("✓ the registry at %s was told and revoked kiosk %s (%s)", id.RegistryURL, id.KioskID, id.Serial)
		case !d.force:
			return fmt.Errorf("the registry at %s could not be told (%s): connect the kiosk to the network and run again; or run with -force, and operations must then revoke kiosk %s (%s) in the console",
				id.RegistryURL, trimPkg(err), id.KioskID, id.Serial)
		default:
			d.say("! the registry at %s was NOT told (%s): operations must revoke kiosk %s (%s) in the console", id.RegistryURL, trimPkg(err), id.KioskID, id.Serial)
		}
	}
	if st != nil {
		if err := st.Close(); err != nil {
			d.say("! closing the store: %v", err)
		}
		st = nil
	}

	// Crypto-erase: overwrite each file, fsync, remove.
	erased, failed := 0, 0
	for _, e := range erasables {
		paths := []string{filepath.Join(d.dir, e.name)}
		if e.glob {
			paths, _ = filepath.Glob(filepath.Join(d.dir, e.name))
		}
		// Temporary files of an interrupted atomic write hold the same.
		tmps, _ := filepath.Glob(filepath.Join(d.dir, "."+e.name+".tmp-*"))
		paths = append(paths, tmps...)
		if tmp := filepath.Join(d.dir, e.name+".tmp"); !e.glob {
			paths = append(paths, tmp)
		}
		for _, path := range paths {
			n, err := shred(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				continue
			case err != nil:
				failed++
				d.say("✗ %s (%s): %v", filepath.Base(path), e.what, err)
			default:
				erased++
				d.say("✓ erased %s (%s): %d bytes overwritten with random bytes, synced, removed", filepath.Base(path), e.what, n)
			}
		}
	}
	if err := syncDir(d.dir); err != nil {
		d.say("! syncing %s: %v", d.dir, err)
	}
	if left := remaining(d.dir); len(left) > 0 {
		d.say("left in %s (not the kiosk's keys, queue or enrolment): %s", d.dir, strings.Join(left, ", "))
	}
	if failed > 0 {
		return fmt.Errorf("%d files could not be erased (see ✗ above): erase them by hand, or destroy the storage card", failed)
	}
	switch {
	case told:
		d.say("decommissioned: %d files erased; the registry refuses this kiosk from now on.", erased)
	default:
		d.say("erased %d files; the registry was NOT told: operations must revoke the kiosk in the console.", erased)
	}
	return nil
}

// shred overwrites the file at path with random bytes, syncs it and
// removes it. It returns how many bytes were overwritten. Flash storage
// may keep old copies of a block elsewhere (wear levelling), which is why
// the keys matter most: without the kiosk's key the registry accepts
// nothing from it, and the queue's personal data is sealed to the
// registry's key, which the kiosk never held.
func shred(path string) (int64, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("not a regular file (%s): left in place", fi.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return 0, fmt.Errorf("cannot overwrite: %w", err)
	}
	size := fi.Size()
	buf := make([]byte, 64<<10)
	var done int64
	for done < size {
		n := int64(len(buf))
		if size-done < n {
			n = size - done
		}
		rand.Read(buf[:n])
		w, err := f.WriteAt(buf[:n], done)
		done += int64(w)
		if err != nil {
			f.Close()
			return done, fmt.Errorf("overwriting: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return done, fmt.Errorf("syncing: %w", err)
	}
	if err := f.Close(); err != nil {
		return done, err
	}
	if err := os.Remove(path); err != nil {
		return done, fmt.Errorf("overwritten but not removed: %w", err)
	}
	return done, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// remaining lists what is left in dir.
func remaining(dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// countOf is "1 one" or "n many".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
