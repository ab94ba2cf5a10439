package wire

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Capability names a feature one side understands. The kiosk advertises its
// capabilities at enrolment and in every Telemetry; the registry answers with
// those it will use (Negotiate), and never sends a change kind the kiosk did
// not advertise.
type Capability string

// The capabilities of protocol version 1.
const (
	CapBatch         Capability = "requests.batch"   // POST /v1/requests with RequestBatch
	CapFeedStatus    Capability = "feed.status"      // ChangeRequestStatus
	CapFeedRefData   Capability = "feed.reference"   // ChangeReferenceData
	CapFeedUpdate    Capability = "feed.update"      // ChangeUpdateManifest
	CapFeedConfig    Capability = "feed.config"      // ChangeConfiguration
	CapTelemetry     Capability = "telemetry"        // POST /v1/telemetry
	CapRenew         Capability = "cert.renew"       // POST /v1/renew
	CapLongPoll      Capability = "feed.longpoll"    // GET /v1/changes honours wait
	CapExtractOnline Capability = "extract.download" // POST /v1/extract and /v1/delivered
	CapFines         Capability = "fines.lookup"     // POST /v1/fines
)

// RegistryCapabilities are the capabilities this package's version of the
// registry implements.
var RegistryCapabilities = []Capability{CapBatch, CapFeedStatus, CapFeedRefData, CapFeedUpdate, CapFeedConfig, CapTelemetry, CapRenew, CapLongPoll, CapExtractOnline, CapFines}

// MaxCapabilities bounds a capability list.
const MaxCapabilities = 64

// Negotiate returns the capabilities both sides support, in the order of
// ours, without duplicates.
func Negotiate(ours, theirs []Capability) []Capability {
	var out []Capability
	for _, c := range ours {
		if slices.Contains(theirs, c) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func checkCapabilities(cs []Capability) error {
	if len(cs) > MaxCapabilities {
		return invalid("%d capabilities, limit %d", len(cs), MaxCapabilities)
	}
	for _, c := range cs {
		if !validName(string(c), MaxName) {
			return invalid("capability %q is not a valid name", clip(string(c)))
		}
	}
	return nil
}

// Token limits: an enrolment token is what a technician types or scans.
const (
	MinTokenLen = 16
	MaxTokenLen = 128
)

// EnrolRequest is the body of POST /v1/enrol: a kiosk that has no
// certificate yet presents a one-time token from operations and a CSR for
// the key it generated. The CSR's subject is not trusted: the registry
// writes the kiosk id into the certificate itself.
type EnrolRequest struct {
	KioskID         string       `json:"kiosk_id"`
	MessageID       string       `json:"message_id"`
	Token           string       `json:"token"`   // one-time enrolment token
	CSR             string       `json:"csr_pem"` // PKCS #10, PEM "CERTIFICATE REQUEST"
	SoftwareVersion string       `json:"software_version"`
	Capabilities    []Capability `json:"capabilities"`
}

func (EnrolRequest) maxBody() int { return MaxEnrolBody }

// Validate checks the header, the token's shape and that the CSR parses and
// is self-signed correctly.
func (r EnrolRequest) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	if len(r.Token) < MinTokenLen || len(r.Token) > MaxTokenLen || !validName(r.Token, MaxTokenLen) {
		return invalid("enrolment token is not %d to %d letters, digits, '-', '_' or '.'", MinTokenLen, MaxTokenLen)
	}
	if _, err := ParseCSR(r.CSR); err != nil {
		return err
	}
	if !validText(r.SoftwareVersion, MaxName) || r.SoftwareVersion == "" {
		return invalid("software version %q is not valid", clip(r.SoftwareVersion))
	}
	return checkCapabilities(r.Capabilities)
}

// ParseCSR decodes one PEM "CERTIFICATE REQUEST" block and checks its
// signature. Only Ed25519 and ECDSA P-256 keys are accepted.
func ParseCSR(s string) (*x509.CertificateRequest, error) {
	block, rest := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, invalid("csr_pem holds no PEM CERTIFICATE REQUEST")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, invalid("csr_pem has data after the request")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: csr: %w", ErrInvalid, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("%w: csr signature: %w", ErrInvalid, err)
	}
	switch csr.PublicKeyAlgorithm {
	case x509.Ed25519, x509.ECDSA:
	default:
		return nil, invalid("csr key algorithm %s not accepted (Ed25519 or ECDSA P-256)", csr.PublicKeyAlgorithm)
	}
	return csr, nil
}

// EnrolResponse is the answer to a successful enrolment. The kiosk pins
// RegistryCA from then on, seals to RegistryKey, and prints Serial on its
// technician page.
type EnrolResponse struct {
	KioskID       string       `json:"kiosk_id"`
	Serial        string       `json:"serial"`          // registry-assigned, e.g. "MA-000042"
	Certificate   string       `json:"certificate_pem"` // the kiosk's client certificate, PEM
	NotAfter      time.Time    `json:"not_after"`       // renew before this (PathRenew)
	RegistryCA    string       `json:"registry_ca_pem"` // the CA that signs the registry's server and kiosk certificates
	RegistryKey   string       `json:"registry_key"`    // HPKE public key, text form of kiosk/seal ("hpke-x25519:…")
	Court         string       `json:"court"`           // the court whose lobby the kiosk stands in
	CountryPack   string       `json:"country_pack"`    // pack code, "ma", "tg"
	PackVersion   int          `json:"pack_version"`    // the pack version the registry expects
	Capabilities  []Capability `json:"capabilities"`    // negotiated
	Configuration Settings     `json:"configuration"`   // the kiosk's initial settings
	ServerTime    time.Time    `json:"server_time"`
	// DocumentKeys are the Ed25519 public keys, by key id, that sign the
	// documents the registry publishes (reference data, the extract
	// signers); the kiosk pins them with the CA.
	DocumentKeys map[string][]byte `json:"document_keys,omitempty"`
}

