package store

import (
	"bytes"
	"os"
	"testing"

	"guichet/kiosk/request"
)

// traces returns the byte strings that would betray a sealed payload in a
// file: the whole envelope, its ephemeral key, and every 16-byte slice of
// its ciphertext (a partially overwritten page still leaks).
func traces(sealed []byte) [][]byte {
	out := [][]byte{sealed, sealed[17:49]}
	for i := 49; i+16 <= len(sealed); i += 16 {
		out = append(out, sealed[i:i+16])
	}
	return out
}

func found(t *testing.T, path string, needles [][]byte) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range needles {
		if bytes.Contains(b, x) {
			n++
		}
	}
	return n
}

// TestNothingPersonalLeftBehind proves that after acknowledgement and
// compaction neither a canary from a citizen's personal data nor any piece of
// its sealed form remains anywhere in the database file, and that compaction
// is what removes it: after the acknowledgement alone, bbolt's free pages
// still hold the sealed bytes.
func TestNothingPersonalLeftBehind(t *testing.T) {
	tests := []struct {
		name string
		size int // personal data size: inline in a leaf page, or overflow pages
	}{
		{"form fields", 0},
		{"scanned card, overflow pages", 24 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := openTest(t)
			canary := []byte("CANARY-7f3a9c-BOUCHRA-EL-ALAMI")
			data := append(personal(string(canary)), bytes.Repeat(canary, tt.size/len(canary))...)
			r, err := f.Submit(ctx, draft(t), data)
			if err != nil {
				t.Fatal(err)
			}
			// Neighbours that stay queued, so pages are shared and reused.
			for range 20 {
				if _, err := f.Submit(ctx, draft(t), personal("neighbour")); err != nil {
					t.Fatal(err)
				}
			}
			out, err := f.PendingOutbox(1)
			if err != nil || out[0].RequestID != r.ID {
				t.Fatalf("PendingOutbox(1) = %v, %v", out, err)
			}
			sealed := out[0].Sealed
			needles := traces(sealed)

			// The search works: the sealed form is in the file while queued,
			// and the plaintext never is.
			if n := found(t, f.path, needles); n != len(needles) {
				t.Fatalf("while queued, %d of %d traces of the sealed payload found; the search is broken", n, len(needles))
			}
			if found(t, f.path, [][]byte{canary}) != 0 {
				t.Fatalf("plaintext canary found in the file while queued: personal data stored unsealed")
			}

			if err := f.MarkSent(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.Acknowledge(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
			left := found(t, f.path, needles)
			t.Logf("after Acknowledge, before Compact: %d of %d traces still in free pages", left, len(needles))
			if left == 0 {
				t.Errorf("after Acknowledge alone no trace is left; this test no longer shows what Compact is for")
			}
			if h, _ := f.Health(); h.Residue != 1 {
				t.Errorf("Health().Residue = %d, want 1", h.Residue)
			}

			before := fileSize(f.path)
			if err := f.Compact(ctx); err != nil {
				t.Fatalf("Compact() = %v", err)
			}
			if n := found(t, f.path, append(needles, canary)); n != 0 {
				t.Errorf("after Compact, %d traces of the sealed payload or the canary remain in the file", n)
			}
			h, _ := f.Health()
			if h.Residue != 0 || h.QueueDepth != 20 {
				t.Errorf("Health() after Compact = %+v, want residue 0, depth 20", h)
			}
			t.Logf("file %d → %d bytes", before, fileSize(f.path))

			// Everything else survived, and the store still works.
			got, err := f.Request(r.ID)
			if err != nil || got.State != request.Acknowledged {
				t.Errorf("Request() after Compact = %v, %v", got.State, err)
			}
			if _, err := f.Submit(ctx, draft(t), personal("after")); err != nil {
				t.Errorf("Submit() after Compact = %v", err)
			}
			want := "system store.compacted"
			if a := actions(t, f.Store); a[len(a)-2] != want {
				t.Errorf("audit actions end with %v, want %q before the last submit", a[len(a)-3:], want)
			}
		})
	}
}

func TestCompactShrinksAndKeepsEverything(t *testing.T) {
	f := openTest(t)
	var ids []string
	for range 300 {
		r, err := f.Submit(ctx, draft(t), make([]byte, 2048))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	if err := f.Acknowledge(ctx, ids[:290]...); err != nil {
		t.Fatal(err)
	}
	before := fileSize(f.path)
	entriesBefore, _ := f.AuditEntries()
	if err := f.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	after := fileSize(f.path)
	if after >= before/2 {
		t.Errorf("Compact() shrank the file %d → %d bytes, want at least half", before, after)
	}
	entries, _ := f.AuditEntries()
	if len(entries) != len(entriesBefore)+1 {
		t.Errorf("audit has %d entries after Compact, want %d", len(entries), len(entriesBefore)+1)
	}
	for i, id := range ids {
		want := request.Acknowledged
		if i >= 290 {
			want = request.Queued
		}
		if r, err := f.Request(id); err != nil || r.State != want {
			t.Fatalf("Request(%d) after Compact = %s, %v; want %s", i, r.State, err, want)
		}
	}
	out, _ := f.PendingOutbox(0)
	if len(out) != 10 {
		t.Errorf("PendingOutbox() after Compact = %d, want 10", len(out))
	}
	// A second compaction with nothing to purge is harmless.
	if err := f.Compact(ctx); err != nil {
		t.Errorf("second Compact() = %v", err)
	}
}
