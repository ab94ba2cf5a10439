package store

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"guichet/kiosk/seal"
)

// Environment of the crash child.
const (
	crashDBEnv  = "GUICHET_CRASH_DB"  // database path; set only in the child
	crashKeyEnv = "GUICHET_CRASH_KEY" // registry public key, text form
)

const crashSubmitters = 4

// crashSegment is how many kills share one database file.
const crashSegment = 500

// TestCrashChild is the process TestCrash kills. It submits requests from
// crashSubmitters goroutines, acknowledges some as a sync client would, and
// compacts now and then; it prints "committed ID" after each Submit returns,
// "acked ID" after each Acknowledge returns, and brackets compactions.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		t.Skip("the child of TestCrash")
	}
	var key seal.PublicKey
	if err := key.UnmarshalText([]byte(os.Getenv(crashKeyEnv))); err != nil {
		fmt.Println("child-error", err)
		os.Exit(3)
	}
	s, err := Open(path, Options{RegistryKey: &key, KioskID: "ma-tpi-fes-02", LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Println("child-error", err)
		os.Exit(3)
	}
	var outMu sync.Mutex
	say := func(format string, a ...any) {
		line := fmt.Sprintf(format+"\n", a...)
		outMu.Lock()
		os.Stdout.WriteString(line) // one write: the line arrives whole or not at all
		outMu.Unlock()
	}
	fail := func(err error) {
		say("child-error %v", err)
		os.Exit(4)
	}
	if alarms := s.Alarms(); len(alarms) != 0 {
		fail(fmt.Errorf("alarms at open: %+v", alarms))
	}
	say("ready")
	ctx := context.Background()
	for range crashSubmitters {
		go func() {
			for {
				r, err := s.Submit(ctx, draft(t), personal("crash"))
				if err != nil {
					fail(err)
				}
				say("committed %s", r.ID)
			}
		}()
	}
	go func() { // the sync client
		for {
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
			out, err := s.PendingOutbox(6)
			if err != nil {
				fail(err)
			}
			var ids []string
			for _, e := range out {
				ids = append(ids, e.RequestID)
			}
			if err := s.MarkSent(ctx, ids...); err != nil {
				fail(err)
			}
			ids = ids[:len(ids)/2]
			if err := s.Acknowledge(ctx, ids...); err != nil {
				fail(err)
			}
			for _, id := range ids {
				say("acked %s", id)
			}
		}
	}()
	for {
		time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
		say("compact-start")
		if err := s.Compact(ctx); err != nil {
			fail(err)
		}
		say("compact-done")
	}
}

// TestCrash kills TestCrashChild with SIGKILL at random moments,
// CRASH_KILLS times (default 200; 20 with -short), and after each kill reopens the store and
// checks that every request the child reported committed is there exactly
// once, every acknowledgement it reported held, the outbox has no duplicate,
// the file checks clean and the audit chain verifies.
func TestCrash(t *testing.T) {
	if os.Getenv(crashDBEnv) != "" {
		t.Skip("in the child")
	}
	kills := 200
	if v := os.Getenv("CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("CRASH_KILLS=%q: want a positive number", v)
		}
		kills = n
	} else if testing.Short() {
		kills = 20
	}
	registry, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyText, _ := registry.Public().MarshalText()

	var path string
	var env []string
	var committed, acked map[string]bool
	var inCompaction, beforeReady, totalCommitted, totalAcked int
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 42))
	for i := range kills {
		if i%crashSegment == 0 {
			// A fresh database every crashSegment kills bounds the cost of
			// the checks in long runs (they read the whole file each time).
			totalCommitted += len(committed)
			totalAcked += len(acked)
			path = filepath.Join(t.TempDir(), "kiosk.db")
			env = append(os.Environ(), crashDBEnv+"="+path, crashKeyEnv+"="+string(keyText))
			committed, acked = make(map[string]bool), make(map[string]bool)
		}
		if i > 0 && i%100 == 0 {
			t.Logf("%d kills, %v", i, time.Since(start).Round(time.Second))
		}
		lines, midCompaction, ready := runAndKill(t, env, rng)
		if midCompaction {
			inCompaction++
		}
		if !ready {
			beforeReady++
		}
		for _, l := range lines {
			kind, id, _ := strings.Cut(l, " ")
			switch kind {
			case "committed":
				if committed[id] {
					t.Fatalf("kill %d: child reported %s committed twice", i, id)
				}
				committed[id] = true
			case "acked":
				acked[id] = true
			case "child-error":
				t.Fatalf("kill %d: child failed: %s", i, id)
			}
		}
		checkAfterCrash(t, i, path, registry, committed, acked, i%crashSegment+1)
	}
	totalCommitted += len(committed)
	totalAcked += len(acked)
	elapsed := time.Since(start)
	t.Logf("%d kills in %v (%v per kill): %d requests committed, %d acknowledged; %d kills before the store was open, %d during a compaction",
		kills, elapsed.Round(time.Millisecond), (elapsed / time.Duration(kills)).Round(time.Millisecond),
		totalCommitted, totalAcked, beforeReady, inCompaction)
	if totalCommitted < kills {
		t.Errorf("only %d requests committed over %d runs: the child hardly ran", totalCommitted, kills)
	}
}