func (EnrolResponse) maxBody() int { return MaxEnrolBody }

// Validate checks every field; the certificate and CA must parse.
func (r EnrolResponse) Validate() error {
	if !ValidKioskID(r.KioskID) {
		return invalid("kiosk id %q is not valid", clip(r.KioskID))
	}
	if !validName(r.Serial, MaxName) {
		return invalid("serial %q is not valid", clip(r.Serial))
	}
	if _, err := ParseCertificates(r.Certificate); err != nil {
		return fmt.Errorf("%w (certificate)", err)
	}
	if _, err := ParseCertificates(r.RegistryCA); err != nil {
		return fmt.Errorf("%w (registry CA)", err)
	}
	if err := checkTime("not_after", r.NotAfter); err != nil {
		return err
	}
	if !strings.HasPrefix(r.RegistryKey, "hpke-x25519:") || !validText(r.RegistryKey, 128) {
		return invalid("registry key %q is not an hpke-x25519 key", clip(r.RegistryKey))
	}
	if !validName(r.Court, MaxName) {
		return invalid("court %q is not valid", clip(r.Court))
	}
	if !validPackCode(r.CountryPack) {
		return invalid("country pack %q is not a two-letter code", clip(r.CountryPack))
	}
	if r.PackVersion < 0 {
		return invalid("negative pack version")
	}
	if err := r.Configuration.Validate(); err != nil {
		return err
	}
	if err := checkTime("server_time", r.ServerTime); err != nil {
		return err
	}
	if err := checkDocumentKeys(r.DocumentKeys); err != nil {
		return err
	}
	return checkCapabilities(r.Capabilities)
}

func validPackCode(s string) bool {
	return len(s) == 2 && 'a' <= s[0] && s[0] <= 'z' && 'a' <= s[1] && s[1] <= 'z'
}

// MaxCertificates bounds the blocks of a PEM certificate field.
const MaxCertificates = 4

// ParseCertificates decodes one to MaxCertificates PEM "CERTIFICATE" blocks,
// leaf first.
func ParseCertificates(s string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := []byte(s)
	for len(strings.TrimSpace(string(rest))) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil || block.Type != "CERTIFICATE" {
			return nil, invalid("not a PEM CERTIFICATE")
		}
		if len(out) == MaxCertificates {
			return nil, invalid("more than %d certificates", MaxCertificates)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate: %w", ErrInvalid, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, invalid("no certificate")
	}
	return out, nil
}

// RenewRequest is the body of POST /v1/renew: a kiosk whose certificate is
// still valid asks for a new one for a new key before it expires.
type RenewRequest struct {
	KioskID   string `json:"kiosk_id"`
	MessageID string `json:"message_id"`
	CSR       string `json:"csr_pem"`
}

func (RenewRequest) maxBody() int { return MaxEnrolBody }

// Validate checks the header and the CSR.
func (r RenewRequest) Validate() error {
	if err := checkHeader(r.KioskID, r.MessageID); err != nil {
		return err
	}
	_, err := ParseCSR(r.CSR)
	return err
}

// RenewResponse carries the new certificate.
type RenewResponse struct {
	KioskID     string    `json:"kiosk_id"`
	Certificate string    `json:"certificate_pem"`
	NotAfter    time.Time `json:"not_after"`
}

func (RenewResponse) maxBody() int { return MaxEnrolBody }

// Validate checks every field.
func (r RenewResponse) Validate() error {
	if !ValidKioskID(r.KioskID) {
		return invalid("kiosk id %q is not valid", clip(r.KioskID))
	}
	if _, err := ParseCertificates(r.Certificate); err != nil {
		return err
	}
	return checkTime("not_after", r.NotAfter)
}

// KioskURIScheme and KioskURIPrefix form the URI SAN of a kiosk
// certificate: "urn:guichet:kiosk:<kiosk id>". The certificate's common name
// is the kiosk id too; the registry requires both to agree.
const KioskURIPrefix = "guichet:kiosk:"

// KioskURI returns the URI SAN naming the kiosk id.
func KioskURI(kioskID string) *url.URL {
	return &url.URL{Scheme: "urn", Opaque: KioskURIPrefix + kioskID}
}

// KioskIDFromCertificate returns the kiosk id a certificate names: its
// common name, which must match its only URI SAN. It checks nothing about
// the certificate's validity; the TLS layer does.
func KioskIDFromCertificate(c *x509.Certificate) (string, error) {
	cn := c.Subject.CommonName
	if !ValidKioskID(cn) {
		return "", invalid("certificate common name %q is not a kiosk id", clip(cn))
	}
	if len(c.URIs) != 1 {
		return "", invalid("certificate has %d URI SANs, want 1", len(c.URIs))
	}
	u := c.URIs[0]
	if u.Scheme != "urn" || u.Opaque != KioskURIPrefix+cn {
		return "", invalid("certificate URI SAN %q does not name kiosk %q", clip(u.String()), cn)
	}
	return cn, nil
}
