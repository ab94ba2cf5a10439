package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/kiosk/store"
	updater "guichet/sync/update"
	"guichet/sync/wire"
)

func TestPassAnnouncement(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "kiosk.db"), store.Options{KioskID: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	file := filepath.Join(t.TempDir(), "announcement.json")
	u := &updateLink{st: st, announceFile: file, log: slog.New(slog.DiscardHandler)}
	if err := u.passAnnouncement(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("an announcement was written before the registry sent one")
	}
	apply := func(seq, version uint64, a updater.Announcement) {
		payload, _ := json.Marshal(a)
		d := &store.Document{Kind: store.ChangeUpdate, Name: "update", Version: version, Issued: time.Now().UTC(), KeyID: "registry-test", Payload: payload, Signature: make([]byte, 64)}
		if _, err := st.ApplyChanges(context.Background(), seq, []store.Change{{Seq: seq, Kind: store.ChangeUpdate, At: time.Now().UTC(), Document: d}}); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := updater.ParseVersion("1.4.2")
	apply(1, 1, updater.Announcement{Release: v, Rollout: "1.4.2-r", Stage: 1, Issued: time.Now().UTC()})
	if err := u.passAnnouncement(); err != nil {
		t.Fatal(err)
	}
	got, err := updater.ReadAnnouncement(file)
	if err != nil || got.Release != v || got.Stage != 1 {
		t.Fatalf("announcement for the updater %+v, %v", got, err)
	}
	// Withdrawn: a zero release.
	apply(2, 2, updater.Announcement{Rollout: "1.4.2-r", Issued: time.Now().UTC()})
	if err := u.passAnnouncement(); err != nil {
		t.Fatal(err)
	}
	if got, _ := updater.ReadAnnouncement(file); !got.Release.IsZero() {
		t.Errorf("after the withdrawal the updater reads %+v", got)
	}
	// A payload the updater would not read is not passed on.
	bad := &store.Document{Kind: store.ChangeUpdate, Name: "update", Version: 3, Issued: time.Now().UTC(), KeyID: "registry-test", Payload: []byte(`{"release":"x"}`), Signature: make([]byte, 64)}
	st.ApplyChanges(context.Background(), 3, []store.Change{{Seq: 3, Kind: store.ChangeUpdate, At: time.Now().UTC(), Document: bad}})
	if err := u.passAnnouncement(); err == nil {
		t.Error("a payload the updater cannot read was passed on")
	}
}

func TestUpdateStateForTelemetry(t *testing.T) {
	v, _ := updater.ParseVersion("1.4.1")
	s := updater.Status{State: "downloading", Committed: "1.4.1", Release: "1.4.2", Have: 10 << 20, Total: 31 << 20,
		Failed:       map[string]string{"1.4.0": "health check failed", "1.3.9": "crash loop"},
		LastRollback: &updater.Event{Kind: "rolled_back", Version: v, Reason: strings.Repeat("é", 400)}}
	u := toWireUpdate(s)
	tel := wire.Telemetry{KioskID: "k1", MessageID: "m1", At: time.Now().UTC(), SoftwareVersion: "1.4.1", CountryPack: "ma", CertNotAfter: time.Now().UTC().Add(time.Hour), Update: u}
	if err := tel.Validate(); err != nil {
		t.Fatalf("telemetry with the updater's state: %v", err)
	}
	if u.State != "downloading" || u.Target != "1.4.2" || u.Failed[0] != "1.3.9" || len(u.Rollback) > wire.MaxText {
		t.Errorf("update state %+v", u)
	}
}

func TestPauseWhileActivating(t *testing.T) {
	file := filepath.Join(t.TempDir(), "status.json")
	u := &updateLink{statusFile: file, log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	paused := make(chan bool, 10)
	go u.pauseWhileActivating(ctx, func(on bool) { paused <- on }, 10*time.Millisecond)
	write := func(state updater.State) {
		b, _ := json.Marshal(updater.Status{State: state, Committed: "1.4.1", Release: "1.4.2"})
		if err := writeAtomic(file, b); err != nil {
			t.Fatal(err)
		}
	}
	write(updater.Waiting)
	write(updater.Activating)
	select {
	case on := <-paused:
		if !on {
			t.Fatal("resumed before being paused")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not paused while the updater activates")
	}
	write(updater.Probation)
	select {
	case on := <-paused:
		if on {
			t.Fatal("paused twice")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not resumed after the activation")
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o644 {
		t.Errorf("status written %v, want 0644 so that another user reads it", st.Mode().Perm())
	}
}
