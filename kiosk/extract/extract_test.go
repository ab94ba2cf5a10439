package extract_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/extract"
	"guichet/kiosk/extract/extracttest"
	"guichet/kiosk/pack"
	"guichet/kiosk/scan"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func loadPack(t testing.TB, code string) *pack.Pack {
	t.Helper()
	p, err := pack.Embedded(code)
	if err != nil {
		t.Fatalf("pack.Embedded(%q): %v", code, err)
	}
	return p
}

func sample(t testing.TB, code string) (*extract.Extract, *pack.Pack) {
	t.Helper()
	p := loadPack(t, code)
	e, err := extracttest.Sample(p)
	if err != nil {
		t.Fatalf("extracttest.Sample(%s): %v", code, err)
	}
	return e, p
}

// TestSignedBytesGolden pins the canonical bytes: a change here breaks
// every signature the registry has made, so it must be deliberate (a new
// version byte), never a side effect.
func TestSignedBytesGolden(t *testing.T) {
	for _, code := range []string{"ma", "tg"} {
		t.Run(code, func(t *testing.T) {
			e, _ := sample(t, code)
			b, err := e.SignedBytes()
			if err != nil {
				t.Fatalf("SignedBytes() error: %v", err)
			}
			got := hex.Dump(b)
			path := filepath.Join("testdata", code+".signed.golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("SignedBytes() (-golden +got):\n%s", diff)
			}
		})
	}
}

// TestSignedBytesLayout reads the start of the encoding by hand, as a
// registry written in another language would.
func TestSignedBytesLayout(t *testing.T) {
	e, _ := sample(t, "tg")
	b, err := e.SignedBytes()
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("GUICHET-EXTRACT-B3\x00\x01")
	want = append(want, 14)
	want = append(want, "B3/2026/004217"...)
	want = append(want, 12)
	want = append(want, "K7MX4HQ9XR33"...)
	// 2026-03-16T09:42:00Z = 1773654120 s, zig-zag varint.
	want = append(want, 0xd0, 0xc1, 0xbe, 0x9b, 0x0d)
	want = append(want, 8)
	want = append(want, "tpi-lome"...)
	want = append(want, 6)
	want = append(want, "AGBEKO"...)
	want = append(want, 0) // no Arabic surname
	if !bytes.HasPrefix(b, want) {
		t.Errorf("SignedBytes() starts\n%x\nwant\n%x", b[:min(len(b), len(want))], want)
	}
	if !bytes.HasSuffix(b, []byte("\x02\x05clerk\x0aAma Kpodar\x00\x12"+extracttest.ClerkKeyID+"\x0aprosecutor\x11Essowè Batchassi\x00\x13"+extracttest.ProsecutorKeyID)) {
		t.Errorf("SignedBytes() ends %q, want the two signers", b[len(b)-80:])
	}
}

