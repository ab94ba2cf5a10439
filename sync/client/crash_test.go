package client

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"guichet/kiosk/store"
	"guichet/sync/wire"
)

// Environment of the feed crash child.
const (
	crashDirEnv = "GUICHET_CLIENT_CRASH_DIR" // the kiosk's data directory; set only in the child
)

// TestFeedCrashChild is the kiosk TestClientFeedCrash kills: it follows the
// registry's change feed in small pages and prints the position after each
// page is applied.
func TestFeedCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("the child of TestClientFeedCrash")
	}
	fail := func(err error) {
		fmt.Println("child-error", err)
		os.Exit(3)
	}
	id, err := LoadIdentity(dir)
	if err != nil {
		fail(err)
	}
	st, err := store.Open(dir+"/kiosk.db", store.Options{KioskID: id.KioskID, LockTimeout: 10 * time.Second})
	if err != nil {
		fail(err)
	}
	c, err := New(Config{Dir: dir, Store: st, FeedLimit: 1 + rand.IntN(7)})
	if err != nil {
		fail(err)
	}
	os.Stdout.WriteString("ready\n")
	for {
		_, more, err := c.PollChanges(context.Background(), 0)
		if err != nil {
			fail(err)
		}
		fs, err := st.Feed()
		if err != nil {
			fail(err)
		}
		os.Stdout.WriteString("applied " + strconv.FormatUint(fs.Since, 10) + "\n")
		if !more {
			os.Stdout.WriteString("caught-up\n")
			time.Sleep(time.Hour) // wait to be killed
		}
	}
}

// TestClientFeedCrash kills a kiosk process with SIGKILL while it applies
// the change feed, again and again, with the registry publishing more
// meanwhile, and checks after each kill that every change up to the
// kiosk's position took effect exactly once (the audit's feed.applied
// ranges tile 1..position, the settings and the document hold the last
// version at or below it) and that the position never goes back.
func TestClientFeedCrash(t *testing.T) {
	if os.Getenv(crashDirEnv) != "" {
		t.Skip("in the child")
	}
	kills := 20
	if testing.Short() {
		kills = 5
	}
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	dir := t.TempDir()
	id := e.enrol(t, ctx, dir, "ma-tpi-fes-02", e.url)
	st := openKioskStore(t, dir, id.KioskID)
	st.Close()
	ministry := crashMinistryKey()
	var published uint64
	publish := func(n int) {
		for range n {
			published++
			var ch wire.Change
			if published%2 == 0 {
				ch = wire.Change{Kind: wire.ChangeConfiguration, At: time.Now().UTC().Truncate(time.Microsecond), Settings: &wire.Settings{Version: published}}
			} else {
				d := &wire.SignedDocument{Name: "courts", Version: published, Issued: time.Now().UTC().Truncate(time.Microsecond), KeyID: "ministere-2026", Payload: []byte(`{"courts":["tpi-fes"]}`)}
				d.Sign(ministry)
				ch = wire.Change{Kind: wire.ChangeReferenceData, At: d.Issued, Document: d}
			}
			if _, err := e.st.AppendChange(ctx, id.KioskID, ch); err != nil {
				t.Fatal(err)
			}
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	var position, midway uint64
	for i := range kills {
		publish(10 + rng.IntN(30))
		lines, caughtUp := runFeedChild(t, dir, rng)
		if !caughtUp {
			midway++
		}
		for _, l := range lines {
			if msg, ok := strings.CutPrefix(l, "child-error "); ok {
				t.Fatalf("kill %d: child failed: %s", i, msg)
			}
		}
		position = checkClientFeed(t, i, dir, position)
	}
	t.Logf("%d kills (%d before the kiosk caught up), %d changes published, position %d", kills, midway, published, position)
	if midway == 0 {
		t.Errorf("no kill landed while the feed was being applied")
	}
}

// crashMinistryKey is the ministry key of the crash test, the same in the
// parent and the child (the child trusts none: it only needs to store).
func crashMinistryKey() ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	copy(seed, "guichet client crash test seed!")
	return ed25519.NewKeyFromSeed(seed)
}

func runFeedChild(t *testing.T, dir string, rng *rand.Rand) (lines []string, caughtUp bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFeedCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(stdout)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				io.Copy(io.Discard, r)
				return
			}
			l = strings.TrimSuffix(l, "\n")
			if l == "ready" {
				close(ready)
			}
			lines = append(lines, l)
		}
	}()
	select {
	case <-ready:
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("child not ready; stderr: %s", stderr.String())
	}
	time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	cmd.Wait()
	for _, l := range lines {
		caughtUp = caughtUp || l == "caught-up"
	}
	return lines, caughtUp
}

func checkClientFeed(t *testing.T, kill int, dir string, before uint64) uint64 {
	t.Helper()
	st, err := store.Open(dir+"/kiosk.db", store.Options{KioskID: "ma-tpi-fes-02"})
	if err != nil {
		t.Fatalf("kill %d: Open() = %v", kill, err)
	}
	defer st.Close()
	fs, err := st.Feed()
	if err != nil {
		t.Fatal(err)
	}
	if fs.Since < before {
		t.Fatalf("kill %d: position went back from %d to %d", kill, before, fs.Since)
	}
	es, err := st.AuditEntries()
	if err != nil {
		t.Fatal(err)
	}
	var covered uint64
	for _, e := range es {
		if e.Action != "feed.applied" {
			continue
		}
		a, b, _ := strings.Cut(e.Subject, "-")
		from, _ := strconv.ParseUint(a, 10, 64)
		to, _ := strconv.ParseUint(b, 10, 64)
		if from != covered+1 || to < from {
			t.Fatalf("kill %d: feed.applied %s after %d: a change repeated or skipped", kill, e.Subject, covered)
		}
		covered = to
	}
	if covered != fs.Since {
		t.Fatalf("kill %d: audit covers 1-%d, position %d", kill, covered, fs.Since)
	}
	if want := fs.Since / 2 * 2; fs.SettingsVersion != want {
		t.Fatalf("kill %d: settings version %d at position %d, want %d", kill, fs.SettingsVersion, fs.Since, want)
	}
	// The child trusts no ministry key, so every document was refused and
	// audited once: one refusal per odd change.
	refusals := 0
	for _, e := range es {
		if e.Action == "feed.refused" {
			refusals++
		}
	}
	if want := int((fs.Since + 1) / 2); refusals != want {
		t.Fatalf("kill %d: %d refusals audited at position %d, want %d", kill, refusals, fs.Since, want)
	}
	return fs.Since
}
