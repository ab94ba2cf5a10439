package wire

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"net/url"
	"testing"
	"time"

	"guichet/kiosk/request"
	"guichet/kiosk/tracking"
)

// The fixtures are deterministic (Ed25519 signs without randomness) so that
// the golden files stay byte-for-byte stable.
var (
	t0        = time.Date(2026, time.March, 2, 9, 30, 0, 0, time.UTC)
	kioskKey  = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	caKey     = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	signerKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{11}, 32))
)

const fixtureKiosk = "ma-casa-tpi-01"

func fixtureTracking(n int) tracking.Number {
	g := tracking.NewGenerator(fixtureKiosk, func() time.Time { return t0 }, bytes.NewReader(bytes.Repeat([]byte{3}, 64)))
	var num tracking.Number
	for range n {
		num = g.Next()
	}
	return num
}

func fixtureCSR(tb testing.TB) string {
	der, err := x509.CreateCertificateRequest(nil, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: fixtureKiosk},
	}, kioskKey)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func fixtureCerts(tb testing.TB) (leaf, ca string) {
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Guichet registry CA"},
		NotBefore:             t0,
		NotAfter:              t0.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(nil, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		tb.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: fixtureKiosk},
		URIs:         []*url.URL{KioskURI(fixtureKiosk)},
		NotBefore:    t0,
		NotAfter:     t0.AddDate(0, 0, 30),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	leafDER, err := x509.CreateCertificate(nil, leafTmpl, caCert, kioskKey.Public(), caKey)
	if err != nil {
		tb.Fatal(err)
	}
	enc := func(der []byte) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	return enc(leafDER), enc(caDER)
}

func fixtureItem(n int) RequestItem {
	id := []string{"", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "a1b2c3d4e5f60718293a4b5c6d7e8f90", "00000000000000000000000000000001"}[n]
	return NewRequestItem(request.Request{
		ID:          id,
		Tracking:    fixtureTracking(n),
		Service:     "bulletin3",
		Court:       "tpi-casablanca",
		Fee:         2000,
		Currency:    "MAD",
		PackVersion: 3,
		CreatedAt:   t0.Add(time.Duration(n) * time.Minute),
	}, append([]byte("GS\x01sealed-"), byte('0'+n)))
}

func fixtureDocument() *SignedDocument {
	d := &SignedDocument{
		Name:    "courts",
		Version: 12,
		Issued:  t0,
		Expires: t0.AddDate(0, 3, 0),
		KeyID:   "mj-ref-2026",
		Payload: []byte(`{"courts":[{"id":"tpi-casablanca","name_ar":"المحكمة الابتدائية بالدار البيضاء"}]}`),
	}
	d.Sign(signerKey)
	return d
}

