package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"guichet/sync/update"
)

// Exit statuses of `guichetctl release`.
const (
	releaseExitFailed = 1 // the operation failed or the repository was refused
	releaseExitUsage  = 2 // bad subcommand or arguments
)

const releaseUsage = `usage: guichetctl release COMMAND [FLAGS]

Signed software releases for the kiosks (The Update Framework: root,
targets, snapshot and timestamp metadata, Ed25519 keys).

commands:
  keygen -keys DIR             make one key per role: DIR/root.pem, targets.pem,
                               snapshot.pem, timestamp.pem (0600; keep root.pem offline)
  init -keys DIR -repo DIR     start a repository; REPO/metadata/root.json is the
                               root of trust to pin on kiosks at provisioning
  publish -keys DIR -repo DIR -version V -binary FILE [-config FILE]... [-data FILE]...
          [-image BUNDLE] [-min-from V] [-activate-by TIME] [-notes TEXT]
                               sign a release; kiosks activate it in their maintenance
                               window, or at once (between sessions) after -activate-by
  timestamp -keys DIR -repo DIR
                               re-sign the timestamp (run daily: kiosks refuse an
                               expired one as a frozen repository)
  rotate -keys DIR -new-keys DIR -repo DIR
                               rotate keys: a new root signed by the old and the new
                               root keys; roles in -new-keys get their new key
  verify -repo DIR -root FILE  check a repository (a USB stick) exactly as a kiosk
                               pinned to FILE would, and print its release

Exit status: 0 done, 1 failed or refused, 2 usage error.
`

