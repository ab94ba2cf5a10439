package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/drivers"
	"guichet/kiosk/clock"
	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/store"
	"guichet/sync/wire"
)

func TestEnrolWritesIdentity(t *testing.T) {
	e := newRegistry(t, regOptions{})
	dir := t.TempDir()
	ctx := context.Background()
	// The first answer is lost after the registry committed: the retry with
	// the same token and key must get the same certificate, not token_used.
	e.faults.Script(wire.PathEnrol, "drop-after")
	id := e.enrol(t, ctx, dir, "ma-tpi-casablanca-07", e.url)
	if n := e.faults.count(wire.PathEnrol); n != 2 {
		t.Errorf("enrolment requests = %d, want 2 (one lost answer, one retry)", n)
	}
	for name, mode := range map[string]os.FileMode{
		FileIdentity: 0o600, FileRegistryCA: 0o644, FileEnrolment: 0o644, FileRegistryKey: 0o644, FileKioskID: 0o644,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("Stat(%s) = %v", name, err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s mode = %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, filePendingKey)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("pending key left behind: %v", err)
	}
	got, err := LoadIdentity(dir)
	if err != nil {
		t.Fatalf("LoadIdentity() = %v", err)
	}
	if got.KioskID != "ma-tpi-casablanca-07" || got.Court != court || got.CountryPack != "ma" || got.PackVersion != 3 || got.Serial != id.Serial {
		t.Errorf("LoadIdentity() = %s %s %s %d %s, want the enrolment", got.KioskID, got.Court, got.CountryPack, got.PackVersion, got.Serial)
	}
	if !got.Certificate.Equal(id.Certificate) || !got.RegistryKey.Equal(e.srv.RegistryKey()) {
		t.Errorf("LoadIdentity() certificate or registry key differ from the enrolment's")
	}
	b, _ := os.ReadFile(filepath.Join(dir, FileKioskID))
	if string(b) != "ma-tpi-casablanca-07\n" {
		t.Errorf("%s = %q", FileKioskID, b)
	}
	// The pinned pool holds the registry CA only: the system roots are out.
	if !got.CAPool().Equal(e.srv.CAPool()) {
		t.Errorf("CAPool() is not the registry CA alone")
	}
}

func TestEnrolRefused(t *testing.T) {
	e := newRegistry(t, regOptions{})
	dir := t.TempDir()
	_, err := Enrol(context.Background(), EnrolOptions{Dir: dir, RegistryURL: e.url, KioskID: "ma-tpi-rabat-01", Token: "ABCD-EFGH-JKLM-NPQR-STUV", Trust: e.srv.CAPool(), SoftwareVersion: "1.4.0"})
	var p *wire.Problem
	if !errors.As(err, &p) || p.Code != wire.CodeTokenInvalid {
		t.Fatalf("Enrol(unknown token) = %v, want token_invalid", err)
	}
	if n := e.faults.count(wire.PathEnrol); n != 1 {
		t.Errorf("enrolment requests = %d, want 1: a refusal is not retried", n)
	}
	st := openKioskStore(t, dir, "ma-tpi-rabat-01")
	defer st.Close()
	if _, err := New(Config{Dir: dir, Store: st}); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("New() before enrolment = %v, want ErrNotEnrolled", err)
	}
}