// examples are one valid message of each type, by golden file name.
func examples(tb testing.TB) map[string]Message {
	leaf, ca := fixtureCerts(tb)
	return map[string]Message{
		"enrol_request": &EnrolRequest{
			KioskID: fixtureKiosk, MessageID: "m-0001", Token: "TOK-7Q4K-9XMP-2WRT",
			CSR: fixtureCSR(tb), SoftwareVersion: "0.3.1",
			Capabilities: []Capability{CapBatch, CapFeedStatus, CapFeedConfig, CapTelemetry, "feed.future"},
		},
		"enrol_response": &EnrolResponse{
			KioskID: fixtureKiosk, Serial: "MA-000042", Certificate: leaf, NotAfter: t0.AddDate(0, 0, 30),
			RegistryCA: ca, RegistryKey: "hpke-x25519:7vTq0v8M0n3c2T0xj3l7nC2G1uY8o9bJq0c5yW2xZ1k",
			Court: "tpi-casablanca", CountryPack: "ma", PackVersion: 3,
			Capabilities:  []Capability{CapBatch, CapFeedStatus, CapFeedConfig, CapTelemetry},
			Configuration: Settings{Version: 1, TelemetryInterval: Duration(5 * time.Minute), FeedWait: Duration(30 * time.Second), BatchMaxItems: 50},
			ServerTime:    t0,
			DocumentKeys:  map[string][]byte{"mj-ref-2026": signerKey.Public().(ed25519.PublicKey)},
		},
		"renew_request":  &RenewRequest{KioskID: fixtureKiosk, MessageID: "m-0002", CSR: fixtureCSR(tb)},
		"renew_response": &RenewResponse{KioskID: fixtureKiosk, Certificate: leaf, NotAfter: t0.AddDate(0, 0, 30)},
		"request_batch":  &RequestBatch{KioskID: fixtureKiosk, MessageID: "m-0003", Items: []RequestItem{fixtureItem(1), fixtureItem(2)}},
		"batch_response": &BatchResponse{KioskID: fixtureKiosk, MessageID: "m-0003", Results: []ItemResult{
			{RequestID: fixtureItem(1).RequestID, Outcome: Accepted, BodyHash: fixtureItem(1).BodyHash, ReceivedAt: t0, State: request.Acknowledged},
			{RequestID: fixtureItem(2).RequestID, Outcome: Duplicate, BodyHash: fixtureItem(2).BodyHash, ReceivedAt: t0.Add(-time.Hour), State: request.InProcessing},
			{RequestID: fixtureItem(3).RequestID, Outcome: Conflict, BodyHash: fixtureItem(1).BodyHash, ReceivedAt: t0.Add(-time.Hour), Code: RejectConflict, Reason: "another body was stored under this request id"},
			{RequestID: "ffffffffffffffffffffffffffffffff", Outcome: Rejected, Code: RejectUnsealable, Reason: "the sealed payload does not open for this request id"},
		}},
		"changes_response": &ChangesResponse{KioskID: fixtureKiosk, Since: 41, Next: 44, More: true, Changes: []Change{
			{Seq: 42, Kind: ChangeRequestStatus, At: t0, Status: &StatusChange{RequestID: fixtureItem(1).RequestID, Tracking: fixtureTracking(1), State: request.Rejected, Reason: "lieu de naissance incomplet", UpdatedAt: t0}},
			{Seq: 43, Kind: ChangeReferenceData, At: t0, Document: fixtureDocument()},
			{Seq: 44, Kind: ChangeConfiguration, At: t0, Settings: &Settings{Version: 2, BatchMaxItems: 20, Message: "Papier livré mardi"}},
		}},
		"telemetry": &Telemetry{
			KioskID: fixtureKiosk, MessageID: "m-0004", At: t0, SoftwareVersion: "0.3.1", CountryPack: "ma", PackVersion: 3,
			Capabilities: []Capability{CapBatch, CapTelemetry},
			Peripherals: []Peripheral{
				{Name: "receipt_printer", Health: HealthDegraded, Detail: "paper near end", Since: t0.Add(-time.Hour)},
				{Name: "id_scanner", Health: HealthOK, Since: t0.Add(-24 * time.Hour)},
			},
			Paper:      []Paper{{Printer: "receipt_printer", Level: PaperLow}, {Printer: "laser_printer", Level: PaperOK}},
			QueueDepth: 3, OldestEntryAge: Duration(17 * time.Minute), FeedSince: 44,
			AuditHead:    AuditHead{Seq: 9001, Hash: Hash{0xab, 0xcd}},
			CertNotAfter: t0.AddDate(0, 0, 30), Alarms: []string{"audit_tamper"}, LastFeedAt: t0.Add(-time.Minute),
			Update: &UpdateState{State: "downloading", Running: "0.3.1", Target: "0.4.0", Bytes: 1024, Total: 4096, Failed: []string{"0.3.9"}, Rollback: "0.3.9: health check failed: receipt printer did not answer"},
		},
		"telemetry_ack": &TelemetryAck{KioskID: fixtureKiosk, MessageID: "m-0004", ServerTime: t0, Capabilities: []Capability{CapBatch}, FeedHead: 44},
		"problem":       NewProblem(403, CodeIdentityMismatch, "Forbidden", "body kiosk id is not the certificate's").WithRetryAfter(0),
		"fines_query":   &FinesQuery{KioskID: fixtureKiosk, MessageID: "m-0005", NationalNumber: "BE123456"},
		"fines_response": &FinesResponse{KioskID: fixtureKiosk, MessageID: "m-0005", Fines: []Fine{
			{PVNumber: "12345678-RF-2026", Amount: 30000, Currency: "MAD", Date: t0.AddDate(0, -2, 0), Place: "A7 PK 112, Settat", Court: "tpi-settat"},
		}},
		"extract_request": &ExtractRequest{KioskID: fixtureKiosk, MessageID: "m-0006", Tracking: fixtureTracking(1),
			Holder: Holder{NationalNumber: "BE123456", DocumentNumber: "ZX9876543", BirthDate: "1990-04-17"}},
		"extract_response": &ExtractResponse{KioskID: fixtureKiosk, MessageID: "m-0006", Tracking: fixtureTracking(1),
			Extract: []byte(`{"number":"B3/2026/000042"}`), Signers: *fixtureSigners()},
		"delivered_request": &DeliveredRequest{KioskID: fixtureKiosk, MessageID: "m-0007", Tracking: fixtureTracking(1), At: t0},
		"delivered_ack":     &DeliveredAck{KioskID: fixtureKiosk, MessageID: "m-0007", Tracking: fixtureTracking(1), State: request.Delivered},
		"provisioning_report": &ProvisioningReport{KioskID: fixtureKiosk, MessageID: "m-0008", At: t0, SoftwareVersion: "0.3.1", Technician: "Rachid",
			Steps: []ReportStep{{Name: "enrol", OK: true, Detail: "enrolled as MA-000042"}, {Name: "receipt", OK: false, Detail: "paper out: load a roll and run provision again"}}},
		"decommissioning": &Decommissioning{KioskID: fixtureKiosk, MessageID: "m-0009", At: t0, Reason: "court moved", QueueDepth: 2, Forced: true},
		"report_ack":      &ReportAck{KioskID: fixtureKiosk, MessageID: "m-0009", ReceivedAt: t0},
		"diagnostics_bundle": &DiagnosticsBundle{KioskID: fixtureKiosk, MessageID: "m-0010", Request: "diag-7", At: t0, SoftwareVersion: "0.3.1",
			Files: []DiagnosticFile{{Name: "log.txt", Content: "time=2026-03-02T09:29:00Z level=INFO msg=\"home screen is up\"\n"}, {Name: "peripherals.txt", Content: "idscan connected\n"}}},
	}
}

func fixtureSigners() *SignedDocument {
	d := &SignedDocument{
		Name:    DocSigners,
		Version: 3,
		Issued:  t0,
		KeyID:   "mj-ref-2026",
		Payload: []byte(`[{"key_id":"greffier-casa-1","role":"clerk","court":"tpi-casablanca","public":"` + base64.StdEncoding.EncodeToString(kioskKey.Public().(ed25519.PublicKey)) + `"}]`),
	}
	d.Sign(signerKey)
	return d
}
