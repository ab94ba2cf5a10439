package main

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/audit"
	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/store"
)

// kioskDB writes a closed kiosk database with 20 audit entries: the store's
// creation, 12 submitted requests, 7 technician actions.
func kioskDB(t *testing.T) string {
	t.Helper()
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "kiosk.db")
	s, err := store.Open(path, store.Options{RegistryKey: key.Public(), KioskID: "ma-tpi-rabat-03", Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 19 {
		if i%3 == 2 {
			if _, err := s.RecordAudit(ctx, audit.Technician, "technician.printer_test", "escpos", "page printed"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		id, _ := request.NewID(nil)
		req := request.Request{ID: id, Service: "bulletin3", Court: "tpi-rabat", Fee: 2000, Currency: "MAD"}
		if _, err := s.Submit(ctx, req, []byte(`{"cin":"AB123456"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tamper rewrites the audit bucket: edit receives the entries in key order
// and returns what to store, under keys 1, 2, 3…
func tamper(t *testing.T, path string, edit func([]audit.Entry) []audit.Entry) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("audit"))
		var entries []audit.Entry
		if err := b.ForEach(func(k, v []byte) error {
			e, err := audit.Decode(v)
			entries = append(entries, e)
			return err
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("audit")); err != nil {
			return err
		}
		if b, err = tx.CreateBucket([]byte("audit")); err != nil {
			return err
		}
		for i, e := range edit(entries) {
			v, err := e.MarshalBinary()
			if err != nil {
				return err
			}
			if err := b.Put(binary.BigEndian.AppendUint64(nil, uint64(i+1)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerify(t *testing.T) {
	tests := []struct {
		name     string
		edit     func([]audit.Entry) []audit.Entry
		wantCode int
		want     []string // stdout lines; "ok: 20 entries, head " is checked as a prefix
	}{
		{name: "intact", wantCode: 0, want: []string{"ok: 20 entries, head "}},
		{
			name: "edited",
			edit: func(es []audit.Entry) []audit.Entry {
				es[16].Detail = "page printed at tpi-casablanca"
				return es
			},
			wantCode: 1,
			want:     []string{"audit: entry 17: hash mismatch (edited)"},
		},
		{
			name:     "deleted",
			edit:     func(es []audit.Entry) []audit.Entry { return append(es[:11], es[12:]...) },
			wantCode: 1,
			want:     []string{"audit: entry 12: sequence gap after 11 (deleted)"},
		},
		{
			name: "reordered",
			edit: func(es []audit.Entry) []audit.Entry {
				es[11], es[12] = es[12], es[11]
				return es
			},
			wantCode: 1,
			want:     []string{"audit: entry 12: out of order, found after entry 13 (reordered)"},
		},
		{
			name: "inserted",
			edit: func(es []audit.Entry) []audit.Entry {
				forged, err := es[10].Head().Next(es[10].Time, audit.Technician, "technician.queue_purged", "outbox", "all")
				if err != nil {
					panic(err)
				}
				return append(es[:11], append([]audit.Entry{forged}, es[11:]...)...)
			},
			wantCode: 1,
			want:     []string{"audit: entry 12: second entry with this sequence number, not linked from entry 13 (inserted)"},
		},
		{
			name:     "tail cut",
			edit:     func(es []audit.Entry) []audit.Entry { return es[:18] },
			wantCode: 1,
			want:     []string{"audit: entries 19-20: missing at the end, the recorded head is 20 (deleted)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := kioskDB(t)
			if tt.edit != nil {
				tamper(t, path, tt.edit)
			}
			code, stdout, stderr := runCtl(t, "", "audit", "verify", path)
			if code != tt.wantCode {
				t.Errorf("audit verify exit = %d, want %d; stderr %q", code, tt.wantCode, stderr)
			}
			got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if tt.wantCode == 0 {
				if len(got) != 1 || !strings.HasPrefix(got[0], tt.want[0]) || len(got[0]) != len(tt.want[0])+64 {
					t.Errorf("audit verify = %q, want %q and a SHA-256 in hex", stdout, tt.want[0])
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("audit verify output mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(stderr, "audit chain broken") {
				t.Errorf("audit verify stderr = %q, want it to say the chain is broken", stderr)
			}
		})
	}
}

func TestAuditVerifyUndecodable(t *testing.T) {
	path := kioskDB(t)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("audit")).Put([]byte{0, 0, 0, 0, 0, 0, 0, 7}, []byte("overwritten"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCtl(t, "", "audit", "verify", path)
	want := "audit: entry 7: cannot be decoded: audit: entry version 111, want 1 (edited)\n"
	if code != 1 || stdout != want {
		t.Errorf("audit verify = %d, %q; want 1, %q", code, stdout, want)
	}
}

func TestAuditList(t *testing.T) {
	path := kioskDB(t)
	code, stdout, stderr := runCtl(t, "", "audit", "list", path)
	if code != 0 {
		t.Fatalf("audit list exit = %d; stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 20 {
		t.Fatalf("audit list printed %d lines, want 20", len(lines))
	}
	if want := "1\t2026-03-14T09:30:00.000Z\tsystem\tstore.created\tkiosk.db\tformat=1"; lines[0] != want {
		t.Errorf("audit list line 1 = %q, want %q", lines[0], want)
	}
	if want := "4\t2026-03-14T09:30:00.000Z\ttechnician\ttechnician.printer_test\tescpos\tpage printed"; lines[3] != want {
		t.Errorf("audit list line 4 = %q, want %q", lines[3], want)
	}
	if strings.Contains(stdout, "AB123456") {
		t.Errorf("audit list shows personal data")
	}
}

func TestAuditUsageAndErrors(t *testing.T) {
	notDB := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDB, []byte("not a database"), 0o600)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"no command", []string{"audit"}, 2, "missing command"},
		{"unknown command", []string{"audit", "repair", "x"}, 2, `unknown command "repair"`},
		{"no file", []string{"audit", "verify"}, 2, "want exactly one database file"},
		{"two files", []string{"audit", "verify", "a", "b"}, 2, "want exactly one database file"},
		{"missing file", []string{"audit", "verify", filepath.Join(t.TempDir(), "none.db")}, 1, "no such file"},
		{"not a database", []string{"audit", "verify", notDB}, 1, "read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCtl(t, "", tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("guichetctl %v = %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.wantCode, tt.wantStderr)
			}
		})
	}
	if code, stdout, _ := runCtl(t, "", "audit", "help"); code != 0 || !strings.Contains(stdout, "verify DB") {
		t.Errorf("audit help = %d, %q", code, stdout)
	}
}
