package scan

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"guichet/kiosk/tracking"
)

// ma are the bases of the Moroccan pack (the verification base is the one
// the registry prints on extracts).
var ma = Params{
	TrackingQRBase:   "https://suivi.justice.gov.ma/t/",
	VerificationBase: "https://verif.justice.gov.ma/v/",
}

// nested has one base inside the other.
var nested = Params{
	TrackingQRBase:   "https://justice.example/t/",
	VerificationBase: "https://justice.example/t/v/",
}

const (
	receipt    = tracking.Number("K7MX4HQ9XR33") // valid: see kiosk/tracking's worked example
	badCheck   = "K7MX4HQ9XR34"
	signature  = "MFRGGZDFMZTWQ2LK"
	extractURL = "https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ2LK"
)

type classifyCase struct {
	name    string
	payload string
	params  Params
	want    Result
}

// classifyCases is the shared table: TestClassify checks it and
// FuzzClassify is seeded from it.
var classifyCases = []classifyCase{
	{"receipt QR", "https://suivi.justice.gov.ma/t/K7MX4HQ9XR33", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"receipt QR upper-cased by the encoder", "HTTPS://SUIVI.JUSTICE.GOV.MA/T/K7MX4HQ9XR33", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"receipt QR lower-case number", "https://suivi.justice.gov.ma/t/k7mx4hq9xr33", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"receipt QR with the scanner's CR LF", "https://suivi.justice.gov.ma/t/K7MX4HQ9XR33\r\n", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"receipt QR with grouping dashes", "https://suivi.justice.gov.ma/t/K7MX-4HQ9-XR33", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"receipt QR wrong check character", "https://suivi.justice.gov.ma/t/" + badCheck, ma, Result{Kind: TrackingNumber, Message: MsgTrackingCheckFailed}},
	{"receipt QR swapped characters", "https://suivi.justice.gov.ma/t/K7MX4HQ9RX33", ma, Result{Kind: TrackingNumber, Message: MsgTrackingCheckFailed}},
	{"receipt QR number too short", "https://suivi.justice.gov.ma/t/K7MX4HQ9XR3", ma, Result{Kind: TrackingNumber, Message: MsgTrackingMalformed}},
	{"receipt QR letter O", "https://suivi.justice.gov.ma/t/K7MX4HQOXR33", ma, Result{Kind: TrackingNumber, Message: MsgTrackingMalformed}},
	{"receipt QR nothing after the base", "https://suivi.justice.gov.ma/t/", ma, Result{Kind: TrackingNumber, Message: MsgTrackingMalformed}},
	{"receipt QR of another country", "https://suivi.justice.gouv.tg/t/K7MX4HQ9XR33", ma, Result{Kind: Unknown, Message: MsgUnknownCode}},
	{"receipt QR with no base configured", "https://suivi.justice.gov.ma/t/K7MX4HQ9XR33", Params{}, Result{Kind: Unknown, Message: MsgUnknownCode}},

	{"bare number", "K7MX4HQ9XR33", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"bare number as printed", "k7mx-4hq9-xr33", ma, Result{Kind: TrackingNumber, Tracking: receipt}},
	{"bare number wrong check character", badCheck, ma, Result{Kind: TrackingNumber, Message: MsgTrackingCheckFailed}},
	{"bare number too short", "K7MX4HQ9XR3", ma, Result{Kind: Unknown, Message: MsgUnknownCode}},

	{"fine PV", "12345678-RF-2024", ma, Result{Kind: FinePV, FinePV: "12345678-RF-2024"}},
	{"fine PV all zeros", "00000000-RF-0000", ma, Result{Kind: FinePV, FinePV: "00000000-RF-0000"}},
	{"fine PV lower-case rf", "12345678-rf-2024", ma, Result{Kind: FinePV, FinePV: "12345678-RF-2024"}},
	{"fine PV with the scanner's TAB", "12345678-RF-2024\t", ma, Result{Kind: FinePV, FinePV: "12345678-RF-2024"}},
	{"fine PV seven digits", "1234567-RF-2024", ma, Result{Kind: FinePV, Message: MsgFinePVMalformed}},
	{"fine PV five-digit year part", "12345678-RF-20245", ma, Result{Kind: FinePV, Message: MsgFinePVMalformed}},
	{"fine PV letter O for zero", "1234567O-RF-2024", ma, Result{Kind: FinePV, Message: MsgFinePVMalformed}},
	{"fine PV underscores", "12345678_RF_2024", ma, Result{Kind: Unknown, Message: MsgUnknownCode}},
	{"fine PV Arabic-Indic digits", "١٢٣٤٥٦٧٨-RF-٢٠٢٤", ma, Result{Kind: FinePV, Message: MsgFinePVMalformed}},

	{"extract code", extractURL, ma, Result{Kind: ExtractVerification, Tracking: receipt, Signature: signature}},
	{"extract code upper-cased", strings.ToUpper(extractURL), ma, Result{Kind: ExtractVerification, Tracking: receipt, Signature: signature}},
	{"extract code lower-cased", strings.ToLower(extractURL), ma, Result{Kind: ExtractVerification, Tracking: receipt, Signature: signature}},
	{"extract code wrong check character", "https://verif.justice.gov.ma/v/" + badCheck + "." + signature, ma, Result{Kind: ExtractVerification, Message: MsgExtractCheckFailed}},
	{"extract code without fragment", "https://verif.justice.gov.ma/v/K7MX4HQ9XR33", ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},
	{"extract code short fragment", "https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ2L", ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},
	{"extract code fragment with 8", "https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ28K", ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},
	{"extract code padded fragment", "https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ2L=", ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},
	{"extract code grouped number", "https://verif.justice.gov.ma/v/K7MX-4HQ9-XR33." + signature, ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},
	{"extract code two dots", "https://verif.justice.gov.ma/v/K7MX4HQ9XR33." + signature + ".", ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},
	{"extract code letter O in number", "https://verif.justice.gov.ma/v/K7MX4HQOXR33." + signature, ma, Result{Kind: ExtractVerification, Message: MsgExtractMalformed}},

	{"verification base inside the receipt base", "https://justice.example/t/v/K7MX4HQ9XR33." + signature, nested, Result{Kind: ExtractVerification, Tracking: receipt, Signature: signature}},
	{"receipt under the outer base", "https://justice.example/t/K7MX4HQ9XR33", nested, Result{Kind: TrackingNumber, Tracking: receipt}},

	{"other web address", "https://www.example.org/menu", ma, Result{Kind: Unknown, Message: MsgUnknownCode}},
	{"product barcode", "6111245590013", ma, Result{Kind: Unknown, Message: MsgUnknownCode}},
	{"Arabic text", "محكمة الاستئناف", ma, Result{Kind: Unknown, Message: MsgUnknownCode}},
	{"empty", "", ma, Result{Kind: Unknown, Message: MsgEmpty}},
	{"only the suffix", "\r\n", ma, Result{Kind: Unknown, Message: MsgEmpty}},
	{"exactly MaxLen bytes", strings.Repeat("A", MaxLen), ma, Result{Kind: Unknown, Message: MsgUnknownCode}},
	{"one byte over MaxLen", strings.Repeat("A", MaxLen+1), ma, Result{Kind: Unknown, Message: MsgTooLong}},
	{"invalid UTF-8", "https://suivi.justice.gov.ma/t/\xffK7MX4HQ9XR33", ma, Result{Kind: Unknown, Message: MsgNotText}},
	{"NUL inside", "12345678-RF\x00-2024", ma, Result{Kind: Unknown, Message: MsgNotText}},
	{"escape sequence", "\x1b[0mK7MX4HQ9XR33", ma, Result{Kind: Unknown, Message: MsgNotText}},
	{"DEL", "K7MX4HQ9XR33\x7f", ma, Result{Kind: Unknown, Message: MsgNotText}},
}