func TestVerify(t *testing.T) {
	otherKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	tests := []struct {
		name   string
		edit   func(e *extract.Extract)
		resign bool // sign again after the edit (with the sample keys)
		keys   func(k extract.Keys)
		base   string
		want   error
	}{
		{name: "as issued"},
		{name: "number changed", edit: func(e *extract.Extract) { e.Number = "B3/2026/004218" }, want: extract.ErrBadSignature},
		{name: "issued a day later", edit: func(e *extract.Extract) { e.IssuedAt = e.IssuedAt.Add(24 * time.Hour) }, want: extract.ErrBadSignature},
		{name: "another court", edit: func(e *extract.Extract) { e.Court = "tpi-rabat" }, want: extract.ErrBadSignature},
		{name: "Arabic surname changed", edit: func(e *extract.Extract) { e.Holder.Surname.Arabic = "العمري" }, want: extract.ErrBadSignature},
		{name: "Latin moved into Arabic", edit: func(e *extract.Extract) {
			e.Holder.Surname.Arabic, e.Holder.Surname.Latin = e.Holder.Surname.Latin, e.Holder.Surname.Arabic
		}, want: extract.ErrBadSignature},
		{name: "conviction added", edit: func(e *extract.Extract) {
			e.Entries = append(e.Entries, extract.Entry{Date: "2019-05-02", Court: extract.Written{Latin: "TPI Rabat"}, Offence: extract.Written{Latin: "Vol"}, Sentence: extract.Written{Latin: "2 ans"}})
		}, want: extract.ErrBadSignature},
		{name: "conviction added and signed again", edit: func(e *extract.Extract) {
			e.Entries = append(e.Entries, extract.Entry{Date: "2019-05-02", Court: extract.Written{Latin: "TPI Rabat"}, Offence: extract.Written{Latin: "Vol"}, Sentence: extract.Written{Latin: "2 ans"}})
		}, resign: true},
		{name: "prosecutor's name changed", edit: func(e *extract.Extract) { e.Signatures[1].Name.Latin = "Y. Alaoui" }, want: extract.ErrBadSignature},
		{name: "signatures swapped", edit: func(e *extract.Extract) {
			e.Signatures[0].Sig, e.Signatures[1].Sig = e.Signatures[1].Sig, e.Signatures[0].Sig
		}, want: extract.ErrBadSignature},
		{name: "signed by another key", edit: func(e *extract.Extract) {
			msg, _ := e.SignedBytes()
			e.Signatures[1].Sig = ed25519.Sign(otherKey, msg)
		}, want: extract.ErrBadSignature},
		{name: "prosecutor not signed", edit: func(e *extract.Extract) { e.Signatures[1].Sig = nil }, want: extract.ErrUnsigned},
		{name: "key unknown", keys: func(k extract.Keys) { delete(k, extracttest.ProsecutorKeyID) }, want: extract.ErrUnknownKey},
		{name: "clerk's key used as prosecutor's", keys: func(k extract.Keys) {
			k[extracttest.ProsecutorKeyID] = k[extracttest.ClerkKeyID]
		}, want: extract.ErrUnknownKey},
		{name: "verification URL of another extract", edit: func(e *extract.Extract) {
			e.VerificationURL = strings.Replace(e.VerificationURL, ".", ".A", 1)[:len(e.VerificationURL)]
		}, want: extract.ErrVerificationURL},
		{name: "another country's base", base: "https://verif.justice.gouv.tg/v/", want: extract.ErrVerificationURL},
		{name: "invalid", edit: func(e *extract.Extract) { e.Holder.BirthDate = "12/03/1990" }, want: extract.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, p := sample(t, "ma")
			if tt.edit != nil {
				tt.edit(e)
			}
			if tt.resign {
				if err := extracttest.SignAll(e, p.ExtractVerificationBase); err != nil {
					t.Fatal(err)
				}
			}
			keys := extracttest.Keys()
			if tt.keys != nil {
				tt.keys(keys)
			}
			base := p.ExtractVerificationBase
			if tt.base != "" {
				base = tt.base
			}
			err := e.Verify(keys, base)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Verify() = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "extract: ") {
				t.Errorf("Verify() = %q, want the package's prefix", err)
			}
		})
	}
}

// TestVerificationURLScans checks the QR payload against the kiosk's own
// scanner: what the extract prints, a later scan classifies as an extract
// verification code of the same request and fragment.
func TestVerificationURLScans(t *testing.T) {
	for _, code := range []string{"ma", "tg"} {
		t.Run(code, func(t *testing.T) {
			e, p := sample(t, code)
			r := scan.Classify(e.VerificationURL, scan.Params{TrackingQRBase: p.TrackingQRBase, VerificationBase: p.ExtractVerificationBase})
			if !r.OK() || r.Kind != scan.ExtractVerification {
				t.Fatalf("scan.Classify(%q) = %+v, want a valid extract verification code", e.VerificationURL, r)
			}
			if r.Tracking != e.Tracking {
				t.Errorf("scanned tracking = %s, want %s", r.Tracking, e.Tracking)
			}
			if want := strings.ReplaceAll(e.Signatures[0].Fingerprint(), " ", ""); r.Signature != want || len(want) != scan.SignatureLen {
				t.Errorf("scanned signature fragment = %q, want the clerk's fingerprint %q", r.Signature, want)
			}
		})
	}
}

