package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/request"
	"guichet/kiosk/seal"
)

func doc(kind ChangeKind, name string, version uint64) *Document {
	return &Document{Kind: kind, Name: name, Version: version, Issued: t0.Add(-time.Hour), KeyID: "ministere-2026",
		Payload: fmt.Appendf(nil, `{"name":%q,"version":%d}`, name, version), Signature: bytes.Repeat([]byte{7}, 64)}
}

func settingsChange(seq, version uint64) Change {
	return Change{Seq: seq, Kind: ChangeSettings, At: t0, SettingsVersion: version, Settings: fmt.Appendf(nil, `{"version":%d}`, version)}
}

func docChange(seq uint64, d *Document) Change {
	return Change{Seq: seq, Kind: d.Kind, At: t0, Document: d}
}

func statusChange(seq uint64, id string, st request.State, reason string) Change {
	return Change{Seq: seq, Kind: ChangeStatus, At: t0, RequestID: id, State: st, Reason: reason, UpdatedAt: t0.Add(time.Duration(seq) * time.Minute)}
}

// feedActions returns the feed.* audit actions in order.
func feedActions(t *testing.T, f *fixture) []string {
	t.Helper()
	es, err := f.AuditEntries()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if strings.HasPrefix(e.Action, "feed.") {
			out = append(out, e.Action+" "+e.Subject)
		}
	}
	return out
}

func TestApplyChanges(t *testing.T) {
	tests := []struct {
		name      string
		before    []Change // applied first, from 1
		next      uint64
		changes   []Change
		wantErr   error
		wantSince uint64
		wantWhy   []string // per outcome, "" for applied
	}{
		{
			name: "settings and documents", next: 3,
			changes:   []Change{settingsChange(1, 4), docChange(2, doc(ChangeReferenceData, "courts", 9)), docChange(3, doc(ChangeUpdate, "update", 2))},
			wantSince: 3, wantWhy: []string{"", "", ""},
		},
		{
			name: "rollback refused, feed moves on", before: []Change{docChange(1, doc(ChangeReferenceData, "fees", 5))}, next: 3,
			changes:   []Change{docChange(2, doc(ChangeReferenceData, "fees", 5)), docChange(3, doc(ChangeReferenceData, "fees", 4))},
			wantSince: 3, wantWhy: []string{"fees version 5 is not above 5 held (rollback)", "fees version 4 is not above 5 held (rollback)"},
		},
		{
			name: "expired document refused (freeze)", next: 1,
			changes: []Change{docChange(1, func() *Document {
				d := doc(ChangeReferenceData, "professionals", 3)
				d.Expires = t0.Add(-time.Minute)
				return d
			}())},
			wantSince: 1, wantWhy: []string{"professionals version 3 expired at 2026-03-14T09:29:00Z (freeze)"},
		},
		{
			name: "older settings refused", before: []Change{settingsChange(1, 7)}, next: 2,
			changes: []Change{settingsChange(2, 7)}, wantSince: 2, wantWhy: []string{"version 7 is not above 7 held"},
		},
		{
			name: "refused by the caller", next: 1,
			changes:   []Change{{Seq: 1, Kind: ChangeReferenceData, At: t0, Refused: "signature by unknown key rogue-1"}},
			wantSince: 1, wantWhy: []string{"signature by unknown key rogue-1"},
		},
		{
			name: "status for an unknown request skipped", next: 1,
			changes:   []Change{statusChange(1, "0123456789abcdef0123456789abcdef", request.Ready, "")},
			wantSince: 1, wantWhy: []string{"no request 0123456789abcdef0123456789abcdef"},
		},
		{
			name: "batch applied twice is applied once", before: []Change{settingsChange(1, 1), settingsChange(2, 2)}, next: 2,
			changes: []Change{settingsChange(1, 1), settingsChange(2, 2)}, wantSince: 2,
		},
		{
			name: "overlap skips what is applied", before: []Change{settingsChange(1, 1)}, next: 2,
			changes: []Change{settingsChange(1, 1), settingsChange(2, 2)}, wantSince: 2, wantWhy: []string{""},
		},
		{
			name: "gap refused, nothing written", before: []Change{settingsChange(1, 1)}, next: 3,
			changes: []Change{settingsChange(3, 3)}, wantErr: ErrFeedGap, wantSince: 1,
		},
		{
			name: "unordered batch refused", next: 3,
			changes: []Change{settingsChange(1, 1), settingsChange(3, 3)}, wantErr: ErrFeedGap, wantSince: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openTest(t)
			ctx := context.Background()
			if len(tt.before) > 0 {
				if _, err := f.ApplyChanges(ctx, tt.before[len(tt.before)-1].Seq, tt.before); err != nil {
					t.Fatalf("ApplyChanges(before) = %v", err)
				}
			}
			out, err := f.ApplyChanges(ctx, tt.next, tt.changes)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ApplyChanges() = %v, want %v", err, tt.wantErr)
			}
			var why []string
			for _, o := range out {
				why = append(why, o.Why)
			}
			if diff := cmp.Diff(tt.wantWhy, why); diff != "" {
				t.Errorf("ApplyChanges() outcomes (-want +got):\n%s", diff)
			}
			st, err := f.Feed()
			if err != nil {
				t.Fatal(err)
			}
			if st.Since != tt.wantSince {
				t.Errorf("Feed().Since = %d, want %d", st.Since, tt.wantSince)
			}
		})
	}
}

