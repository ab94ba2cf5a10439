package wire

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestGolden(t *testing.T) {
	ex := examples(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range ex {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		m := ex[name]
		t.Run(name, func(t *testing.T) {
			got, err := Marshal(m)
			if err != nil {
				t.Fatalf("Marshal(%s) = %v", name, err)
			}
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			want = bytes.TrimSuffix(want, []byte("\n"))
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Marshal(%s) differs from %s (-want +got):\n%s", name, path, diff)
			}
			back := reflect.New(reflect.TypeOf(m).Elem()).Interface().(Message)
			if err := Unmarshal(want, back); err != nil {
				t.Fatalf("Unmarshal(%s) = %v", path, err)
			}
			if diff := cmp.Diff(m, back); diff != "" {
				t.Errorf("Unmarshal(Marshal(%s)) differs (-want +got):\n%s", name, diff)
			}
		})
	}
}

// decodeCase is one body and what decoding it must give. The table seeds
// every FuzzXxx.
type decodeCase struct {
	name    string
	kind    string // golden name of the message type
	in      string
	wantErr error // nil, ErrMalformed, ErrInvalid or ErrTooLarge
	detail  string
}

// goldenBody returns the golden JSON of kind with old replaced by new once.
func goldenBody(tb testing.TB, kind, old, new string) string {
	b, err := os.ReadFile(filepath.Join("testdata", kind+".golden"))
	if err != nil {
		tb.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	if old != "" {
		if !strings.Contains(s, old) {
			tb.Fatalf("golden %s has no %q", kind, old)
		}
		s = strings.Replace(s, old, new, 1)
	}
	return s
}

func decodeCases(tb testing.TB) []decodeCase {
	g := func(kind string) string { return goldenBody(tb, kind, "", "") }
	r := func(kind, old, new string) string { return goldenBody(tb, kind, old, new) }
	item1 := fixtureItem(1)
	return []decodeCase{
		{"enrol valid", "enrol_request", g("enrol_request"), nil, ""},
		{"enrol unknown field", "enrol_request", r("enrol_request", `{"kiosk_id"`, `{"admin":true,"kiosk_id"`), ErrMalformed, "unknown field"},
		{"enrol trailing data", "enrol_request", g("enrol_request") + `{}`, ErrMalformed, "trailing"},
		{"enrol short token", "enrol_request", r("enrol_request", `"TOK-7Q4K-9XMP-2WRT"`, `"TOK"`), ErrInvalid, "token"},
		{"enrol bad kiosk id", "enrol_request", r("enrol_request", `"ma-casa-tpi-01"`, `"../etc"`), ErrInvalid, "kiosk id"},
		{"enrol no csr", "enrol_request", r("enrol_request", `"csr_pem":"`, `"csr_pem":"x`), ErrInvalid, "CERTIFICATE REQUEST"},
		{"enrol too large", "enrol_request", `{"kiosk_id":"` + strings.Repeat("a", MaxEnrolBody) + `"}`, ErrTooLarge, ""},
		{"enrol null", "enrol_request", `null`, ErrInvalid, "kiosk id"},
		{"enrol not json", "enrol_request", `<xml/>`, ErrMalformed, ""},
		{"enrol response valid", "enrol_response", g("enrol_response"), nil, ""},
		{"enrol response bad pack", "enrol_response", r("enrol_response", `"country_pack":"ma"`, `"country_pack":"MAR"`), ErrInvalid, "country pack"},
		{"enrol response local time", "enrol_response", r("enrol_response", `"server_time":"2026-03-02T09:30:00Z"`, `"server_time":"2026-03-02T10:30:00+01:00"`), ErrInvalid, "UTC"},
		{"renew valid", "renew_request", g("renew_request"), nil, ""},
		{"renew response valid", "renew_response", g("renew_response"), nil, ""},
		{"renew response garbage cert", "renew_response", r("renew_response", `-----BEGIN CERTIFICATE-----\n`, `-----BEGIN CERTIFICATE-----\nAAAA`), ErrInvalid, ""},
		{"batch valid", "request_batch", g("request_batch"), nil, ""},
		{"batch altered fee", "request_batch", r("request_batch", `"fee":2000`, `"fee":20`), ErrInvalid, "body hash"},
		{"batch altered sealed", "request_batch", r("request_batch", `"sealed":"`, `"sealed":"AAAA`), ErrInvalid, "body hash"},
		{"batch sealed not base64", "request_batch", r("request_batch", `"sealed":"`, `"sealed":"!`), ErrMalformed, ""},
		{"batch bad tracking", "request_batch", r("request_batch", `"tracking":"`+string(item1.Tracking)[:4], `"tracking":"BBBB`), ErrMalformed, "tracking"},
		{"batch empty", "request_batch", `{"kiosk_id":"k1","message_id":"m1","items":[]}`, ErrInvalid, "0 items"},
		{"batch duplicate id", "request_batch", r("request_batch", `"request_id":"a1b2c3d4e5f60718293a4b5c6d7e8f90"`, `"request_id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"`), ErrInvalid, ""},
		{"batch upper-case hash", "request_batch", r("request_batch", `"body_hash":"`, `"body_hash":"A`), ErrMalformed, "hex"},
		{"batch fee as string", "request_batch", r("request_batch", `"fee":2000`, `"fee":"2000"`), ErrMalformed, ""},
		{"batch response valid", "batch_response", g("batch_response"), nil, ""},
		{"batch response unknown outcome", "batch_response", r("batch_response", `"outcome":"accepted"`, `"outcome":"maybe"`), ErrInvalid, "outcome"},
		{"batch response rejected without reason", "batch_response", r("batch_response", `,"reason":"the sealed payload does not open for this request id"`, ``), ErrInvalid, "reason"},
		{"changes valid", "changes_response", g("changes_response"), nil, ""},
		{"changes gap", "changes_response", r("changes_response", `"seq":43`, `"seq":45`), ErrInvalid, "sequence"},
		{"changes wrong next", "changes_response", r("changes_response", `"next":44`, `"next":43`), ErrInvalid, "next"},
		{"changes two payloads", "changes_response", r("changes_response", `"settings":{"version":2`, `"status":{},"settings":{"version":2`), ErrInvalid, "payloads"},
		{"changes unknown kind", "changes_response", r("changes_response", `"kind":"configuration"`, `"kind":"reboot"`), ErrInvalid, "kind"},
		{"changes short signature", "changes_response", r("changes_response", `"signature":"`, `"signature":"AAAA`), ErrInvalid, ""},
		{"changes ready with reason", "changes_response", r("changes_response", `"state":"rejected"`, `"state":"ready"`), ErrInvalid, "reason"},
		{"changes bad window", "changes_response", r("changes_response", `"batch_max_items":20`, `"batch_max_items":20,"maintenance_window":"25:00-05:00"`), ErrInvalid, "maintenance window"},
		{"changes short idle timeout", "changes_response", r("changes_response", `"batch_max_items":20`, `"batch_max_items":20,"idle_timeout":"10s"`), ErrInvalid, "idle timeout"},
		{"changes unknown printer", "changes_response", r("changes_response", `"batch_max_items":20`, `"batch_max_items":20,"printer_profile":"a4"`), ErrInvalid, "printer profile"},
		{"changes bad duration", "changes_response", r("changes_response", `"batch_max_items":20`, `"feed_wait":"forever","batch_max_items":20`), ErrMalformed, "duration"},
		{"telemetry valid", "telemetry", g("telemetry"), nil, ""},
		{"telemetry unknown health", "telemetry", r("telemetry", `"health":"ok"`, `"health":"smoking"`), ErrInvalid, "health"},
		{"telemetry negative queue", "telemetry", r("telemetry", `"queue_depth":3`, `"queue_depth":-3`), ErrInvalid, "queue"},
		{"telemetry control character", "telemetry", r("telemetry", `"detail":"paper near end"`, `"detail":"paper\u0007"`), ErrInvalid, ""},
		{"telemetry update past total", "telemetry", r("telemetry", `"bytes":1024`, `"bytes":8192`), ErrInvalid, "progress"},
		{"telemetry ack valid", "telemetry_ack", g("telemetry_ack"), nil, ""},
		{"problem valid", "problem", g("problem"), nil, ""},
		{"problem status 200", "problem", r("problem", `"status":403`, `"status":200`), ErrInvalid, "status"},
		{"enrol response short document key", "enrol_response", r("enrol_response", `"document_keys":{"mj-ref-2026":"`, `"document_keys":{"mj-ref-2026":"AAAA`), ErrInvalid, "document key"},
		{"fines query valid", "fines_query", g("fines_query"), nil, ""},
		{"fines query both numbers", "fines_query", r("fines_query", `"national_number"`, `"pv_number":"1-RF-2026","national_number"`), ErrInvalid, "exactly one"},
		{"fines query neither", "fines_query", `{"kiosk_id":"k1","message_id":"m1"}`, ErrInvalid, "exactly one"},
		{"fines query bad number", "fines_query", r("fines_query", `"BE123456"`, `"BE 123456"`), ErrInvalid, "national number"},
		{"fines response valid", "fines_response", g("fines_response"), nil, ""},
		{"fines response null", "fines_response", `{"kiosk_id":"k1","message_id":"m1","fines":null}`, ErrInvalid, "missing"},
		{"fines response zero amount", "fines_response", r("fines_response", `"amount":30000`, `"amount":0`), ErrInvalid, "amount"},
		{"fines response currency", "fines_response", r("fines_response", `"currency":"MAD"`, `"currency":"mad"`), ErrInvalid, "currency"},
		{"extract request valid", "extract_request", g("extract_request"), nil, ""},
		{"extract request bad birth date", "extract_request", r("extract_request", `"1990-04-17"`, `"17/04/1990"`), ErrInvalid, "birth date"},
		{"extract request no holder", "extract_request", r("extract_request", `"national_number":"BE123456"`, `"national_number":""`), ErrInvalid, "national number"},
		{"extract response valid", "extract_response", g("extract_response"), nil, ""},
		{"extract response not json", "extract_response", r("extract_response", `"extract":"`, `"extract":"AAAA`), ErrInvalid, "JSON"},
		{"extract response wrong document", "extract_response", r("extract_response", `"name":"signers"`, `"name":"courts"`), ErrInvalid, "signers"},
		{"delivered valid", "delivered_request", g("delivered_request"), nil, ""},
		{"delivered no time", "delivered_request", r("delivered_request", `,"at":"2026-03-02T09:30:00Z"`, ``), ErrInvalid, "at"},
		{"delivered ack valid", "delivered_ack", g("delivered_ack"), nil, ""},
		{"delivered ack wrong state", "delivered_ack", r("delivered_ack", `"state":"delivered"`, `"state":"ready"`), ErrInvalid, "state"},
		{"report valid", "provisioning_report", g("provisioning_report"), nil, ""},
		{"report no steps", "provisioning_report", `{"kiosk_id":"k1","message_id":"m1","at":"2026-03-02T09:30:00Z","software_version":"1","steps":[]}`, ErrInvalid, "steps"},
		{"report bad step", "provisioning_report", r("provisioning_report", `"name":"enrol"`, `"name":"en rol"`), ErrInvalid, "step 0"},
		{"decommissioning valid", "decommissioning", g("decommissioning"), nil, ""},
		{"decommissioning queue without force", "decommissioning", r("decommissioning", `"forced":true`, `"forced":false`), ErrInvalid, "send the queue first"},
		{"decommissioning no reason", "decommissioning", r("decommissioning", `"court moved"`, `""`), ErrInvalid, "reason"},
		{"report ack valid", "report_ack", g("report_ack"), nil, ""},
		{"diagnostics valid", "diagnostics_bundle", g("diagnostics_bundle"), nil, ""},
		{"diagnostics repeated file", "diagnostics_bundle", r("diagnostics_bundle", `"peripherals.txt"`, `"log.txt"`), ErrInvalid, "repeated"},
		{"diagnostics control characters", "diagnostics_bundle", r("diagnostics_bundle", `idscan connected`, `idscan\u0000connected`), ErrInvalid, "not text"},
	}
}

// newMessage returns an empty message of the golden kind.
func newMessage(kind string) Message {
	switch kind {
	case "enrol_request":
		return new(EnrolRequest)
	case "enrol_response":
		return new(EnrolResponse)
	case "renew_request":
		return new(RenewRequest)
	case "renew_response":
		return new(RenewResponse)
	case "request_batch":
		return new(RequestBatch)
	case "batch_response":
		return new(BatchResponse)
	case "changes_response":
		return new(ChangesResponse)
	case "telemetry":
		return new(Telemetry)
	case "telemetry_ack":
		return new(TelemetryAck)
	case "problem":
		return new(Problem)
	case "fines_query":
		return new(FinesQuery)
	case "fines_response":
		return new(FinesResponse)
	case "extract_request":
		return new(ExtractRequest)
	case "extract_response":
		return new(ExtractResponse)
	case "delivered_request":
		return new(DeliveredRequest)
	case "delivered_ack":
		return new(DeliveredAck)
	case "provisioning_report":
		return new(ProvisioningReport)
	case "decommissioning":
		return new(Decommissioning)
	case "report_ack":
		return new(ReportAck)
	case "diagnostics_bundle":
		return new(DiagnosticsBundle)
	}
	panic("unknown kind " + kind)
}

func TestUnmarshal(t *testing.T) {
	for _, tt := range decodeCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			m := newMessage(tt.kind)
			err := Unmarshal([]byte(tt.in), m)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Unmarshal(%s) = %v, want nil", tt.kind, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.detail) {
				t.Fatalf("Unmarshal(%s) = %v, want %v containing %q", tt.kind, err, tt.wantErr, tt.detail)
			}
			// ReadBody agrees with Unmarshal.
			if err2 := ReadBody(strings.NewReader(tt.in), newMessage(tt.kind)); !errors.Is(err2, tt.wantErr) {
				t.Errorf("ReadBody(%s) = %v, want %v", tt.kind, err2, tt.wantErr)
			}
		})
	}
}

