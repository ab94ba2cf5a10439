package update_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

func TestRepositoryHandler(t *testing.T) {
	repo := updatetest.NewRepo(t, t0)
	repo.Publish("1.1.0", "", files("1.1.0"), nil)
	os.WriteFile(filepath.Join(repo.Dir, "secret.pem"), []byte("key"), 0o600)
	mux := http.NewServeMux()
	mux.Handle("/v1/updates/", http.StripPrefix("/v1/updates", update.NewRepositoryHandler(repo.Dir)))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(method, path, rng string) (*http.Response, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	bin := string(files("1.1.0")["guichet"])
	resp, body := get("GET", "/v1/updates/targets/1.1.0/guichet", "bytes=5-")
	if resp.StatusCode != 206 || body != bin[5:] || !strings.HasPrefix(resp.Header.Get("Content-Range"), "bytes 5-") {
		t.Errorf("range GET = %d %q %q", resp.StatusCode, resp.Header.Get("Content-Range"), body)
	}
	if resp, _ := get("GET", "/v1/updates/metadata/timestamp.json", ""); resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("metadata GET = %d, Cache-Control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/v1/updates/secret.pem", "/v1/updates/targets/../secret.pem", "/v1/updates/metadata/", "/v1/updates/targets/1.1.0",
		"/v1/updates/metadata/.timestamp.json.tmp1", "/v1/updates/targets/1.1.0/guichet/x"} {
		if resp, _ := get("GET", p, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := get("PUT", "/v1/updates/metadata/timestamp.json", ""); resp.StatusCode != 405 {
		t.Errorf("PUT = %d, want 405", resp.StatusCode)
	}
}

// An update from a USB stick goes through the same checks as one from the
// registry: a good stick installs, an altered one is refused with the reason.
func TestUSBStickUpdate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		alter  func(stick string)
		commit string
		reason string
	}{
		{"good stick", func(string) {}, "1.1.0", ""},
		{"altered binary", func(stick string) {
			os.WriteFile(filepath.Join(stick, "targets", "1.1.0", "guichet"), []byte("#!/bin/sh\n# kiosk EVIL!\n"), 0o644)
		}, "1.0.0", "does not match its signed SHA-256"},
		{"foreign keys", func(stick string) {
			other := updatetest.NewRepo(t, t0)
			other.Publish("1.1.0", "", files("evil"), nil)
			os.RemoveAll(stick)
			copyDir(t, other.Dir, stick)
		}, "1.0.0", "signed by a key the kiosk does not trust"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := updatetest.NewRepo(t, t0)
			repo.Publish("1.1.0", "", files("1.1.0"), func(s *update.ReleaseSpec) { s.ActivateBy = t0 })
			stick := filepath.Join(t.TempDir(), "guichet-update")
			copyDir(t, repo.Dir, stick)
			tc.alter(stick)
			data := t.TempDir()
			u, err := update.Open(update.Config{DataDir: data, FactoryVersion: update.Version{Major: 1}, Source: update.PreferDir(stick, nil),
				Clock: func() time.Time { return t0 }, Restart: updatetest.HealthyKiosk(data), RetryAfter: time.Millisecond, MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer u.Close()
			u.Pin(repo.Root())
			u.Run(context.Background(), true)
			s, _ := u.Status()
			if s.Committed != tc.commit || !strings.Contains(s.Reason+eventReasons(s), tc.reason) {
				t.Fatalf("committed %q, reason %q, history %+v; want %s and %q", s.Committed, s.Reason, s.History, tc.commit, tc.reason)
			}
		})
	}
}

func eventReasons(s update.Status) string {
	var b strings.Builder
	for _, e := range s.History {
		b.WriteString(e.Reason + "\n")
	}
	return b.String()
}

// A connection cut every 64 KiB makes progress at every attempt: the
// release is not given up after MaxAttempts, and no byte is fetched twice.
func TestPoorNetworkIsNotAFailingRelease(t *testing.T) {
	repo, _ := bigRelease(t, 512<<10)
	srv := updatetest.NewServer(t, repo.Dir)
	srv.SetFaults(updatetest.Faults{CutAfter: 64 << 10})
	data := t.TempDir()
	u, err := update.Open(update.Config{DataDir: data, FactoryVersion: update.Version{Major: 1}, Source: update.HTTPSource{BaseURL: srv.URL},
		Clock: func() time.Time { return t0 }, Restart: updatetest.HealthyKiosk(data), RetryAfter: time.Millisecond, MaxAttempts: 2,
		Window: update.Window{Start: "09:00", End: "11:00"}})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	u.Pin(repo.Root())
	if err := u.Run(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if s, _ := u.Status(); s.Committed != "1.1.0" {
		t.Fatalf("after 8 cuts with MaxAttempts 2: %+v", s)
	}
	if srv.Sent() != 512<<10 {
		t.Errorf("sent %d bytes for a %d-byte release", srv.Sent(), 512<<10)
	}
}