func TestSendOutbox(t *testing.T) {
	e := newRegistry(t, regOptions{})
	k := e.newKiosk(t, "ma-tpi-casablanca-01", nil)
	ctx := context.Background()
	reqs := submit(t, k.st, 120)
	n, err := k.c.SendOutbox(ctx)
	if err != nil || n != 120 {
		t.Fatalf("SendOutbox() = %d, %v; want 120", n, err)
	}
	if h, _ := k.st.Health(); h.QueueDepth != 0 || h.Residue != 120 {
		t.Errorf("Health() = depth %d residue %d, want 0 and 120 payloads deleted", h.QueueDepth, h.Residue)
	}
	for _, r := range reqs {
		got, _ := k.st.Request(r.ID)
		if got.State != request.Acknowledged {
			t.Fatalf("request %s is %s, want acknowledged", r.ID, got.State)
		}
	}
	if got := len(e.registryRequests(t)); got != 120 {
		t.Errorf("registry holds %d requests, want 120", got)
	}
	if n, err := k.c.SendOutbox(ctx); n != 0 || err != nil {
		t.Errorf("SendOutbox() on an empty outbox = %d, %v", n, err)
	}
	if s := k.c.Status(); !s.Online || s.Acknowledged != 120 || s.LastSent.IsZero() {
		t.Errorf("Status() = online %v acknowledged %d last sent %v", s.Online, s.Acknowledged, s.LastSent)
	}
}

func TestSendOutboxFinalAnswers(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-tpi-casablanca-02", nil)

	// Conflict: another store of the same kiosk sent another body under the
	// same request id first.
	twin := openKioskStore(t, t.TempDir(), k.id)
	defer twin.Close()
	twinClient, err := New(Config{Dir: k.dir, Store: twin})
	if err != nil {
		t.Fatal(err)
	}
	shared := submit(t, twin, 1)[0]
	if n, err := twinClient.SendOutbox(ctx); n != 1 || err != nil {
		t.Fatalf("twin SendOutbox() = %d, %v", n, err)
	}
	draft := shared
	draft.Tracking, draft.State = "", ""
	if _, err := k.st.Submit(ctx, draft, []byte(`{"cin":"ZZ999999"}`)); err != nil {
		t.Fatal(err)
	}
	// A request sealed to a stray key, as a kiosk provisioned with the wrong
	// registry.pub would.
	stray, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k.st.SetRegistryKey(stray.Public())
	wrong := submit(t, k.st, 1)[0]
	k.st.SetRegistryKey(k.c.Identity().RegistryKey)
	good := submit(t, k.st, 2)

	n, err := k.c.SendOutbox(ctx)
	if err != nil || n != 2 {
		t.Fatalf("SendOutbox() = %d, %v; want the 2 good ones", n, err)
	}
	for _, tt := range []struct {
		id     string
		state  request.State
		reason string
	}{
		{shared.ID, request.Rejected, "conflict at the registry"},
		{wrong.ID, request.Rejected, "refused by the registry (wrong_key)"},
		{good[0].ID, request.Acknowledged, ""},
	} {
		r, _ := k.st.Request(tt.id)
		if r.State != tt.state || !strings.Contains(r.RejectReason, tt.reason) {
			t.Errorf("request %s = %s %q, want %s %q", tt.id, r.State, r.RejectReason, tt.state, tt.reason)
		}
	}
	var kinds []store.AlarmKind
	for _, a := range k.st.Alarms() {
		kinds = append(kinds, a.Kind)
	}
	if diff := cmp.Diff([]store.AlarmKind{store.AlarmRequestConflict, store.AlarmRequestRejected}, kinds); diff != "" {
		t.Errorf("Alarms() (-want +got):\n%s", diff)
	}
	if h, _ := k.st.Health(); h.QueueDepth != 0 {
		t.Errorf("QueueDepth = %d, want 0: final answers are not retried", h.QueueDepth)
	}
	if s := k.c.Status(); s.Refused != 2 {
		t.Errorf("Status().Refused = %d, want 2", s.Refused)
	}
}

