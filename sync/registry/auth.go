package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/argon2"

	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// Argon2id parameters (RFC 9106's second recommended option scaled to a
// server shared with the API: 19 MiB, 2 passes, 1 lane, as OWASP advises).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns the PHC string of an Argon2id hash of password with
// a fresh salt.
func HashPassword(password string) (string, error) {
	if len(password) < 12 {
		return "", errors.New("registry: a password has at least 12 characters")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches the PHC string hash.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<20 || t == 0 || t > 16 || p == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// authCache remembers recent successful sign-ins for a minute, so that a
// clerk's every call does not pay for Argon2id.
type authCache struct {
	mu sync.Mutex
	ok map[[32]byte]time.Time
}

func newAuthCache() *authCache { return &authCache{ok: map[[32]byte]time.Time{}} }

func cacheKey(a store.Account, password string) [32]byte {
	return sha256.Sum256([]byte(a.Name + "\x00" + a.PasswordHash + "\x00" + password))
}

// Authenticate checks a name and password against the accounts and
// returns the account. Disabled accounts are refused.
func (s *Server) Authenticate(ctx context.Context, name, password string) (store.Account, error) {
	a, err := s.st.Account(ctx, name)
	if err != nil {
		CheckPassword("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", password) // same time as a real check
		return store.Account{}, errors.New("registry: unknown account or wrong password")
	}
	key, now := cacheKey(a, password), s.now()
	s.authn.mu.Lock()
	until, cached := s.authn.ok[key]
	s.authn.mu.Unlock()
	if !cached || now.After(until) {
		if !CheckPassword(a.PasswordHash, password) {
			return store.Account{}, errors.New("registry: unknown account or wrong password")
		}
		s.authn.mu.Lock()
		if len(s.authn.ok) > 10000 {
			clear(s.authn.ok)
		}
		s.authn.ok[key] = now.Add(time.Minute)
		s.authn.mu.Unlock()
	}
	if !a.DisabledAt.IsZero() {
		return store.Account{}, errors.New("registry: account disabled")
	}
	return a, nil
}

// person authenticates a clerk or operator by HTTP Basic and checks that
// the account has one of roles.
func (s *Server) person(w http.ResponseWriter, r *http.Request, roles ...store.Role) (store.Account, bool) {
	name, password, ok := r.BasicAuth()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="guichet-registry", charset="UTF-8"`)
		writeProblem(w, problem(http.StatusUnauthorized, wire.CodeUnauthorized, "sign in with an account"))
		return store.Account{}, false
	}
	a, err := s.Authenticate(r.Context(), name, password)
	if err != nil {
		s.log.Warn("sign-in refused", "account", name)
		w.Header().Set("WWW-Authenticate", `Basic realm="guichet-registry", charset="UTF-8"`)
		writeProblem(w, problem(http.StatusUnauthorized, wire.CodeUnauthorized, "unknown account or wrong password"))
		return store.Account{}, false
	}
	for _, role := range roles {
		if a.Role == role {
			return a, true
		}
	}
	writeProblem(w, problem(http.StatusForbidden, wire.CodeForbidden, fmt.Sprintf("the %s role may not do this", a.Role)))
	return store.Account{}, false
}

// kiosk authenticates the kiosk by its client certificate: issued by the
// registry CA for client authentication, valid now, known to the store and
// not revoked, naming a kiosk that is not revoked. It returns the kiosk id
// and the certificate.
func (s *Server) kiosk(r *http.Request) (string, *x509.Certificate, *wire.Problem) {
	if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
		return "", nil, problem(http.StatusUnauthorized, wire.CodeNoCertificate, "a kiosk client certificate is required")
	}
	leaf := r.TLS.PeerCertificates[0]
	if err := s.ca.verifyKiosk(leaf, s.now()); err != nil {
		if errors.Is(err, errExpired) {
			return "", nil, problem(http.StatusUnauthorized, wire.CodeCertExpired, "the client certificate has expired: enrol again")
		}
		return "", nil, problem(http.StatusUnauthorized, wire.CodeNoCertificate, "the client certificate was not issued by this registry")
	}
	id, err := wire.KioskIDFromCertificate(leaf)
	if err != nil {
		return "", nil, problem(http.StatusUnauthorized, wire.CodeNoCertificate, "the client certificate names no kiosk")
	}
	c, err := s.st.Certificate(r.Context(), serialHex(leaf.SerialNumber))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", nil, problem(http.StatusUnauthorized, wire.CodeCertRevoked, "the client certificate is not on record")
	case err != nil:
		s.log.Error("certificate lookup", "err", err)
		return "", nil, problem(http.StatusInternalServerError, wire.CodeInternal, "")
	case !c.RevokedAt.IsZero() || c.KioskID != id:
		return "", nil, problem(http.StatusUnauthorized, wire.CodeCertRevoked, "the client certificate is revoked")
	}
	k, err := s.st.Kiosk(r.Context(), id)
	if err != nil || !k.RevokedAt.IsZero() {
		return "", nil, problem(http.StatusUnauthorized, wire.CodeCertRevoked, "the kiosk is revoked")
	}
	return id, leaf, nil
}
