package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"time"

	"guichet/kiosk/store"
	"guichet/sync/client"
	updater "guichet/sync/update"
	"guichet/sync/wire"
)

// The kiosk's side of software updates: it passes the registry's signed
// announcement (the change feed's "update" document, verified by the sync
// client and applied by the store) to the updater, and reports the
// updater's state in its telemetry. `guichet-updater launch` gives the
// files' paths: $GUICHET_ANNOUNCE_FILE (written here) and
// $GUICHET_UPDATE_STATUS (the updater's status.json, read here).

// updateLink is nil when the kiosk does not run under the updater.
type updateLink struct {
	st           *store.Store
	announceFile string
	statusFile   string
	log          *slog.Logger
	written      uint64 // the announcement document version written
}

func newUpdateLink(st *store.Store, log *slog.Logger) *updateLink {
	a, s := os.Getenv("GUICHET_ANNOUNCE_FILE"), os.Getenv("GUICHET_UPDATE_STATUS")
	if a == "" && s == "" {
		return nil
	}
	return &updateLink{st: st, announceFile: a, statusFile: s, log: log}
}

// passAnnouncement writes the newest announcement for the updater, once
// per document version.
func (u *updateLink) passAnnouncement() error {
	if u == nil || u.announceFile == "" {
		return nil
	}
	d, err := u.st.Document(store.ChangeUpdate, "update")
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Version == u.written) {
		return nil
	}
	if err != nil {
		return err
	}
	a, err := updater.DecodeAnnouncement(d.Payload)
	if err != nil {
		return err
	}
	if err := writeAtomic(u.announceFile, d.Payload); err != nil {
		return err
	}
	u.written = d.Version
	if a.Release.IsZero() {
		u.log.Warn("update withdrawn by the registry", "rollout", a.Rollout)
	} else {
		u.log.Info("update announced", "release", a.Release.String(), "rollout", a.Rollout, "stage", a.Stage)
	}
	return nil
}

// run passes announcements as the change feed brings them.
func (u *updateLink) run(ctx context.Context, period time.Duration) {
	if u == nil {
		return
	}
	every(ctx, period, func() bool {
		if err := u.passAnnouncement(); err != nil {
			u.log.Error("update announcement not passed to the updater", "err", err)
		}
		return true
	})
}

// pauseWhileActivating keeps the kiosk from starting a citizen's session
// while the updater activates a release (it restarts the kiosk within
// seconds): the attract screen says it is back in a moment.
func (u *updateLink) pauseWhileActivating(ctx context.Context, setPaused func(bool), period time.Duration) {
	if u == nil || u.statusFile == "" {
		return
	}
	paused := false
	every(ctx, period, func() bool {
		s, ok := u.status()
		on := ok && (s.State == updater.Activating || s.State == updater.RollingBack)
		if on != paused {
			setPaused(on)
			paused = on
			u.log.Info("kiosk paused for an update", "paused", on, "state", string(s.State), "release", s.Release)
		}
		return true
	})
}

// status reads the updater's status file.
func (u *updateLink) status() (updater.Status, bool) {
	var s updater.Status
	b, err := os.ReadFile(u.statusFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			u.log.Warn("updater status unreadable", "err", err)
		}
		return s, false
	}
	if err := json.Unmarshal(b, &s); err != nil {
		u.log.Warn("updater status does not decode", "err", err)
		return s, false
	}
	return s, true
}

// state reads the updater's status for telemetry; nil when there is none
// (or it does not read).
func (u *updateLink) state() *wire.UpdateState {
	if u == nil || u.statusFile == "" {
		return nil
	}
	s, ok := u.status()
	if !ok {
		return nil
	}
	return toWireUpdate(s)
}

// toWireUpdate is the telemetry's view of the updater's status.
func toWireUpdate(s updater.Status) *wire.UpdateState {
	w := &wire.UpdateState{State: string(s.State), Running: s.Committed, Target: s.Release, Bytes: s.Have, Total: s.Total}
	if w.Running == "" {
		w.Running = version
	}
	for v := range s.Failed {
		w.Failed = append(w.Failed, v)
	}
	slices.Sort(w.Failed)
	if len(w.Failed) > wire.MaxFailedVersions {
		w.Failed = w.Failed[len(w.Failed)-wire.MaxFailedVersions:]
	}
	if r := s.LastRollback; r != nil {
		w.Rollback = wire.Text(r.Version.String()+": "+r.Reason, wire.MaxText)
	}
	if w.Bytes > w.Total {
		w.Bytes = w.Total
	}
	return w
}

// readingsWithUpdate adds the updater's state to the devices' readings.
func readingsWithUpdate(ps *peripherals, u *updateLink) func() client.Readings {
	return func() client.Readings {
		r := ps.readings()
		r.Update = u.state()
		return r
	}
}
