package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

var bins struct{ updater, kiosk string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "guichet-updater-test")
	if err != nil {
		panic(err)
	}
	bins.updater = filepath.Join(dir, "guichet-updater")
	bins.kiosk = filepath.Join(dir, "fakekiosk")
	for _, b := range [][2]string{{bins.updater, "."}, {bins.kiosk, "guichet/sync/update/updatetest/fakekiosk"}} {
		cmd := exec.Command("go", "build", "-ldflags=-s -w", "-o", b[0], b[1])
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", b[1], err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var t0 = time.Now().UTC().Truncate(time.Second)

// kiosk is a simulated kiosk: a data directory, the factory binary at
// version 1.0.0 (the fake kiosk), and a repository served over HTTP.
type kiosk struct {
	t        *testing.T
	data     string
	rootFile string
	repo     *updatetest.Repo
	srv      *updatetest.Server
	log      string
}

func newKiosk(t *testing.T) *kiosk {
	k := &kiosk{t: t, data: t.TempDir()}
	k.repo = updatetest.NewRepo(t, t0)
	k.srv = updatetest.NewServer(t, k.repo.Dir)
	k.rootFile = filepath.Join(t.TempDir(), "root.json")
	os.WriteFile(k.rootFile, k.repo.Root(), 0o644)
	k.log = filepath.Join(k.data, "launches.log")
	return k
}

// publish signs release version: the fake kiosk binary with a behaviour.
func (k *kiosk) publish(version, behaviour string) {
	bin, err := os.ReadFile(bins.kiosk)
	if err != nil {
		k.t.Fatal(err)
	}
	k.repo.Publish(version, "1.0.0", map[string][]byte{"guichet": bin, "behaviour": []byte(behaviour)}, func(s *update.ReleaseSpec) {
		s.ActivateBy = t0.Add(-time.Hour) // past the deadline: activate as soon as no session is active
	})
	// The registry's announcement, as the kiosk writes it from its change feed.
	if err := update.WriteAnnouncement(k.data, []byte(`{"release":"`+version+`","rollout":"test","stage":1,"issued":"2026-11-22T10:00:00Z"}`)); err != nil {
		k.t.Fatal(err)
	}
}

func (k *kiosk) command(failpoint string, extra ...string) *exec.Cmd {
	launch := fmt.Sprintf("FAKEKIOSK_LOG=%s %s launch -data %s -factory %s -factory-version 1.0.0 >/dev/null 2>&1 &", k.log, bins.updater, k.data, bins.kiosk)
	args := append([]string{"run", "-once", "-data", k.data, "-repo", k.srv.URL, "-usb", "", "-root-of-trust", k.rootFile,
		"-factory-version", "1.0.0", "-restart", launch, "-probation", "1500ms", "-wait-every", "20ms", "-retry-after", "20ms"}, extra...)
	cmd := exec.Command(bins.updater, args...)
	cmd.Env = append(os.Environ(), "GUICHET_UPDATER_FAILPOINT="+failpoint)
	return cmd
}

// run runs the updater once to the end, restarting it after every
// SIGKILL, at most 20 times; it returns how many times it was killed.
func (k *kiosk) run(failpoint string) int {
	k.t.Helper()
	kills := 0
	for i := 0; i < 20; i++ {
		out, err := k.command(failpoint).CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL {
			kills++
			failpoint = "" // the fail point fired once; the restarted updater goes on
			continue
		}
		if err != nil {
			k.t.Fatalf("guichet-updater run: %v\n%s", err, out)
		}
		return kills
	}
	k.t.Fatal("the updater never finished")
	return kills
}

func (k *kiosk) status() update.Status {
	k.t.Helper()
	s, err := update.ReadStatus(k.data)
	if err != nil {
		k.t.Fatal(err)
	}
	return s
}

// settled checks the invariant of every ending: idle, committed is what
// current points to (the factory binary for 1.0.0), and the kiosk was last
// launched at that version.
func (k *kiosk) settled(want string) update.Status {
	k.t.Helper()
	s := k.status()
	cur, err := os.Readlink(filepath.Join(k.data, update.CurrentLink))
	running := "1.0.0"
	if err == nil {
		running = filepath.Base(cur)
		if _, err := os.Stat(filepath.Join(k.data, cur, update.BinaryName)); err != nil {
			k.t.Fatalf("current -> %s has no binary: %v", cur, err)
		}
	}
	if s.State != update.Idle || s.Committed != want || running != want {
		k.t.Fatalf("ended in state %s, committed %q, current %q; want idle on %s (status %+v)", s.State, s.Committed, running, want, s)
	}
	// The last launch (after the restart) runs the committed version.
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(k.log)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if last := lines[len(lines)-1]; strings.HasPrefix(last, want+" ") {
			break
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("launches %q: the kiosk was not restarted on %s", lines, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

func TestUpdateCommitsAHealthyRelease(t *testing.T) {
	k := newKiosk(t)
	k.publish("1.1.0", "healthy")
	if kills := k.run(""); kills != 0 {
		t.Fatalf("%d kills without a fail point", kills)
	}
	s := k.settled("1.1.0")
	if len(s.History) == 0 || s.History[0].Kind != "committed" {
		t.Errorf("history %+v, want a commit first", s.History)
	}
	// launch's contract with the kiosk: where each shared file is.
	b, _ := os.ReadFile(k.log)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := fmt.Sprintf("1.1.0 healthy %s/health/1.1.0.json %s/health/session.state %s/health/announcement.json %s/update/status.json", k.data, k.data, k.data, k.data)
	if lines[len(lines)-1] != want {
		t.Errorf("the kiosk was launched with\n%s\nwant\n%s", lines[len(lines)-1], want)
	}
	// A second release: previous keeps the first.
	k.publish("1.2.0", "healthy")
	k.run("")
	k.settled("1.2.0")
	if prev, _ := os.Readlink(filepath.Join(k.data, update.PreviousLink)); prev != "releases/1.1.0" {
		t.Errorf("previous -> %q, want releases/1.1.0", prev)
	}
	if st, err := os.Stat(filepath.Join(k.data, "releases", "1.2.0", "guichet")); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Errorf("staged binary %v, %v: want read-only", st.Mode(), err)
	}
}

func TestBadReleasesRollBack(t *testing.T) {
	for _, tc := range []struct{ behaviour, reason string }{
		{"crash", "wrote no health report within"},
		{"hang", "wrote no health report within"},
		{"peripherals-fail", "peripherals did not answer (receipt printer did not answer"},
	} {
		t.Run(tc.behaviour, func(t *testing.T) {
			t.Parallel()
			k := newKiosk(t)
			k.publish("1.1.0", tc.behaviour)
			k.run("")
			s := k.settled("1.0.0")
			if s.LastRollback == nil || !strings.Contains(s.LastRollback.Reason, tc.reason) || s.Failed["1.1.0"] == "" {
				t.Fatalf("rollback %+v, failed %v; want reason %q and 1.1.0 remembered", s.LastRollback, s.Failed, tc.reason)
			}
			// Never reinstalled: the next check refuses it with the reason.
			k.run("")
			s = k.settled("1.0.0")
			if s.History[0].Kind != "refused" || !strings.Contains(s.History[0].Reason, "never installed again") {
				t.Fatalf("after the rollback, history %+v; want 1.1.0 refused", s.History[0])
			}
		})
	}
}

// The fail points inside each state and at each state's entry: the
// updater is SIGKILLed there, restarted, and ends on the new version
// committed (a healthy release) or the old one, never in between.
func TestCrashAtEveryFailPoint(t *testing.T) {
	healthy := []string{"announced.enter", "downloading.enter", "download.half", "download.complete", "verified.enter",
		"stage.renamed", "staged.enter", "waiting.enter", "activating.enter", "activate.previous", "activate.current",
		"activate.restarted", "probation.enter", "probation.healthy", "commit.done", "idle.enter"}
	failing := []string{"probation.enter", "rolling_back.enter", "rollback.current", "rollback.restarted"}
	for _, tc := range []struct {
		behaviour, want string
		points          []string
	}{{"healthy", "1.1.0", healthy}, {"peripherals-fail", "1.0.0", failing}} {
		for _, fp := range tc.points {
			t.Run(tc.behaviour+"/"+fp, func(t *testing.T) {
				t.Parallel()
				k := newKiosk(t)
				k.publish("1.1.0", tc.behaviour)
				kills := k.run(fp)
				if kills != 1 && fp != "idle.enter" {
					t.Fatalf("fail point %s fired %d times, want 1", fp, kills)
				}
				k.settled(tc.want)
			})
		}
	}
}

// SIGKILL at random moments, again and again, until the updater finishes:
// it still ends on one version, whole.
func TestRandomKills(t *testing.T) {
	for seed := range uint64(10) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, 7))
			behaviour, want := "healthy", "1.1.0"
			if seed%2 == 1 {
				behaviour, want = "peripherals-fail", "1.0.0"
			}
			k := newKiosk(t)
			k.publish("1.1.0", behaviour)
			kills := 0
			for i := 0; ; i++ {
				cmd := k.command("")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				timer := time.AfterFunc(time.Duration(2+r.IntN(60)+10*kills)*time.Millisecond /* longer after each kill, so that a loaded machine still ends */, func() { cmd.Process.Kill() })
				err := cmd.Wait()
				timer.Stop()
				if err == nil {
					break
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("run %d: %v\n%s", i, err, out.String())
				}
				if kills++; kills > 60 {
					t.Fatal("no end after 60 kills")
				}
			}
			// So many crashes may exhaust a state's retries: then the old
			// version, whole, is as right as the new one.
			if got := k.status().Committed; got == "1.0.0" {
				want = got
			}
			k.settled(want)
			t.Logf("%s: ended on %s after %d kills", behaviour, want, kills)
			if kills == 0 {
				t.Error("never killed: the test proves nothing")
			}
		})
	}
}