// runAndKill starts the child, kills it at a random moment and returns the
// complete lines it printed.
func runAndKill(t *testing.T, env []string, rng *rand.Rand) (lines []string, midCompaction, ready bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readyCh := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(stdout)
		for {
			l, err := r.ReadString('\n')
			if err != nil { // a line cut by the kill is not a report
				io.Copy(io.Discard, r)
				return
			}
			l = strings.TrimSuffix(l, "\n")
			if l == "ready" {
				close(readyCh)
			}
			lines = append(lines, l)
		}
	}()
	if rng.IntN(8) == 0 {
		// Kill during start-up: while opening and checking the file.
		time.Sleep(time.Duration(rng.IntN(20_000)) * time.Microsecond)
	} else {
		select {
		case <-readyCh:
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("child not ready after 20 s; stderr: %s", stderr.String())
		}
		time.Sleep(time.Duration(rng.IntN(40_000)) * time.Microsecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
	err = cmd.Wait()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child ended by itself (%v) instead of being killed; stderr: %s; last lines: %q", err, stderr.String(), tail(lines))
	}
	for _, l := range lines {
		switch l {
		case "ready":
			ready = true
		case "compact-start":
			midCompaction = true
		case "compact-done":
			midCompaction = false
		}
	}
	return lines, midCompaction, ready
}

func tail(lines []string) []string { return lines[max(0, len(lines)-5):] }

// checkAfterCrash reopens the store as the kiosk would after a power cut and
// checks it against what the child reported.
func checkAfterCrash(t *testing.T, kill int, path string, registry *seal.PrivateKey, committed, acked map[string]bool, runs int) {
	t.Helper()
	s, err := Open(path, Options{RegistryKey: registry.Public(), KioskID: "ma-tpi-fes-02"})
	if err != nil {
		t.Fatalf("kill %d: Open() = %v", kill, err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Fatalf("kill %d: Close() = %v", kill, err)
		}
		if kill%20 == 0 {
			checkConsistent(t, path)
		}
	}()
	if a := s.Alarms(); len(a) != 0 {
		t.Fatalf("kill %d: Open() raised alarms: %+v", kill, a)
	}
	for id := range committed {
		r, err := s.Request(id)
		if err != nil {
			t.Fatalf("kill %d: committed request %s lost: %v", kill, id, err)
		}
		if acked[id] && pending(r.State) {
			t.Fatalf("kill %d: acknowledged request %s is %s again", kill, id, r.State)
		}
	}
	out, err := s.PendingOutbox(0)
	if err != nil {
		t.Fatalf("kill %d: PendingOutbox() = %v", kill, err)
	}
	inOutbox := make(map[string]bool)
	for _, e := range out {
		if inOutbox[e.RequestID] {
			t.Fatalf("kill %d: request %s twice in the outbox", kill, e.RequestID)
		}
		if acked[e.RequestID] {
			t.Fatalf("kill %d: acknowledged request %s back in the outbox", kill, e.RequestID)
		}
		inOutbox[e.RequestID] = true
	}
	// Every request is recorded queued exactly once; requests the child
	// committed but could not report are at most one batch per run.
	entries, err := s.AuditEntries()
	if err != nil {
		t.Fatalf("kill %d: AuditEntries() = %v", kill, err)
	}
	queued := make(map[string]int)
	for _, e := range entries {
		if e.Action == "request.queued" {
			queued[e.Subject]++
		}
	}
	for id, n := range queued {
		if n != 1 {
			t.Fatalf("kill %d: request %s queued %d times in the audit chain", kill, id, n)
		}
		r, err := s.Request(id)
		if err != nil {
			t.Fatalf("kill %d: audited request %s missing: %v", kill, id, err)
		}
		if pending(r.State) != inOutbox[id] {
			t.Fatalf("kill %d: request %s is %s, in outbox %v", kill, id, r.State, inOutbox[id])
		}
	}
	for id := range committed {
		if queued[id] != 1 {
			t.Fatalf("kill %d: committed request %s has %d queued entries", kill, id, queued[id])
		}
	}
	if extra := len(queued) - len(committed); extra < 0 || extra > runs*crashSubmitters {
		t.Fatalf("kill %d: %d requests stored that the child never reported (at most %d in flight)", kill, extra, runs*crashSubmitters)
	}
	r, err := s.AuditReport()
	if err != nil || !r.OK() {
		t.Fatalf("kill %d: AuditReport() = %v, %v", kill, r.Err(), err)
	}
}