func TestApplyChangesHolds(t *testing.T) {
	f := openTest(t)
	ctx := context.Background()
	courts := doc(ChangeReferenceData, "courts", 3)
	if _, err := f.ApplyChanges(ctx, 3, []Change{settingsChange(1, 2), docChange(2, courts), docChange(3, doc(ChangeUpdate, "update", 11))}); err != nil {
		t.Fatal(err)
	}
	st, err := f.Feed()
	if err != nil {
		t.Fatal(err)
	}
	want := FeedState{Since: 3, AppliedAt: f.clock.Now(), SettingsVersion: 2, Settings: []byte(`{"version":2}`)}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Feed() (-want +got):\n%s", diff)
	}
	got, err := f.Document(ChangeReferenceData, "courts")
	if err != nil {
		t.Fatal(err)
	}
	wantDoc := *courts
	wantDoc.Seq, wantDoc.Received = 2, f.clock.Now()
	if diff := cmp.Diff(wantDoc, got); diff != "" {
		t.Errorf("Document(courts) (-want +got):\n%s", diff)
	}
	if _, err := f.Document(ChangeReferenceData, "fees"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Document(fees) = %v, want ErrNotFound", err)
	}
	all, err := f.Documents()
	if err != nil || len(all) != 2 || all[0].Name != "courts" || all[1].Name != "update" {
		t.Errorf("Documents() = %d documents, %v; want courts and update", len(all), err)
	}
	if diff := cmp.Diff([]string{"feed.configuration 1", "feed.reference_data courts", "feed.update_manifest update", "feed.applied 1-3"}, feedActions(t, f)); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func TestApplyChangesStatus(t *testing.T) {
	f := openTest(t)
	ctx := context.Background()
	r, err := f.Submit(ctx, draft(t), personal("feed"))
	if err != nil {
		t.Fatal(err)
	}
	// The acknowledgement was lost; the clerk worked fast: the feed says ready.
	if _, err := f.ApplyChanges(ctx, 1, []Change{statusChange(1, r.ID, request.Ready, "")}); err != nil {
		t.Fatal(err)
	}
	got, err := f.Request(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != request.Ready || !got.UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("Request() = %s at %v, want ready at %v", got.State, got.UpdatedAt, t0.Add(time.Minute))
	}
	if h, _ := f.Health(); h.QueueDepth != 0 || h.Residue != 1 {
		t.Errorf("Health() = depth %d residue %d, want the sealed payload deleted (0, 1)", h.QueueDepth, h.Residue)
	}
	// Going back is refused and audited; the feed moves on.
	out, err := f.ApplyChanges(ctx, 2, []Change{statusChange(2, r.ID, request.InProcessing, "")})
	if err != nil || len(out) != 1 || out[0].Applied {
		t.Fatalf("ApplyChanges(back to in_processing) = %+v, %v; want refused", out, err)
	}
	if len(f.Alarms()) != 0 {
		t.Errorf("Alarms() = %v, want none for a moot status", f.Alarms())
	}
	if _, err := f.ApplyChanges(ctx, 3, []Change{statusChange(3, r.ID, request.Delivered, "")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.Request(r.ID); got.State != request.Delivered {
		t.Errorf("state = %s, want delivered", got.State)
	}
}

func TestRefuseRequest(t *testing.T) {
	for _, kind := range []AlarmKind{AlarmRequestRejected, AlarmRequestConflict} {
		t.Run(string(kind), func(t *testing.T) {
			f := openTest(t)
			ctx := context.Background()
			r, err := f.Submit(ctx, draft(t), personal("refuse"))
			if err != nil {
				t.Fatal(err)
			}
			if err := f.RefuseRequest(ctx, r.ID, kind, "the payload is sealed to another key", t0); err != nil {
				t.Fatalf("RefuseRequest() = %v", err)
			}
			got, _ := f.Request(r.ID)
			if got.State != request.Rejected || got.RejectReason != "the payload is sealed to another key" {
				t.Errorf("Request() = %s %q, want rejected with the reason", got.State, got.RejectReason)
			}
			if out, _ := f.PendingOutbox(0); len(out) != 0 {
				t.Errorf("PendingOutbox() = %d entries, want none", len(out))
			}
			if a := f.Alarms(); len(a) != 1 || a[0].Kind != kind {
				t.Errorf("Alarms() = %+v, want one %s", a, kind)
			}
			if err := f.RefuseRequest(ctx, r.ID, AlarmSync, "x", t0); err == nil {
				t.Errorf("RefuseRequest(kind sync) = nil, want an error")
			}
		})
	}
}

func TestResetFeedAndRaiseAlarm(t *testing.T) {
	f := openTest(t)
	ctx := context.Background()
	if _, err := f.ApplyChanges(ctx, 2, []Change{settingsChange(1, 1), settingsChange(2, 2)}); err != nil {
		t.Fatal(err)
	}
	if err := f.ResetFeed(ctx, 0, "registry feed head 0"); err != nil {
		t.Fatal(err)
	}
	st, _ := f.Feed()
	if st.Since != 0 || st.SettingsVersion != 2 {
		t.Errorf("Feed() = since %d settings %d, want 0 and 2 kept", st.Since, st.SettingsVersion)
	}
	// Replayed older settings are refused as rollbacks.
	out, err := f.ApplyChanges(ctx, 1, []Change{settingsChange(1, 1)})
	if err != nil || out[0].Applied {
		t.Errorf("replay after reset = %+v, %v; want refused", out, err)
	}
	if err := f.RaiseAlarm(ctx, AlarmSync, "certificate", "the registry revoked this kiosk"); err != nil {
		t.Fatal(err)
	}
	if err := f.RaiseAlarm(ctx, AlarmCorrupt, "x", "y"); err == nil {
		t.Errorf("RaiseAlarm(database_corrupt) = nil, want an error: that alarm is the store's own")
	}
	var kinds []AlarmKind
	for _, a := range f.Alarms() {
		kinds = append(kinds, a.Kind)
	}
	if diff := cmp.Diff([]AlarmKind{AlarmFeedReset, AlarmFeedRefused, AlarmSync}, kinds); diff != "" {
		t.Errorf("Alarms() (-want +got):\n%s", diff)
	}
}

// documentCases is shared by TestDecodeDocument and FuzzDecodeDocument.
func documentCases(t testing.TB) []struct {
	name    string
	in      []byte
	wantErr string
} {
	d := *doc(ChangeReferenceData, "courts", 4)
	d.Seq, d.Received = 9, t0
	good, err := encodeDocument(d)
	if err != nil {
		t.Fatal(err)
	}
	repl := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	return []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"good", good, ""},
		{"empty", nil, "EOF"},
		{"trailing", append(bytes.Clone(good), "{}"...), "trailing"},
		{"unknown field", repl(`{"v":1,`, `{"v":1,"extra":2,`), "unknown field"},
		{"layout 2", repl(`{"v":1,`, `{"v":2,`), "version 2"},
		{"version 0", repl(`"version":4`, `"version":0`), "version 0"},
		{"bad kind", repl(`"reference_data"`, `"status"`), "kind"},
		{"bad name", repl(`"courts"`, `"../etc"`), "not valid"},
		{"no seq", repl(`"seq":9`, `"seq":0`), "feed position"},
	}
}

