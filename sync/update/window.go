package update

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SessionState is what the kiosk writes, atomically (WriteSessionState), to
// <data>/health/session.state
// whenever a citizen session starts or ends and when its maintenance window
// changes (configuration from the change feed). The updater reads it before
// it activates a release.
type SessionState struct {
	SessionActive bool      `json:"session_active"`
	ChangedAt     time.Time `json:"changed_at"`                   // when SessionActive last changed
	Window        *Window   `json:"maintenance_window,omitempty"` // nil: the updater's default
}

// Window is a daily maintenance window in local time, "HH:MM" to "HH:MM";
// End before Start spans midnight. Zone is an IANA zone name ("" is UTC).
type Window struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Zone  string `json:"zone,omitempty"`
}

// MaxSession bounds how long a session can be active: a session state
// older than this that still says active is stale (the kiosk stopped
// during a session) and no longer holds an activation back.
const MaxSession = 30 * time.Minute

// DecodeSessionState reads the kiosk's session state strictly.
func DecodeSessionState(raw []byte) (SessionState, error) {
	var s SessionState
	if len(raw) > maxSessionState {
		return s, fmt.Errorf("update: session state is %d bytes, limit %d", len(raw), maxSessionState)
	}
	if err := decodeStrict(raw, &s); err != nil {
		return s, fmt.Errorf("update: session state: %w", err)
	}
	if s.Window != nil {
		if _, _, _, err := s.Window.parse(); err != nil {
			return s, err
		}
	}
	return s, nil
}

// EncodeSessionState is the JSON the kiosk writes.
func EncodeSessionState(s SessionState) ([]byte, error) { return json.Marshal(s) }

// WriteSessionState writes s where the updater reads it, readable by the
// updater whatever the kiosk's umask.
func WriteSessionState(dataDir string, s SessionState) error {
	b, err := EncodeSessionState(s)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dataDir, HealthDir), 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return writeFileAtomic(filepath.Join(dataDir, SessionFile), b, 0o644)
}

func (w Window) parse() (start, end int, loc *time.Location, err error) {
	hm := func(s string) (int, error) {
		t, err := time.Parse("15:04", s)
		if err != nil || len(s) != 5 {
			return 0, fmt.Errorf("update: maintenance window time %q is not HH:MM", clip(s))
		}
		return t.Hour()*60 + t.Minute(), nil
	}
	if start, err = hm(w.Start); err != nil {
		return
	}
	if end, err = hm(w.End); err != nil {
		return
	}
	if start == end {
		return 0, 0, nil, fmt.Errorf("update: maintenance window %s-%s is empty", w.Start, w.End)
	}
	loc = time.UTC
	if w.Zone != "" {
		if loc, err = time.LoadLocation(w.Zone); err != nil {
			return 0, 0, nil, fmt.Errorf("update: maintenance window zone %q: %v", clip(w.Zone), err)
		}
	}
	return start, end, loc, nil
}

// ParseWindow reads "HH:MM-HH:MM" or "HH:MM-HH:MM@Zone".
func ParseWindow(s string) (Window, error) {
	var w Window
	if len(s) < 11 || s[5] != '-' {
		return w, fmt.Errorf("update: maintenance window %q is not HH:MM-HH:MM[@Zone]", clip(s))
	}
	w.Start, w.End = s[:5], s[6:11]
	if len(s) > 11 {
		if s[11] != '@' {
			return w, fmt.Errorf("update: maintenance window %q is not HH:MM-HH:MM[@Zone]", clip(s))
		}
		w.Zone = s[12:]
	}
	_, _, _, err := w.parse()
	return w, err
}

// Contains reports whether t falls inside the window.
func (w Window) Contains(t time.Time) bool {
	start, end, loc, err := w.parse()
	if err != nil {
		return false
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if start < end {
		return m >= start && m < end
	}
	return m >= start || m < end
}

// ActivationAllowed decides whether a staged release may be activated now:
// no citizen session active, and inside the maintenance window or past the
// release's hard deadline. A session is never interrupted, not even past
// the deadline; a stale "active" (older than MaxSession) does not count.
// why says what it waits for.
func ActivationAllowed(now time.Time, s SessionState, def Window, deadline time.Time) (ok bool, why string) {
	if s.SessionActive && now.Sub(s.ChangedAt) < MaxSession {
		return false, "a citizen session is active"
	}
	w := def
	if s.Window != nil {
		w = *s.Window
	}
	if !deadline.IsZero() && !now.Before(deadline) {
		return true, ""
	}
	if w.Contains(now) {
		return true, ""
	}
	return false, fmt.Sprintf("outside the maintenance window %s-%s %s", w.Start, w.End, w.Zone)
}
