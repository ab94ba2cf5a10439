package wire

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

func fixtureTicket() Ticket {
	return Ticket{Registry: "https://registry.justice.example:8443", CA: Hash{0xca, 0xfe}, Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3,
		KioskID: fixtureKiosk, Token: "TOK-7Q4K-9XMP-2WRT-KKMM", IssuedBy: "ops.amina", Issued: t0, Expires: t0.Add(time.Hour), KeyID: "mj-ref-2026"}
}

func TestTicket(t *testing.T) {
	keys := map[string]ed25519.PublicKey{"mj-ref-2026": signerKey.Public().(ed25519.PublicKey)}
	text, err := fixtureTicket().Encode(signerKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, TicketPrefix) || len(text) > 600 {
		t.Errorf("ticket text is %d characters: %s", len(text), text)
	}
	st, err := ParseTicket(" " + text + "\n") // as a scanner may send it
	if err != nil {
		t.Fatal(err)
	}
	if st.Ticket != fixtureTicket() {
		t.Errorf("ParseTicket = %+v", st.Ticket)
	}
	if err := st.Verify(keys, t0.Add(10*time.Minute)); err != nil {
		t.Errorf("Verify(in time) = %v", err)
	}
	for _, tt := range []struct {
		name string
		keys map[string]ed25519.PublicKey
		now  time.Time
		want string
	}{
		{"expired", keys, t0.Add(time.Hour), "expired"},
		{"clock behind", keys, t0.Add(-6 * time.Minute), "set the kiosk's clock"},
		{"unknown key", map[string]ed25519.PublicKey{"other": keys["mj-ref-2026"]}, t0, "does not trust"},
		{"wrong key", map[string]ed25519.PublicKey{"mj-ref-2026": kioskKey.Public().(ed25519.PublicKey)}, t0, "does not verify"},
	} {
		if err := st.Verify(tt.keys, tt.now); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Verify = %v, want %q", tt.name, err, tt.want)
		}
	}
	// Altering the body breaks the signature.
	body, sig, _ := strings.Cut(strings.TrimPrefix(text, TicketPrefix), ".")
	other := fixtureTicket()
	other.Court = "tpi-rabat"
	forged, _ := other.Encode(kioskKey)
	fbody, _, _ := strings.Cut(strings.TrimPrefix(forged, TicketPrefix), ".")
	st2, err := ParseTicket(TicketPrefix + fbody + "." + sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := st2.Verify(keys, t0); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("Verify(another body under the signature) = %v", err)
	}
	long := fixtureTicket()
	long.Expires = t0.Add(2 * time.Hour)
	if _, err := long.Encode(signerKey); !errors.Is(err, ErrInvalid) {
		t.Errorf("Encode(valid two hours) = %v, want ErrInvalid", err)
	}
	for _, bad := range []string{"TOK-7Q4K-9XMP-2WRT", TicketPrefix + body, TicketPrefix + "!!." + sig, TicketPrefix + body + ".AAAA", "https://justice.gov.ma/suivi/K7MX4HQ9XR33"} {
		if _, err := ParseTicket(bad); err == nil {
			t.Errorf("ParseTicket(%q) = nil error", bad)
		}
	}
}

func FuzzTicket(f *testing.F) {
	text, _ := fixtureTicket().Encode(signerKey)
	f.Add(text)
	f.Add(TicketPrefix + "e30.AAAA")
	keys := map[string]ed25519.PublicKey{"mj-ref-2026": signerKey.Public().(ed25519.PublicKey)}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseTicket(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("ParseTicket = %v, not a sentinel error", err)
			}
			return
		}
		// Whatever parses and verifies is exactly what was signed.
		if st.Verify(keys, st.Issued) == nil {
			again, err := st.Ticket.Encode(signerKey)
			if err != nil {
				t.Fatalf("Encode(verified ticket) = %v", err)
			}
			st2, err := ParseTicket(again)
			if err != nil || st2.Ticket != st.Ticket {
				t.Fatalf("round trip: %+v, %v", st2.Ticket, err)
			}
		}
	})
}