func TestStatusCommand(t *testing.T) {
	k := newKiosk(t)
	k.publish("1.1.0", "healthy")
	k.run("")
	out, err := exec.Command(bins.updater, "status", "-data", k.data).Output()
	if err != nil {
		t.Fatal(err)
	}
	var s update.Status
	if err := json.Unmarshal(out, &s); err != nil || s.Committed != "1.1.0" {
		t.Fatalf("status = %s (%v), want committed 1.1.0", out, err)
	}
}

// An operator's reboot stops the updater with SIGTERM: the probation start
// is not counted. SIGKILL (a crash, a power cut) is.
func TestCleanStopVersusKill(t *testing.T) {
	k := newKiosk(t)
	k.publish("1.1.0", "hang")
	stopIn := func(sig syscall.Signal) update.Status {
		t.Helper()
		cmd := k.command("")
		cmd.Args = append(cmd.Args[:2], append([]string{"-probation", "1h"}, cmd.Args[2:]...)...)
		for i, a := range cmd.Args {
			if a == "-once" {
				cmd.Args = append(cmd.Args[:i], cmd.Args[i+1:]...)
				break
			}
		}
		started := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			// In probation, as written by this process (it opened its state).
			if s, err := update.ReadStatus(k.data); err == nil && s.State == update.Probation && s.UpdatedAt.After(started) {
				break
			}
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatal("never reached probation")
			}
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Signal(sig)
		cmd.Wait()
		return k.status()
	}
	stopIn(syscall.SIGTERM)
	s := stopIn(syscall.SIGTERM)
	if s.Boots != 1 {
		t.Fatalf("after two clean stops in probation: %d boots, want 1", s.Boots)
	}
	stopIn(syscall.SIGKILL)
	s = stopIn(syscall.SIGTERM) // the start after the kill counted it
	if s.Boots != 2 {
		t.Fatalf("after a kill in probation: %d boots, want 2", s.Boots)
	}
}

