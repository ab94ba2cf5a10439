package update

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The in-package tests build their own small repository (updatetest
// imports this package, so it cannot be used here).

var ut0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

type testRepo struct {
	dir  string
	keys Keys
}

func newTestRepo(t testing.TB, now time.Time) *testRepo {
	k, err := GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	r := &testRepo{dir: t.TempDir(), keys: k}
	if err := InitRepository(r.dir, k, now, 0); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *testRepo) publish(t testing.TB, version, minFrom string, bin []byte, now time.Time, mod func(*ReleaseSpec)) {
	v, _ := ParseVersion(version)
	spec := ReleaseSpec{Version: v, Now: now}
	if minFrom != "" {
		spec.MinUpgradeFrom, _ = ParseVersion(minFrom)
	}
	p := filepath.Join(t.TempDir(), "guichet")
	os.WriteFile(p, bin, 0o755)
	spec.Files = []ReleaseFile{{Source: p, Kind: KindBinary}}
	if mod != nil {
		mod(&spec)
	}
	if err := Publish(r.dir, r.keys, spec); err != nil {
		t.Fatal(err)
	}
}

func (r *testRepo) root(t testing.TB) []byte {
	b, err := os.ReadFile(filepath.Join(r.dir, MetadataDir, "root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// healthyRestart stands in for the kiosk: a restart writes a passing
// health report for the version current points to.
func healthyRestart(data string) func(context.Context) error {
	return func(context.Context) error {
		t, err := os.Readlink(filepath.Join(data, CurrentLink))
		if err != nil {
			return nil // the factory binary: nothing to report
		}
		v, _ := ParseVersion(filepath.Base(t))
		return WriteHealthReport(filepath.Join(data, HealthDir), HealthReport{Version: v, WrittenAt: time.Now(),
			HomeScreenRendered: true, PeripheralsAnswered: true, StoreOpened: true, RegistryReachedOrQueueIntact: true})
	}
}

func openTest(t testing.TB, cfg Config, root []byte) *Updater {
	t.Helper()
	u, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Pin(root); err != nil {
		t.Fatal(err)
	}
	return u
}

func waitState(t *testing.T, u *Updater, want State) Status {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := u.Status()
		if err == nil && s.State == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %s (%+v), want %s", s.State, s, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor waits until the updater, still waiting, says it waits for want.
func waitFor(t *testing.T, u *Updater, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, _ := u.Status()
		if s.State != Waiting {
			t.Fatalf("state %s, want waiting for %q", s.State, want)
		}
		if strings.Contains(s.WaitingFor, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %q, want %q", s.WaitingFor, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func writeSession(t *testing.T, data string, s SessionState) {
	b, _ := EncodeSessionState(s)
	if err := writeFileAtomic(filepath.Join(data, SessionFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Activation waits for the session to end and for the maintenance window;
// the hard deadline overrides the window but never a session.
func TestActivationWaitsForTheWindowAndTheSession(t *testing.T) {
	repo := newTestRepo(t, ut0)
	repo.publish(t, "1.1.0", "", []byte("kiosk 1.1.0"), ut0, func(s *ReleaseSpec) { s.ActivateBy = ut0.Add(48 * time.Hour) })
	data := t.TempDir()
	clock := &testClock{t: ut0.Add(12 * time.Hour)} // 22:00 UTC, outside 02:00-05:00 UTC
	u := openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: clock.now,
		Restart: healthyRestart(data), WaitEvery: time.Millisecond, Window: Window{Start: "02:00", End: "05:00"}}, repo.root(t))
	defer u.Close()
	writeSession(t, data, SessionState{SessionActive: true, ChangedAt: clock.now()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- u.Run(ctx, true) }()

	waitState(t, u, Waiting)
	waitFor(t, u, "a citizen session is active")
	writeSession(t, data, SessionState{SessionActive: false, ChangedAt: clock.now()})
	waitFor(t, u, "outside the maintenance window")
	// The kiosk's own window (from its configuration) wins over the default.
	writeSession(t, data, SessionState{ChangedAt: clock.now(), Window: &Window{Start: "21:00", End: "23:00"}})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	cancel()
	if s, _ := u.Status(); s.State != Idle || s.Committed != "1.1.0" {
		t.Fatalf("after the window opened: %+v", s)
	}
}

func TestActivationAllowed(t *testing.T) {
	night := Window{Start: "02:00", End: "05:00", Zone: "Africa/Casablanca"}
	span := Window{Start: "23:00", End: "01:00"}
	at := func(h, m int) time.Time { return time.Date(2026, 6, 10, h, m, 0, 0, time.UTC) } // Casablanca is UTC+1 then (UTC+0 in Ramadan)
	tests := []struct {
		name     string
		now      time.Time
		s        SessionState
		w        Window
		deadline time.Time
		ok       bool
	}{
		{"inside, no session", at(2, 30), SessionState{}, night, time.Time{}, true}, // Casablanca is UTC+1: 03:30
		{"before the window", at(0, 30), SessionState{}, night, time.Time{}, false},
		{"end is exclusive", at(4, 0), SessionState{}, night, time.Time{}, false}, // 05:00 local
		{"session active", at(2, 30), SessionState{SessionActive: true, ChangedAt: at(2, 20)}, night, time.Time{}, false},
		{"stale session", at(2, 30), SessionState{SessionActive: true, ChangedAt: at(1, 0)}, night, time.Time{}, true},
		{"past the deadline, outside", at(12, 0), SessionState{}, night, at(11, 0), true},
		{"past the deadline, session", at(12, 0), SessionState{SessionActive: true, ChangedAt: at(11, 59)}, night, at(11, 0), false},
		{"before the deadline, outside", at(12, 0), SessionState{}, night, at(13, 0), false},
		{"across midnight, after", at(23, 30), SessionState{}, span, time.Time{}, true},
		{"across midnight, before end", at(0, 59), SessionState{}, span, time.Time{}, true},
		{"across midnight, outside", at(1, 0), SessionState{}, span, time.Time{}, false},
	}
	for _, tt := range tests {
		ok, why := ActivationAllowed(tt.now, tt.s, tt.w, tt.deadline)
		if ok != tt.ok || (!ok && why == "") {
			t.Errorf("%s: ActivationAllowed = %v %q, want %v", tt.name, ok, why, tt.ok)
		}
	}
}

// runToProbation runs u until it waits in probation (the kiosk never
// reports), then stops it with stop.
func runToProbation(t *testing.T, u *Updater) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- u.Run(ctx, true) }()
	waitState(t, u, Probation)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// An operator's reboot (a clean stop) is not a failed probation start; a
// crash or power cut is, and after MaxBoots of them the release rolls back.
func TestCleanStopIsNotAFailure(t *testing.T) {
	repo := newTestRepo(t, ut0)
	repo.publish(t, "1.1.0", "", []byte("kiosk 1.1.0"), ut0, func(s *ReleaseSpec) { s.ActivateBy = ut0 })
	data := t.TempDir()
	cfg := Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: func() time.Time { return ut0.Add(time.Hour) },
		Probation: time.Hour, MaxBoots: 3}
	u := openTest(t, cfg, repo.root(t))
	runToProbation(t, u)
	for i := 0; i < 5; i++ { // five ordinary reboots
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
		u = openTest(t, cfg, repo.root(t))
		if s, _ := u.Status(); s.State != Probation || s.Boots != 1 {
			t.Fatalf("after clean stop %d: %s with %d boots, want probation with 1", i+1, s.State, s.Boots)
		}
	}
	// Power cuts: the database is closed without the clean-stop mark.
	for i := 2; i <= 4; i++ {
		u.db.Close()
		u = openTest(t, cfg, repo.root(t))
		if s, _ := u.Status(); s.Boots != i {
			t.Fatalf("after power cut: %d boots, want %d", s.Boots, i)
		}
	}
	if err := u.Run(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	s, _ := u.Status()
	if s.Committed != "1.0.0" || s.LastRollback == nil || !strings.Contains(s.LastRollback.Reason, "did not pass its health check in 3 starts") {
		t.Fatalf("after 4 probation starts: %+v", s)
	}
	u.Close()
}

// The kiosk has no real-time clock: once it has seen a trusted time, a
// clock set back does not make expired metadata valid again.
func TestTimeHighWaterMark(t *testing.T) {
	repo := newTestRepo(t, ut0.Add(-24*time.Hour))
	repo.publish(t, "1.1.0", "", []byte("kiosk 1.1.0"), ut0.Add(-24*time.Hour), nil) // timestamp expires at ut0+6d
	old := t.TempDir()
	copyTree(t, repo.dir, old)
	repo.publish(t, "1.2.0", "", []byte("kiosk 1.2.0"), ut0.Add(10*24*time.Hour), nil) // issued in 10 days, signed

	clock := &testClock{t: ut0}
	data := t.TempDir()
	u := openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: clock.now}, repo.root(t))
	defer u.Close()
	if err := u.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, _ := u.Status()
	if want := ut0.Add(10 * 24 * time.Hour); !s.TrustedTime.Equal(want) || !u.now().Equal(want) {
		t.Fatalf("trusted time %v, now %v; want the release's issue time %v", s.TrustedTime, u.now(), want)
	}
	// The trusted metadata is lost; the old repository, valid by the
	// kiosk's clock but expired by the trusted time, is served.
	fresh := Trust{Dir: t.TempDir()}
	fresh.Pin(repo.root(t))
	if _, err := fresh.Refresh(context.Background(), DirSource(old), clock.now()); err != nil {
		t.Fatalf("by the clock alone the old repository passes (%v): the test proves nothing", err)
	}
	fresh = Trust{Dir: t.TempDir()}
	fresh.Pin(repo.root(t))
	_, err := fresh.Refresh(context.Background(), DirSource(old), u.now())
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("old repository at the high-water mark: %v, want expired", err)
	}
	// The clock moves back further: the mark holds, persisted.
	u.Close()
	clock.set(ut0.Add(-365 * 24 * time.Hour))
	u = openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: clock.now}, repo.root(t))
	if got := u.now(); !got.Equal(ut0.Add(10 * 24 * time.Hour)) {
		t.Fatalf("after a restart with the clock a year back, now = %v", got)
	}
}

func copyTree(t *testing.T, src, dst string) {
	filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, _ := os.ReadFile(p)
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
}

func TestCheckRefusesDowngradesAndSkippedVersions(t *testing.T) {
	for _, tc := range []struct {
		version, minFrom, want string
	}{
		{"0.9.0", "", "below the committed 1.0.0: downgrade refused"},
		{"1.2.0", "1.1.0", "upgrades from 1.1.0 or later; this kiosk runs 1.0.0"},
	} {
		repo := newTestRepo(t, ut0)
		repo.publish(t, tc.version, tc.minFrom, []byte("kiosk"), ut0, nil)
		u := openTest(t, Config{DataDir: t.TempDir(), FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir),
			Clock: func() time.Time { return ut0 }}, repo.root(t))
		if err := u.Check(context.Background()); err != nil {
			t.Fatal(err)
		}
		s, _ := u.Status()
		if s.State != Idle || !strings.Contains(s.Reason, tc.want) || len(s.History) != 1 || s.History[0].Kind != "refused" {
			t.Errorf("release %s (from %s): %+v; want refused with %q", tc.version, tc.minFrom, s, tc.want)
		}
		u.Close()
	}
}

// Progress is shown in technician mode and on the console: bytes held and
// bytes in all, from the files on disk.
func TestStatusShowsDownloadProgress(t *testing.T) {
	repo := newTestRepo(t, ut0)
	bin := make([]byte, 3<<20)
	repo.publish(t, "1.1.0", "", bin, ut0, func(s *ReleaseSpec) { s.ActivateBy = ut0 })
	data := t.TempDir()
	var at Status
	var u *Updater
	u = openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: func() time.Time { return ut0 },
		Restart: healthyRestart(data), Failpoint: func(name string) {
			if name == "download.half" {
				at, _ = u.Status()
			}
		}}, repo.root(t))
	defer u.Close()
	if err := u.Run(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if at.State != Downloading || at.Total != 3<<20 || at.Have < at.Total/2 || at.Have >= at.Total {
		t.Fatalf("status at half the download: %+v", at)
	}
	b, _ := os.ReadFile(filepath.Join(data, StateDirName, "status.json"))
	var s Status
	if err := json.Unmarshal(b, &s); err != nil || s.Committed != "1.1.0" {
		t.Fatalf("status.json = %s (%v)", b, err)
	}
}