func TestFeed(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	_, ministry, _ := ed25519.GenerateKey(rand.Reader)
	_, rogue, _ := ed25519.GenerateKey(rand.Reader)
	k := e.newKiosk(t, "ma-tpi-casablanca-04", func(c *Config) {
		c.DocumentKeys = map[string]ed25519.PublicKey{"ministere-2026": ministry.Public().(ed25519.PublicKey)}
	})
	reqs := submit(t, k.st, 3)
	if _, err := k.c.SendOutbox(ctx); err != nil {
		t.Fatal(err)
	}
	clerk := e.clerk(t)
	for _, step := range []struct {
		i  int
		to request.State
	}{{0, request.InProcessing}, {0, request.Ready}, {1, request.Rejected}} {
		reason := ""
		if step.to == request.Rejected {
			reason = "the father's name does not match the civil register"
		}
		if _, err := e.srv.SetStatus(ctx, clerk, k.id, reqs[step.i].ID, step.to, reason); err != nil {
			t.Fatal(err)
		}
	}
	doc := func(name string, version uint64, key ed25519.PrivateKey, keyID string) *wire.SignedDocument {
		d := &wire.SignedDocument{Name: name, Version: version, Issued: time.Now().UTC().Truncate(time.Microsecond), KeyID: keyID, Payload: []byte(`{"courts":["tpi-casablanca"]}`)}
		d.Sign(key)
		return d
	}
	tampered := doc("fees", 2, ministry, "ministere-2026")
	tampered.Payload = []byte(`{"bulletin3":1}`)
	for _, d := range []struct {
		kind wire.ChangeKind
		doc  *wire.SignedDocument
	}{
		{wire.ChangeReferenceData, doc("courts", 5, ministry, "ministere-2026")},
		{wire.ChangeReferenceData, doc("courts", 4, ministry, "ministere-2026")}, // rollback
		{wire.ChangeReferenceData, doc("professionals", 1, rogue, "rogue-1")},    // unknown key
		{wire.ChangeReferenceData, tampered},                                     // bad signature
		{wire.ChangeUpdateManifest, doc("update", 12, ministry, "ministere-2026")},
	} {
		if _, err := e.st.AppendChange(ctx, k.id, wire.Change{Kind: d.kind, At: time.Now().UTC().Truncate(time.Microsecond), Document: d.doc}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.srv.PublishSettings(ctx, operator, k.id, wire.Settings{Version: 7, BatchMaxItems: 20, FeedWait: wire.Duration(10 * time.Second), Message: "move the kiosk near the entrance"}); err != nil {
		t.Fatal(err)
	}
	head, err := e.st.Kiosk(ctx, k.id)
	if err != nil {
		t.Fatal(err)
	}
	for {
		_, more, err := k.c.PollChanges(ctx, 0)
		if err != nil {
			t.Fatalf("PollChanges() = %v", err)
		}
		if !more {
			break
		}
	}
	fs, _ := k.st.Feed()
	if fs.Since != head.FeedHead || fs.Since != 9 {
		t.Errorf("feed position %d, want the registry's head %d (9 changes)", fs.Since, head.FeedHead)
	}
	want := map[string]request.State{reqs[0].ID: request.Ready, reqs[1].ID: request.Rejected, reqs[2].ID: request.Acknowledged}
	for id, st := range want {
		if r, _ := k.st.Request(id); r.State != st {
			t.Errorf("request %s = %s, want %s", id, r.State, st)
		}
	}
	docs, _ := k.st.Documents()
	var held []string
	for _, d := range docs {
		held = append(held, fmt.Sprintf("%s@%d", d.Name, d.Version))
	}
	if diff := cmp.Diff([]string{"courts@5", "update@12"}, held); diff != "" {
		t.Errorf("documents held (-want +got):\n%s", diff)
	}
	if s := k.c.Settings(); s.Version != 7 || s.BatchMaxItems != 20 {
		t.Errorf("Settings() = %+v, want version 7 from the feed", s)
	}
	refused := 0
	for _, a := range k.st.Alarms() {
		if a.Kind == store.AlarmFeedRefused {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("%d feed_refused alarms, want 3 (rollback, unknown key, bad signature)", refused)
	}
	// Applied once: polling again changes nothing.
	if n, _, err := k.c.PollChanges(ctx, 0); n != 0 || err != nil {
		t.Errorf("PollChanges() again = %d, %v; want nothing new", n, err)
	}
}

func TestFeedLongPollWakes(t *testing.T) {
	e := newRegistry(t, regOptions{})
	k := e.newKiosk(t, "ma-tpi-casablanca-05", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := submit(t, k.st, 1)[0]
	done := make(chan error, 1)
	go func() { done <- k.c.Run(ctx) }()
	k.c.Notify()
	waitFor(t, 5*time.Second, "request acknowledged", func() bool {
		got, _ := k.st.Request(r.ID)
		return got.State == request.Acknowledged
	})
	if _, err := e.srv.SetStatus(ctx, e.clerk(t), k.id, r.ID, request.InProcessing, ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "in processing on the kiosk", func() bool {
		got, _ := k.st.Request(r.ID)
		return got.State == request.InProcessing
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v", err)
	}
}

func TestFeedReset(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	k := e.newKiosk(t, "ma-tpi-casablanca-06", nil)
	// The kiosk is at 3; the registry (restored from an old backup) has 1.
	var cs []store.Change
	for n := range uint64(3) {
		cs = append(cs, store.Change{Seq: n + 1, Kind: store.ChangeSettings, At: time.Now(), SettingsVersion: 100 + n, Settings: []byte(`{"version":1}`)})
	}
	if _, err := k.st.ApplyChanges(ctx, 3, cs); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.PublishSettings(ctx, operator, k.id, wire.Settings{Version: 2}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := k.c.PollChanges(ctx, 0); err == nil {
		t.Fatalf("PollChanges() past the head = nil, want the registry's 422")
	}
	if fs, _ := k.st.Feed(); fs.Since != 0 {
		t.Fatalf("feed position after the 422 = %d, want 0 (read again)", fs.Since)
	}
	if _, _, err := k.c.PollChanges(ctx, 0); err != nil {
		t.Fatal(err)
	}
	fs, _ := k.st.Feed()
	if fs.Since != 1 || fs.SettingsVersion != 102 {
		t.Errorf("after re-reading: position %d settings %d, want 1 and the newer 102 kept", fs.Since, fs.SettingsVersion)
	}
	var kinds []store.AlarmKind
	for _, a := range k.st.Alarms() {
		kinds = append(kinds, a.Kind)
	}
	if diff := cmp.Diff([]store.AlarmKind{store.AlarmFeedReset, store.AlarmFeedRefused}, kinds); diff != "" {
		t.Errorf("Alarms() (-want +got):\n%s", diff)
	}
}

func TestTelemetry(t *testing.T) {
	e := newRegistry(t, regOptions{})
	ctx := context.Background()
	since := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	k := e.newKiosk(t, "ma-tpi-casablanca-08", func(c *Config) {
		c.Readings = func() Readings {
			return Readings{
				Devices: []drivers.Health{
					{Device: "receipt", State: drivers.Connected, Since: since},
					{Device: "idscan", State: drivers.Reconnecting, Reason: "USB cable\nunplugged", Since: since},
				},
				Paper:       []wire.Paper{{Printer: "receipt", Level: wire.PaperLow}},
				ServiceMode: true,
			}
		}
	})
	submit(t, k.st, 4)
	if err := k.c.SendTelemetry(ctx); err != nil {
		t.Fatalf("SendTelemetry() = %v", err)
	}
	got, err := e.st.Kiosk(ctx, k.id)
	if err != nil || got.Telemetry == nil {
		t.Fatalf("registry kiosk = %+v, %v; want telemetry", got, err)
	}
	tm := got.Telemetry
	want := []wire.Peripheral{
		{Name: "receipt", Health: wire.HealthOK, Since: since},
		{Name: "idscan", Health: wire.HealthDegraded, Detail: "USB cable\nunplugged", Since: since},
	}
	if diff := cmp.Diff(want, tm.Peripherals); diff != "" {
		t.Errorf("peripherals (-want +got):\n%s", diff)
	}
	h, _ := k.st.Health()
	if tm.QueueDepth != 4 || tm.OldestEntryAge <= 0 || !tm.ServiceMode || tm.Paper[0].Level != wire.PaperLow || tm.SoftwareVersion != "1.4.0" {
		t.Errorf("telemetry = depth %d age %v service %v paper %v, want 4, >0, true, low", tm.QueueDepth, tm.OldestEntryAge, tm.ServiceMode, tm.Paper)
	}
	if tm.AuditHead.Seq != h.AuditHead.Seq || tm.AuditHead.Hash != wire.Hash(h.AuditHead.Hash) {
		t.Errorf("audit head %d:%s, want %d:%s", tm.AuditHead.Seq, tm.AuditHead.Hash, h.AuditHead.Seq, h.AuditHead.Hash)
	}
	pub := k.c.Identity().Certificate.PublicKey.(ed25519.PublicKey)
	if !ed25519.Verify(pub, wire.AuditHeadSignedBytes(k.id, wire.AuditHead{Seq: tm.AuditHead.Seq, Hash: tm.AuditHead.Hash}), tm.AuditHead.Signature) {
		t.Errorf("the audit head signature does not verify with the kiosk certificate's key")
	}
	if s := k.c.Status(); s.LastTelemetry.IsZero() || !s.Online {
		t.Errorf("Status() = %+v, want online with a telemetry time", s)
	}
}

func TestRenew(t *testing.T) {
	e := newRegistry(t, regOptions{})
	clk := &offsetClock{}
	k := e.newKiosk(t, "ma-tpi-casablanca-09", func(c *Config) { c.Clock = clk })
	old := k.c.Identity().Certificate
	// Five days later (of seven), both clocks agree: time to renew.
	clk.Advance(5 * 24 * time.Hour)
	e.clock.Advance(5 * 24 * time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.c.Run(ctx) }()
	waitFor(t, 10*time.Second, "renewal", func() bool { return !k.c.Status().RenewedAt.IsZero() })
	cancel()
	<-done
	renewed := k.c.Identity().Certificate
	if !renewed.NotAfter.After(old.NotAfter) || renewed.PublicKey.(ed25519.PublicKey).Equal(old.PublicKey) {
		t.Errorf("renewed certificate until %v with the same key %v; want later and a new key", renewed.NotAfter, renewed.PublicKey.(ed25519.PublicKey).Equal(old.PublicKey))
	}
	onDisk, err := LoadIdentity(k.dir)
	if err != nil || !onDisk.Certificate.Equal(renewed) {
		t.Fatalf("LoadIdentity() after renewal = %v; want the renewed certificate on disk", err)
	}
	// The old certificate's last day: the new one still works.
	clk.Advance(2*24*time.Hour + time.Hour)
	e.clock.Advance(2*24*time.Hour + time.Hour)
	submit(t, k.st, 1)
	if n, err := k.c.SendOutbox(context.Background()); n != 1 || err != nil {
		t.Errorf("SendOutbox() with the renewed certificate = %d, %v", n, err)
	}
}

// TestRefusedIdentity: the client's view of a kiosk the registry refuses.
// It says so plainly, raises one alarm, and keeps its outbox.
func TestRefusedIdentity(t *testing.T) {
	tests := []struct {
		name   string
		refuse func(e *regEnv, k *kiosk)
		code   wire.ErrorCode
	}{
		{"expired", func(e *regEnv, k *kiosk) { e.clock.Advance(8 * 24 * time.Hour) }, wire.CodeCertExpired},
		{"revoked", func(e *regEnv, k *kiosk) {
			if err := e.st.RevokeKiosk(context.Background(), k.id, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}, wire.CodeCertRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newRegistry(t, regOptions{})
			k := e.newKiosk(t, "ma-tpi-casablanca-10", nil)
			ctx := context.Background()
			submit(t, k.st, 5)
			tt.refuse(e, k)
			for range 3 {
				_, err := k.c.SendOutbox(ctx)
				if !errors.Is(err, ErrRefused) {
					t.Fatalf("SendOutbox() = %v, want ErrRefused", err)
				}
			}
			s := k.c.Status()
			if !s.NeedsEnrolment || s.ProblemCode != tt.code || s.Online || !strings.Contains(s.Problem, "enrol") {
				t.Errorf("Status() = needs enrolment %v, code %q, online %v, problem %q", s.NeedsEnrolment, s.ProblemCode, s.Online, s.Problem)
			}
			if h, _ := k.st.Health(); h.QueueDepth != 5 {
				t.Errorf("QueueDepth = %d, want the 5 requests kept", h.QueueDepth)
			}
			if a := k.st.Alarms(); len(a) != 1 || a[0].Kind != store.AlarmSync {
				t.Errorf("Alarms() = %+v, want one sync alarm for three refusals", a)
			}
			if tt.code == wire.CodeCertRevoked {
				return // a revoked kiosk is re-admitted by operations, not by a token alone
			}
			// A technician enrols it again: the outbox goes.
			if err := k.c.Reenrol(ctx, e.token(k.id)); err != nil {
				t.Fatalf("Reenrol() = %v", err)
			}
			if n, err := k.c.SendOutbox(ctx); n != 5 || err != nil {
				t.Errorf("SendOutbox() after re-enrolment = %d, %v; want 5", n, err)
			}
			if s := k.c.Status(); s.NeedsEnrolment || s.Problem != "" {
				t.Errorf("Status() after re-enrolment = %q", s.Problem)
			}
		})
	}
	t.Run("another kiosk's certificate", func(t *testing.T) {
		e := newRegistry(t, regOptions{})
		a := e.newKiosk(t, "ma-tpi-casablanca-11", nil)
		b := e.newKiosk(t, "ma-tpi-casablanca-12", nil)
		idB, _ := os.ReadFile(filepath.Join(b.dir, FileIdentity))
		if err := os.WriteFile(filepath.Join(a.dir, FileIdentity), idB, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := New(Config{Dir: a.dir, Store: a.st})
		if err == nil || !strings.Contains(err.Error(), `names kiosk "ma-tpi-casablanca-12"`) {
			t.Errorf("New() with another kiosk's certificate = %v, want a refusal naming it", err)
		}
	})
	t.Run("no certificate", func(t *testing.T) {
		dir := t.TempDir()
		st := openKioskStore(t, dir, "ma-tpi-casablanca-13")
		defer st.Close()
		if _, err := New(Config{Dir: dir, Store: st}); !errors.Is(err, ErrNotEnrolled) {
			t.Errorf("New() = %v, want ErrNotEnrolled", err)
		}
	})
}

// TestRetryAfter: a 503 asking for 3 s is not retried sooner, on the
// client's clock.
func TestRetryAfter(t *testing.T) {
	e := newRegistry(t, regOptions{})
	fake := clock.NewFake(time.Now())
	k := e.newKiosk(t, "ma-tpi-casablanca-14", func(c *Config) {
		c.Clock = fake
		c.RetryMin, c.RetryMax = 100*time.Millisecond, time.Minute
	})
	e.faults.Script(wire.PathRequests, "503-3s")
	submit(t, k.st, 2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.c.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitFor(t, 5*time.Second, "first send", func() bool { return e.faults.count(wire.PathRequests) == 1 })
	time.Sleep(50 * time.Millisecond) // the loop reaches its wait
	for range 29 {
		fake.Advance(100 * time.Millisecond)
		time.Sleep(2 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := e.faults.count(wire.PathRequests); n != 1 {
		t.Fatalf("%d sends 2.9 s after a 503 asking for 3 s, want 1", n)
	}
	fake.Advance(3100 * time.Millisecond) // 6 s: Retry-After plus the largest jitter
	waitFor(t, 5*time.Second, "retry", func() bool {
		h, _ := k.st.Health()
		return h.QueueDepth == 0
	})
}