func TestDecodeDocument(t *testing.T) {
	for _, tt := range documentCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeDocument(tt.in)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("decodeDocument() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeDocument(f *testing.F) {
	for _, tt := range documentCases(f) {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeDocument(b)
		if err != nil {
			return
		}
		out, err := encodeDocument(d)
		if err != nil {
			t.Fatalf("encodeDocument() of a decoded document = %v", err)
		}
		again, err := decodeDocument(out)
		if err != nil {
			t.Fatalf("decodeDocument(encodeDocument()) = %v", err)
		}
		if diff := cmp.Diff(d, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// The feed crash test: a child applies generated changes in batches while
// the parent kills it with SIGKILL at random moments and checks, after each
// kill, that every change up to the position was applied exactly once and
// none after it.

const feedCrashEnv = "GUICHET_FEED_CRASH_DB"

// feedCrashRequests are submitted by the child at start (idempotently).
const feedCrashRequests = 40

func crashRequestID(j int) string { return fmt.Sprintf("%032x", j+1) }

// crashStates is the state a request reaches at its n-th status change.
var crashStates = []request.State{request.Acknowledged, request.InProcessing, request.Ready, request.Delivered}

// feedChange is change n of the generated feed: settings, reference data,
// an update manifest and a status change in turn.
func feedChange(n uint64) Change {
	switch n % 4 {
	case 0:
		return settingsChange(n, n)
	case 1:
		return docChange(n, doc(ChangeReferenceData, "courts", n))
	case 2:
		return docChange(n, doc(ChangeUpdate, "update", n))
	}
	k := n / 4
	j := int(k % feedCrashRequests)
	round := min(int(k/feedCrashRequests), len(crashStates)-1)
	return statusChange(n, crashRequestID(j), crashStates[round], "")
}

// TestFeedCrashChild is the process TestFeedCrash kills.
func TestFeedCrashChild(t *testing.T) {
	path := os.Getenv(feedCrashEnv)
	if path == "" {
		t.Skip("the child of TestFeedCrash")
	}
	fail := func(err error) {
		fmt.Println("child-error", err)
		os.Exit(3)
	}
	key, err := seal.GenerateKey()
	if err != nil {
		fail(err)
	}
	s, err := Open(path, Options{RegistryKey: key.Public(), KioskID: "ma-tpi-fes-02", LockTimeout: 10 * time.Second})
	if err != nil {
		fail(err)
	}
	ctx := context.Background()
	for j := range feedCrashRequests {
		d := draft(t)
		d.ID = crashRequestID(j)
		d.CreatedAt = t0
		if _, err := s.Submit(ctx, d, personal("feed-crash")); err != nil {
			fail(err)
		}
	}
	os.Stdout.WriteString("ready\n")
	for {
		st, err := s.Feed()
		if err != nil {
			fail(err)
		}
		var batch []Change
		for n := range uint64(1 + rand.IntN(8)) {
			batch = append(batch, feedChange(st.Since+1+n))
		}
		next := batch[len(batch)-1].Seq
		if _, err := s.ApplyChanges(ctx, next, batch); err != nil {
			fail(err)
		}
		os.Stdout.WriteString("applied " + strconv.FormatUint(next, 10) + "\n")
	}
}

func TestFeedCrash(t *testing.T) {
	if os.Getenv(feedCrashEnv) != "" {
		t.Skip("in the child")
	}
	kills := 100
	if testing.Short() {
		kills = 10
	}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var reported uint64
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFeedCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), feedCrashEnv+"="+path)
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
				kind, arg, _ := strings.Cut(l, " ")
				switch kind {
				case "ready":
					close(ready)
				case "applied":
					n, _ := strconv.ParseUint(arg, 10, 64)
					reported = max(reported, n)
				case "child-error":
					t.Errorf("kill %d: child failed: %s", i, arg)
				}
			}
		}()
		select {
		case <-ready:
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("child not ready; stderr: %s", stderr.String())
		}
		time.Sleep(time.Duration(rng.IntN(30_000)) * time.Microsecond)
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		cmd.Wait()
		if t.Failed() {
			t.Fatalf("stderr: %s", stderr.String())
		}
		checkFeedAfterCrash(t, i, path, reported)
	}
	t.Logf("%d kills, %d changes applied", kills, reported)
	if reported < uint64(kills) {
		t.Errorf("only %d changes applied over %d runs: the child hardly ran", reported, kills)
	}
}