func TestVerificationURLFor(t *testing.T) {
	e, p := sample(t, "ma")
	e.Signatures[0].Sig = nil
	if _, err := e.VerificationURLFor(p.ExtractVerificationBase); !errors.Is(err, extract.ErrUnsigned) {
		t.Errorf("VerificationURLFor(unsigned) error = %v, want ErrUnsigned", err)
	}
	e.Signatures = e.Signatures[1:]
	if _, err := e.VerificationURLFor(p.ExtractVerificationBase); !errors.Is(err, extract.ErrInvalid) {
		t.Errorf("VerificationURLFor(no clerk) error = %v, want ErrInvalid", err)
	}
}

func TestSign(t *testing.T) {
	e, _ := sample(t, "tg")
	if err := e.Sign("nobody", extracttest.PrivateKey(extracttest.ClerkKeyID)); err == nil {
		t.Errorf("Sign(unlisted key id) = nil, want an error")
	}
	if err := e.Sign(extracttest.ClerkKeyID, ed25519.PrivateKey{1, 2}); err == nil {
		t.Errorf("Sign(short key) = nil, want an error")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(e *extract.Extract)
		want string // in the error; "" for valid
	}{
		{"sample", func(*extract.Extract) {}, ""},
		{"year of birth only", func(e *extract.Extract) { e.Holder.BirthDate = "1961" }, ""},
		{"no national id", func(e *extract.Extract) { e.Holder.NationalID = "" }, ""},
		{"Arabic names only", func(e *extract.Extract) { e.Holder.Surname.Latin = "" }, ""},
		{"number lower case", func(e *extract.Extract) { e.Number = "b3/2026/1" }, "number"},
		{"number too long", func(e *extract.Extract) { e.Number = strings.Repeat("9", 33) }, "number"},
		{"tracking check character", func(e *extract.Extract) { e.Tracking = "K7MX4HQ9XR34" }, "tracking"},
		{"no issue time", func(e *extract.Extract) { e.IssuedAt = time.Time{} }, "issued_at"},
		{"issue time with nanoseconds", func(e *extract.Extract) { e.IssuedAt = e.IssuedAt.Add(5) }, "issued_at"},
		{"court id", func(e *extract.Extract) { e.Court = "TPI Casablanca" }, "court"},
		{"no surname", func(e *extract.Extract) { e.Holder.Surname = extract.Written{} }, "holder.surname: missing"},
		{"no birth place", func(e *extract.Extract) { e.Holder.BirthPlace = extract.Written{} }, "holder.birth_place: missing"},
		{"birth date", func(e *extract.Extract) { e.Holder.BirthDate = "1990-02-30" }, "holder.birth_date"},
		{"national id with space", func(e *extract.Extract) { e.Holder.NationalID = "BE 123456" }, "holder.national_id"},
		{"name with an override", func(e *extract.Extract) { e.Holder.GivenNames.Latin = "Fatima\u202eZahra" }, "holder.given_names.latin: control or format character U+202E"},
		{"name with a newline", func(e *extract.Extract) { e.Holder.Father.Arabic = "محمد\nالعمراني" }, "holder.father.arabic: control"},
		{"name not UTF-8", func(e *extract.Extract) { e.Holder.Mother.Latin = "Kh\xffadija" }, "holder.mother.latin: not UTF-8"},
		{"name padded", func(e *extract.Extract) { e.Holder.Mother.Latin = " Khadija" }, "leading or trailing space"},
		{"name too long", func(e *extract.Extract) { e.Holder.Mother.Latin = strings.Repeat("a", extract.MaxText+1) }, "longer than"},
		{"Arabic with joiners", func(e *extract.Extract) { e.Holder.Surname.Arabic = "ال\u200dعمراني" }, ""},
		{"entry without date", func(e *extract.Extract) {
			e.Entries = []extract.Entry{{Court: extract.Written{Latin: "x"}, Offence: extract.Written{Latin: "x"}, Sentence: extract.Written{Latin: "x"}}}
		}, "entries[0].date"},
		{"entry without sentence", func(e *extract.Extract) {
			e.Entries = []extract.Entry{{Date: "2020-01-01", Court: extract.Written{Latin: "x"}, Offence: extract.Written{Latin: "x"}}}
		}, "entries[0].sentence: missing"},
		{"too many entries", func(e *extract.Extract) { e.Entries = make([]extract.Entry, extract.MaxEntries+1) }, "entries: 51"},
		{"no prosecutor", func(e *extract.Extract) { e.Signatures = e.Signatures[:1] }, "0 of role prosecutor"},
		{"two clerks", func(e *extract.Extract) { e.Signatures[1].Role = extract.Clerk }, "2 of role clerk"},
		{"unknown role", func(e *extract.Extract) { e.Signatures[1].Role = "judge" }, `signatures[1].role "judge"`},
		{"same key twice", func(e *extract.Extract) { e.Signatures[1].KeyID = e.Signatures[0].KeyID }, "used by another signature"},
		{"key id with space", func(e *extract.Extract) { e.Signatures[0].KeyID = "a b" }, "signatures[0].key_id"},
		{"short signature", func(e *extract.Extract) { e.Signatures[0].Sig = e.Signatures[0].Sig[:63] }, "signatures[0].sig: 63 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := sample(t, "ma")
			tt.edit(e)
			err := e.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, extract.ErrInvalid)):
				t.Errorf("Validate() = %v, want ErrInvalid containing %q", err, tt.want)
			}
			if _, err2 := e.SignedBytes(); (err2 == nil) != (err == nil) {
				t.Errorf("SignedBytes() error = %v, want it to follow Validate's (%v)", err2, err)
			}
		})
	}
}

