package update

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The kiosk's layout on the data partition, relative to Config.DataDir.
const (
	ReleasesDir  = "releases"                   // releases/<version>/, immutable once staged
	CurrentLink  = "current"                    // -> releases/<version>: what `guichet-updater launch` runs
	PreviousLink = "previous"                   // -> the release committed before current
	HealthDir    = "health"                     // written by the kiosk for the updater: <version>.json, session.state, announcement.json
	SessionFile  = HealthDir + "/session.state" // written by the kiosk
	StateDirName = "update"                     // update.db, tuf/, status.json
)

// Config is what an Updater needs. Zero durations take the defaults.
type Config struct {
	DataDir        string  // /var/lib/guichet
	FactoryVersion Version // the version of the image's own binary (/usr/lib/guichet/bin/guichet)
	Source         Source  // where releases come from
	Window         Window  // the maintenance window until the kiosk says otherwise
	// Restart restarts the kiosk program (e.g. systemctl restart
	// guichet.service) so that it runs what current points to.
	Restart func(ctx context.Context) error
	// Announced, when set, says whether a verified release may be
	// installed (staged rollout: AnnouncedGate), and why not. It is asked
	// before a release is announced and again while it waits for its
	// window, so that a paused or aborted rollout stops it there.
	Announced func(Version) (ok bool, why string)
	// WatchFile, when set, is a file whose change makes an idle updater
	// check at once (the announcement the kiosk writes).
	WatchFile string
	// ImageInstaller installs the OS image of a release that has one, and
	// marks the booted OS slot good only after the probation passed (RAUC).
	ImageInstaller ImageInstaller
	// Reboot reboots the machine (systemctl reboot): after an OS image is
	// installed, and to fall back from one. The updater is stopped cleanly
	// by it and resumes in probation (or idle) on the next boot.
	Reboot func(ctx context.Context) error
	// BootID identifies the running boot (default: the kernel's
	// /proc/sys/kernel/random/boot_id).
	BootID func() string

	Probation   time.Duration // how long the kiosk has to report healthy (default 3 min)
	PollEvery   time.Duration // how often the repository is checked (default 15 min)
	WaitEvery   time.Duration // how often the window is re-checked (default 30 s)
	RetryAfter  time.Duration // pause after a failed attempt (default 30 s)
	MaxAttempts int           // failures of one state before giving up (default 5)
	MaxBoots    int           // probation starts before a rollback (default 3)
	Clock       func() time.Time
	Log         *slog.Logger
	Failpoint   func(name string)                                                  // tests crash here
	OpenPartial func(name string, flag int, perm fs.FileMode) (PartialFile, error) // tests meet a full disk here
}

