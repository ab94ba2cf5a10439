// Package extracttest gives sample bulletin n°3 extracts, signed with fixed
// sample keys, for tests, `guichetctl print sample --kind extract` and the
// documentation. The keys are derived from public seeds: they sign samples
// only and must never be in a registry's key list.
package extracttest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"time"

	"guichet/kiosk/extract"
	"guichet/kiosk/pack"
	"guichet/kiosk/tracking"
)

// Key ids of the sample signers.
const (
	ClerkKeyID      = "sample-greffe-2026"
	ProsecutorKeyID = "sample-parquet-2026"
)

// PrivateKey returns the sample private key of a key id, derived from the
// id itself; nil for another id.
func PrivateKey(keyID string) ed25519.PrivateKey {
	if keyID != ClerkKeyID && keyID != ProsecutorKeyID {
		return nil
	}
	seed := sha256.Sum256([]byte("guichet sample extract key " + keyID))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Keys is the key list that verifies the samples.
func Keys() extract.Keys {
	return extract.Keys{
		ClerkKeyID:      {Role: extract.Clerk, Public: PrivateKey(ClerkKeyID).Public().(ed25519.PublicKey)},
		ProsecutorKeyID: {Role: extract.Prosecutor, Public: PrivateKey(ProsecutorKeyID).Public().(ed25519.PublicKey)},
	}
}

// Tracking is the samples' tracking number.
const Tracking tracking.Number = "K7MX4HQ9XR33"

// IssuedAt is the samples' issue time.
var IssuedAt = time.Date(2026, 3, 16, 9, 42, 0, 0, time.UTC)

// Sample returns a signed extract without convictions ("Néant") for the
// pack's country — Morocco (ma) with names in both scripts, Togo (tg) in
// Latin letters — with its verification URL on the pack's base.
func Sample(p *pack.Pack) (*extract.Extract, error) {
	e := &extract.Extract{
		Number:   "B3/2026/004217",
		Tracking: Tracking,
		IssuedAt: IssuedAt,
		Entries:  []extract.Entry{},
	}
	switch p.Code {
	case "ma":
		e.Court = "tpi-casablanca"
		e.Holder = extract.Holder{
			Surname:     extract.Written{Latin: "EL AMRANI", Arabic: "العمراني"},
			GivenNames:  extract.Written{Latin: "Fatima Zahra", Arabic: "فاطمة الزهراء"},
			Father:      extract.Written{Latin: "Mohammed El Amrani", Arabic: "محمد العمراني"},
			Mother:      extract.Written{Latin: "Khadija Bennani", Arabic: "خديجة بناني"},
			BirthDate:   "1990-03-12",
			BirthPlace:  extract.Written{Latin: "Casablanca", Arabic: "الدار البيضاء"},
			Nationality: extract.Written{Latin: "Marocaine", Arabic: "مغربية"},
			NationalID:  "BE123456",
		}
		e.Signatures = []extract.Signature{
			{Role: extract.Clerk, Name: extract.Written{Latin: "Nadia Benjelloun", Arabic: "نادية بنجلون"}, KeyID: ClerkKeyID},
			{Role: extract.Prosecutor, Name: extract.Written{Latin: "Youssef Alaoui", Arabic: "يوسف العلوي"}, KeyID: ProsecutorKeyID},
		}
	case "tg":
		e.Court = "tpi-lome"
		e.Holder = extract.Holder{
			Surname:     extract.Written{Latin: "AGBEKO"},
			GivenNames:  extract.Written{Latin: "Kossi Mawuli"},
			Father:      extract.Written{Latin: "Komlan Agbeko"},
			Mother:      extract.Written{Latin: "Afi Mensah"},
			BirthDate:   "1988-07-04",
			BirthPlace:  extract.Written{Latin: "Lomé"},
			Nationality: extract.Written{Latin: "Togolaise"},
		}
		e.Signatures = []extract.Signature{
			{Role: extract.Clerk, Name: extract.Written{Latin: "Ama Kpodar"}, KeyID: ClerkKeyID},
			{Role: extract.Prosecutor, Name: extract.Written{Latin: "Essowè Batchassi"}, KeyID: ProsecutorKeyID},
		}
	default:
		return nil, fmt.Errorf("extracttest: no sample for pack %q", p.Code)
	}
	if err := SignAll(e, p.ExtractVerificationBase); err != nil {
		return nil, err
	}
	return e, nil
}

// SignAll signs e with the sample keys of its signatures and sets its
// verification URL on base; tests call it again after changing e.
func SignAll(e *extract.Extract, base string) error {
	for _, s := range e.Signatures {
		k := PrivateKey(s.KeyID)
		if k == nil {
			return fmt.Errorf("extracttest: no sample key %q", s.KeyID)
		}
		if err := e.Sign(s.KeyID, k); err != nil {
			return err
		}
	}
	u, err := e.VerificationURLFor(base)
	if err != nil {
		return err
	}
	e.VerificationURL = u
	return nil
}