// checkFeedAfterCrash reopens the store and checks that every change up
// to the position took effect once and none after it.
func checkFeedAfterCrash(t *testing.T, kill int, path string, reported uint64) {
	t.Helper()
	key, _ := seal.GenerateKey()
	s, err := Open(path, Options{RegistryKey: key.Public(), KioskID: "ma-tpi-fes-02"})
	if err != nil {
		t.Fatalf("kill %d: Open() = %v", kill, err)
	}
	defer s.Close()
	if a := s.Alarms(); len(a) != 0 {
		t.Fatalf("kill %d: alarms at open: %+v", kill, a)
	}
	st, err := s.Feed()
	if err != nil {
		t.Fatal(err)
	}
	if st.Since < reported {
		t.Fatalf("kill %d: position %d, but the child reported %d applied", kill, st.Since, reported)
	}
	// The feed.applied ranges tile 1..Since exactly.
	es, err := s.AuditEntries()
	if err != nil {
		t.Fatal(err)
	}
	var covered uint64
	settings := 0
	for _, e := range es {
		switch e.Action {
		case "feed.applied":
			a, b, _ := strings.Cut(e.Subject, "-")
			from, _ := strconv.ParseUint(a, 10, 64)
			to, _ := strconv.ParseUint(b, 10, 64)
			if from != covered+1 || to < from {
				t.Fatalf("kill %d: feed.applied %s after %d applied: a change repeated or skipped", kill, e.Subject, covered)
			}
			covered = to
		case "feed.configuration":
			settings++
		}
	}
	if covered != st.Since {
		t.Fatalf("kill %d: audit covers changes 1-%d, position is %d", kill, covered, st.Since)
	}
	if want := int(st.Since / 4); settings != want {
		t.Fatalf("kill %d: %d configuration changes audited, want %d", kill, settings, want)
	}
	if want := st.Since / 4 * 4; st.SettingsVersion != want {
		t.Fatalf("kill %d: settings version %d, want %d", kill, st.SettingsVersion, want)
	}
	if st.Since >= 1 {
		d, err := s.Document(ChangeReferenceData, "courts")
		if want := (st.Since-1)/4*4 + 1; err != nil || d.Version != want {
			t.Fatalf("kill %d: courts version %d (%v), want %d", kill, d.Version, err, want)
		}
	}
	// Each request is in the state of its latest status change.
	for j := range feedCrashRequests {
		want := request.Queued
		for n := uint64(3); n <= st.Since; n += 4 {
			if c := feedChange(n); c.RequestID == crashRequestID(j) {
				want = c.State
			}
		}
		r, err := s.Request(crashRequestID(j))
		if err != nil {
			t.Fatal(err)
		}
		if r.State != want && !(want == request.Queued && r.State == request.Sent) {
			t.Fatalf("kill %d: request %d is %s, want %s at position %d", kill, j, r.State, want, st.Since)
		}
	}
}