// fuzzDecoder checks, for one message kind, that decoding never panics and
// that whatever decodes re-encodes and decodes to the same message.
func fuzzDecoder(f *testing.F, kind string) {
	for _, tt := range decodeCases(f) {
		if tt.kind == kind && len(tt.in) < 1<<16 {
			f.Add([]byte(tt.in))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := newMessage(kind)
		if err := Unmarshal(b, m); err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("Unmarshal(%s) = %v, not one of the sentinel errors", kind, err)
			}
			return
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatalf("Marshal(accepted %s) = %v", kind, err)
		}
		back := newMessage(kind)
		if err := Unmarshal(out, back); err != nil {
			t.Fatalf("Unmarshal(Marshal(accepted %s)) = %v", kind, err)
		}
		if diff := cmp.Diff(m, back); diff != "" {
			t.Fatalf("round trip of %s differs (-first +second):\n%s", kind, diff)
		}
	})
}

func FuzzEnrolRequest(f *testing.F)       { fuzzDecoder(f, "enrol_request") }
func FuzzEnrolResponse(f *testing.F)      { fuzzDecoder(f, "enrol_response") }
func FuzzRenewRequest(f *testing.F)       { fuzzDecoder(f, "renew_request") }
func FuzzRenewResponse(f *testing.F)      { fuzzDecoder(f, "renew_response") }
func FuzzRequestBatch(f *testing.F)       { fuzzDecoder(f, "request_batch") }
func FuzzBatchResponse(f *testing.F)      { fuzzDecoder(f, "batch_response") }
func FuzzChangesResponse(f *testing.F)    { fuzzDecoder(f, "changes_response") }
func FuzzTelemetry(f *testing.F)          { fuzzDecoder(f, "telemetry") }
func FuzzTelemetryAck(f *testing.F)       { fuzzDecoder(f, "telemetry_ack") }
func FuzzProblem(f *testing.F)            { fuzzDecoder(f, "problem") }
func FuzzFinesQuery(f *testing.F)         { fuzzDecoder(f, "fines_query") }
func FuzzFinesResponse(f *testing.F)      { fuzzDecoder(f, "fines_response") }
func FuzzExtractRequest(f *testing.F)     { fuzzDecoder(f, "extract_request") }
func FuzzExtractResponse(f *testing.F)    { fuzzDecoder(f, "extract_response") }
func FuzzDelivered(f *testing.F)          { fuzzDecoder(f, "delivered_request") }
func FuzzDeliveredAck(f *testing.F)       { fuzzDecoder(f, "delivered_ack") }
func FuzzProvisioningReport(f *testing.F) { fuzzDecoder(f, "provisioning_report") }
func FuzzDecommissioning(f *testing.F)    { fuzzDecoder(f, "decommissioning") }
func FuzzReportAck(f *testing.F)          { fuzzDecoder(f, "report_ack") }
func FuzzDiagnosticsBundle(f *testing.F)  { fuzzDecoder(f, "diagnostics_bundle") }