// The database is consistent after every test that used it.
func TestDatabaseConsistent(t *testing.T) {
	repo := newTestRepo(t, ut0)
	repo.publish(t, "1.1.0", "", []byte("kiosk"), ut0, func(s *ReleaseSpec) { s.ActivateBy = ut0 })
	data := t.TempDir()
	u := openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: DirSource(repo.dir), Clock: func() time.Time { return ut0 },
		Restart: healthyRestart(data)}, repo.root(t))
	if err := u.Run(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	u.Close()
	db, err := bolt.Open(filepath.Join(data, StateDirName, "update.db"), 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		r, _, err := loadRecord(tx)
		if err == nil && (!r.CleanStop || r.Committed != (Version{1, 1, 0})) {
			t.Errorf("record after close: %+v", r)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An unreachable repository is not a refusal; a refusal seen at every poll
// is recorded once.
func TestCheckRecordsRefusalsOnce(t *testing.T) {
	repo := newTestRepo(t, ut0)
	repo.publish(t, "1.1.0", "", []byte("kiosk"), ut0, nil)
	data := t.TempDir()
	src := &switchSource{Source: HTTPSource{BaseURL: "http://127.0.0.1:1/v1/updates"}}
	u := openTest(t, Config{DataDir: data, FactoryVersion: Version{1, 0, 0}, Source: src, Clock: func() time.Time { return ut0.Add(30 * 24 * time.Hour) }}, repo.root(t))
	defer u.Close()
	err := u.Check(context.Background())
	if err == nil || errors.Is(err, ErrRefused) {
		t.Fatalf("unreachable: Check = %v, want an error that is not a refusal", err)
	}
	src.Source = DirSource(repo.dir) // reachable, but the timestamp expired 23 days ago
	for range 3 {
		if err := u.Check(context.Background()); !errors.Is(err, ErrRefused) {
			t.Fatalf("expired: Check = %v, want a refusal", err)
		}
	}
	s, _ := u.Status()
	if len(s.History) != 1 || s.History[0].Kind != "refused" || !strings.Contains(s.History[0].Reason, "expired") {
		t.Fatalf("history %+v, want one refusal for the expired timestamp", s.History)
	}
}

type switchSource struct{ Source }