func TestClassify(t *testing.T) {
	for _, tc := range classifyCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Classify(tc.payload, tc.params)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Classify(%q) mismatch (-want +got):\n%s", tc.payload, diff)
			}
			checkInvariants(t, tc.payload, tc.params, got)
		})
	}
}

func TestResultOK(t *testing.T) {
	tests := []struct {
		r    Result
		want bool
	}{
		{Result{Kind: TrackingNumber, Tracking: receipt}, true},
		{Result{Kind: TrackingNumber, Message: MsgTrackingCheckFailed}, false},
		{Result{Kind: Unknown, Message: MsgUnknownCode}, false},
		{Result{Kind: Unknown}, false},
	}
	for _, tc := range tests {
		if got := tc.r.OK(); got != tc.want {
			t.Errorf("%+v.OK() = %v, want %v", tc.r, got, tc.want)
		}
	}
}

func TestMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Messages {
		if !strings.HasPrefix(m, "scan.") {
			t.Errorf("message key %q does not start with scan.", m)
		}
		if seen[m] {
			t.Errorf("message key %q listed twice", m)
		}
		seen[m] = true
	}
	// Every key the table produces is listed.
	for _, tc := range classifyCases {
		if m := tc.want.Message; m != "" && !seen[m] {
			t.Errorf("case %q uses key %q missing from Messages", tc.name, m)
		}
	}
}

