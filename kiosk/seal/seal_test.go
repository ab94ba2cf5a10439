package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustKey(t testing.TB) *PrivateKey {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatalf("GenerateKey() = %v", err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	registry := mustKey(t)
	other := mustKey(t)
	personal := []byte(`{"cin":"AB123456","father":"Ahmed","mother":"Fatima","birth_place":"Fès"}`)

	tests := []struct {
		name      string
		sealID    string
		openID    string
		openKey   *PrivateKey
		plaintext []byte
		mutate    func([]byte) []byte
		wantErr   error // nil: opens to plaintext
	}{
		{name: "bulletin n°3 request", sealID: "req-casablanca-0001", openID: "req-casablanca-0001", openKey: registry, plaintext: personal},
		{name: "empty personal data", sealID: "req-1", openID: "req-1", openKey: registry, plaintext: nil},
		{name: "moved to another request", sealID: "req-1", openID: "req-2", openKey: registry, plaintext: personal, wantErr: ErrAuthentication},
		{name: "other registry key", sealID: "req-1", openID: "req-1", openKey: other, plaintext: personal, wantErr: ErrWrongKey},
		{name: "relabelled key id", sealID: "req-1", openID: "req-1", openKey: other, plaintext: personal, wantErr: ErrAuthentication,
			mutate: func(b []byte) []byte { id := other.Public().ID(); copy(b[9:17], id[:]); return b }},
		{name: "flipped ciphertext bit", sealID: "req-1", openID: "req-1", openKey: registry, plaintext: personal, wantErr: ErrAuthentication,
			mutate: func(b []byte) []byte { b[len(b)-20] ^= 1; return b }},
		{name: "flipped enc bit", sealID: "req-1", openID: "req-1", openKey: registry, plaintext: personal, wantErr: ErrAuthentication,
			mutate: func(b []byte) []byte { b[headerLen] ^= 0x80; return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := Seal(registry.Public(), tt.sealID, tt.plaintext)
			if err != nil {
				t.Fatalf("Seal() = %v", err)
			}
			if got, want := len(sealed), len(tt.plaintext)+Overhead; got != want {
				t.Errorf("len(Seal()) = %d, want %d", got, want)
			}
			if len(tt.plaintext) > 8 && bytes.Contains(sealed, tt.plaintext[:8]) {
				t.Errorf("Seal() output contains plaintext")
			}
			if tt.mutate != nil {
				sealed = tt.mutate(sealed)
			}
			got, err := Open(tt.openKey, tt.openID, sealed)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Open() = %q, %v; want error %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open() = %v", err)
			}
			if diff := cmp.Diff(tt.plaintext, got, cmp.Comparer(func(a, b []byte) bool { return bytes.Equal(a, b) })); diff != "" {
				t.Errorf("Open() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSealFreshEachTime(t *testing.T) {
	k := mustKey(t)
	a, err := Seal(k.Public(), "req-1", []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Seal(k.Public(), "req-1", []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Errorf("Seal() twice gave the same envelope; want a fresh ephemeral key each time")
	}
}

func TestSealRefuses(t *testing.T) {
	k := mustKey(t)
	tests := []struct {
		name      string
		pub       *PublicKey
		id        string
		plaintext []byte
		want      string
	}{
		{"no key", nil, "req-1", nil, "no registry public key"},
		{"empty request id", k.Public(), "", nil, "empty request id"},
		{"long request id", k.Public(), strings.Repeat("x", MaxRequestID+1), nil, "request id is 257 bytes"},
		{"oversize plaintext", k.Public(), "req-1", make([]byte, MaxPlaintext+1), "plaintext is"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Seal(tt.pub, tt.id, tt.plaintext)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Seal() = %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestKeyRoundTrip(t *testing.T) {
	k := mustKey(t)
	b, err := k.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	k2, err := ParsePrivateKey(b)
	if err != nil {
		t.Fatalf("ParsePrivateKey() = %v", err)
	}
	if !k2.Public().Equal(k.Public()) {
		t.Errorf("ParsePrivateKey(Bytes()).Public() = %v, want %v", k2.Public(), k.Public())
	}
	p, err := ParsePublicKey(k.Public().Bytes())
	if err != nil {
		t.Fatalf("ParsePublicKey() = %v", err)
	}
	if p.ID() != k.Public().ID() {
		t.Errorf("ParsePublicKey().ID() = %v, want %v", p.ID(), k.Public().ID())
	}
	text, err := k.Public().MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var p2 PublicKey
	if err := p2.UnmarshalText(text); err != nil {
		t.Fatalf("UnmarshalText(%s) = %v", text, err)
	}
	if !p2.Equal(k.Public()) {
		t.Errorf("UnmarshalText(MarshalText()) = %v, want %v", &p2, k.Public())
	}
	// A key parsed back seals envelopes the original opens.
	sealed, err := Seal(&p2, "req-1", []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(k2, "req-1", sealed); err != nil {
		t.Errorf("Open() with parsed keys = %v", err)
	}
}

func TestParseKeysRefuse(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"no prefix", "AAAA"},
		{"short", "hpke-x25519:AAAA"},
		{"padded", "hpke-x25519:" + strings.Repeat("A", 43) + "="},
		{"bad alphabet", "hpke-x25519:" + strings.Repeat("+", 43)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p PublicKey
			if err := p.UnmarshalText([]byte(tt.text)); err == nil {
				t.Errorf("UnmarshalText(%q) = nil, want error", tt.text)
			}
		})
	}
	if _, err := ParsePrivateKey(make([]byte, 31)); err == nil {
		t.Errorf("ParsePrivateKey(31 bytes) = nil, want error")
	}
}
