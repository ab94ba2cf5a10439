package update

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func announce(t *testing.T, data, version string) {
	t.Helper()
	v, _ := ParseVersion(version)
	p := fmt.Sprintf(`{"release":%q,"rollout":"r1","stage":2,"issued":"2026-11-22T10:00:00Z"}`, v)
	if version == "" {
		p = `{"release":"","rollout":"r1","issued":"2026-11-22T10:00:00Z"}`
	}
	if err := WriteAnnouncement(data, []byte(p)); err != nil {
		t.Fatal(err)
	}
}

// Staged rollout: a published release is installed only once announced to
// this kiosk, and a release still waiting for its window is given up when
// the rollout is paused or aborted.
func TestStagedRolloutGate(t *testing.T) {
	repo := newTestRepo(t, ut0)
	repo.publish(t, "1.1.0", "", []byte("kiosk 1.1.0"), ut0, nil) // no deadline: waits for the window
	data := t.TempDir()
	clock := &testClock{t: ut0.Add(12 * time.Hour)} // 22:00, outside 02:00-05:00
	u := openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: clock.now,
		Restart: healthyRestart(data), WaitEvery: time.Millisecond, Announced: AnnouncedGate(data, "")}, repo.root(t))
	defer u.Close()
	if err := u.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s, _ := u.Status(); s.State != Idle || !strings.Contains(s.Reason, "not announced to this kiosk") {
		t.Fatalf("unannounced: %+v", s)
	}
	announce(t, data, "1.1.0")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error)
	go func() { done <- u.Run(ctx, true) }()
	waitState(t, u, Waiting)
	announce(t, data, "") // operations abort the rollout
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s, _ := u.Status()
	if s.State != Idle || s.Committed != "1.0.0" || s.History[0].Kind != "abandoned" || !strings.Contains(s.History[0].Reason, "withdrawn before activation") {
		t.Fatalf("after the abort: %+v", s)
	}
	if len(s.Failed) != 0 {
		t.Fatalf("an aborted rollout marked the release failed: %v", s.Failed)
	}
	// Announced again, inside the window: installed.
	announce(t, data, "1.1.0")
	clock.set(ut0.Add(-7 * time.Hour)) // 03:00
	if err := u.Run(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if s, _ := u.Status(); s.Committed != "1.1.0" {
		t.Fatalf("announced again: %+v", s)
	}
}

func FuzzDecodeAnnouncement(f *testing.F) {
	for _, s := range []string{
		`{"release":"1.4.0","rollout":"r1","stage":2,"issued":"2026-11-22T10:00:00Z"}`,
		`{"release":"","issued":"2026-11-22T10:00:00Z"}`,
		`{"release":"1.4.0","activate_by":"2026-12-01T02:00:00Z","issued":"2026-11-22T10:00:00Z"}`,
		`{"release":"1.4.0"}`,
		`{"release":"1.4.0","issued":"2026-11-22T10:00:00Z","extra":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeAnnouncement(b)
		if err != nil {
			return
		}
		if a.Issued.IsZero() || a.Stage < 0 {
			t.Fatalf("decoded %+v", a)
		}
	})
}
