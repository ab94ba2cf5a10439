package client

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
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
	Trust *x509.CertPool
	// PinnedCA is the SHA-256 of the registry CA's certificate, from an
	// enrolment ticket, used instead of Trust: the registry presents its CA
	// with its certificate, and the kiosk accepts it only if it has this
	// fingerprint and vouches for the registry's name.
	PinnedCA        wire.Hash
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
	if o.Trust == nil && o.PinnedCA.IsZero() {
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
	if o.Trust == nil {
		tr.TLSClientConfig.InsecureSkipVerify = true // verified by pinnedVerifier
		tr.TLSClientConfig.VerifyConnection = pinnedVerifier(o.PinnedCA, o.Clock.Now, &served)
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

// pinnedVerifier accepts the registry's TLS connection only if one of the
// certificates it presents is the CA whose fingerprint is pinned and that
// CA vouches for the leaf under the name dialled.
func pinnedVerifier(pinned wire.Hash, now func() time.Time, served *[]*x509.Certificate) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		*served = cs.PeerCertificates
		if len(cs.PeerCertificates) == 0 {
			return errors.New("client: the registry presented no certificate")
		}
		var ca *x509.Certificate
		for _, c := range cs.PeerCertificates {
			if sha256.Sum256(c.Raw) == pinned {
				ca = c
			}
		}
		if ca == nil {
			return fmt.Errorf("client: the registry's certificates do not include the CA %s named by the enrolment ticket: this is not the registry the ticket is for", pinned)
		}
		roots := x509.NewCertPool()
		roots.AddCert(ca)
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName, CurrentTime: now()})
		if err != nil {
			return fmt.Errorf("client: the registry's certificate is not vouched for by the pinned CA: %w", err)
		}
		return nil
	}
}

// EnrolWithTicket enrols the kiosk with an enrolment ticket scanned or
// typed by the technician: the ticket is checked offline first (signed by
// one of keys, the document keys the image trusts; issued and not expired
// by the kiosk's clock; for this kiosk if it names one), then the kiosk
// enrols at the registry the ticket names, trusting only the CA whose
// fingerprint it carries. o.RegistryURL, o.Token, o.Trust and o.PinnedCA
// come from the ticket.
func EnrolWithTicket(ctx context.Context, o EnrolOptions, ticket string, keys map[string]ed25519.PublicKey) (*Identity, error) {
	if o.Clock == nil {
		o.Clock = clock.System
	}
	st, err := wire.ParseTicket(ticket)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if err := st.Verify(keys, o.Clock.Now()); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if st.KioskID != "" {
		if o.KioskID != "" && o.KioskID != st.KioskID {
			return nil, fmt.Errorf("client: the enrolment ticket is for kiosk %s, not %s", st.KioskID, o.KioskID)
		}
		o.KioskID = st.KioskID
	}
	o.RegistryURL, o.Token, o.Trust, o.PinnedCA = st.Registry, st.Token, nil, st.CA
	id, err := Enrol(ctx, o)
	if err != nil {
		return nil, err
	}
	if id.Court != st.Court {
		return id, fmt.Errorf("%w: enrolled for court %s, the ticket says %s", ErrBadAnswer, id.Court, st.Court)
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
