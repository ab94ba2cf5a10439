package scan

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"guichet/kiosk/tracking"
)

// MaxLen is the longest payload, in bytes, Classify reads. Every code the
// kiosk knows is far shorter; a longer payload is refused without being
// scanned further.
const MaxLen = 1024

// SignatureLen is the length of an extract verification code's signature
// fragment: 80 bits in base32.
const SignatureLen = 16

// Message keys, translated by the country packs. See the package
// documentation for when each is used.
const (
	MsgTooLong             = "scan.too_long"
	MsgNotText             = "scan.not_text"
	MsgIncomplete          = "scan.incomplete"
	MsgEmpty               = "scan.empty"
	MsgTrackingMalformed   = "scan.tracking_malformed"
	MsgTrackingCheckFailed = "scan.tracking_check_failed"
	MsgFinePVMalformed     = "scan.fine_pv_malformed"
	MsgExtractMalformed    = "scan.extract_malformed"
	MsgExtractCheckFailed  = "scan.extract_check_failed"
	MsgUnknownCode         = "scan.unknown_code"
)

// Messages lists every key Classify and drivers/qrscan use, for the packs'
// completeness test.
var Messages = []string{
	MsgTooLong, MsgNotText, MsgIncomplete, MsgEmpty,
	MsgTrackingMalformed, MsgTrackingCheckFailed, MsgFinePVMalformed,
	MsgExtractMalformed, MsgExtractCheckFailed, MsgUnknownCode,
}

// Kind is what a payload is, or looks like when it is not valid.
type Kind string

// The kinds of code.
const (
	TrackingNumber      Kind = "tracking_number"
	FinePV              Kind = "fine_pv"
	ExtractVerification Kind = "extract_verification"
	Unknown             Kind = "unknown"
)

// Params are the country pack's bases of the kiosk's own QR codes.
type Params struct {
	// TrackingQRBase prefixes the tracking number in a receipt's QR code
	// (pack.Pack.TrackingQRBase). Empty: only bare numbers are recognised.
	TrackingQRBase string
	// VerificationBase prefixes an extract verification code. Empty:
	// extract codes are not recognised.
	VerificationBase string
}

// Result is what Classify found.
type Result struct {
	// Kind is what the payload is, or looks like when Message is set: a
	// receipt QR with a wrong check character is a TrackingNumber with
	// MsgTrackingCheckFailed.
	Kind Kind
	// Tracking is the tracking number: of the receipt (TrackingNumber) or of
	// the request the extract answers (ExtractVerification). Set only when
	// valid.
	Tracking tracking.Number
	// FinePV is the canonical PV number ("12345678-RF-2024"), for FinePV.
	FinePV string
	// Signature is the extract's base32 signature fragment, upper case.
	Signature string
	// Message is "" when the payload is a valid code, otherwise the key of
	// the message telling the citizen what went wrong.
	Message string
}

// OK reports whether the payload is a valid code of a known kind.
func (r Result) OK() bool { return r.Message == "" && r.Kind != Unknown }

// Classify tells what payload is. It never fails: an unusable payload gives
// a Result whose Message says why.
func Classify(payload string, p Params) Result {
	if len(payload) > MaxLen {
		return Result{Kind: Unknown, Message: MsgTooLong}
	}
	if !isText(payload) {
		return Result{Kind: Unknown, Message: MsgNotText}
	}
	s := strings.TrimSpace(payload)
	if s == "" {
		return Result{Kind: Unknown, Message: MsgEmpty}
	}
	// The longer base first, so that one base being a prefix of the other
	// (".../t/" and ".../t/v/") cannot steal its codes.
	bases := []struct {
		base string
		read func(rest string) Result
	}{
		{p.TrackingQRBase, readTrackingQR},
		{p.VerificationBase, readExtract},
	}
	if len(bases[1].base) > len(bases[0].base) {
		bases[0], bases[1] = bases[1], bases[0]
	}
	for _, b := range bases {
		if b.base != "" && hasPrefixFold(s, b.base) {
			return b.read(s[len(b.base):])
		}
	}
	if strings.Contains(strings.ToUpper(s), "-RF-") {
		return readFinePV(s)
	}
	if n, err := tracking.Parse(s); err == nil {
		return Result{Kind: TrackingNumber, Tracking: n}
	} else if errors.Is(err, tracking.ErrCheck) {
		// Twelve characters of the tracking alphabet: a receipt number
		// with a misread or mistyped character, not an unknown code.
		return Result{Kind: TrackingNumber, Message: MsgTrackingCheckFailed}
	}
	return Result{Kind: Unknown, Message: MsgUnknownCode}
}

// isText reports whether s is UTF-8 without control characters other than
// white space (scanners append CR, LF or TAB; they are trimmed later).
func isText(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError {
			return false // invalid UTF-8 (a real U+FFFD is no code of ours either)
		}
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// readTrackingQR reads what follows the receipt base as tracking.Parse
// does (so a QR code written with the grouping dashes reads too).
func readTrackingQR(rest string) Result {
	n, err := tracking.Parse(rest)
	switch {
	case err == nil:
		return Result{Kind: TrackingNumber, Tracking: n}
	case errors.Is(err, tracking.ErrCheck):
		return Result{Kind: TrackingNumber, Message: MsgTrackingCheckFailed}
	default:
		return Result{Kind: TrackingNumber, Message: MsgTrackingMalformed}
	}
}

func readExtract(rest string) Result {
	bad := Result{Kind: ExtractVerification, Message: MsgExtractMalformed}
	rest = strings.ToUpper(rest)
	number, sig, ok := strings.Cut(rest, ".")
	if !ok || len(number) != tracking.Len || len(sig) != SignatureLen {
		return bad
	}
	for i := 0; i < len(number); i++ {
		if !strings.ContainsRune(tracking.Alphabet, rune(number[i])) {
			return bad
		}
	}
	for i := 0; i < len(sig); i++ {
		if c := sig[i]; !('A' <= c && c <= 'Z' || '2' <= c && c <= '7') {
			return bad
		}
	}
	n, err := tracking.Parse(number)
	if err != nil {
		// Canonical characters and length were checked above: only the
		// check character can be wrong.
		return Result{Kind: ExtractVerification, Message: MsgExtractCheckFailed}
	}
	return Result{Kind: ExtractVerification, Tracking: n, Signature: sig}
}

// readFinePV reads ^[0-9]{8}-RF-[0-9]{4}$, "rf" accepted for "RF".
func readFinePV(s string) Result {
	const form = "dddddddd-RF-dddd"
	if len(s) != len(form) {
		return Result{Kind: FinePV, Message: MsgFinePVMalformed}
	}
	b := []byte(s)
	for i := 0; i < len(form); i++ {
		switch form[i] {
		case 'd':
			if b[i] < '0' || b[i] > '9' {
				return Result{Kind: FinePV, Message: MsgFinePVMalformed}
			}
		default:
			if c := b[i] &^ 0x20; form[i] == '-' && b[i] != '-' || form[i] != '-' && c != form[i] {
				return Result{Kind: FinePV, Message: MsgFinePVMalformed}
			}
			b[i] = form[i]
		}
	}
	return Result{Kind: FinePV, FinePV: string(b)}
}
