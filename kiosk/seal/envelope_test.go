package seal

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// envelopeCases is shared by TestParseEnvelope and FuzzParseEnvelope.
func envelopeCases(t testing.TB) []struct {
	name    string
	in      []byte
	wantErr string // "" means valid
} {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	good, err := Seal(k.Public(), "req-rabat-42", []byte("Tifinagh ⵜⵉⴼⵉⵏⴰⵖ"))
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	return []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"valid", good, ""},
		{"empty plaintext", mustSeal(t, k, ""), ""},
		{"empty", nil, "shorter than the minimum"},
		{"truncated tag", good[:Overhead-1], "shorter than the minimum"},
		{"bad magic", with(func(b []byte) []byte { b[0] = 'X'; return b }), "not a sealed envelope"},
		{"version 2", with(func(b []byte) []byte { b[2] = 2; return b }), "envelope version 2"},
		{"AES suite", with(func(b []byte) []byte { binary.BigEndian.PutUint16(b[7:], 0x0001); return b }), "unsupported suite"},
		{"P-256 KEM", with(func(b []byte) []byte { binary.BigEndian.PutUint16(b[3:], 0x0010); return b }), "unsupported suite"},
		{"oversize", append(bytes.Clone(good[:Overhead]), make([]byte, MaxPlaintext+1)...), "limit"},
	}
}

func mustSeal(t testing.TB, k *PrivateKey, s string) []byte {
	b, err := Seal(k.Public(), "req-1", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEnvelope(t *testing.T) {
	for _, tt := range envelopeCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			e, err := ParseEnvelope(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseEnvelope() = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseEnvelope() = %v", err)
			}
			out, err := e.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary() = %v", err)
			}
			if diff := cmp.Diff(tt.in, out); diff != "" {
				t.Errorf("MarshalBinary(ParseEnvelope(b)) differs from b (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseEnvelope checks that the decoder never panics, that whatever it
// accepts re-encodes to the same bytes, and that Open never accepts a blob
// other than the ones the key sealed.
func FuzzParseEnvelope(f *testing.F) {
	k, err := GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	genuine := mustSeal(f, k, "canary")
	f.Add(genuine)
	for _, tt := range envelopeCases(f) {
		if len(tt.in) < 4096 {
			f.Add(tt.in)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			return
		}
		out, err := e.MarshalBinary()
		if err != nil {
			t.Fatalf("MarshalBinary() of an accepted envelope = %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("MarshalBinary(ParseEnvelope(%x)) = %x", b, out)
		}
		pt, err := Open(k, "req-1", b)
		if err == nil && (!bytes.Equal(b, genuine) || string(pt) != "canary") {
			t.Fatalf("Open() accepted a forged envelope %x", b)
		}
	})
}