// ImageInstaller installs whole OS images into the inactive A/B slot; RAUC
// implements it.
type ImageInstaller interface {
	Install(ctx context.Context, bundle string) error
	MarkGood(ctx context.Context) error
	MarkBadAndFallBack(ctx context.Context) error
	PrimaryBootname(ctx context.Context) (string, error)
	BootSlot(ctx context.Context) (string, error)
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.Probation, 3*time.Minute)
	def(&c.PollEvery, 15*time.Minute)
	def(&c.WaitEvery, 30*time.Second)
	def(&c.RetryAfter, 30*time.Second)
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.MaxBoots <= 0 {
		c.MaxBoots = 3
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.BootID == nil {
		c.BootID = bootID
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Window.Start == "" {
		c.Window = Window{Start: "02:00", End: "05:00"}
	}
}

// Updater is the kiosk side: the persisted state machine. Open one per
// data directory (the bbolt file is locked); Run drives it.
type Updater struct {
	cfg      Config
	db       *bolt.DB
	trust    Trust
	stateDir string

	mu      sync.Mutex
	waiting string
	nudge   chan struct{}
}

// Open opens (or creates) the updater's state in <DataDir>/update. A
// record left by a crash is counted: an attempt in its state (not after a
// clean stop), so a state that crashes every time is given up after
// MaxAttempts.
func Open(cfg Config) (*Updater, error) {
	cfg.defaults()
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("update: no data directory")
	}
	stateDir := filepath.Join(cfg.DataDir, StateDirName)
	for _, d := range []string{stateDir, filepath.Join(cfg.DataDir, ReleasesDir), filepath.Join(cfg.DataDir, HealthDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("update: %w", err)
		}
	}
	db, err := openDB(filepath.Join(stateDir, "update.db"))
	if err != nil {
		return nil, err
	}
	u := &Updater{cfg: cfg, db: db, trust: Trust{Dir: filepath.Join(stateDir, "tuf")}, stateDir: stateDir, nudge: make(chan struct{}, 1)}
	err = db.Update(func(tx *bolt.Tx) error {
		r, ok, err := loadRecord(tx)
		if err != nil {
			return err
		}
		if !ok {
			r = Record{State: Idle, Committed: u.runningVersion(), Since: cfg.Clock().UTC()}
			return putRecord(tx, r)
		}
		if r.State != Idle {
			if r.CleanStop {
				cfg.Log.Info("update: resuming after a clean stop", "state", r.State)
			} else {
				r.Attempts++
				if r.State == Probation {
					r.Boots++
				}
				cfg.Log.Warn("update: resuming after a crash or power cut", "state", r.State, "attempts", r.Attempts, "boots", r.Boots)
			}
		}
		r.CleanStop = false
		return putRecord(tx, r)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("update: %w", err)
	}
	u.writeStatus()
	return u, nil
}

// runningVersion reads the version current points to, or the factory one.
func (u *Updater) runningVersion() Version {
	t, err := os.Readlink(filepath.Join(u.cfg.DataDir, CurrentLink))
	if err == nil {
		if v, err := ParseVersion(filepath.Base(t)); err == nil {
			return v
		}
	}
	return u.cfg.FactoryVersion
}

// Pin installs the root of trust (see Trust.Pin).
func (u *Updater) Pin(rootJSON []byte) error { return u.trust.Pin(rootJSON) }

// Close records a clean stop (an operator's reboot is not a failure) and
// closes the database.
func (u *Updater) Close() error {
	err := u.db.Update(func(tx *bolt.Tx) error {
		r, ok, err := loadRecord(tx)
		if err != nil || !ok {
			return err
		}
		r.CleanStop = true
		return putRecord(tx, r)
	})
	if cerr := u.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Nudge asks Run to check the repository now (an announcement arrived, or
// a USB stick was mounted).
func (u *Updater) Nudge() {
	select {
	case u.nudge <- struct{}{}:
	default:
	}
}

func (u *Updater) failpoint(name string) {
	if u.cfg.Failpoint != nil {
		u.cfg.Failpoint(name)
	}
}

func (u *Updater) record() (Record, error) {
	var r Record
	err := u.db.View(func(tx *bolt.Tx) error {
		var err error
		r, _, err = loadRecord(tx)
		return err
	})
	return r, err
}

// move persists the next state (attempts reset) and any event, in one transaction.
func (u *Updater) move(r Record, next State, ev *Event, fn func(tx *bolt.Tx) error) (Record, error) {
	if r.State != next {
		r.Attempts = 0
		r.Since = u.cfg.Clock().UTC()
	}
	r.State = next
	if next == Idle {
		r.Release = nil
		r.Boots = 0
	}
	err := u.db.Update(func(tx *bolt.Tx) error {
		if fn != nil {
			if err := fn(tx); err != nil {
				return err
			}
		}
		if ev != nil {
			if err := addEvent(tx, *ev); err != nil {
				return err
			}
		}
		return putRecord(tx, r)
	})
	if err != nil {
		return r, fmt.Errorf("update: persisting state %s: %w", next, err)
	}
	u.cfg.Log.Info("update: state", "state", next, "release", versionOf(r.Release), "committed", r.Committed)
	u.writeStatus()
	u.failpoint(string(next) + ".enter")
	return r, nil
}

// fail records a failed attempt in the current state.
func (u *Updater) fail(r Record, err error) (Record, error) {
	r.Attempts++
	r.Reason = err.Error()
	if perr := u.db.Update(func(tx *bolt.Tx) error { return putRecord(tx, r) }); perr != nil {
		return r, perr
	}
	u.cfg.Log.Warn("update: attempt failed", "state", r.State, "attempts", r.Attempts, "err", err)
	u.writeStatus()
	return r, nil
}

func versionOf(r *Release) string {
	if r == nil {
		return ""
	}
	return r.Version.String()
}

// now is the clock, never below the high-water mark of trusted time.
func (u *Updater) now() time.Time {
	t := u.cfg.Clock().UTC()
	var hwm time.Time
	u.db.View(func(tx *bolt.Tx) error { hwm = loadClock(tx); return nil })
	if t.Before(hwm) {
		return hwm
	}
	return t
}

// Run drives the state machine until ctx ends (a clean stop: call Close
// after). With once, it returns when the machine is idle again after
// having checked the repository once (tests, the USB update command).
func (u *Updater) Run(ctx context.Context, once bool) error {
	checked := false
	for {
		if ctx.Err() != nil {
			return nil
		}
		r, err := u.record()
		if err != nil {
			return err
		}
		if r.State == Idle {
			if once && checked {
				return nil
			}
			if err := u.Check(ctx); err != nil {
				u.cfg.Log.Warn("update: check failed", "source", u.cfg.Source, "err", err)
				if once {
					return err
				}
			}
			checked = true
			if r, _ := u.record(); r.State == Idle && !once {
				u.idleWait(ctx)
			}
			continue
		}
		if err := u.step(ctx, r); err != nil {
			return err
		}
	}
}

// Check refreshes the trusted metadata from the source and, if it lists a
// release the kiosk may install, announces it. A refusal is recorded in the
// history with its reason.
func (u *Updater) Check(ctx context.Context) error {
	r, err := u.record()
	if err != nil {
		return err
	}
	if r.State != Idle {
		return nil
	}
	res, err := u.trust.Refresh(ctx, u.cfg.Source, u.now())
	if err != nil {
		if r.Reason != err.Error() { // the same refusal at every poll is one event
			u.db.Update(func(tx *bolt.Tx) error {
				if errors.Is(err, ErrRefused) {
					if err := addEvent(tx, Event{At: u.cfg.Clock().UTC(), Kind: "refused", From: r.Committed, Reason: err.Error()}); err != nil {
						return err
					}
				}
				r.Reason = err.Error()
				return putRecord(tx, r)
			})
			u.writeStatus()
		}
		return err
	}
	if err := u.db.Update(func(tx *bolt.Tx) error { return raiseClock(tx, res.TrustedTime) }); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	rel := res.Release
	if rel == nil || rel.Version.Compare(r.Committed) == 0 {
		return nil
	}
	var why string
	u.db.View(func(tx *bolt.Tx) error {
		if reason, failed := failedReason(tx, rel.Version); failed {
			why = fmt.Sprintf("release %s failed here before (%s); it is never installed again", rel.Version, reason)
		}
		return nil
	})
	switch {
	case why != "":
	case rel.Version.Compare(r.Committed) < 0:
		why = fmt.Sprintf("release %s is below the committed %s: downgrade refused", rel.Version, r.Committed)
	case !rel.MinUpgradeFrom.IsZero() && r.Committed.Compare(rel.MinUpgradeFrom) < 0:
		why = fmt.Sprintf("release %s upgrades from %s or later; this kiosk runs %s: install the intermediate release first", rel.Version, rel.MinUpgradeFrom, versionOrFactory(r.Committed))
	case hasImage(rel) && (u.cfg.ImageInstaller == nil || u.cfg.Reboot == nil):
		why = fmt.Sprintf("release %s carries an OS image and this kiosk has no image installer (RAUC) configured", rel.Version)
	case u.cfg.Announced != nil:
		// Not refused, only not yet for this kiosk: no event, no blame.
		if ok, w := u.cfg.Announced(rel.Version); !ok {
			if r.Reason != w {
				u.cfg.Log.Info("update: release not announced to this kiosk", "release", rel.Version, "why", w)
				r.Reason = w
				u.db.Update(func(tx *bolt.Tx) error { return putRecord(tx, r) })
				u.writeStatus()
			}
			return nil
		}
	}
	if why != "" {
		if r.Reason != why {
			u.db.Update(func(tx *bolt.Tx) error {
				r.Reason = why
				if err := addEvent(tx, Event{At: u.cfg.Clock().UTC(), Kind: "refused", Version: rel.Version, From: r.Committed, Reason: why}); err != nil {
					return err
				}
				return putRecord(tx, r)
			})
			u.writeStatus()
			u.cfg.Log.Warn("update: release refused", "release", rel.Version, "reason", why)
		}
		return nil
	}
	r.Release = rel
	r.Reason = ""
	_, err = u.move(r, Announced, nil, nil)
	return err
}

func versionOrFactory(v Version) string {
	if v.IsZero() {
		return "the factory version"
	}
	return v.String()
}

// step does the work of one state and persists the next.
func (u *Updater) step(ctx context.Context, r Record) error {
	rel := r.Release
	switch r.State {
	case Announced:
		_, err := u.move(r, Downloading, nil, nil)
		return err

	case Downloading:
		if r.Attempts >= u.cfg.MaxAttempts {
			return u.abandon(r, fmt.Sprintf("download of %s failed %d times: %s", rel.Version, r.Attempts, r.Reason))
		}
		before := u.held(rel)
		if err := u.download(ctx, rel); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if u.held(rel) > before {
				r.Attempts-- // progress was made: a poor network is not a failing release
			}
			if _, err := u.fail(r, err); err != nil {
				return err
			}
			return sleep(ctx, u.cfg.RetryAfter)
		}
		_, err := u.move(r, Verified, nil, nil)
		return err

	case Verified:
		if r.Attempts >= u.cfg.MaxAttempts {
			return u.abandon(r, fmt.Sprintf("staging %s failed %d times: %s", rel.Version, r.Attempts, r.Reason))
		}
		if err := u.stage(rel); err != nil {
			if _, err := u.fail(r, err); err != nil {
				return err
			}
			if errors.Is(err, ErrHashMismatch) {
				// Download again what no longer matches.
				_, err := u.move(r, Downloading, nil, nil)
				return err
			}
			return sleep(ctx, u.cfg.RetryAfter)
		}
		_, err := u.move(r, Staged, nil, nil)
		return err

	case Staged:
		_, err := u.move(r, Waiting, nil, nil)
		return err

	case Waiting:
		if u.cfg.Announced != nil {
			if ok, w := u.cfg.Announced(rel.Version); !ok {
				return u.abandon(r, fmt.Sprintf("release %s withdrawn before activation: %s", rel.Version, w))
			}
		}
		ok, why := u.windowOpen(rel)
		u.mu.Lock()
		u.waiting = why
		u.mu.Unlock()
		if !ok {
			u.writeStatus()
			return sleep(ctx, u.cfg.WaitEvery)
		}
		_, err := u.move(r, Activating, nil, nil)
		return err

	case Activating:
		if r.Attempts >= u.cfg.MaxAttempts {
			return u.startRollback(r, fmt.Sprintf("activation of %s failed %d times: %s", rel.Version, r.Attempts, r.Reason))
		}
		r, err := u.activate(ctx, r)
		if err != nil {
			if _, err := u.fail(r, err); err != nil {
				return err
			}
			return sleep(ctx, u.cfg.RetryAfter)
		}
		r.Boots++
		if _, err := u.move(r, Probation, nil, nil); err != nil {
			return err
		}
		if r.ImageSlot != "" {
			return u.reboot(ctx, "to boot the new OS in slot "+r.ImageSlot)
		}
		return nil

	case Probation:
		if r.ImageSlot != "" {
			if u.cfg.BootID() == r.ImageBootID {
				return u.reboot(ctx, "to boot the new OS in slot "+r.ImageSlot) // not rebooted yet
			}
			slot, err := u.cfg.ImageInstaller.BootSlot(ctx)
			if err != nil {
				if _, err := u.fail(r, err); err != nil {
					return err
				}
				return sleep(ctx, u.cfg.RetryAfter)
			}
			if slot != r.ImageSlot {
				return u.startRollback(r, fmt.Sprintf("the OS of release %s in slot %s did not boot: the bootloader went back to slot %s", rel.Version, r.ImageSlot, slot))
			}
		}
		if r.Boots > u.cfg.MaxBoots {
			return u.startRollback(r, fmt.Sprintf("release %s did not pass its health check in %d starts (crash loop or power cuts during probation)", rel.Version, u.cfg.MaxBoots))
		}
		healthy, why, err := u.probation(ctx, rel)
		if err != nil || ctx.Err() != nil {
			return err
		}
		if !healthy {
			return u.startRollback(r, why)
		}
		return u.commit(ctx, r)

	case RollingBack:
		return u.rollback(ctx, r)
	}
	return fmt.Errorf("update: no step for state %s", r.State)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	return nil
}

// abandon gives the release up before activation; it is not marked failed
// (the network or the disk may have been at fault) and is tried again at a
// later check.
func (u *Updater) abandon(r Record, why string) error {
	rel := r.Release
	r.Reason = why // what was downloaded stays, for the next attempt to resume
	_, err := u.move(r, Idle, &Event{At: u.cfg.Clock().UTC(), Kind: "abandoned", Version: rel.Version, From: r.Committed, Reason: why}, nil)
	return err
}

func (u *Updater) incoming(v Version) string {
	return filepath.Join(u.cfg.DataDir, ReleasesDir, ".incoming-"+v.String())
}

func (u *Updater) releaseDir(v Version) string {
	return filepath.Join(u.cfg.DataDir, ReleasesDir, v.String())
}

func (u *Updater) download(ctx context.Context, rel *Release) error {
	dir := u.incoming(rel.Version)
	if _, err := os.Stat(u.releaseDir(rel.Version)); err == nil {
		return nil // staged by an earlier attempt that crashed before persisting
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	last := time.Now()
	d := &Downloader{Source: u.cfg.Source, OpenFile: u.cfg.OpenPartial, Failpoint: u.cfg.Failpoint,
		Progress: func(File, int64) {
			if time.Since(last) > time.Second { // status.json at most once a second
				last = time.Now()
				u.writeStatus()
			}
		}}
	for _, f := range rel.Files {
		if err := d.Fetch(ctx, f, dir); err != nil {
			return err
		}
	}
	return nil
}

// stage checks every file again and renames the incoming directory to
// releases/<version>, read-only.
func (u *Updater) stage(rel *Release) error {
	final := u.releaseDir(rel.Version)
	src := u.incoming(rel.Version)
	if _, err := os.Stat(final); err == nil {
		src = final // renamed before a crash; check it
	}
	for _, f := range rel.Files {
		p := filepath.Join(src, f.Name)
		if ok, sum := hasContent(p, f); !ok {
			os.Remove(p)
			return fmt.Errorf("%w: %s in %s has SHA-256 %q before staging, signed %s", ErrHashMismatch, f.Name, src, sum, f.SHA256)
		}
		mode := fs.FileMode(0o444)
		if f.Kind == KindBinary {
			mode = 0o555
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("update: %w", err)
		}
	}
	if src != final {
		if err := syncDir(src); err != nil {
			return err
		}
		if err := os.Rename(src, final); err != nil {
			return fmt.Errorf("update: staging %s: %w", rel.Version, err)
		}
		if err := syncDir(filepath.Dir(final)); err != nil {
			return err
		}
		u.failpoint("stage.renamed")
	}
	return os.Chmod(final, 0o555)
}

func (u *Updater) windowOpen(rel *Release) (bool, string) {
	var s SessionState
	b, err := readFileCapped(filepath.Join(u.cfg.DataDir, SessionFile), maxSessionState)
	if err == nil {
		s, err = DecodeSessionState(b)
		if err != nil {
			u.cfg.Log.Warn("update: the kiosk's session state does not decode; waiting as if a session were active", "err", err)
			s = SessionState{SessionActive: true, ChangedAt: u.cfg.Clock().UTC()}
		}
	}
	return ActivationAllowed(u.cfg.Clock(), s, u.cfg.Window, rel.ActivateBy)
}

// setLink points dataDir/name at target (relative) with one atomic rename,
// or removes it when target is "", then fsyncs the directory.
func (u *Updater) setLink(name, target string) error {
	link := filepath.Join(u.cfg.DataDir, name)
	if target == "" {
		if err := os.Remove(link); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("update: %w", err)
		}
		return syncDir(u.cfg.DataDir)
	}
	if cur, err := os.Readlink(link); err == nil && cur == target {
		return nil
	}
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.Rename(tmp, link); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return syncDir(u.cfg.DataDir)
}

// linkTarget is what a link to v points to: releases/<v>, or "" (no link,
// the factory binary) when v was never staged (it is the factory version).
func (u *Updater) linkTarget(v Version) string {
	if v.IsZero() {
		return ""
	}
	if _, err := os.Stat(filepath.Join(u.releaseDir(v), BinaryName)); err != nil {
		return ""
	}
	return ReleasesDir + "/" + v.String()
}

func hasImage(rel *Release) bool { _, ok := rel.Image(); return ok }

// activate points current at the release and restarts the kiosk; for a
// release with an OS image it first installs the image into the inactive
// slot (the caller then reboots instead of restarting).
func (u *Updater) activate(ctx context.Context, r Record) (Record, error) {
	rel := r.Release
	if _, err := os.Stat(filepath.Join(u.releaseDir(rel.Version), BinaryName)); err != nil {
		return r, fmt.Errorf("update: release %s is not staged: %w", rel.Version, err)
	}
	if img, ok := rel.Image(); ok {
		if u.cfg.BootID() == "" {
			return r, fmt.Errorf("update: release %s carries an OS image, and the updater cannot tell one boot from the next (no /proc/sys/kernel/random/boot_id, no $RUNTIME_DIRECTORY): give its unit RuntimeDirectory=guichet-updater and RuntimeDirectoryPreserve=yes", rel.Version)
		}
		if err := u.cfg.ImageInstaller.Install(ctx, filepath.Join(u.releaseDir(rel.Version), img.Name)); err != nil {
			return r, err
		}
		slot, err := u.cfg.ImageInstaller.PrimaryBootname(ctx)
		if err != nil {
			return r, err
		}
		r.ImageSlot, r.ImageBootID = slot, u.cfg.BootID()
		u.failpoint("activate.image")
	}
	os.Remove(healthPath(filepath.Join(u.cfg.DataDir, HealthDir), rel.Version))
	if err := u.setLink(PreviousLink, u.linkTarget(r.Committed)); err != nil {
		return r, err
	}
	u.failpoint("activate.previous")
	if err := u.setLink(CurrentLink, u.linkTarget(rel.Version)); err != nil {
		return r, err
	}
	u.failpoint("activate.current")
	if r.ImageSlot != "" {
		return r, nil // the reboot starts the kiosk
	}
	if err := u.restart(ctx); err != nil {
		return r, err
	}
	u.failpoint("activate.restarted")
	return r, nil
}

// reboot asks for a reboot and waits for it to stop the updater.
func (u *Updater) reboot(ctx context.Context, why string) error {
	u.cfg.Log.Info("update: rebooting", "why", why)
	if err := u.cfg.Reboot(ctx); err != nil {
		u.cfg.Log.Error("update: reboot failed", "err", err)
	}
	return sleep(ctx, u.cfg.RetryAfter)
}

func (u *Updater) restart(ctx context.Context) error {
	if u.cfg.Restart == nil {
		return nil
	}
	if err := u.cfg.Restart(ctx); err != nil {
		return fmt.Errorf("update: restarting the kiosk: %w", err)
	}
	return nil
}

// probation waits for the kiosk's health report for rel, up to the
// probation deadline.
func (u *Updater) probation(ctx context.Context, rel *Release) (bool, string, error) {
	path := healthPath(filepath.Join(u.cfg.DataDir, HealthDir), rel.Version)
	deadline := time.Now().Add(u.cfg.Probation)
	tick := u.cfg.Probation / 100
	if tick > time.Second {
		tick = time.Second
	}
	for {
		if b, err := readFileCapped(path, maxHealthReport); err == nil {
			h, err := DecodeHealthReport(b)
			switch {
			case err != nil:
				return false, fmt.Sprintf("release %s wrote a health report that does not decode: %v", rel.Version, err), nil
			case h.Version != rel.Version:
				return false, fmt.Sprintf("release %s reported health as version %s", rel.Version, h.Version), nil
			case h.Failure() != "":
				return false, fmt.Sprintf("release %s failed its health check: %s", rel.Version, h.Failure()), nil
			}
			u.failpoint("probation.healthy")
			return true, "", nil
		}
		if time.Now().After(deadline) {
			return false, fmt.Sprintf("release %s wrote no health report within %v (it crashed, looped or hung)", rel.Version, u.cfg.Probation), nil
		}
		select {
		case <-ctx.Done():
			return false, "", nil
		case <-time.After(tick):
		}
	}
}

func (u *Updater) commit(ctx context.Context, r Record) error {
	rel := r.Release
	if u.cfg.ImageInstaller != nil {
		if err := u.cfg.ImageInstaller.MarkGood(ctx); err != nil {
			if r.ImageSlot != "" {
				// Not committed until RAUC knows: the bootloader would fall back.
				if _, err := u.fail(r, err); err != nil {
					return err
				}
				return sleep(ctx, u.cfg.RetryAfter)
			}
			u.cfg.Log.Warn("update: marking the booted OS slot good failed", "err", err)
		}
	}
	from := r.Committed
	r.Committed = rel.Version
	r.Reason = ""
	r.ImageSlot, r.ImageBootID = "", ""
	if _, err := u.move(r, Idle, &Event{At: u.cfg.Clock().UTC(), Kind: "committed", Version: rel.Version, From: from}, nil); err != nil {
		return err
	}
	u.failpoint("commit.done")
	u.collect(rel.Version, from)
	return nil
}

// collect removes releases other than current and previous.
func (u *Updater) collect(keep ...Version) {
	dir := filepath.Join(u.cfg.DataDir, ReleasesDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		kept := false
		for _, v := range keep {
			if !v.IsZero() && e.Name() == v.String() {
				kept = true
			}
		}
		if !kept {
			p := filepath.Join(dir, e.Name())
			makeWritable(p)
			os.RemoveAll(p)
		}
	}
}

func makeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

func (u *Updater) startRollback(r Record, why string) error {
	r.Reason = why
	u.cfg.Log.Error("update: rolling back", "release", r.Release.Version, "to", versionOrFactory(r.Committed), "reason", why)
	_, err := u.move(r, RollingBack, nil, func(tx *bolt.Tx) error { return markFailed(tx, r.Release.Version, why) })
	return err
}

// rollback points current back at the committed release (or removes it:
// the factory binary), restarts the kiosk and goes idle. Every step is
// idempotent: a power cut during it redoes it.
func (u *Updater) rollback(ctx context.Context, r Record) error {
	rel := r.Release
	if err := u.setLink(CurrentLink, u.linkTarget(r.Committed)); err != nil {
		return err
	}
	u.failpoint("rollback.current")
	prev := ""
	if t, err := os.Readlink(filepath.Join(u.cfg.DataDir, PreviousLink)); err == nil && t != u.linkTarget(r.Committed) {
		prev = t
	}
	if err := u.setLink(PreviousLink, prev); err != nil {
		return err
	}
	if r.ImageSlot != "" && u.cfg.ImageInstaller != nil {
		// Still on the new OS: mark it bad, the old slot active, and reboot
		// into it; the next boot resumes here, on the old slot.
		if slot, err := u.cfg.ImageInstaller.BootSlot(ctx); err == nil && slot == r.ImageSlot {
			if err := u.cfg.ImageInstaller.MarkBadAndFallBack(ctx); err != nil {
				return err
			}
			u.failpoint("rollback.marked")
			return u.reboot(ctx, "to fall back to the previous OS")
		}
	}
	if err := u.restart(ctx); err != nil {
		u.cfg.Log.Error("update: restarting the kiosk after the rollback failed", "err", err)
	}
	u.failpoint("rollback.restarted")
	r.ImageSlot, r.ImageBootID = "", ""
	if _, err := u.move(r, Idle, &Event{At: u.cfg.Clock().UTC(), Kind: "rolled_back", Version: rel.Version, From: r.Committed, Reason: r.Reason}, nil); err != nil {
		return err
	}
	// The failed release is never installed again: free its space.
	if t, _ := os.Readlink(filepath.Join(u.cfg.DataDir, PreviousLink)); t != ReleasesDir+"/"+rel.Version.String() {
		makeWritable(u.releaseDir(rel.Version))
		os.RemoveAll(u.releaseDir(rel.Version))
	}
	return nil
}

// Status is what the technician screen, the console and telemetry show.
type Status struct {
	State        State             `json:"state"`
	Committed    string            `json:"committed"`         // running and committed; "" is the factory version
	Release      string            `json:"release,omitempty"` // in flight
	Have         int64             `json:"have"`              // bytes downloaded of it
	Total        int64             `json:"total"`             // bytes it has in all
	Attempts     int               `json:"attempts"`
	Boots        int               `json:"boots"`
	Reason       string            `json:"reason,omitempty"`      // last failure or refusal
	WaitingFor   string            `json:"waiting_for,omitempty"` // in waiting: what activation waits for
	LastRollback *Event            `json:"last_rollback,omitempty"`
	Failed       map[string]string `json:"failed,omitempty"` // versions never to install again, and why
	TrustedTime  time.Time         `json:"trusted_time,omitzero"`
	History      []Event           `json:"history,omitempty"` // newest first, at most 20
	UpdatedAt    time.Time         `json:"updated_at"`
}

// Status reads the updater's state.
func (u *Updater) Status() (Status, error) {
	var s Status
	err := u.db.View(func(tx *bolt.Tx) error {
		r, _, err := loadRecord(tx)
		if err != nil {
			return err
		}
		s = Status{State: r.State, Committed: r.Committed.String(), Attempts: r.Attempts, Boots: r.Boots, Reason: r.Reason,
			TrustedTime: loadClock(tx), UpdatedAt: u.cfg.Clock().UTC()}
		if r.Release != nil {
			s.Release = r.Release.Version.String()
			s.Total = r.Release.Size()
			switch r.State {
			case Announced:
			case Downloading:
				s.Have = u.held(r.Release)
			default:
				s.Have = s.Total
			}
		}
		if r.State == Waiting {
			u.mu.Lock()
			s.WaitingFor = u.waiting
			u.mu.Unlock()
		}
		tx.Bucket(bucketFailed).ForEach(func(k, v []byte) error {
			if s.Failed == nil {
				s.Failed = map[string]string{}
			}
			s.Failed[string(k)] = string(v)
			return nil
		})
		c := tx.Bucket(bucketHistory).Cursor()
		for k, v := c.Last(); k != nil && len(s.History) < 20; k, v = c.Prev() {
			var e Event
			if json.Unmarshal(v, &e) == nil {
				s.History = append(s.History, e)
				if e.Kind == "rolled_back" && s.LastRollback == nil {
					ev := e
					s.LastRollback = &ev
				}
			}
		}
		return nil
	})
	return s, err
}

// writeStatus publishes Status to <data>/update/status.json for the kiosk.
func (u *Updater) writeStatus() {
	s, err := u.Status()
	if err != nil {
		return
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return
	}
	if err := writeFileAtomic(filepath.Join(u.stateDir, "status.json"), b, 0o644); err != nil {
		u.cfg.Log.Warn("update: writing status.json", "err", err)
	}
}

// ReadStatus reads the status.json an updater publishes in dataDir.
func ReadStatus(dataDir string) (Status, error) {
	var s Status
	b, err := readFileCapped(filepath.Join(dataDir, StateDirName, "status.json"), 1<<20)
	if err != nil {
		return s, err
	}
	err = json.Unmarshal(b, &s)
	return s, err
}

// held sums the bytes on disk of rel's files, finished or partial.
func (u *Updater) held(rel *Release) int64 {
	var n int64
	dir := u.incoming(rel.Version)
	for _, f := range rel.Files {
		for _, p := range []string{filepath.Join(dir, f.Name), filepath.Join(dir, f.Name) + ".part"} {
			if st, err := os.Stat(p); err == nil {
				n += min(st.Size(), f.Length)
				break
			}
		}
	}
	return n
}

// idleWait returns after PollEvery, on a nudge, or when WatchFile changes.
func (u *Updater) idleWait(ctx context.Context) {
	stamp := func() time.Time {
		if u.cfg.WatchFile == "" {
			return time.Time{}
		}
		st, err := os.Stat(u.cfg.WatchFile)
		if err != nil {
			return time.Time{}
		}
		return st.ModTime()
	}
	seen := stamp()
	poll := time.NewTimer(u.cfg.PollEvery)
	defer poll.Stop()
	tick := time.NewTicker(min(u.cfg.WaitEvery, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-u.nudge:
			return
		case <-poll.C:
			return
		case <-tick.C:
			if s := stamp(); !s.Equal(seen) {
				return
			}
		}
	}
}

// bootID identifies the running boot: the kernel's boot id, or, where the
// sandbox hides /proc/sys (ProcSubset=pid), a random id kept in the
// service's runtime directory ($RUNTIME_DIRECTORY on tmpfs, kept across
// restarts of the service with RuntimeDirectoryPreserve=yes), which a
// reboot empties. "" when neither is available.
func bootID() string {
	if b, err := os.ReadFile("/proc/sys/kernel/random/boot_id"); err == nil {
		return strings.TrimSpace(string(b))
	}
	dir := os.Getenv("RUNTIME_DIRECTORY")
	if dir == "" {
		return ""
	}
	dir = strings.SplitN(dir, ":", 2)[0]
	p := filepath.Join(dir, "boot-id")
	if b, err := os.ReadFile(p); err == nil && len(b) > 0 {
		return strings.TrimSpace(string(b))
	}
	var r [16]byte
	if _, err := rand.Read(r[:]); err != nil {
		return ""
	}
	id := hex.EncodeToString(r[:])
	if err := writeFileAtomic(p, []byte(id+"\n"), 0o644); err != nil {
		return ""
	}
	return id
}