// Over HTTPS with the registry's CA pinned (no enrolment readable by the
// updater): the same update.
func TestUpdateOverTLSWithAPinnedCA(t *testing.T) {
	k := newKiosk(t)
	k.publish("1.1.0", "healthy")
	srv := httptest.NewTLSServer(update.NewRepositoryHandler(k.repo.Dir))
	defer srv.Close()
	ca := filepath.Join(t.TempDir(), "registry-ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o644)
	cmd := k.command("")
	for i, a := range cmd.Args {
		if a == "-repo" {
			cmd.Args[i+1] = srv.URL + "/"
		}
	}
	cmd.Args = append(cmd.Args, "-ca", ca, "-identity", t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	k.settled("1.1.0")
}

func TestKioskArgs(t *testing.T) {
	data := t.TempDir()
	if got, err := kioskArgs(data); err != nil || (got != nil && len(got) == 0) {
		// The image's file may be absent on the build host: nil is right.
		t.Logf("no data-partition file: %q, %v", got, err)
	}
	os.WriteFile(filepath.Join(data, "kiosk.conf"), []byte("# guichet's arguments\n-fullscreen\n\n  -gpio  \npresence=GPIO17\n"), 0o644)
	got, err := kioskArgs(data)
	if err != nil || strings.Join(got, "|") != "-fullscreen|-gpio|presence=GPIO17" {
		t.Errorf("kioskArgs = %q, %v", got, err)
	}
}
