package client

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"guichet/kiosk/seal"
	"guichet/sync/wire"
)

// The files enrolment writes in the kiosk's data directory. cmd/guichet
// reads FileKioskID and FileRegistryKey to open its store.
const (
	FileKioskID     = "kiosk-id"           // the kiosk id, one line
	FileRegistryKey = "registry.pub"       // the registry's HPKE public key, kiosk/seal text form
	FileIdentity    = "kiosk-identity.pem" // the kiosk's private key and its certificate (0600)
	FileRegistryCA  = "registry-ca.pem"    // the registry CA, pinned: the only one trusted
	FileEnrolment   = "enrolment.json"     // serial, court, country pack, registry address, initial settings
	filePendingKey  = "enrol-pending.key"  // the key of an enrolment in progress (0600)
)

// ErrNotEnrolled is returned by LoadIdentity and New when the data
// directory holds no enrolment: the technician must enrol the kiosk.
var ErrNotEnrolled = errors.New("client: the kiosk is not enrolled")

// Identity is what enrolment gave the kiosk: its key and certificate, the
// registry CA it pins, the registry's sealing key, its court and country
// pack.
type Identity struct {
	Dir          string
	KioskID      string
	Serial       string // registry-assigned, for the technician page: "MA-000042"
	Court        string
	CountryPack  string
	PackVersion  int
	RegistryURL  string // "https://registry.justice.example:8443"
	Capabilities []wire.Capability
	Settings     wire.Settings // the initial settings from enrolment
	EnrolledAt   time.Time
	// DocumentKeys are the registry's document keys pinned at enrolment
	// (reference data, the extract signers), by key id.
	DocumentKeys map[string]ed25519.PublicKey

	Key         crypto.Signer // Ed25519
	Certificate *x509.Certificate
	CA          *x509.Certificate
	RegistryKey *seal.PublicKey
}

// enrolmentFile is the JSON of FileEnrolment.
type enrolmentFile struct {
	KioskID      string            `json:"kiosk_id"`
	Serial       string            `json:"serial"`
	Court        string            `json:"court"`
	CountryPack  string            `json:"country_pack"`
	PackVersion  int               `json:"pack_version"`
	RegistryURL  string            `json:"registry_url"`
	Capabilities []wire.Capability `json:"capabilities"`
	Settings     wire.Settings     `json:"settings"`
	EnrolledAt   time.Time         `json:"enrolled_at"`
	DocumentKeys map[string][]byte `json:"document_keys,omitempty"`
}

// maxFile bounds every identity file read.
const maxFile = 64 << 10

