package registry

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"time"

	"guichet/sync/wire"
)

// LocalKiosk is a kiosk enrolled by EnrolLocal: what the kiosk side keeps
// after enrolment.
type LocalKiosk struct {
	Enrolment wire.EnrolResponse
	Key       crypto.Signer // the kiosk's private key (Ed25519)
	// TLS is a client configuration for the registry: the kiosk
	// certificate, the registry CA pinned, TLS 1.3.
	TLS     *tls.Config
	BaseURL string // "https://127.0.0.1:port"
}

// EnrolLocal is the development bootstrap of `make run`: it issues a
// token for the court and pack as operator, generates a kiosk key and
// enrols it through the running server's real API (Serve must be running).
// Production kiosks enrol with a token a technician types in.
func (s *Server) EnrolLocal(ctx context.Context, operator, kioskID, court, pack string, packVersion int) (*LocalKiosk, error) {
	addr := s.Addr()
	for wait := 0; addr == "" && wait < 100; wait++ { // ListenAndServe may be starting
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		addr = s.Addr()
	}
	if addr == "" {
		return nil, fmt.Errorf("registry: enrol local kiosk: the server is not listening")
	}
	tok, err := s.IssueToken(ctx, operator, TokenSpec{Court: court, CountryPack: pack, PackVersion: packVersion, KioskID: kioskID, ValidFor: wire.Duration(10 * time.Minute)})
	if err != nil {
		return nil, err
	}
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: kioskID}}, key)
	if err != nil {
		return nil, err
	}
	req := wire.EnrolRequest{
		KioskID: kioskID, MessageID: "enrol-local", Token: tok.Token,
		CSR:             string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
		SoftwareVersion: "dev", Capabilities: wire.RegistryCapabilities,
	}
	body, err := wire.Marshal(&req)
	if err != nil {
		return nil, err
	}
	base := "https://" + addr
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: s.ca.pool}}}
	defer client.CloseIdleConnections()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, base+wire.PathEnrol, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", wire.ContentType)
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("registry: enrol local kiosk: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("registry: enrol local kiosk: %s: %s", resp.Status, b)
	}
	var er wire.EnrolResponse
	if err := wire.ReadBody(resp.Body, &er); err != nil {
		return nil, fmt.Errorf("registry: enrol local kiosk: %w", err)
	}
	certs, err := wire.ParseCertificates(er.Certificate)
	if err != nil {
		return nil, err
	}
	cas, err := wire.ParseCertificates(er.RegistryCA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range cas {
		pool.AddCert(c)
	}
	return &LocalKiosk{
		Enrolment: er, Key: key, BaseURL: base,
		TLS: &tls.Config{
			MinVersion:   tls.VersionTLS13,
			RootCAs:      pool,
			Certificates: []tls.Certificate{{Certificate: [][]byte{certs[0].Raw}, PrivateKey: key, Leaf: certs[0]}},
		},
	}, nil
}