func runRelease(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, releaseUsage)
		return &exitError{code: releaseExitUsage, err: errors.New("missing command")}
	}
	sub, args := args[0], args[1:]
	if sub == "-h" || sub == "--help" || sub == "help" {
		fmt.Fprint(c.stdout, releaseUsage)
		return nil
	}
	fs := flag.NewFlagSet("release "+sub, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	keys := fs.String("keys", "", "directory of the role keys")
	repo := fs.String("repo", "", "repository directory (what the registry serves, or a USB stick)")
	now := time.Now()
	var err error
	switch sub {
	case "keygen":
		if err := parseRelease(fs, args, "keys"); err != nil {
			return err
		}
		k, err := update.GenerateKeys()
		if err != nil {
			return err
		}
		if err := update.WriteKeys(*keys, k); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "keys written to %s (root.pem, targets.pem, snapshot.pem, timestamp.pem); keep root.pem offline\n", *keys)
		return nil

	case "init":
		rootExp := fs.Duration("root-expires", update.DefaultRootExpiry, "lifetime of the root metadata")
		if err := parseRelease(fs, args, "keys", "repo"); err != nil {
			return err
		}
		k, err := update.LoadKeys(*keys)
		if err != nil {
			return err
		}
		if err := update.InitRepository(*repo, k, now, *rootExp); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "repository started in %s; pin %s on kiosks at provisioning\n", *repo, filepath.Join(*repo, update.MetadataDir, "root.json"))
		return nil

	case "publish":
		version := fs.String("version", "", "release version MAJOR.MINOR.PATCH, above the last published")
		minFrom := fs.String("min-from", "", "oldest committed version that may install this release")
		binary := fs.String("binary", "", "the kiosk binary")
		image := fs.String("image", "", "a whole OS image (RAUC bundle) installed into the inactive slot, for kiosks run with guichet-updater -rauc")
		var configs, datas multiFlag
		fs.Var(&configs, "config", "a configuration file (repeatable)")
		fs.Var(&datas, "data", "a reference data file (repeatable)")
		activateBy := fs.String("activate-by", "", "hard deadline (RFC 3339): past it, activate outside the maintenance window (security release)")
		notes := fs.String("notes", "", "release notes shown to technicians")
		tExp := fs.Duration("targets-expires", update.DefaultTargetsExpiry, "lifetime of the targets metadata")
		sExp := fs.Duration("snapshot-expires", update.DefaultSnapshotExpiry, "lifetime of the snapshot metadata")
		tsExp := fs.Duration("timestamp-expires", update.DefaultTimestampExpiry, "lifetime of the timestamp metadata")
		if err := parseRelease(fs, args, "keys", "repo", "version", "binary"); err != nil {
			return err
		}
		spec := update.ReleaseSpec{Notes: *notes, Now: now, TargetsExpiry: *tExp, SnapshotExpiry: *sExp, TimestampExpiry: *tsExp}
		if spec.Version, err = update.ParseVersion(*version); err != nil {
			return usageErr(err)
		}
		if *minFrom != "" {
			if spec.MinUpgradeFrom, err = update.ParseVersion(*minFrom); err != nil {
				return usageErr(err)
			}
		}
		if *activateBy != "" {
			if spec.ActivateBy, err = time.Parse(time.RFC3339, *activateBy); err != nil {
				return usageErr(fmt.Errorf("-activate-by %q is not an RFC 3339 time such as 2026-12-01T02:00:00Z", *activateBy))
			}
		}
		spec.Files = append(spec.Files, update.ReleaseFile{Source: *binary, Kind: update.KindBinary})
		for _, f := range configs {
			spec.Files = append(spec.Files, update.ReleaseFile{Source: f, Kind: update.KindConfig})
		}
		for _, f := range datas {
			spec.Files = append(spec.Files, update.ReleaseFile{Source: f, Kind: update.KindData})
		}
		if *image != "" {
			spec.Files = append(spec.Files, update.ReleaseFile{Source: *image, Kind: update.KindImage})
		}
		k, err := update.LoadKeys(*keys)
		if err != nil {
			return err
		}
		if err := update.Publish(*repo, k, spec); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "release %s published in %s (%d files)\n", spec.Version, *repo, len(spec.Files))
		return nil

	case "timestamp":
		exp := fs.Duration("expires", update.DefaultTimestampExpiry, "lifetime of the new timestamp")
		if err := parseRelease(fs, args, "keys", "repo"); err != nil {
			return err
		}
		k, err := update.LoadKeys(*keys)
		if err != nil {
			return err
		}
		if err := update.RefreshTimestamp(*repo, k, now, *exp); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "timestamp re-signed, valid until %s\n", now.Add(*exp).UTC().Format(time.RFC3339))
		return nil

	case "rotate":
		newKeys := fs.String("new-keys", "", "directory of the new keys (guichetctl release keygen); roles absent keep theirs")
		if err := parseRelease(fs, args, "keys", "repo", "new-keys"); err != nil {
			return err
		}
		cur, err := update.LoadKeys(*keys)
		if err != nil {
			return err
		}
		next, err := update.LoadKeys(*newKeys)
		if err != nil {
			return err
		}
		if err := update.RotateRoot(*repo, cur, next, now, 0); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "root rotated in %s; kiosks follow the chain at their next check\n", *repo)
		return nil

	case "verify":
		rootFile := fs.String("root", "", "the root.json kiosks pin")
		at := fs.String("at", "", "check expiry at this time (RFC 3339) instead of now")
		if err := parseRelease(fs, args, "repo", "root"); err != nil {
			return err
		}
		if *at != "" {
			if now, err = time.Parse(time.RFC3339, *at); err != nil {
				return usageErr(fmt.Errorf("-at %q is not an RFC 3339 time", *at))
			}
		}
		root, err := os.ReadFile(*rootFile)
		if err != nil {
			return err
		}
		tmp, err := os.MkdirTemp("", "guichetctl-verify")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		tr := update.Trust{Dir: tmp}
		if err := tr.Pin(root); err != nil {
			return err
		}
		res, err := tr.Refresh(ctx, update.DirSource(*repo), now)
		if err != nil {
			return err
		}
		if res.Release == nil {
			fmt.Fprintf(c.stdout, "%s: verified (root version %d), no release published\n", *repo, res.RootVersion)
			return nil
		}
		r := res.Release
		fmt.Fprintf(c.stdout, "%s: verified (root version %d)\nrelease %s", *repo, res.RootVersion, r.Version)
		if !r.MinUpgradeFrom.IsZero() {
			fmt.Fprintf(c.stdout, " (upgrades from %s or later)", r.MinUpgradeFrom)
		}
		fmt.Fprintf(c.stdout, ", issued %s, metadata valid until %s\n", r.Issued.Format(time.RFC3339), r.Expires.Format(time.RFC3339))
		if !r.ActivateBy.IsZero() {
			fmt.Fprintf(c.stdout, "activate by %s\n", r.ActivateBy.Format(time.RFC3339))
		}
		for _, f := range r.Files {
			// Verify the files too: a stick is checked whole before it travels.
			if err := (&update.Downloader{Source: update.DirSource(*repo)}).Fetch(ctx, f, tmp); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "  %-7s %-24s %10d bytes  sha256 %s  ok\n", f.Kind, f.Name, f.Length, f.SHA256)
		}
		return nil
	}
	fmt.Fprint(c.stderr, releaseUsage)
	return &exitError{code: releaseExitUsage, err: fmt.Errorf("unknown command %q", sub)}
}

// parseRelease parses the flags and checks that every named one is set.
func parseRelease(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		return &exitError{code: releaseExitUsage, err: errors.New("")}
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	var missing []string
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			missing = append(missing, "-"+name)
		}
	}
	if len(missing) > 0 {
		return usageErr(fmt.Errorf("%s required", strings.Join(missing, ", ")))
	}
	return nil
}

func usageErr(err error) error { return &exitError{code: releaseExitUsage, err: err} }

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
