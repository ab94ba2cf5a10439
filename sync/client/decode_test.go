package client

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/sync/wire"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name       string
		rand       float64
		fails      int
		retryAfter time.Duration
		want       time.Duration
	}{
		{"first, least jitter", 0, 0, 0, 500 * time.Millisecond},
		{"first, most jitter", 0.99, 0, 0, 995 * time.Millisecond},
		{"doubles", 0, 3, 0, 4 * time.Second},
		{"capped", 0, 20, 0, 30 * time.Second},
		{"capped after many", 0.5, 100, 0, 45 * time.Second},
		{"retry-after is a floor", 0, 0, 10 * time.Second, 10 * time.Second},
		{"retry-after jittered up", 0.5, 0, 10 * time.Second, 15 * time.Second},
		{"backoff above retry-after", 0, 5, time.Second, 16 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackoff(time.Second, time.Minute, func() float64 { return tt.rand })
			b.fails = tt.fails
			got := b.next(tt.retryAfter).Round(time.Microsecond)
			if got != tt.want {
				t.Errorf("next(%v) after %d failures = %v, want %v", tt.retryAfter, tt.fails, got, tt.want)
			}
			b.reset()
			if b.fails != 0 {
				t.Errorf("reset() left %d failures", b.fails)
			}
		})
	}
}

var retryAfterNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// retryAfterCases is shared by TestParseRetryAfter and FuzzParseRetryAfter.
var retryAfterCases = []struct {
	in     string
	want   time.Duration
	wantOK bool
}{
	{"5", 5 * time.Second, true},
	{" 120 ", 2 * time.Minute, true},
	{"0", 0, true},
	{"86400", time.Hour, true}, // bounded
	{"Mon, 02 Mar 2026 09:00:30 GMT", 30 * time.Second, true},
	{"Mon, 02 Mar 2026 08:00:00 GMT", 0, true}, // in the past: now
	{"", 0, false},
	{"-5", 0, false},
	{"5s", 0, false},
	{"soon", 0, false},
	{strings.Repeat("9", 80), 0, false},
}

func TestParseRetryAfter(t *testing.T) {
	for _, tt := range retryAfterCases {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseRetryAfter(tt.in, retryAfterNow)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, tt := range retryAfterCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := parseRetryAfter(s, retryAfterNow)
		if d < 0 || d > maxRetryAfter || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", s, d, ok)
		}
	})
}

func goodEnrolment() enrolmentFile {
	return enrolmentFile{
		KioskID: "ma-tpi-casablanca-01", Serial: "MA-000001", Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3,
		RegistryURL: "https://registry.justice.example:8443", Capabilities: Capabilities,
		Settings: wire.Settings{Version: 1, BatchMaxItems: 50}, EnrolledAt: retryAfterNow,
		DocumentKeys: map[string][]byte{"registry-0a1b2c3d4e5f": bytes.Repeat([]byte{7}, 32)},
	}
}

// enrolmentCases is shared by TestDecodeEnrolment and FuzzDecodeEnrolment.
func enrolmentCases(t testing.TB) []struct {
	name    string
	in      []byte
	wantErr string
} {
	good, err := json.Marshal(goodEnrolment())
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
		{"trailing", append(append([]byte(nil), good...), "{}"...), "trailing"},
		{"unknown field", repl(`{"kiosk_id"`, `{"token":"x","kiosk_id"`), "unknown field"},
		{"bad kiosk id", repl(`ma-tpi-casablanca-01`, `../etc`), "kiosk id"},
		{"http", repl(`https://`, `http://`), "not https"},
		{"no court", repl(`"court":"tpi-casablanca"`, `"court":""`), "court"},
		{"bad settings", repl(`"batch_max_items":50`, `"batch_max_items":500`), "batch max items"},
		{"short document key", repl(`"registry-0a1b2c3d4e5f":"`, `"registry-0a1b2c3d4e5f":"AAAA`), "document key"},
	}
}

func TestDecodeEnrolment(t *testing.T) {
	for _, tt := range enrolmentCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeEnrolment(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("decodeEnrolment() = %v", err)
				}
				if diff := cmp.Diff(goodEnrolment(), got); diff != "" {
					t.Errorf("decodeEnrolment() (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("decodeEnrolment() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzDecodeEnrolment(f *testing.F) {
	for _, tt := range enrolmentCases(f) {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnrolment(b)
		if err != nil {
			return
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeEnrolment(again); err != nil {
			t.Fatalf("decodeEnrolment(re-encoded) = %v", err)
		}
	})
}

// identityCases is shared by TestParseIdentityPEM and FuzzParseIdentityPEM.
func identityCases(t testing.TB) []struct {
	name    string
	in      []byte
	wantErr string
} {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ma-tpi-casablanca-01"},
		NotBefore: retryAfterNow, NotAfter: retryAfterNow.Add(7 * 24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, ec.Public(), ec)
	good, _ := encodeIdentityPEM(key, der)
	goodEC, _ := encodeIdentityPEM(ec, ecDER)
	wrongKey, _ := encodeIdentityPEM(other, der)
	keyOnly := good[:bytes.Index(good, []byte("-----BEGIN CERTIFICATE"))]
	return []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"ed25519", good, ""},
		{"ecdsa", goodEC, ""},
		{"empty", nil, "a key and a certificate"},
		{"key only", keyOnly, "a key and a certificate"},
		{"certificate for another key", wrongKey, "not for the key"},
		{"two keys", append(append([]byte(nil), keyOnly...), good...), "unexpected PEM block"},
		{"garbage after", append(append([]byte(nil), good...), "oops"...), "outside PEM"},
	}
}

func TestParseIdentityPEM(t *testing.T) {
	for _, tt := range identityCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parseIdentityPEM(tt.in)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("parseIdentityPEM() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func FuzzParseIdentityPEM(f *testing.F) {
	for _, tt := range identityCases(f) {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		key, cert, err := parseIdentityPEM(b)
		if err != nil {
			return
		}
		if !samePublicKey(key.Public(), cert.PublicKey) {
			t.Fatalf("parseIdentityPEM() accepted a certificate for another key")
		}
	})
}
