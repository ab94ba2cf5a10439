package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"guichet/drivers/escpos"
	"guichet/kiosk/flow"
	"guichet/sync/wire"
)

// Remote configuration: operations push settings through the change feed
// (the sync client validates and stores them). What changes how the kiosk
// starts — the idle timeout, the receipt printer's profile, the technician
// PIN, the maintenance window — is applied at the next start and kept only
// if the kiosk then passes its health check; a kiosk that fails it, or
// crashes before it passes, twice, goes back to the settings it had and
// never tries those again. The decision is kept in <data>/settings.json.

// FileSettings is the settings' probation record in the data directory.
const FileSettings = "settings.json"

// maxSettingsStarts is how many starts a new version may fail to finish
// (health check passed) before it is rolled back.
const maxSettingsStarts = 2

// settingsRecord is FileSettings.
type settingsRecord struct {
	Good     wire.Settings  `json:"good"`               // passed a health check (version 0: the defaults)
	Trying   *wire.Settings `json:"trying,omitempty"`   // on probation
	Starts   int            `json:"starts,omitempty"`   // starts with Trying that did not pass yet
	Refused  []uint64       `json:"refused,omitempty"`  // versions rolled back or invalid: never again
	Rollback string         `json:"rollback,omitempty"` // why the last one was rolled back
}

// settingsProbation decides which settings a start uses.
type settingsProbation struct {
	path string
	rec  settingsRecord
}

func loadSettingsRecord(data string) (*settingsProbation, error) {
	p := &settingsProbation{path: filepath.Join(data, FileSettings)}
	b, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("guichet: settings record: %w", err)
	}
	if err := json.Unmarshal(b, &p.rec); err != nil {
		return nil, fmt.Errorf("guichet: settings record %s does not decode: %w (remove it to start from the defaults)", p.path, err)
	}
	return p, nil
}

func (p *settingsProbation) save() error {
	b, err := json.MarshalIndent(p.rec, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(p.path, b)
}

// checkStartSettings refuses settings the kiosk cannot start with, beyond
// what wire.Settings.Validate checks.
func checkStartSettings(s wire.Settings) error {
	if s.TechnicianPINHash != "" {
		if err := flow.CheckPINHash(s.TechnicianPINHash); err != nil {
			return err
		}
	}
	if s.PrinterProfile != "" {
		if _, err := escpos.ProfileNamed(s.PrinterProfile); err != nil {
			return err
		}
	}
	return s.Validate()
}

// choose returns the settings this start uses, given the newest the
// registry sent, and records the choice. rolledBack says a version was
// just given up (and why), for the log and the audit.
func (p *settingsProbation) choose(latest wire.Settings) (use wire.Settings, rolledBack string, err error) {
	r := &p.rec
	switch {
	case latest.Version <= r.Good.Version || slices.Contains(r.Refused, latest.Version):
		r.Trying, r.Starts = nil, 0
	case r.Trying != nil && r.Trying.Version == latest.Version && r.Starts >= maxSettingsStarts:
		rolledBack = fmt.Sprintf("settings version %d did not pass the health check in %d starts: back to version %d", latest.Version, r.Starts, r.Good.Version)
		r.refuse(latest.Version, rolledBack)
	default:
		if err := checkStartSettings(latest); err != nil {
			rolledBack = fmt.Sprintf("settings version %d refused: %v", latest.Version, err)
			r.refuse(latest.Version, rolledBack)
			break
		}
		if r.Trying == nil || r.Trying.Version != latest.Version {
			t := latest
			r.Trying, r.Starts = &t, 0
		}
		r.Starts++
	}
	if err := p.save(); err != nil {
		return r.Good, rolledBack, err
	}
	if r.Trying != nil {
		return *r.Trying, rolledBack, nil
	}
	return r.Good, rolledBack, nil
}

// passed promotes the settings on probation after a health check passed.
func (p *settingsProbation) passed() error {
	if p.rec.Trying == nil {
		return nil
	}
	p.rec.Good, p.rec.Trying, p.rec.Starts = *p.rec.Trying, nil, 0
	return p.save()
}

// failed gives up the settings on probation at once (the health check
// failed with them).
func (p *settingsProbation) failed(why string) (string, error) {
	if p.rec.Trying == nil {
		return "", nil
	}
	msg := fmt.Sprintf("settings version %d failed the health check (%s): back to version %d at the next start", p.rec.Trying.Version, why, p.rec.Good.Version)
	p.rec.refuse(p.rec.Trying.Version, msg)
	return msg, p.save()
}

// refuse gives up a version for good, why being the reason kept, and ends
// any probation.
func (r *settingsRecord) refuse(version uint64, why string) {
	r.Refused, r.Trying, r.Starts, r.Rollback = append(r.Refused, version), nil, 0, why
}

// onProbation reports whether this start tries new settings.
func (p *settingsProbation) onProbation() bool { return p.rec.Trying != nil }

// applySettings puts the settings a start uses into the kiosk's
// configuration: what operations set wins over the command line.
func applySettings(cfg *config, fc *flow.Config, s wire.Settings) {
	if s.PrinterProfile != "" {
		cfg.printer = s.PrinterProfile
	}
	if s.TechnicianPINHash != "" {
		cfg.pinHash = s.TechnicianPINHash
	}
	if s.IdleTimeout != 0 {
		fc.Session.IdleTimeout = s.IdleTimeout.Std()
	}
	if s.MaintenanceWindow != "" {
		cfg.window = s.MaintenanceWindow
	}
}

// settingsRestartCode is the exit status that asks systemd to start the
// kiosk again (Restart=on-failure) to apply new settings while nobody is
// at it.
const settingsRestartCode = 75

// errRestart ends run so that the kiosk starts again (new settings, or
// settings given up).
var errRestart = errors.New("guichet: restart to apply settings")

// watchSettings restarts the kiosk, when nobody is at it and systemd will
// start it again, once the registry sent settings newer than those it
// runs with.
func watchSettings(ctx context.Context, link *syncLink, running wire.Settings, p *settingsProbation, idle func() bool, log *slog.Logger, restart func()) {
	if link.c == nil {
		return
	}
	told := uint64(0)
	every(ctx, 30*time.Second, func() bool {
		latest := link.c.Settings()
		switch {
		case latest.Version <= running.Version || slices.Contains(p.rec.Refused, latest.Version):
		case os.Getenv("NOTIFY_SOCKET") == "":
			if told != latest.Version {
				log.Warn("new settings apply at the next start", "version", latest.Version)
				told = latest.Version
			}
		case idle():
			log.Warn("restarting to apply new settings while nobody is at the kiosk", "version", latest.Version)
			restart()
			return false
		}
		return true
	})
}