var queryCases = []struct {
	name    string
	in      string
	want    ChangesQuery
	wantErr string
}{
	{"minimal", "kiosk=ma-casa-tpi-01&since=0", ChangesQuery{KioskID: "ma-casa-tpi-01"}, ""},
	{"all", "kiosk=k1&since=41&wait=30&limit=100", ChangesQuery{KioskID: "k1", Since: 41, Wait: 30 * time.Second, Limit: 100}, ""},
	{"no since", "kiosk=k1", ChangesQuery{}, "since is missing"},
	{"no kiosk", "since=3", ChangesQuery{}, "kiosk"},
	{"negative since", "kiosk=k1&since=-1", ChangesQuery{}, "decimal"},
	{"leading zero", "kiosk=k1&since=01", ChangesQuery{}, "decimal"},
	{"plus sign", "kiosk=k1&since=%2B1", ChangesQuery{}, "decimal"},
	{"wait too long", "kiosk=k1&since=1&wait=61", ChangesQuery{}, "over 60"},
	{"limit zero", "kiosk=k1&since=1&limit=0", ChangesQuery{}, "limit"},
	{"twice", "kiosk=k1&since=1&since=2", ChangesQuery{}, "2 times"},
	{"unknown", "kiosk=k1&since=1&debug=1", ChangesQuery{}, "unknown query parameter"},
	{"since overflow", "kiosk=k1&since=99999999999999999999", ChangesQuery{}, "over"},
	{"bad escape", "kiosk=k1&since=%zz", ChangesQuery{}, "query"},
}