// decodeEnrolment decodes FileEnrolment strictly.
func decodeEnrolment(b []byte) (enrolmentFile, error) {
	var e enrolmentFile
	if len(b) > maxFile {
		return e, fmt.Errorf("client: %s is %d bytes", FileEnrolment, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("client: %s: %w", FileEnrolment, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return e, fmt.Errorf("client: %s: trailing data", FileEnrolment)
	}
	switch {
	case !wire.ValidKioskID(e.KioskID):
		return e, fmt.Errorf("client: %s: kiosk id %q is not valid", FileEnrolment, e.KioskID)
	case e.Serial == "" || e.Court == "" || len(e.CountryPack) != 2 || e.PackVersion < 0:
		return e, fmt.Errorf("client: %s: serial, court or country pack missing", FileEnrolment)
	case !strings.HasPrefix(e.RegistryURL, "https://"):
		return e, fmt.Errorf("client: %s: registry address %q is not https", FileEnrolment, e.RegistryURL)
	}
	if err := e.Settings.Validate(); err != nil {
		return e, fmt.Errorf("client: %s: %w", FileEnrolment, err)
	}
	for kid, k := range e.DocumentKeys {
		if len(k) != ed25519.PublicKeySize || len(kid) == 0 || len(kid) > wire.MaxName {
			return e, fmt.Errorf("client: %s: document key %q is not an Ed25519 public key", FileEnrolment, kid)
		}
	}
	return e, nil
}

// parseIdentityPEM decodes FileIdentity: one PKCS #8 "PRIVATE KEY" block
// (Ed25519 or ECDSA) and one "CERTIFICATE" block whose public key is the
// private key's.
func parseIdentityPEM(b []byte) (crypto.Signer, *x509.Certificate, error) {
	if len(b) > maxFile {
		return nil, nil, fmt.Errorf("client: %s is %d bytes", FileIdentity, len(b))
	}
	var key crypto.Signer
	var cert *x509.Certificate
	rest := b
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "PRIVATE KEY" && key == nil:
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("client: %s: key: %w", FileIdentity, err)
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, nil, fmt.Errorf("client: %s: key of type %T", FileIdentity, k)
			}
			key = s
		case block.Type == "CERTIFICATE" && cert == nil:
			c, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, nil, fmt.Errorf("client: %s: certificate: %w", FileIdentity, err)
			}
			cert = c
		default:
			return nil, nil, fmt.Errorf("client: %s: unexpected PEM block %q", FileIdentity, block.Type)
		}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, nil, fmt.Errorf("client: %s: data outside PEM blocks", FileIdentity)
	}
	if key == nil || cert == nil {
		return nil, nil, fmt.Errorf("client: %s: a key and a certificate are required", FileIdentity)
	}
	if !samePublicKey(key.Public(), cert.PublicKey) {
		return nil, nil, fmt.Errorf("client: %s: the certificate is not for the key", FileIdentity)
	}
	return key, cert, nil
}

func encodeIdentityPEM(key crypto.Signer, certDER []byte) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})...), nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// LoadIdentity reads the enrolment kept in dir and checks that its parts
// agree: the certificate is for the key, names the kiosk id and was issued
// by the pinned CA. It does not check expiry (an expired kiosk still knows
// who it is, and says so). A directory without FileIdentity is
// ErrNotEnrolled.
func LoadIdentity(dir string) (*Identity, error) {
	read := func(name string) ([]byte, error) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
		if err != nil {
			return nil, err
		}
		if len(b) > maxFile {
			return nil, fmt.Errorf("client: %s is over %d bytes", name, maxFile)
		}
		return b, nil
	}
	idb, err := read(FileIdentity)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (no %s in %s)", ErrNotEnrolled, FileIdentity, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	key, cert, err := parseIdentityPEM(idb)
	if err != nil {
		return nil, err
	}
	eb, err := read(FileEnrolment)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnrolled, err)
	}
	e, err := decodeEnrolment(eb)
	if err != nil {
		return nil, err
	}
	cab, err := read(FileRegistryCA)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnrolled, err)
	}
	cas, err := wire.ParseCertificates(string(cab))
	if err != nil {
		return nil, fmt.Errorf("client: %s: %w", FileRegistryCA, err)
	}
	kb, err := read(FileRegistryKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnrolled, err)
	}
	var rk seal.PublicKey
	if err := rk.UnmarshalText(bytes.TrimSpace(kb)); err != nil {
		return nil, fmt.Errorf("client: %s: %w", FileRegistryKey, err)
	}
	idFile, err := read(FileKioskID)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEnrolled, err)
	}
	id := &Identity{
		Dir: dir, KioskID: e.KioskID, Serial: e.Serial, Court: e.Court, CountryPack: e.CountryPack, PackVersion: e.PackVersion,
		RegistryURL: e.RegistryURL, Capabilities: e.Capabilities, Settings: e.Settings, EnrolledAt: e.EnrolledAt,
		Key: key, Certificate: cert, CA: cas[0], RegistryKey: &rk, DocumentKeys: documentKeys(e.DocumentKeys),
	}
	if got := strings.TrimSpace(string(idFile)); got != e.KioskID {
		return nil, fmt.Errorf("client: %s says %q but the enrolment is for %q", FileKioskID, got, e.KioskID)
	}
	if err := id.check(); err != nil {
		return nil, err
	}
	return id, nil
}

