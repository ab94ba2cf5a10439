package store

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var goodRecord = outboxRecord{
	RequestID:      "3e1655634e8127f681f6cd07427ffe74",
	IdempotencyKey: "3e1655634e8127f681f6cd07427ffe74",
	BodyHash:       [32]byte{1, 2, 3},
	Attempts:       2,
	QueuedAt:       time.Date(2026, 3, 14, 9, 30, 0, 123, time.UTC),
	LastAttempt:    time.Date(2026, 3, 14, 9, 31, 0, 0, time.UTC),
}

func encodeRecord(t testing.TB, r outboxRecord) []byte {
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// outboxCases is shared by TestDecodeOutbox and FuzzDecodeOutbox.
func outboxCases(t testing.TB) []struct {
	name    string
	in      []byte
	wantErr string
} {
	good := encodeRecord(t, goodRecord)
	never := goodRecord
	never.Attempts, never.LastAttempt = 0, time.Time{}
	with := func(f func([]byte) []byte) []byte { return f(bytes.Clone(good)) }
	return []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"sent twice", good, ""},
		{"never sent", encodeRecord(t, never), ""},
		{"empty", nil, "truncated"},
		{"truncated", good[:len(good)-1], "truncated"},
		{"trailing", append(bytes.Clone(good), 0), "trailing"},
		{"version 2", with(func(b []byte) []byte { b[0] = 2; return b }), "version 2"},
		{"upper-case id", with(func(b []byte) []byte { b[2] = 'E'; return b }), "request id"},
		{"short key", with(func(b []byte) []byte { b[34] = 31; return b }), "trailing"},
		{"attempts without a time", with(func(b []byte) []byte { clear(b[len(b)-8:]); return b }), "attempts"},
		{"time before 1970", with(func(b []byte) []byte { b[len(b)-16] = 0xff; return b }), "out of range"},
	}
}

func TestDecodeOutbox(t *testing.T) {
	for _, tt := range outboxCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			r, err := decodeOutbox(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("decodeOutbox() = %v", err)
				}
				if diff := cmp.Diff(tt.in, encodeRecord(t, r)); diff != "" {
					t.Errorf("MarshalBinary(decodeOutbox(b)) differs (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("decodeOutbox() = %+v, %v; want error containing %q", r, err, tt.wantErr)
			}
		})
	}
	got, _ := decodeOutbox(encodeRecord(t, goodRecord))
	if diff := cmp.Diff(goodRecord, got); diff != "" {
		t.Errorf("decodeOutbox(MarshalBinary(r)) mismatch (-want +got):\n%s", diff)
	}
}

func FuzzDecodeOutbox(f *testing.F) {
	for _, tt := range outboxCases(f) {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeOutbox(b)
		if err != nil {
			return
		}
		out, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary() of a decoded record = %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("MarshalBinary(decodeOutbox(%x)) = %x", b, out)
		}
	})
}
