package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"guichet/kiosk/seal"
)

const diskFullEnv = "GUICHET_DISKFULL_DB"

// TestDiskFullChild runs in its own process because it lowers RLIMIT_FSIZE,
// which stands in for a full disk: the file cannot grow, bbolt's commit fails
// (EFBIG, with ENOSPC on a real disk), and the store must say so clearly and
// keep everything committed before.
func TestDiskFullChild(t *testing.T) {
	path := os.Getenv(diskFullEnv)
	if path == "" {
		t.Skip("the child of TestDiskFull")
	}
	say := func(format string, a ...any) { fmt.Printf(format+"\n", a...) }
	var key seal.PublicKey
	if err := key.UnmarshalText([]byte(os.Getenv(crashKeyEnv))); err != nil {
		say("child-error %v", err)
		return
	}
	s, err := Open(path, Options{RegistryKey: &key, KioskID: "tg-kara-01"})
	if err != nil {
		say("child-error %v", err)
		return
	}
	for range 5 {
		r, err := s.Submit(ctx, draft(t), personal("before"))
		if err != nil {
			say("child-error %v", err)
			return
		}
		say("committed %s", r.ID)
	}
	var orig syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		say("child-error %v", err)
		return
	}
	full := syscall.Rlimit{Cur: uint64(fileSize(path)), Max: orig.Max}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &full); err != nil {
		say("child-error %v", err)
		return
	}
	big := make([]byte, 48<<10)
	var failures int
	for i := 0; i < 200 && failures < 3; i++ {
		r, err := s.Submit(ctx, draft(t), big)
		switch {
		case err == nil:
			say("committed %s", r.ID)
		case errors.Is(err, ErrNoSpace):
			failures++
			say("nospace %v", err)
		default:
			say("child-error unexpected %v", err)
			return
		}
	}
	if failures == 0 {
		say("child-error the file never hit the limit")
		return
	}
	// Reads, acknowledgements (which fit in free pages) and health still work.
	if h, err := s.Health(); err != nil || h.QueueDepth == 0 {
		say("child-error Health() = %+v, %v", h, err)
		return
	}
	out, err := s.PendingOutbox(2)
	if err != nil {
		say("child-error %v", err)
		return
	}
	if err := s.Acknowledge(ctx, out[0].RequestID, out[1].RequestID); err != nil && !errors.Is(err, ErrNoSpace) {
		say("child-error Acknowledge() = %v", err)
		return
	} else if err == nil {
		say("acked %s", out[0].RequestID)
		say("acked %s", out[1].RequestID)
	}
	// Space comes back: writing resumes.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &orig); err != nil {
		say("child-error %v", err)
		return
	}
	r, err := s.Submit(ctx, draft(t), big)
	if err != nil {
		say("child-error Submit() after space came back = %v", err)
		return
	}
	say("committed %s", r.ID)
	var alarms int
	for _, a := range s.Alarms() {
		if a.Kind == AlarmNoSpace {
			alarms++
		}
	}
	say("alarms %d", alarms)
	if err := s.Close(); err != nil {
		say("child-error %v", err)
		return
	}
	say("done")
}

func TestDiskFull(t *testing.T) {
	if os.Getenv(diskFullEnv) != "" {
		t.Skip("in the child")
	}
	registry, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyText, _ := registry.Public().MarshalText()
	path := filepath.Join(t.TempDir(), "kiosk.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFullChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), diskFullEnv+"="+path, crashKeyEnv+"="+string(keyText))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	committed := map[string]bool{}
	acked := map[string]bool{}
	var nospace []string
	var done bool
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		kind, rest, _ := strings.Cut(sc.Text(), " ")
		switch kind {
		case "committed":
			committed[rest] = true
		case "acked":
			acked[rest] = true
		case "nospace":
			nospace = append(nospace, rest)
		case "alarms":
			if rest == "0" {
				t.Errorf("no disk-full alarm raised")
			}
		case "done":
			done = true
		case "child-error":
			t.Fatalf("child: %s", rest)
		}
	}
	if !done || len(nospace) == 0 {
		t.Fatalf("child output incomplete:\n%s", out)
	}
	t.Logf("%d committed, then: %s", len(committed), nospace[0])
	if !strings.HasPrefix(nospace[0], "store: no space left on device") {
		t.Errorf("disk-full error = %q, want it to start with %q", nospace[0], ErrNoSpace)
	}

	s, err := Open(path, Options{RegistryKey: registry.Public(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { s.Close(); checkConsistent(t, path) }()
	if a := s.Alarms(); len(a) != 0 {
		t.Errorf("Open() after disk full raised %+v", a)
	}
	for id := range committed {
		r, err := s.Request(id)
		if err != nil {
			t.Errorf("committed request %s lost after disk full: %v", id, err)
		} else if pending(r.State) == acked[id] {
			t.Errorf("request %s is %s; acknowledged: %v", id, r.State, acked[id])
		}
	}
	pendingOut, _ := s.PendingOutbox(0)
	if want := len(committed) - len(acked); len(pendingOut) != want {
		t.Errorf("PendingOutbox() = %d entries, want %d (nothing refused may be queued)", len(pendingOut), want)
	}
}

func TestIsNoSpace(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{&os.PathError{Op: "write", Path: "kiosk.db", Err: syscall.ENOSPC}, true},
		{fmt.Errorf("file resize error: %s", syscall.EFBIG), true}, // bbolt's grow drops the errno
		{fmt.Errorf("quota: %w", syscall.EDQUOT), true},
		{syscall.EIO, false},
		{errors.New("tx closed"), false},
	}
	for _, tt := range tests {
		if got := isNoSpace(tt.err); got != tt.want {
			t.Errorf("isNoSpace(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