// TestEveryMessageReachable proves no listed key is dead, except the one
// only drivers/qrscan produces.
func TestEveryMessageReachable(t *testing.T) {
	used := map[string]bool{MsgIncomplete: true}
	for _, tc := range classifyCases {
		used[tc.want.Message] = true
	}
	for _, m := range Messages {
		if !used[m] {
			t.Errorf("no table case produces %q", m)
		}
	}
}

var finePV = regexp.MustCompile(`^[0-9]{8}-RF-[0-9]{4}$`)
var base32Fragment = regexp.MustCompile(`^[A-Z2-7]{16}$`)

// checkInvariants holds for every payload, valid or not.
func checkInvariants(t *testing.T, payload string, p Params, r Result) {
	t.Helper()
	if r.Message != "" && !slices.Contains(Messages, r.Message) {
		t.Errorf("Classify(%q).Message = %q, not a listed key", payload, r.Message)
	}
	if r.Kind == Unknown && r.Message == "" {
		t.Errorf("Classify(%q) = Unknown without a message", payload)
	}
	if r.Message != "" && (r.Tracking != "" || r.FinePV != "" || r.Signature != "") {
		t.Errorf("Classify(%q) = %+v: a failed result carries values", payload, r)
	}
	if !r.OK() {
		return
	}
	switch r.Kind {
	case TrackingNumber:
		if !r.Tracking.Valid() {
			t.Errorf("Classify(%q).Tracking = %q, not a valid number", payload, r.Tracking)
		}
	case FinePV:
		if !finePV.MatchString(r.FinePV) {
			t.Errorf("Classify(%q).FinePV = %q, not of the form 00000000-RF-0000", payload, r.FinePV)
		}
	case ExtractVerification:
		if !r.Tracking.Valid() || !base32Fragment.MatchString(r.Signature) {
			t.Errorf("Classify(%q) = %+v, want a valid number and a 16-character base32 fragment", payload, r)
		}
		if !hasPrefixFold(strings.TrimSpace(payload), p.VerificationBase) {
			t.Errorf("Classify(%q) = extract code without the verification base", payload)
		}
	default:
		t.Errorf("Classify(%q).Kind = %q, not a known kind", payload, r.Kind)
	}
}

func FuzzClassify(f *testing.F) {
	for _, tc := range classifyCases {
		f.Add(tc.payload, tc.params == nested)
	}
	f.Fuzz(func(t *testing.T, payload string, useNested bool) {
		p := ma
		if useNested {
			p = nested
		}
		r := Classify(payload, p)
		checkInvariants(t, payload, p, r)
		if again := Classify(payload, p); again != r {
			t.Fatalf("Classify(%q) not deterministic: %+v then %+v", payload, r, again)
		}
		s := strings.TrimSpace(payload)
		// Anything of the exact PV form is read as one.
		if len(payload) <= MaxLen && isText(payload) && finePV.MatchString(strings.ToUpper(s)) {
			if want := (Result{Kind: FinePV, FinePV: strings.ToUpper(s)}); r != want {
				t.Errorf("Classify(%q) = %+v, want %+v", payload, r, want)
			}
		}
		// A valid number under the receipt base always reads back.
		if n := tracking.Number(s); n.Valid() {
			q := n.QRPayload(p.TrackingQRBase)
			if got := Classify(q, p); got.Tracking != n {
				t.Errorf("Classify(%q).Tracking = %q, want %q", q, got.Tracking, n)
			}
		}
	})
}
