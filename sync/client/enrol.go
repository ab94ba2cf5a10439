package client

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"guichet/kiosk/clock"
	"guichet/kiosk/seal"
	"guichet/sync/wire"
)

// EnrolOptions are what a technician provides to enrol a kiosk.
type EnrolOptions struct {
	Dir         string // the kiosk's data directory
	RegistryURL string // "https://host:port"
	// KioskID is the kiosk's id; empty to keep the one in Dir/kiosk-id.
	KioskID string
	// Token is the one-time enrolment token from operations.
	Token string
	// Trust holds the CA that may vouch for the registry on this first
	// contact (shipped in the image, or the in-process registry's). After
	// enrolment only the CA the registry returns is trusted.
	Trust           *x509.CertPool
	SoftwareVersion string
	// Capabilities advertised; default Capabilities.
	Capabilities []wire.Capability
	Clock        clock.Clock // default clock.System
	Dial         DialFunc    // default a net.Dialer
	// Attempts bounds the tries when the registry cannot be reached or
	// asks to come back (default 8); a refusal ends at once.
	Attempts int
}

// Capabilities are those this client implements.
var Capabilities = []wire.Capability{
	wire.CapBatch, wire.CapFeedStatus, wire.CapFeedRefData, wire.CapFeedUpdate, wire.CapFeedConfig,
	wire.CapTelemetry, wire.CapRenew, wire.CapLongPoll, wire.CapExtractOnline, wire.CapFines,
}

// Enrol enrols the kiosk with the registry: it generates the kiosk's key
// (kept while the enrolment is in progress, so a retry after a lost answer
// or a restart presents the same key and gets the same certificate), sends
// a certificate request with the token, checks the answer (the certificate
// is for the key and names the kiosk; the registry's own certificate chains
// to the CA it returns) and writes the identity to Dir, each file
// atomically. It retries what may pass later and returns at once on a
// refusal (an unknown, used or expired token: ask operations for a new
// one). Enrolling an enrolled kiosk again (its certificate expired, say)
// replaces its identity.
func Enrol(ctx context.Context, o EnrolOptions) (*Identity, error) {
	if o.Clock == nil {
		o.Clock = clock.System
	}
	if o.Attempts <= 0 {
		o.Attempts = 8
	}
	if o.Capabilities == nil {
		o.Capabilities = Capabilities
	}
	if o.Trust == nil {
		return nil, errors.New("client: enrol: no CA to trust for the first contact")
	}
	if !strings.HasPrefix(o.RegistryURL, "https://") {
		return nil, fmt.Errorf("client: enrol: registry address %q is not https", o.RegistryURL)
	}
	o.RegistryURL = strings.TrimSuffix(o.RegistryURL, "/")
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("client: enrol: %w", err)
	}
	if o.KioskID == "" {
		b, err := os.ReadFile(filepath.Join(o.Dir, FileKioskID))
		if err != nil {
			return nil, fmt.Errorf("client: enrol: no kiosk id given and none kept: %w", err)
		}
		o.KioskID = strings.TrimSpace(string(b))
	}
	if !wire.ValidKioskID(o.KioskID) {
		return nil, fmt.Errorf("client: enrol: kiosk id %q is not valid (letters, digits, '.', '_', '-')", o.KioskID)
	}
	key, err := readPendingKey(o.Dir)
	if err != nil {
		return nil, err
	}
	csr, err := csrFor(o.KioskID, key)
	if err != nil {
		return nil, err
	}
	req := wire.EnrolRequest{
		KioskID: o.KioskID, MessageID: messageID("enrol"), Token: strings.TrimSpace(o.Token), CSR: csr,
		SoftwareVersion: o.SoftwareVersion, Capabilities: o.Capabilities,
	}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("client: enrol: %w", err)
	}
	// The registry's certificate is kept to check it against the CA the
	// registry returns.
	var served []*x509.Certificate
	tr := newTransport(o.Trust, nil, o.Clock.Now, o.Dial)
	tr.TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
		served = cs.PeerCertificates
		return nil
	}
	hc := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()

	var resp wire.EnrolResponse
	b := newBackoff(time.Second, time.Minute, rand.Float64)
	for attempt := 1; ; attempt++ {
		err = call(ctx, hc, http.MethodPost, o.RegistryURL, wire.PathEnrol, nil, &req, &resp)
		if err == nil {
			break
		}
		p := problemOf(err)
		retry := errors.Is(err, ErrUnreachable) || errors.Is(err, ErrBadAnswer) || (p != nil && p.Code.Retryable())
		if !retry || attempt >= o.Attempts || ctx.Err() != nil {
			return nil, fmt.Errorf("client: enrol %s: %w", o.KioskID, err)
		}
		if !sleep(ctx, o.Clock, b.next(retryAfterOf(err)), nil) {
			return nil, fmt.Errorf("client: enrol %s: %w", o.KioskID, ctx.Err())
		}
	}
	id, err := checkEnrolment(o, key, resp, served)
	if err != nil {
		return nil, err
	}
	if err := id.save(); err != nil {
		return nil, err
	}
	if err := removeFile(filepath.Join(o.Dir, filePendingKey)); err != nil {
		return nil, err
	}
	return id, nil
}