func TestParseChangesQuery(t *testing.T) {
	for _, tt := range queryCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChangesQuery(tt.in)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseChangesQuery(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseChangesQuery(%q) = %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseChangesQuery(%q) (-want +got):\n%s", tt.in, diff)
			}
			again, err := ParseChangesQuery(got.Values().Encode())
			if err != nil || again != got {
				t.Errorf("ParseChangesQuery(Values()) = %+v, %v, want %+v", again, err, got)
			}
		})
	}
}

func FuzzChangesQuery(f *testing.F) {
	for _, tt := range queryCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseChangesQuery(s)
		if err != nil {
			return
		}
		again, err := ParseChangesQuery(q.Values().Encode())
		if err != nil || again != q {
			t.Fatalf("ParseChangesQuery(Values()) = %+v, %v, want %+v", again, err, q)
		}
	})
}

func TestBodyHash(t *testing.T) {
	base := fixtureItem(1)
	// Each change of one field must change the hash; the table names them.
	changes := []struct {
		name string
		edit func(*RequestItem)
	}{
		{"request id", func(it *RequestItem) { it.RequestID = fixtureItem(2).RequestID }},
		{"tracking", func(it *RequestItem) { it.Tracking = fixtureTracking(2) }},
		{"service", func(it *RequestItem) { it.Service = "watiqa" }},
		{"court", func(it *RequestItem) { it.Court = "tpi-rabat" }},
		{"fee", func(it *RequestItem) { it.Fee++ }},
		{"currency", func(it *RequestItem) { it.Currency = "XOF" }},
		{"pack version", func(it *RequestItem) { it.PackVersion++ }},
		{"created at", func(it *RequestItem) { it.CreatedAt = it.CreatedAt.Add(time.Nanosecond) }},
		{"sealed", func(it *RequestItem) { it.Sealed = append(bytes.Clone(it.Sealed), 0) }},
		// Length prefixes keep "ab"+"c" apart from "a"+"bc".
		{"service/court boundary", func(it *RequestItem) { it.Service, it.Court = it.Service+"t", it.Court[1:] }},
	}
	for _, tt := range changes {
		t.Run(tt.name, func(t *testing.T) {
			it := base
			tt.edit(&it)
			if it.ComputeBodyHash() == base.ComputeBodyHash() {
				t.Errorf("ComputeBodyHash() unchanged after editing %s", tt.name)
			}
		})
	}
	t.Run("body hash field excluded", func(t *testing.T) {
		it := base
		it.BodyHash = Hash{1}
		if it.ComputeBodyHash() != base.ComputeBodyHash() {
			t.Errorf("ComputeBodyHash() depends on BodyHash")
		}
	})
	t.Run("time zone excluded", func(t *testing.T) {
		it := base
		it.CreatedAt = it.CreatedAt.In(time.FixedZone("WEST", 3600))
		if it.ComputeBodyHash() != base.ComputeBodyHash() {
			t.Errorf("ComputeBodyHash() depends on the time zone")
		}
	})
}

