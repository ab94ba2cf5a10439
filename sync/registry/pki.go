package registry

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"time"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// authority is the registry's certificate authority: it signs the server's
// TLS certificate and every kiosk's client certificate.
type authority struct {
	cert *x509.Certificate
	pem  string
	key  crypto.Signer
	pool *x509.CertPool
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func randomSerial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b), nil
}

func serialHex(n *big.Int) string { return hex.EncodeToString(n.Bytes()) }

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode)
}

func writeKey(path string, k crypto.Signer) error {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func readKey(path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s: no PEM PRIVATE KEY", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: not a signing key", path)
	}
	return s, nil
}

func readCert(path string) (*x509.Certificate, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	certs, err := wire.ParseCertificates(string(b))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return certs[0], string(b), nil
}

// createCA makes a new CA key and self-signed certificate valid ten years.
func createCA(now time.Time, name string) (*x509.Certificate, []byte, crypto.Signer, error) {
	key, err := newKey()
	if err != nil {
		return nil, nil, nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Guichet registry"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, der, key, err
}

// issueServer signs a TLS server certificate for hosts (names or IPs).
func (a *authority) issueServer(now time.Time, hosts []string, key crypto.PublicKey) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "Guichet registry"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return x509.CreateCertificate(rand.Reader, tmpl, a.cert, key, a.key)
}

// enrolmentSerial derives the serial of the certificate an enrolment
// issues from the token and the kiosk's public key, so that a retried
// enrolment (the answer was lost) finds and returns the same certificate.
func enrolmentSerial(token wire.Hash, spki []byte) *big.Int {
	h := sha256.New()
	h.Write([]byte("guichet enrolment serial\x00"))
	h.Write(token[:])
	h.Write(spki)
	b := h.Sum(nil)[:16]
	b[0] &= 0x7f
	b[0] |= 0x01 // never zero, never negative
	return new(big.Int).SetBytes(b)
}

// issueKiosk signs a client certificate for kioskID and the CSR's key.
func (a *authority) issueKiosk(csr *x509.CertificateRequest, kioskID string, serial *big.Int, now time.Time, lifetime time.Duration) (store.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: kioskID, Organization: []string{"Guichet kiosk"}},
		URIs:         []*url.URL{wire.KioskURI(kioskID)},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     now.Add(lifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, csr.PublicKey, a.key)
	if err != nil {
		return store.Certificate{}, fmt.Errorf("registry: issue certificate for %s: %w", kioskID, err)
	}
	return store.Certificate{Serial: serialHex(serial), KioskID: kioskID, NotBefore: tmpl.NotBefore.UTC(), NotAfter: tmpl.NotAfter.UTC(), DER: der}, nil
}

// certPEM encodes a DER certificate.
func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// verifyKiosk checks that leaf was issued by the CA for client
// authentication and is valid at now; errExpired tells an expired one.
func (a *authority) verifyKiosk(leaf *x509.Certificate, now time.Time) error {
	_, err := leaf.Verify(x509.VerifyOptions{Roots: a.pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) && inv.Reason == x509.Expired {
		return errExpired
	}
	return err
}

var errExpired = errors.New("registry: certificate expired or not yet valid")
