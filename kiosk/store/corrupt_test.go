package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
	"guichet/kiosk/seal"
)

// filledStore creates a closed database with a few requests and returns its
// path, the options to reopen it and the request ids.
func filledStore(t *testing.T) (string, Options, []string) {
	t.Helper()
	registry, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	clk := newTestClock()
	opts := Options{RegistryKey: registry.Public(), KioskID: "tg-lome-01", Now: clk.Now, LockTimeout: 200 * time.Millisecond}
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range 40 {
		r, err := s.Submit(ctx, draft(t), personal("filled"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := s.Acknowledge(ctx, ids[:10]...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, opts, ids
}

func rewrite(t *testing.T, path string, f func(b []byte) []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

func boltUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
}

const pageSize = 4096

// rootPage returns the page id of a bucket's root.
func rootPage(t *testing.T, path string, name []byte) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var root uint64
	db.View(func(tx *bolt.Tx) error { root = uint64(tx.Bucket(name).Root()); return nil })
	if root == 0 {
		t.Fatalf("bucket %s is inline, has no root page", name)
	}
	return root
}

func TestDamagedFileMovedAside(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string, ids []string)
		want    string // in the alarm message
	}{
		{"text file", func(t *testing.T, path string, _ []string) {
			rewrite(t, path, func([]byte) []byte { return bytes.Repeat([]byte("Tribunal de première instance\n"), 500) })
		}, "bbolt refuses to open it"},
		{"random bytes", func(t *testing.T, path string, _ []string) {
			rewrite(t, path, func(b []byte) []byte { rand.Read(b); return b })
		}, "bbolt refuses to open it"},
		{"both meta pages damaged", func(t *testing.T, path string, _ []string) {
			rewrite(t, path, func(b []byte) []byte { b[20] ^= 0xff; b[pageSize+20] ^= 0xff; return b })
		}, "bbolt refuses to open it"},
		{"truncated", func(t *testing.T, path string, _ []string) {
			rewrite(t, path, func(b []byte) []byte { return b[:3*pageSize] })
		}, ""},
		{"data pages zeroed", func(t *testing.T, path string, _ []string) {
			rewrite(t, path, func(b []byte) []byte { clear(b[2*pageSize:]); return b })
		}, ""},
		{"garbage in the request index's root page", func(t *testing.T, path string, _ []string) {
			root := int(rootPage(t, path, bRequests))
			rewrite(t, path, func(b []byte) []byte { rand.Read(b[root*pageSize : (root+1)*pageSize]); return b })
		}, ""},
		{"damaged request record", func(t *testing.T, path string, ids []string) {
			boltUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bRequests).Put([]byte(ids[20]), []byte{1, 2, 3}) })
		}, "request"},
		{"outbox entry lost", func(t *testing.T, path string, ids []string) {
			boltUpdate(t, path, func(tx *bolt.Tx) error {
				k := tx.Bucket(bOutboxByID).Get([]byte(ids[20]))
				return tx.Bucket(bOutbox).Delete(k)
			})
		}, "outbox"},
		{"sealed payload damaged", func(t *testing.T, path string, ids []string) {
			boltUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bSealed).Put([]byte(ids[30]), []byte("GS")) })
		}, "sealed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, opts, ids := filledStore(t)
			tt.corrupt(t, path, ids)
			damaged, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			s, err := Open(path, opts)
			if err != nil {
				t.Fatalf("Open(damaged) = %v, want a fresh store", err)
			}
			t.Cleanup(func() { s.Close(); checkConsistent(t, path) })

			alarms := s.Alarms()
			if len(alarms) != 1 || alarms[0].Kind != AlarmCorrupt || !strings.Contains(alarms[0].Message, tt.want) {
				t.Fatalf("Alarms() = %+v, want one %s alarm mentioning %q", alarms, AlarmCorrupt, tt.want)
			}
			t.Logf("alarm: %s", alarms[0].Message)
			moved := alarms[0].MovedTo
			if want := path + ".corrupt-20260314T093000Z"; moved != want {
				t.Errorf("MovedTo = %s, want %s", moved, want)
			}
			kept, err := os.ReadFile(moved)
			if err != nil || !bytes.Equal(kept, damaged) {
				t.Errorf("moved-aside file differs from the damaged file (err %v)", err)
			}
			if _, err := s.Request(ids[35]); !errors.Is(err, ErrNotFound) {
				t.Errorf("Request() in the fresh store = %v, want ErrNotFound", err)
			}
			want := []string{"system store.created", "system store.alarm.database_corrupt"}
			if diff := cmp.Diff(want, actions(t, s)); diff != "" {
				t.Errorf("fresh audit chain mismatch (-want +got):\n%s", diff)
			}
			if _, err := s.Submit(ctx, draft(t), personal("after")); err != nil {
				t.Errorf("Submit() on the fresh store = %v", err)
			}
		})
	}
}