// check verifies that the certificate names the kiosk and chains to the
// pinned CA, at a time inside its validity (expiry is Status's concern).
func (id *Identity) check() error {
	name, err := wire.KioskIDFromCertificate(id.Certificate)
	if err != nil {
		return fmt.Errorf("client: certificate: %w", err)
	}
	if name != id.KioskID {
		return fmt.Errorf("client: the certificate names kiosk %q, this kiosk is %q", name, id.KioskID)
	}
	pool := x509.NewCertPool()
	pool.AddCert(id.CA)
	_, err = id.Certificate.Verify(x509.VerifyOptions{
		Roots: pool, CurrentTime: id.Certificate.NotBefore.Add(time.Second),
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return fmt.Errorf("client: the certificate was not issued by the pinned registry CA: %w", err)
	}
	return nil
}

// CAPool is a pool holding only the pinned registry CA.
func (id *Identity) CAPool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(id.CA)
	return p
}

// tlsCertificate is the client certificate for TLS.
func (id *Identity) tlsCertificate() *tls.Certificate {
	return &tls.Certificate{Certificate: [][]byte{id.Certificate.Raw}, PrivateKey: id.Key, Leaf: id.Certificate}
}

// Fingerprint is the SHA-256 of the certificate, for the technician page.
func (id *Identity) Fingerprint() string {
	return fmt.Sprintf("%x", sha256.Sum256(id.Certificate.Raw))
}

// newKey generates a kiosk key: Ed25519, which the registry's CSR parsing
// accepts and which signs the audit head cheaply.
func newKey() (crypto.Signer, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("client: generate key: %w", err)
	}
	return k, nil
}

// csrFor is a PEM certificate request for key naming kioskID. The registry
// writes the kiosk id into the certificate itself; the subject is a hint.
func csrFor(kioskID string, key crypto.Signer) (string, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: kioskID},
	}, key)
	if err != nil {
		return "", fmt.Errorf("client: certificate request: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})), nil
}

// sign signs msg with key: Ed25519 over the message, ECDSA over its
// SHA-256.
func sign(key crypto.Signer, msg []byte) ([]byte, error) {
	if _, ok := key.(ed25519.PrivateKey); ok {
		return key.Sign(nil, msg, crypto.Hash(0))
	}
	h := sha256.Sum256(msg)
	return key.Sign(rand.Reader, h[:], crypto.SHA256)
}

// readPendingKey returns the key of an enrolment in progress, or a new one
// written to filePendingKey first, so that a retried enrolment (the answer
// was lost, the kiosk restarted) sends the same key and gets the same
// certificate.
func readPendingKey(dir string) (crypto.Signer, error) {
	path := filepath.Join(dir, filePendingKey)
	b, err := os.ReadFile(path)
	if err == nil {
		block, _ := pem.Decode(b)
		if block != nil && block.Type == "PRIVATE KEY" {
			if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
				if s, ok := k.(crypto.Signer); ok {
					return s, nil
				}
			}
		}
		// A damaged pending key is replaced: the token is still unused
		// or the registry will say so.
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("client: %w", err)
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if err := writeFileAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, err
	}
	return key, nil
}

func certPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// documentKeys converts document keys from their wire form.
func documentKeys(in map[string][]byte) map[string]ed25519.PublicKey {
	out := make(map[string]ed25519.PublicKey, len(in))
	for id, k := range in {
		out[id] = ed25519.PublicKey(k)
	}
	return out
}

// wireKeys converts document keys to their wire form.
func wireKeys(in map[string]ed25519.PublicKey) map[string][]byte {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string][]byte, len(in))
	for id, k := range in {
		out[id] = k
	}
	return out
}