// checkEnrolment checks the registry's answer and builds the identity.
func checkEnrolment(o EnrolOptions, key crypto.Signer, resp wire.EnrolResponse, served []*x509.Certificate) (*Identity, error) {
	bad := func(format string, a ...any) (*Identity, error) {
		return nil, fmt.Errorf("%w: enrolment: %s", ErrBadAnswer, fmt.Sprintf(format, a...))
	}
	if resp.KioskID != o.KioskID {
		return bad("answer for kiosk %q", resp.KioskID)
	}
	certs, _ := wire.ParseCertificates(resp.Certificate) // Validate parsed them
	cas, _ := wire.ParseCertificates(resp.RegistryCA)
	cert, ca := certs[0], cas[0]
	if !samePublicKey(key.Public(), cert.PublicKey) {
		return bad("the certificate is not for the key this kiosk sent")
	}
	var rk seal.PublicKey
	if err := rk.UnmarshalText([]byte(resp.RegistryKey)); err != nil {
		return bad("registry key: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	if len(served) == 0 {
		return bad("no server certificate seen")
	}
	inter := x509.NewCertPool()
	for _, c := range served[1:] {
		inter.AddCert(c)
	}
	if _, err := served[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: o.Clock.Now()}); err != nil {
		return bad("the registry's own certificate is not from the CA it returned: %v", err)
	}
	id := &Identity{
		Dir: o.Dir, KioskID: resp.KioskID, Serial: resp.Serial, Court: resp.Court, CountryPack: resp.CountryPack,
		PackVersion: resp.PackVersion, RegistryURL: o.RegistryURL, Capabilities: resp.Capabilities,
		Settings: resp.Configuration, EnrolledAt: resp.ServerTime, Key: key, Certificate: cert, CA: ca, RegistryKey: &rk,
		DocumentKeys: documentKeys(resp.DocumentKeys),
	}
	return id, nil
}

// save writes the identity's files, each atomically: the CA, the key with
// its certificate, the enrolment record, then what cmd/guichet reads
// (registry.pub, kiosk-id).
func (id *Identity) save() error {
	pemID, err := encodeIdentityPEM(id.Key, id.Certificate.Raw)
	if err != nil {
		return err
	}
	e, err := json.MarshalIndent(enrolmentFile{
		KioskID: id.KioskID, Serial: id.Serial, Court: id.Court, CountryPack: id.CountryPack, PackVersion: id.PackVersion,
		RegistryURL: id.RegistryURL, Capabilities: id.Capabilities, Settings: id.Settings, EnrolledAt: id.EnrolledAt.UTC(),
		DocumentKeys: wireKeys(id.DocumentKeys),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	caPEM := certPEM(id.CA.Raw)
	rk, _ := id.RegistryKey.MarshalText()
	for _, f := range []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{FileRegistryCA, caPEM, 0o644},
		{FileIdentity, pemID, 0o600},
		{FileEnrolment, append(e, '\n'), 0o644},
		{FileRegistryKey, append(rk, '\n'), 0o644},
		{FileKioskID, []byte(id.KioskID + "\n"), 0o644},
	} {
		if err := writeFileAtomic(filepath.Join(id.Dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// messageID is a fresh message id with a prefix naming its kind.
func messageID(kind string) string {
	return fmt.Sprintf("%s-%016x", kind, rand.Uint64())
}
