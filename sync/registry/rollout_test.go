package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"guichet/sync/registry/store"
	"guichet/sync/registry/store/storetest"
	"guichet/sync/update"
	"guichet/sync/wire"
)

// report records a kiosk's telemetry: the version it runs and its updater.
func report(t *testing.T, s store.Store, id, running string, u *wire.UpdateState) {
	t.Helper()
	tel := wire.Telemetry{KioskID: id, MessageID: "t", At: t0, SoftwareVersion: running, CountryPack: "ma", PackVersion: 3,
		Capabilities: []wire.Capability{wire.CapBatch, wire.CapFeedStatus, wire.CapFeedUpdate, wire.CapTelemetry}, Update: u}
	if err := s.RecordTelemetry(context.Background(), tel, t0); err != nil {
		t.Fatal(err)
	}
}

// announcements returns the update announcements in a kiosk's feed,
// checked against the registry's document key.
func announcements(t *testing.T, e *env, id string) []update.Announcement {
	t.Helper()
	chs, _, err := e.srv.Store().Changes(context.Background(), id, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []update.Announcement
	for _, c := range chs {
		if c.Kind != wire.ChangeUpdateManifest {
			continue
		}
		if c.Document.Name != DocUpdate || !c.Document.Verify(e.srv.DocumentKeys()[c.Document.KeyID]) {
			t.Fatalf("%s: announcement %s does not verify", id, c.Document.Name)
		}
		a, err := update.DecodeAnnouncement(c.Document.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestRolloutHaltsOnFailures: 1,000 kiosks, a pilot, then 10 %, then
// everyone; a tenth of the second stage fails its update. The rollout
// halts by itself in the second stage, the kiosks of that stage still
// waiting are told to let the release go, the ones that installed it keep
// it, and no kiosk of the last stage is ever offered it.
func TestRolloutHaltsOnFailures(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	st := e.srv.Store()
	const fleet = 1000
	ids := make([]string, fleet)
	for i := range ids {
		ids[i] = fmt.Sprintf("ma-k%04d", i)
		storetest.Enrol(t, st, ids[i])
		report(t, st, ids[i], "1.4.1", &wire.UpdateState{State: "idle", Running: "1.4.1"})
	}
	if _, err := e.srv.StartRollout(ctx, operator, RolloutSpec{Version: "1.4.2", Stages: []store.RolloutStage{{Name: "stage 0", Kiosks: []string{"nowhere"}}}}); err == nil {
		t.Fatal("a rollout to an unknown pilot kiosk started")
	}
	r, err := e.srv.StartRollout(ctx, operator, RolloutSpec{Version: "1.4.2", FailureThreshold: 0.05,
		Stages: []store.RolloutStage{{Name: "pilot", Kiosks: []string{ids[0]}}, {Name: "tenth", Percent: 10}, {Name: "everyone", Percent: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Offered) != 1 || r.Stage != 0 {
		t.Fatalf("after start: stage %d, %d offered, want the pilot alone", r.Stage, len(r.Offered))
	}
	if a := announcements(t, e, ids[0]); len(a) != 1 || a[0].Release.String() != "1.4.2" || a[0].Stage != 0 {
		t.Fatalf("the pilot's announcements: %+v", a)
	}
	if _, err := e.srv.StartRollout(ctx, operator, RolloutSpec{Version: "1.4.3", Stages: []store.RolloutStage{{Percent: 100}}}); err == nil {
		t.Fatal("a second rollout started while one runs")
	}

	// The pilot installs it.
	report(t, st, ids[0], "1.4.2", &wire.UpdateState{State: "committed", Running: "1.4.2"})
	if err := e.srv.AdvanceRollouts(ctx); err != nil {
		t.Fatal(err)
	}
	r, _ = st.Rollout(ctx, r.ID)
	var second []string
	for id, stage := range r.Offered {
		if stage == 1 {
			second = append(second, id)
		}
	}
	slices.Sort(second)
	if r.Stage != 1 || len(second) < 60 || len(second) > 140 {
		t.Fatalf("after the pilot: stage %d with %d kiosks, want stage 1 with about 100", r.Stage, len(second))
	}

	// The second stage reports as its updates finish: one in ten fails
	// its health check and rolls back.
	var ok, bad, waiting []string
	for i, id := range second {
		if cur, _ := st.Rollout(ctx, r.ID); cur.State == store.RolloutHalted {
			waiting = append(waiting, second[i:]...) // not finished when the rollout halted
			break
		}
		switch {
		case i%10 == 0:
			report(t, st, id, "1.4.1", &wire.UpdateState{State: "rolled_back", Running: "1.4.1", Failed: []string{"1.4.2"}, Rollback: "1.4.2: health check failed: receipt printer did not answer"})
			bad = append(bad, id)
		default:
			report(t, st, id, "1.4.2", &wire.UpdateState{State: "committed", Running: "1.4.2"})
			ok = append(ok, id)
		}
		if err := e.srv.AdvanceRollouts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	r, _ = st.Rollout(ctx, r.ID)
	if r.State != store.RolloutHalted || !strings.Contains(r.Reason, "tenth") {
		t.Fatalf("rollout %s (%s), want halted in the second stage", r.State, r.Reason)
	}
	counts := RolloutCounts(r, mustKiosks(t, st))
	t.Logf("%d kiosks; second stage %d; halted: %s; %d still waiting told to let it go", fleet, len(second), r.Reason, len(waiting))
	if counts[1].Failed != len(bad) || counts[1].Committed != len(ok) {
		t.Errorf("stage counts %+v, want %d failed, %d committed", counts[1], len(bad), len(ok))
	}
	for id, stage := range r.Offered {
		if stage > 1 {
			t.Fatalf("kiosk %s of the last stage was offered the release", id)
		}
	}
	if len(r.Offered) != 1+len(second) {
		t.Errorf("%d kiosks offered, want %d", len(r.Offered), 1+len(second))
	}
	withdrawn := func(id string) bool {
		for _, a := range announcements(t, e, id) {
			if a.Release.IsZero() {
				return true
			}
		}
		return false
	}
	for _, id := range waiting {
		if !withdrawn(id) {
			t.Fatalf("kiosk %s, still waiting when the rollout halted, was not told to let the release go", id)
		}
	}
	for _, id := range append(append([]string{ids[0]}, ok...), bad...) {
		if withdrawn(id) {
			t.Fatalf("kiosk %s, which had finished, was told to withdraw", id)
		}
	}
	if !e.audited("registry", "rollout.halted") {
		t.Error("the halt is not audited")
	}

	// An operator looks, then aborts; it cannot be resumed after.
	status, body := e.person("GET", PathAdminRollouts, operator, operatorPass, nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"State":"halted"`) {
		t.Errorf("GET rollouts = %d %s", status, body)
	}
	if status, body := e.person("POST", PathAdminRollouts+"/"+r.ID+"/abort", operator, operatorPass, nil); status != http.StatusOK {
		t.Errorf("abort = %d %s", status, body)
	}
	if status, _ := e.person("POST", PathAdminRollouts+"/"+r.ID+"/resume", operator, operatorPass, nil); status != http.StatusConflict {
		t.Errorf("resume after abort = %d, want 409", status)
	}
}

func TestRolloutPauseAndFinish(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	st := e.srv.Store()
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("ma-p%02d", i)
		ids = append(ids, id)
		storetest.Enrol(t, st, id)
		report(t, st, id, "2.0.0", nil)
	}
	spec := RolloutSpec{Version: "2.0.1", Stages: []store.RolloutStage{{Name: "half", Percent: 50}, {Name: "all", Percent: 100}}, Deadline: t0.Add(48 * time.Hour)}
	status, body := e.person("POST", PathAdminRollouts, operator, operatorPass, spec)
	if status != http.StatusCreated {
		t.Fatalf("start = %d %s", status, body)
	}
	var r store.Rollout
	json.Unmarshal(body, &r)
	if _, err := e.srv.ControlRollout(ctx, operator, r.ID, "pause"); err != nil {
		t.Fatal(err)
	}
	for id := range r.Offered {
		report(t, st, id, "2.0.1", &wire.UpdateState{State: "committed", Running: "2.0.1"})
	}
	e.srv.AdvanceRollouts(ctx)
	if got, _ := st.Rollout(ctx, r.ID); got.Stage != 0 || got.State != store.RolloutPaused {
		t.Fatalf("a paused rollout moved: stage %d, %s", got.Stage, got.State)
	}
	if _, err := e.srv.ControlRollout(ctx, operator, r.ID, "resume"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		report(t, st, id, "2.0.1", &wire.UpdateState{State: "committed", Running: "2.0.1"})
	}
	if err := e.srv.AdvanceRollouts(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Rollout(ctx, r.ID)
	if got.State != store.RolloutDone || len(got.Offered) != len(ids) {
		t.Fatalf("rollout %s with %d offered, want done with %d", got.State, len(got.Offered), len(ids))
	}
	a := announcements(t, e, ids[0])
	if len(a) != 1 || !a[0].ActivateBy.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("announcement %+v, want one with the hard deadline", a)
	}
}

func mustKiosks(t *testing.T, s store.Store) []store.Kiosk {
	t.Helper()
	ks, err := s.Kiosks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// audited reports whether the audit holds action by actor.
func (e *env) audited(actor, action string) bool {
	e.t.Helper()
	es, err := e.srv.Store().Audit(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range es {
		if a.Actor == actor && a.Action == action {
			return true
		}
	}
	return false
}

func TestUpdatesServed(t *testing.T) {
	repo := t.TempDir()
	os.MkdirAll(filepath.Join(repo, "metadata"), 0o755)
	os.MkdirAll(filepath.Join(repo, "targets", "1.4.2"), 0o755)
	os.WriteFile(filepath.Join(repo, "metadata", "timestamp.json"), []byte(`{"signed":{}}`), 0o644)
	os.WriteFile(filepath.Join(repo, "targets", "1.4.2", "guichet"), []byte("0123456789"), 0o644)
	e := newEnv(t, envOptions{cfg: func(c *Config) { c.UpdatesDir = repo }})
	k := e.enrol("ma-casa-01", "tpi-casablanca")
	if status, body := get(t, k.client, k.base+PathUpdates+"metadata/timestamp.json"); status != http.StatusOK || string(body) != `{"signed":{}}` {
		t.Errorf("timestamp.json = %d %s", status, body)
	}
	req, _ := http.NewRequest(http.MethodGet, k.base+PathUpdates+"targets/1.4.2/guichet", nil)
	req.Header.Set("Range", "bytes=4-")
	resp, err := k.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(b) != "456789" {
		t.Errorf("ranged target = %d %q, want 206 \"456789\"", resp.StatusCode, b)
	}
	// The updater holds no kiosk certificate: the signed metadata carries
	// the trust.
	if status, _ := get(t, e.anonymous(), e.http.URL+PathUpdates+"metadata/timestamp.json"); status != http.StatusOK {
		t.Errorf("without a kiosk certificate = %d, want 200", status)
	}
	if status, _ := get(t, k.client, k.base+PathUpdates+"../registry.db"); status != http.StatusNotFound {
		t.Errorf("a path out of the repository = %d, want 404", status)
	}
}