func TestKioskIDFromCertificate(t *testing.T) {
	leafPEM, caPEM := fixtureCerts(t)
	leaf, err := ParseCertificates(leafPEM)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := ParseCertificates(caPEM)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := KioskIDFromCertificate(leaf[0]); got != fixtureKiosk || err != nil {
		t.Errorf("KioskIDFromCertificate(leaf) = %q, %v, want %q", got, err, fixtureKiosk)
	}
	if got, err := KioskIDFromCertificate(ca[0]); err == nil {
		t.Errorf("KioskIDFromCertificate(CA) = %q, want an error", got)
	}
	other := *leaf[0]
	other.URIs = []*url.URL{KioskURI("ma-rabat-01")}
	if got, err := KioskIDFromCertificate(&other); err == nil {
		t.Errorf("KioskIDFromCertificate(CN and SAN disagree) = %q, want an error", got)
	}
}

func TestNegotiate(t *testing.T) {
	got := Negotiate(RegistryCapabilities, []Capability{"feed.future", CapTelemetry, CapBatch, CapBatch})
	want := []Capability{CapBatch, CapTelemetry}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Negotiate() (-want +got):\n%s", diff)
	}
}

func TestSignedDocument(t *testing.T) {
	d := fixtureDocument()
	if !d.Verify(signerKey.Public().(ed25519.PublicKey)) {
		t.Fatal("Verify(signer) = false, want true")
	}
	if d.Verify(caKey.Public().(ed25519.PublicKey)) {
		t.Error("Verify(other key) = true, want false")
	}
	rolled := *d
	rolled.Version--
	if rolled.Verify(signerKey.Public().(ed25519.PublicKey)) {
		t.Error("Verify(version changed) = true, want false")
	}
}

func TestMarshalRefusesInvalid(t *testing.T) {
	it := fixtureItem(1)
	it.Fee = 1 // hash no longer matches
	if _, err := Marshal(&RequestBatch{KioskID: fixtureKiosk, MessageID: "m1", Items: []RequestItem{it}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("Marshal(altered item) = %v, want ErrInvalid", err)
	}
}