// parseTests also seed FuzzParse.
var parseTests = []struct {
	name string
	json string
	want string // in the error; "" for success
}{
	{"unknown field", `{"number":"B3/1","extra":1}`, "unknown field"},
	{"wrong type", `{"number":3}`, "cannot unmarshal"},
	{"not an object", `["B3"]`, "cannot unmarshal"},
	{"empty", ``, "EOF"},
	{"invalid extract", `{"number":"B3/1"}`, "invalid extract"},
	{"base64 signature", `{"number":"B3/1","signatures":[{"role":"clerk","sig":"!!"}]}`, "illegal base64"},
}

func TestParse(t *testing.T) {
	e, _ := sample(t, "ma")
	good, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("round trip", func(t *testing.T) {
		got, err := extract.Parse(good)
		if err != nil {
			t.Fatalf("Parse(Marshal(sample)) error: %v", err)
		}
		if diff := cmp.Diff(e, got); diff != "" {
			t.Errorf("Parse(Marshal(sample)) (-want +got):\n%s", diff)
		}
		if err := got.Verify(extracttest.Keys(), "https://verif.justice.gov.ma/v/"); err != nil {
			t.Errorf("Verify(parsed) = %v", err)
		}
	})
	t.Run("trailing data", func(t *testing.T) {
		if _, err := extract.Parse(append(slicesClone(good), `{}`...)); err == nil {
			t.Errorf("Parse(extract + {}) = nil error, want one")
		}
	})
	t.Run("too large", func(t *testing.T) {
		big := append(slicesClone(good), bytes.Repeat([]byte(" "), extract.MaxJSON)...)
		if _, err := extract.Parse(big); err == nil || !strings.Contains(err.Error(), "at most") {
			t.Errorf("Parse(too large) = %v, want an error", err)
		}
	})
	for _, tt := range parseTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := extract.Parse([]byte(tt.json))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "extract: ") {
				t.Errorf("Parse(%s) = %v, want an error containing %q", tt.json, err, tt.want)
			}
		})
	}
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

func FuzzParse(f *testing.F) {
	e, _ := sample(f, "ma")
	good, _ := json.Marshal(e)
	f.Add(good)
	for _, tt := range parseTests {
		f.Add([]byte(tt.json))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := extract.Parse(data)
		if err != nil {
			return
		}
		// What parses is valid, encodes canonically, and survives a JSON
		// round trip with the same signed bytes.
		b1, err := x.SignedBytes()
		if err != nil {
			t.Fatalf("SignedBytes of a parsed extract: %v", err)
		}
		again, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("Marshal of a parsed extract: %v", err)
		}
		y, err := extract.Parse(again)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(data))): %v", err)
		}
		b2, _ := y.SignedBytes()
		if !bytes.Equal(b1, b2) {
			t.Fatalf("signed bytes changed over a JSON round trip:\n%x\n%x", b1, b2)
		}
	})
}
