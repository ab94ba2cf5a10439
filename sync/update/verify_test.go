package update_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

func kioskTrust(t *testing.T, root []byte) update.Trust {
	t.Helper()
	tr := update.Trust{Dir: filepath.Join(t.TempDir(), "tuf")}
	if err := tr.Pin(root); err != nil {
		t.Fatal(err)
	}
	return tr
}

func files(bin string) map[string][]byte {
	return map[string][]byte{"guichet": []byte("#!/bin/sh\n# kiosk " + bin + "\n"), "printer.json": []byte(`{"profile":"tm-t20"}`)}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRefreshAcceptsASignedRelease(t *testing.T) {
	repo := updatetest.NewRepo(t, t0)
	repo.Publish("1.1.0", "1.0.0", files("1.1.0"), func(s *update.ReleaseSpec) { s.Notes = "printer fix" })
	tr := kioskTrust(t, repo.Root())
	for _, src := range []update.Source{update.DirSource(repo.Dir), update.HTTPSource{BaseURL: updatetest.NewServer(t, repo.Dir).URL}} {
		res, err := tr.Refresh(context.Background(), src, t0.Add(time.Hour))
		if err != nil {
			t.Fatalf("Refresh(%s) = %v", src, err)
		}
		rel := res.Release
		if rel == nil || rel.Version.String() != "1.1.0" || rel.MinUpgradeFrom.String() != "1.0.0" || len(rel.Files) != 2 || rel.Notes != "printer fix" {
			t.Fatalf("Refresh(%s) release = %+v", src, rel)
		}
		if !res.TrustedTime.Equal(t0.Add(time.Hour)) {
			t.Errorf("TrustedTime = %v, want the clock %v", res.TrustedTime, t0.Add(time.Hour))
		}
	}
}

// Each refusal names its cause; the kiosk's log and the console show it.
func TestRefreshRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time)
		want  string
	}{
		{"unknown key", func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time) {
			other := updatetest.NewRepo(t, t0)
			other.Publish("1.1.0", "", files("evil"), nil)
			return update.DirSource(other.Dir), t0.Add(time.Minute)
		}, "signed by a key the kiosk does not trust"},
		{"bad signature", func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time) {
			p := filepath.Join(repo.Dir, "metadata", "timestamp.json")
			b, _ := os.ReadFile(p)
			var m map[string]any
			json.Unmarshal(b, &m)
			m["signed"].(map[string]any)["expires"] = "2030-01-01T00:00:00Z"
			b, _ = json.Marshal(m)
			os.WriteFile(p, b, 0o644)
			return update.DirSource(repo.Dir), t0.Add(time.Minute)
		}, "bad signature"},
		{"expired timestamp (freeze)", func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time) {
			return update.DirSource(repo.Dir), t0.Add(8 * 24 * time.Hour)
		}, "timestamp.json refused: expired"},
		{"mixed snapshot from another release", func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time) {
			old := t.TempDir()
			copyDir(t, repo.Dir, old)
			repo.Publish("1.2.0", "", files("1.2.0"), nil)
			os.Rename(filepath.Join(old, "metadata", "snapshot.json"), filepath.Join(repo.Dir, "metadata", "snapshot.json"))
			return update.DirSource(repo.Dir), t0.Add(time.Minute)
		}, "mixed from two releases"},
		{"mixed targets from another release", func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time) {
			old := t.TempDir()
			copyDir(t, repo.Dir, old)
			repo.Publish("1.2.0", "", files("1.2.0"), nil)
			os.Rename(filepath.Join(old, "metadata", "targets.json"), filepath.Join(repo.Dir, "metadata", "targets.json"))
			return update.DirSource(repo.Dir), t0.Add(time.Minute)
		}, "mixed from two releases"},
		{"timestamp rolled back", func(t *testing.T, repo *updatetest.Repo, tr update.Trust) (update.Source, time.Time) {
			old := t.TempDir()
			copyDir(t, repo.Dir, old)
			repo.Publish("1.2.0", "", files("1.2.0"), nil)
			if _, err := tr.Refresh(context.Background(), update.DirSource(repo.Dir), t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			return update.DirSource(old), t0.Add(2 * time.Minute)
		}, "version goes backwards (rollback attack)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := updatetest.NewRepo(t, t0)
			repo.Publish("1.1.0", "", files("1.1.0"), nil)
			tr := kioskTrust(t, repo.Root())
			src, now := tt.setup(t, repo, tr)
			_, err := tr.Refresh(context.Background(), src, now)
			if !errors.Is(err, update.ErrRefused) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Refresh = %v, want a refusal containing %q", err, tt.want)
			}
		})
	}
}

// The root of trust is rotated by a new root signed by the old one: a
// kiosk pinned to root 1 follows the chain, and then refuses metadata
// signed by the keys rotated away.
func TestRootRotation(t *testing.T) {
	repo := updatetest.NewRepo(t, t0)
	repo.Publish("1.1.0", "", files("1.1.0"), nil)
	tr := kioskTrust(t, repo.Root())
	if _, err := tr.Refresh(context.Background(), update.DirSource(repo.Dir), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	stale := t.TempDir()
	copyDir(t, repo.Dir, stale)
	next, err := update.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	if err := update.RotateRoot(repo.Dir, repo.Keys, next, t0.Add(time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	res, err := tr.Refresh(context.Background(), update.DirSource(repo.Dir), t0.Add(2*time.Hour))
	if err != nil || res.RootVersion != 2 || res.Release == nil || res.Release.Version.String() != "1.1.0" {
		t.Fatalf("after rotation: Refresh = %+v, %v; want root 2 and release 1.1.0", res, err)
	}
	// The old keys signed stale's timestamp: refused now, even with a version above.
	repo2 := &updatetest.Repo{Dir: stale, Keys: repo.Keys, Now: t0.Add(3 * time.Hour)}
	if err := update.RefreshTimestamp(stale, repo2.Keys, t0.Add(3*time.Hour), 0); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(stale, "metadata", "2.root.json"))
	_, err = tr.Refresh(context.Background(), update.DirSource(stale), t0.Add(3*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "signed by a key the kiosk does not trust") {
		t.Fatalf("old timestamp key after rotation: Refresh = %v, want unknown key", err)
	}
	// A root not signed by the current root is refused.
	evil := updatetest.NewRepo(t, t0)
	evilNext, _ := update.GenerateKeys()
	update.RotateRoot(evil.Dir, evil.Keys, evilNext, t0, 0)
	b, _ := os.ReadFile(filepath.Join(evil.Dir, "metadata", "2.root.json"))
	os.WriteFile(filepath.Join(repo.Dir, "metadata", "3.root.json"), b, 0o644)
	_, err = tr.Refresh(context.Background(), update.DirSource(repo.Dir), t0.Add(3*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "root 3.root.json refused") {
		t.Fatalf("foreign root 3: Refresh = %v, want refused", err)
	}
}

func TestPublishRefusesAnOlderRelease(t *testing.T) {
	repo := updatetest.NewRepo(t, t0)
	repo.Publish("1.1.0", "", files("1.1.0"), nil)
	v, _ := update.ParseVersion("1.0.9")
	p := filepath.Join(t.TempDir(), "guichet")
	os.WriteFile(p, []byte("x"), 0o755)
	err := update.Publish(repo.Dir, repo.Keys, update.ReleaseSpec{Version: v, Files: []update.ReleaseFile{{Source: p, Kind: update.KindBinary}}, Now: t0})
	if err == nil || !strings.Contains(err.Error(), "not above 1.1.0") {
		t.Fatalf("Publish(1.0.9 after 1.1.0) = %v", err)
	}
}
