package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The whole release life cycle through the command line, as operations run
// it: keys, repository, a release, the daily timestamp, a key rotation,
// and the check of a USB stick.
func TestReleaseLifeCycle(t *testing.T) {
	dir := t.TempDir()
	keys, repo, newKeys := filepath.Join(dir, "keys"), filepath.Join(dir, "repo"), filepath.Join(dir, "keys2")
	bin := filepath.Join(dir, "guichet-linux-arm64")
	cfg := filepath.Join(dir, "printer.json")
	courts := filepath.Join(dir, "courts.json")
	os.WriteFile(bin, []byte("\x7fELF kiosk 1.4.0"), 0o755)
	os.WriteFile(cfg, []byte(`{"profile":"80mm"}`), 0o644)
	os.WriteFile(courts, []byte(`{"courts":[]}`), 0o644)
	bundle := filepath.Join(dir, "guichet-os.raucb")
	os.WriteFile(bundle, []byte("squashfs of the OS"), 0o644)
	root := filepath.Join(repo, "metadata", "root.json")

	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"release", "keygen", "-keys", keys}, 0, "keep root.pem offline"},
		{[]string{"release", "keygen", "-keys", keys}, 1, "already exists"},
		{[]string{"release", "init", "-keys", keys, "-repo", repo}, 0, "pin " + root},
		{[]string{"release", "publish", "-keys", keys, "-repo", repo, "-version", "1.4.0"}, 2, "-binary required"},
		{[]string{"release", "publish", "-keys", keys, "-repo", repo, "-version", "v1.4", "-binary", bin}, 2, "not MAJOR.MINOR.PATCH"},
		{[]string{"release", "publish", "-keys", keys, "-repo", repo, "-version", "1.4.0", "-min-from", "1.2.0", "-binary", bin,
			"-config", cfg, "-data", courts, "-image", bundle, "-activate-by", "2026-12-01T02:00:00Z", "-notes", "printer fix"}, 0, "release 1.4.0 published"},
		{[]string{"release", "publish", "-keys", keys, "-repo", repo, "-version", "1.3.9", "-binary", bin}, 1, "not above 1.4.0"},
		{[]string{"release", "verify", "-repo", repo, "-root", root}, 0, "release 1.4.0 (upgrades from 1.2.0 or later)"},
		{[]string{"release", "verify", "-repo", repo, "-root", root}, 0, "image   guichet-os.raucb"},
		{[]string{"release", "timestamp", "-keys", keys, "-repo", repo}, 0, "timestamp re-signed"},
		{[]string{"release", "keygen", "-keys", newKeys}, 0, ""},
		{[]string{"release", "rotate", "-keys", keys, "-new-keys", newKeys, "-repo", repo}, 0, "root rotated"},
		{[]string{"release", "verify", "-repo", repo, "-root", root}, 0, "verified (root version 2)"},
		{[]string{"release", "frobnicate"}, 2, "unknown command"},
	}
	for _, s := range steps {
		code, out, errOut := runCtl(t, "", s.args...)
		if code != s.code || !strings.Contains(out+errOut, s.out) {
			t.Fatalf("guichetctl %s = %d\n%s%s\nwant %d and %q", strings.Join(s.args, " "), code, out, errOut, s.code, s.out)
		}
	}
	// The kiosk-side check refuses an altered stick, with the reason.
	os.WriteFile(filepath.Join(repo, "targets", "1.4.0", "printer.json"), []byte(`{"profile":"58mm"}`), 0o644)
	code, out, errOut := runCtl(t, "", "release", "verify", "-repo", repo, "-root", root)
	if code != 1 || !strings.Contains(errOut, "does not match its signed SHA-256") {
		t.Fatalf("verify of an altered stick = %d\n%s%s", code, out, errOut)
	}
	// And a repository signed by keys the kiosk never trusted.
	other, keys3 := filepath.Join(dir, "other"), filepath.Join(dir, "keys3")
	for _, args := range [][]string{
		{"release", "keygen", "-keys", keys3},
		{"release", "init", "-keys", keys3, "-repo", other},
		{"release", "publish", "-keys", keys3, "-repo", other, "-version", "9.0.0", "-binary", bin},
	} {
		if code, out, errOut := runCtl(t, "", args...); code != 0 {
			t.Fatalf("guichetctl %s = %d\n%s%s", strings.Join(args, " "), code, out, errOut)
		}
	}
	code, out, errOut = runCtl(t, "", "release", "verify", "-repo", other, "-root", root)
	if code != 1 || !strings.Contains(errOut, "signed by a key the kiosk does not trust") {
		t.Fatalf("verify of a foreign repository = %d\n%s%s", code, out, errOut)
	}
}
