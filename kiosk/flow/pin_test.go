package flow_test

import (
	"strings"
	"testing"

	"guichet/kiosk/flow"
)

var salt = []byte("court-lobby-salt")

func TestHashPIN(t *testing.T) {
	h, err := flow.HashPIN("482915", salt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "pbkdf2-sha256$200000$") {
		t.Errorf("HashPIN = %q, want the pbkdf2-sha256 scheme", h)
	}
	for _, tc := range []struct {
		pin  string
		want bool
	}{
		{"482915", true},
		{"482916", false},
		{"48291", false},
		{"", false},
		{"4829150", false},
		{"48291a", false},
	} {
		t.Run(tc.pin, func(t *testing.T) {
			got, err := flow.VerifyPIN(h, tc.pin)
			if err != nil || got != tc.want {
				t.Errorf("VerifyPIN(%q) = %v, %v, want %v", tc.pin, got, err, tc.want)
			}
		})
	}
}

func TestHashPINRefuses(t *testing.T) {
	for _, tc := range []struct {
		pin  string
		salt []byte
	}{
		{"123", salt},
		{"1234567890123", salt},
		{"12a4", salt},
		{"1234", []byte("short")},
	} {
		if h, err := flow.HashPIN(tc.pin, tc.salt); err == nil {
			t.Errorf("HashPIN(%q, %d-byte salt) = %q, want an error", tc.pin, len(tc.salt), h)
		}
	}
}

// pinHashes seeds FuzzVerifyPIN and lists malformed configuration strings.
var pinHashes = []string{
	"pbkdf2-sha256$10000$Y291cnQtbG9iYnktc2FsdA$" + strings.Repeat("A", 43),
	"pbkdf2-sha256$200000$Y291cnQtbG9iYnktc2FsdA$xx",
	"pbkdf2-sha256$9$Y291cnQtbG9iYnktc2FsdA$" + strings.Repeat("A", 43),
	"pbkdf2-sha1$10000$Y291cnQtbG9iYnktc2FsdA$" + strings.Repeat("A", 43),
	"pbkdf2-sha256$10000$c2FsdA$" + strings.Repeat("A", 43),
	"1234",
	"",
	"$$$",
}

func TestVerifyPINMalformedHash(t *testing.T) {
	for _, h := range pinHashes[1:] {
		if ok, err := flow.VerifyPIN(h, "1234"); err == nil || ok {
			t.Errorf("VerifyPIN(%q) = %v, %v, want an error", h, ok, err)
		}
	}
	if ok, err := flow.VerifyPIN(pinHashes[0], "1234"); err != nil || ok {
		t.Errorf("VerifyPIN(well-formed, wrong key) = %v, %v, want false, nil", ok, err)
	}
}

func FuzzVerifyPIN(f *testing.F) {
	for _, h := range pinHashes {
		f.Add(h, "1234")
	}
	f.Fuzz(func(t *testing.T, hash, pin string) {
		ok, err := flow.VerifyPIN(hash, pin)
		if err != nil && ok {
			t.Fatalf("VerifyPIN(%q, %q) = true with error %v", hash, pin, err)
		}
	})
}
