package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"guichet/kiosk/seal"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// The files of a registry's data directory, written by Init.
const (
	FileCAKey      = "ca.key"      // the CA's private key (0600)
	FileCACert     = "ca.pem"      // the CA certificate kiosks pin
	FileServerKey  = "server.key"  // the TLS server key (0600)
	FileServerCert = "server.pem"  // the TLS server certificate, signed by the CA
	FileHPKEKey    = "hpke.key"    // the HPKE private key, base64 (0600)
	FileHPKEPub    = "hpke.pub"    // the HPKE public key, kiosk/seal text form
	FileBoltDB     = "registry.db" // the default store
)

// Config configures a Server. Only Dir is required.
type Config struct {
	Dir  string // data directory written by Init
	Addr string // listen address; default "127.0.0.1:8443"
	// PublicURL is the address kiosks reach the registry at, written into
	// enrolment tickets ("https://registry.justice.example:8443"); default
	// https:// and the listening address.
	PublicURL string
	Store     store.Store // default: boltstore in Dir/registry.db, closed by Close

	Logger *slog.Logger
	Clock  func() time.Time // default time.Now

	CertLifetime  time.Duration // kiosk certificates; default 7 days
	MaxInFlight   int           // concurrent POSTs from kiosks before 503; default 64
	MaxWaiters    int           // concurrent long-polls before 503; default 10000
	RetryAfter    time.Duration // told to kiosks on 503; default 5 s
	PollInterval  time.Duration // long-poll re-check of the store; default 2 s
	DefaultWait   time.Duration // long-poll when the kiosk asks none; default 0 (answer at once)
	TokenLifetime time.Duration // enrolment tokens; default 72 h
	// UpdatesDir is the update repository served to kiosks under
	// PathUpdates (as `guichetctl release` writes it); "" serves none.
	UpdatesDir string
	// RolloutInterval is how often staged rollouts are moved on; default
	// 15 s.
	RolloutInterval time.Duration
	Settings        wire.Settings // initial settings sent at enrolment
}

// Server is a registry. Create it with New.
type Server struct {
	cfg      Config
	log      *slog.Logger
	st       store.Store
	ownStore bool
	ca       *authority
	tlsCert  tls.Certificate
	hpke     *seal.PrivateKey
	hpkePub  string
	docKey   ed25519.PrivateKey
	docKeyID string
	inflight chan struct{}
	waiters  chan struct{}
	hub      *hub
	authn    *authCache

	mu   sync.Mutex
	addr string
}

// New loads the registry's keys from cfg.Dir and opens its store.
func New(cfg Config) (*Server, error) {
	if cfg.Dir == "" {
		return nil, errors.New("registry: no data directory")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.CertLifetime, 7*24*time.Hour)
	def(&cfg.RetryAfter, 5*time.Second)
	def(&cfg.PollInterval, 2*time.Second)
	def(&cfg.TokenLifetime, 72*time.Hour)
	def(&cfg.RolloutInterval, 15*time.Second)
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.MaxWaiters <= 0 {
		cfg.MaxWaiters = 10000
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8443"
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Settings.Version == 0 {
		cfg.Settings = wire.Settings{Version: 1, TelemetryInterval: wire.Duration(5 * time.Minute), FeedWait: wire.Duration(30 * time.Second), BatchMaxItems: 50}
	}
	if err := cfg.Settings.Validate(); err != nil {
		return nil, fmt.Errorf("registry: settings: %w", err)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, hub: newHub(), authn: newAuthCache()}
	s.inflight = make(chan struct{}, cfg.MaxInFlight)
	s.waiters = make(chan struct{}, cfg.MaxWaiters)
	if err := s.loadKeys(); err != nil {
		return nil, err
	}
	if err := s.loadDocKey(); err != nil {
		return nil, err
	}
	s.st = cfg.Store
	if s.st == nil {
		b, err := boltstore.Open(filepath.Join(cfg.Dir, FileBoltDB))
		if err != nil {
			return nil, fmt.Errorf("registry: %w", err)
		}
		s.st, s.ownStore = b, true
	}
	return s, nil
}

func (s *Server) loadKeys() error {
	dir := s.cfg.Dir
	caCert, caPEM, err := readCert(filepath.Join(dir, FileCACert))
	if err != nil {
		return fmt.Errorf("registry: CA (run guichet-registry init): %w", err)
	}
	caKey, err := readKey(filepath.Join(dir, FileCAKey))
	if err != nil {
		return fmt.Errorf("registry: CA key: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	s.ca = &authority{cert: caCert, pem: caPEM, key: caKey, pool: pool}
	s.tlsCert, err = tls.LoadX509KeyPair(filepath.Join(dir, FileServerCert), filepath.Join(dir, FileServerKey))
	if err != nil {
		return fmt.Errorf("registry: server certificate: %w", err)
	}
	// The CA goes with the server's certificate, so that a kiosk that knows
	// only its fingerprint (from an enrolment ticket) can check the chain on
	// first contact.
	s.tlsCert.Certificate = append(s.tlsCert.Certificate, caCert.Raw)
	raw, err := os.ReadFile(filepath.Join(dir, FileHPKEKey))
	if err != nil {
		return fmt.Errorf("registry: HPKE key: %w", err)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return fmt.Errorf("registry: HPKE key: %w", err)
	}
	if s.hpke, err = seal.ParsePrivateKey(b); err != nil {
		return fmt.Errorf("registry: HPKE key: %w", err)
	}
	s.hpkePub = s.hpke.Public().String()
	return nil
}

// Close closes the store if New opened it.
func (s *Server) Close() error {
	if s.ownStore {
		return s.st.Close()
	}
	return nil
}

// Store is the registry's storage, for a console.
func (s *Server) Store() store.Store { return s.st }

// RegistryKey is the HPKE public key kiosks seal to.
func (s *Server) RegistryKey() *seal.PublicKey { return s.hpke.Public() }

// CAPool holds the registry CA, which kiosks pin.
func (s *Server) CAPool() *x509.CertPool { return s.ca.pool }

// now is the registry's clock, in UTC, to the microsecond (what PostgreSQL
// keeps).
func (s *Server) now() time.Time { return s.cfg.Clock().UTC().Truncate(time.Microsecond) }

// TLSConfig is the listener's configuration: TLS 1.3 only; a client
// certificate is requested but verified by the handlers, so that an
// expired or revoked one gets a problem JSON rather than a bare handshake
// failure, and enrolment works without one.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{s.tlsCert},
		ClientAuth:   tls.RequestClientCert,
		ClientCAs:    s.ca.pool,
	}
}

// HTTPServer returns the http.Server ListenAndServe runs, with its
// timeouts: a slowly trickled body is cut after ReadTimeout.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		TLSConfig:         s.TLSConfig(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      wire.MaxWait + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// ListenAndServe serves HTTPS on cfg.Addr until ctx ends, then shuts down
// gracefully (long-polls are cut).
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Listen binds cfg.Addr ("127.0.0.1:0" picks a free port) and records the
// address, so that Addr is known before Serve runs.
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("registry: %w", err)
	}
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	return ln, nil
}

// Serve serves HTTPS on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	s.addr = ln.Addr().String()
	s.mu.Unlock()
	hs := s.HTTPServer()
	s.log.Info("registry listening", "addr", s.addr)
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	go s.runRollouts(ctx, s.cfg.RolloutInterval)
	select {
	case err := <-errc:
		return fmt.Errorf("registry: %w", err)
	case <-ctx.Done():
	}
	s.hub.closeAll()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("registry: shutdown: %w", err)
	}
	return nil
}

// Addr is the address Serve listens on, "" before.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}