func TestSecondDamageKeepsBothFiles(t *testing.T) {
	path, opts, _ := filledStore(t)
	for i := range 2 {
		rewrite(t, path, func(b []byte) []byte { return []byte("not a database") })
		s, err := Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Alarms()[0].MovedTo; i == 1 && !strings.HasSuffix(got, "Z-1") {
			t.Errorf("second MovedTo = %s, want a -1 suffix", got)
		}
		s.Close()
	}
	matches, _ := filepath.Glob(path + ".corrupt-*")
	if len(matches) != 2 {
		t.Errorf("moved-aside files = %v, want 2", matches)
	}
}

func TestOpenErrorsKeepTheFile(t *testing.T) {
	t.Run("locked by another process", func(t *testing.T) {
		path, opts, ids := filledStore(t)
		holder, err := Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer holder.Close()
		if _, err := Open(path, opts); err == nil || !strings.Contains(err.Error(), "timeout") {
			t.Errorf("Open(locked) = %v, want a timeout error", err)
		}
		if _, err := holder.Request(ids[0]); err != nil {
			t.Errorf("Request() after a refused second Open = %v", err)
		}
		if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
			t.Errorf("locked file moved aside: %v", m)
		}
	})
	t.Run("newer format", func(t *testing.T) {
		path, opts, _ := filledStore(t)
		boltUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put(kFormat, []byte{FormatVersion + 1}) })
		if _, err := Open(path, opts); err == nil || !strings.Contains(err.Error(), "newer") {
			t.Errorf("Open(newer format) = %v, want a refusal", err)
		}
		if m, _ := filepath.Glob(path + ".corrupt-*"); len(m) != 0 {
			t.Errorf("newer file moved aside: %v", m)
		}
	})
	t.Run("interrupted compaction", func(t *testing.T) {
		path, opts, ids := filledStore(t)
		if err := os.WriteFile(path+compactSuffix, []byte("half a copy"), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := os.Stat(path + compactSuffix); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("leftover compaction copy still there: %v", err)
		}
		if _, err := s.Request(ids[39]); err != nil || len(s.Alarms()) != 0 {
			t.Errorf("Request() = %v, Alarms() = %v", err, s.Alarms())
		}
	})
}

func TestTamperedAuditRaisesAlarmAndKeepsTheFile(t *testing.T) {
	path, opts, ids := filledStore(t)
	boltUpdate(t, path, func(tx *bolt.Tx) error {
		b := tx.Bucket(bAudit)
		e, err := audit.Decode(b.Get(seqKey(5)))
		if err != nil {
			return err
		}
		e.Detail = "tracking=K7MX4HQ9XR3T service=bulletin3 court=tpi-rabat fee=0 MAD"
		v, err := e.MarshalBinary()
		if err != nil {
			return err
		}
		return b.Put(seqKey(5), v)
	})
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	alarms := s.Alarms()
	if len(alarms) != 1 || alarms[0].Kind != AlarmAuditBroken || !strings.Contains(alarms[0].Message, "entry 5: hash mismatch (edited)") {
		t.Fatalf("Alarms() = %+v, want an audit alarm naming entry 5", alarms)
	}
	if _, err := s.Request(ids[39]); err != nil {
		t.Errorf("Request() after an audit alarm = %v; the file must stay in use", err)
	}
	r, err := s.AuditReport()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].Seq != 5 {
		t.Errorf("AuditReport() = %v", r.Err())
	}
	last, _ := s.AuditEntries()
	if got := last[len(last)-1].Action; got != "store.audit_chain_broken" {
		t.Errorf("last audit action = %s, want store.audit_chain_broken", got)
	}
}
