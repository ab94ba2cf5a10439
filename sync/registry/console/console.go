package console

import (
	"context"
	"crypto/cipher"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"guichet/kiosk/pack"
	"guichet/sync/registry"
	"guichet/sync/registry/store"
)

// DefaultAddr is where the console listens unless told otherwise: beside
// the registry's API (127.0.0.1:8443).
const DefaultAddr = "127.0.0.1:8444"

// Config configures a Console. Registry and Dir are required.
type Config struct {
	// Registry is the running registry whose store, keys and clerk
	// functions the console uses.
	Registry *registry.Server
	// Dir is the registry's data directory; the console keeps there the
	// key that encrypts the signing keys at rest (FileSigningKEK), made on
	// first use.
	Dir string
	// Addr is the listen address; default DefaultAddr.
	Addr string
	// PlainHTTP serves HTTP instead of HTTPS, for `make run` only: New
	// refuses it unless Addr is a loopback address. Browsers treat
	// loopback as a secure context, so the session cookie keeps its
	// Secure attribute and __Host- prefix.
	PlainHTTP bool
	// Packs are the country packs of the fleet: court and service names,
	// the extract's words and its verification base. Default: the
	// embedded packs (ma, tg).
	Packs []*pack.Pack

	Logger   *slog.Logger
	Clock    func() time.Time // default time.Now
	Location *time.Location   // times shown to people; default time.Local

	SessionIdle time.Duration // a session ends after this long unused; default 30 min
	SessionMax  time.Duration // and this long after sign-in whatever happens; default 12 h

	// Failed sign-ins within LoginWindow before further attempts are
	// refused: per account (default 5) and per client address (default 20).
	LoginWindow     time.Duration // default 15 min
	AccountAttempts int
	AddrAttempts    int

	// Fleet alerts.
	OfflineAfter time.Duration // no telemetry for this long: offline; default 15 min
	QueueAgeMax  time.Duration // oldest outbox entry older than this: alert; default 2 h
	CertWarning  time.Duration // kiosk certificate expiring within this: alert; default 24 h

	// ExtractServices are the services whose answer is a bulletin n°3
	// extract: such a request is marked ready only once its extract is
	// endorsed. Default: "bulletin3".
	ExtractServices []string
}

// Console is the registry's web console. Create it with New.
type Console struct {
	cfg   Config
	reg   *registry.Server
	st    store.Store
	log   *slog.Logger
	kek   cipher.AEAD
	packs []*pack.Pack
	pages map[string]*template.Template
	h     http.Handler
	pub   http.Handler

	mu   sync.Mutex
	addr string
}

//go:embed templates/*.html static/*
var assets embed.FS

// New prepares a console for cfg.Registry.
func New(cfg Config) (*Console, error) {
	if cfg.Registry == nil {
		return nil, errors.New("console: no registry")
	}
	if cfg.Dir == "" {
		return nil, errors.New("console: no data directory")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.PlainHTTP && !loopback(cfg.Addr) {
		return nil, fmt.Errorf("console: plain HTTP only on a loopback address, not %s", cfg.Addr)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SessionIdle, 30*time.Minute)
	def(&cfg.SessionMax, 12*time.Hour)
	def(&cfg.LoginWindow, 15*time.Minute)
	def(&cfg.OfflineAfter, 15*time.Minute)
	def(&cfg.QueueAgeMax, 2*time.Hour)
	def(&cfg.CertWarning, 24*time.Hour)
	if cfg.AccountAttempts <= 0 {
		cfg.AccountAttempts = 5
	}
	if cfg.AddrAttempts <= 0 {
		cfg.AddrAttempts = 20
	}
	if cfg.ExtractServices == nil {
		cfg.ExtractServices = []string{"bulletin3"}
	}
	if len(cfg.Packs) == 0 {
		for _, code := range []string{"ma", "tg"} {
			p, err := pack.Embedded(code)
			if err != nil {
				return nil, fmt.Errorf("console: %w", err)
			}
			cfg.Packs = append(cfg.Packs, p)
		}
	}
	kek, err := loadKEK(cfg.Dir)
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, reg: cfg.Registry, st: cfg.Registry.Store(), log: cfg.Logger, kek: kek, packs: cfg.Packs}
	if c.pages, err = c.parseTemplates(); err != nil {
		return nil, err
	}
	c.h, c.pub = c.routes()
	return c, nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// now is the console's clock in UTC, to the microsecond (what PostgreSQL
// keeps).
func (c *Console) now() time.Time { return c.cfg.Clock().UTC().Truncate(time.Microsecond) }

// Handler is the whole console: the signed-in pages and the public
// verification page.
func (c *Console) Handler() http.Handler { return c.h }

// PublicHandler serves only what anyone may reach: the extract
// verification page (GET /v/{code}) and the style sheet. A deployment
// that exposes the verification address to the Internet mounts this one
// there and keeps Handler on the ministry's network.
func (c *Console) PublicHandler() http.Handler { return c.pub }

func (c *Console) routes() (http.Handler, http.Handler) {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	staticH := http.StripPrefix("/static/", http.FileServerFS(static))
	mux.Handle("GET /static/", staticH)
	mux.HandleFunc("GET /v/{code}", c.handleVerify)

	mux.HandleFunc("GET /{$}", c.handleHome)
	mux.HandleFunc("GET /login", c.handleLoginPage)
	mux.HandleFunc("POST /login", c.handleLogin)
	mux.Handle("POST /logout", c.signedIn(c.handleLogout, anyRole...))

	people := []store.Role{store.RoleClerk, store.RoleProsecutor, store.RoleOperator, store.RoleViewer}
	mux.Handle("GET /requests", c.signedIn(c.handleRequests, store.RoleClerk, store.RoleOperator, store.RoleViewer))
	mux.Handle("GET /requests/{kiosk}/{id}", c.signedIn(c.handleRequest, people...))
	mux.Handle("POST /requests/{kiosk}/{id}/status", c.signedIn(c.handleStatus, store.RoleClerk))
	mux.Handle("POST /requests/{kiosk}/{id}/extract", c.signedIn(c.handleIssue, store.RoleClerk))
	mux.Handle("POST /requests/{kiosk}/{id}/extract/endorse", c.signedIn(c.handleEndorse, store.RoleProsecutor))
	mux.Handle("GET /requests/{kiosk}/{id}/extract.pdf", c.signedIn(c.handlePDF, store.RoleClerk, store.RoleProsecutor))
	mux.Handle("GET /extracts", c.signedIn(c.handleExtracts, store.RoleClerk, store.RoleProsecutor))

	ops := []store.Role{store.RoleOperator, store.RoleViewer}
	mux.Handle("GET /fleet", c.signedIn(c.handleFleet, ops...))
	mux.Handle("GET /alerts", c.signedIn(c.handleAlerts, ops...))
	mux.Handle("GET /tokens", c.signedIn(c.handleTokensPage, store.RoleOperator))
	mux.Handle("POST /tokens", c.signedIn(c.handleIssueToken, store.RoleOperator))
	mux.Handle("GET /settings", c.signedIn(c.handleSettingsPage, store.RoleOperator))
	mux.Handle("POST /settings", c.signedIn(c.handlePublish, store.RoleOperator))
	mux.Handle("POST /documents", c.signedIn(c.handlePublishDocument, store.RoleOperator))
	mux.Handle("POST /fines", c.signedIn(c.handleImportFines, store.RoleOperator))
	mux.Handle("GET /kiosks/{kiosk}/diagnostics", c.signedIn(c.handleDiagnostics, ops...))
	mux.Handle("POST /kiosks/{kiosk}/diagnostics", c.signedIn(c.handleRequestDiagnostics, store.RoleOperator))
	mux.Handle("GET /rollouts", c.signedIn(c.handleRollouts, ops...))
	mux.Handle("POST /rollouts", c.signedIn(c.handleStartRollout, store.RoleOperator))
	mux.Handle("POST /rollouts/{id}/{action}", c.signedIn(c.handleControlRollout, store.RoleOperator))
	mux.Handle("GET /accounts", c.signedIn(c.handleAccounts, store.RoleOperator))
	mux.Handle("POST /accounts", c.signedIn(c.handleNewAccount, store.RoleOperator))
	mux.Handle("POST /accounts/{name}/key", c.signedIn(c.handleNewKey, store.RoleOperator))
	mux.Handle("POST /accounts/{name}/disable", c.signedIn(c.handleDisable, store.RoleOperator))
	mux.Handle("POST /accounts/{name}/enable", c.signedIn(c.handleDisable, store.RoleOperator))
	mux.Handle("GET /audit", c.signedIn(c.handleAudit, ops...))
	mux.Handle("GET /me", c.signedIn(c.handleMe, anyRole...))
	mux.Handle("POST /me/password", c.signedIn(c.handlePassword, anyRole...))

	pub := http.NewServeMux()
	pub.Handle("GET /static/", staticH)
	pub.HandleFunc("GET /v/{code}", c.handleVerify)

	cop := http.NewCrossOriginProtection()
	return headers(cop.Handler(mux)), headers(pub)
}

var anyRole = []store.Role{store.RoleClerk, store.RoleProsecutor, store.RoleOperator, store.RoleViewer}

// headers sets what every answer carries: no script but our own, no
// framing, no referrer leaving the console, nothing cached.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// TLSConfig is the console listener's: the registry's server certificate,
// TLS 1.3, no client certificate asked.
func (c *Console) TLSConfig() *tls.Config {
	cfg := c.reg.TLSConfig().Clone()
	cfg.ClientAuth, cfg.ClientCAs = tls.NoClientCert, nil
	return cfg
}

// Listen binds cfg.Addr ("127.0.0.1:0" picks a free port) and records the
// address, so that Addr is known before Serve runs.
func (c *Console) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", c.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	c.mu.Lock()
	c.addr = ln.Addr().String()
	c.mu.Unlock()
	return ln, nil
}

// Addr is the address Serve listens on, "" before.
func (c *Console) Addr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// URL is the console's base URL once listening: "https://127.0.0.1:8444",
// or http:// with PlainHTTP.
func (c *Console) URL() string {
	scheme := "https://"
	if c.cfg.PlainHTTP {
		scheme = "http://"
	}
	return scheme + c.Addr()
}

// ListenAndServe serves the console on cfg.Addr until ctx ends.
func (c *Console) ListenAndServe(ctx context.Context) error {
	ln, err := c.Listen()
	if err != nil {
		return err
	}
	return c.Serve(ctx, ln)
}

// Serve serves the console on ln until ctx ends, then shuts down
// gracefully. It also purges ended sessions and old failed sign-ins
// every few minutes.
func (c *Console) Serve(ctx context.Context, ln net.Listener) error {
	c.mu.Lock()
	c.addr = ln.Addr().String()
	c.mu.Unlock()
	hs := &http.Server{
		Handler:           c.h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(c.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	if c.cfg.PlainHTTP {
		go func() { errc <- hs.Serve(ln) }()
	} else {
		hs.TLSConfig = c.TLSConfig()
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	}
	c.log.Info("console listening", "url", c.URL())
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("console: %w", err)
		case <-tick.C:
			c.purge(ctx)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				return fmt.Errorf("console: shutdown: %w", err)
			}
			return nil
		}
	}
}

// purge forgets ended sessions and failed sign-ins older than a day.
func (c *Console) purge(ctx context.Context) {
	now := c.now()
	if n, err := c.st.PurgeSessions(ctx, now, now.Add(-c.cfg.SessionIdle)); err != nil {
		c.log.Warn("console: purge sessions", "err", err)
	} else if n > 0 {
		c.log.Info("console: sessions ended", "count", n)
	}
	if _, err := c.st.PurgeLoginFailures(ctx, now.Add(-24*time.Hour-c.cfg.LoginWindow)); err != nil {
		c.log.Warn("console: purge failed sign-ins", "err", err)
	}
}

func (c *Console) isExtractService(service string) bool {
	return slices.Contains(c.cfg.ExtractServices, service)
}

// pack returns the pack with that code.
func (c *Console) pack(code string) (*pack.Pack, bool) {
	for _, p := range c.packs {
		if p.Code == code {
			return p, true
		}
	}
	return nil, false
}

// courtName is the court's French name (its id when no pack knows it).
func (c *Console) courtName(id string) string {
	for _, p := range c.packs {
		if ct, ok := p.Court(id); ok {
			if n := ct.Names.In("fr"); n != "" {
				return n
			}
		}
	}
	return id
}

// serviceName is the service's French title.
func (c *Console) serviceName(id string) string {
	for _, p := range c.packs {
		if s, ok := p.Service(id); ok {
			if n := s.Title.In("fr"); n != "" {
				return n
			}
		}
	}
	return id
}

// courtOption is a court in a select.
type courtOption struct {
	ID, Name, Pack string
}

// courts lists every pack's courts, by pack then name.
func (c *Console) courts() []courtOption {
	var out []courtOption
	for _, p := range c.packs {
		var cs []courtOption
		for _, ct := range p.Courts {
			cs = append(cs, courtOption{ID: ct.ID, Name: ct.Names.In("fr"), Pack: p.Code})
		}
		slices.SortFunc(cs, func(a, b courtOption) int { return compareFold(a.Name, b.Name) })
		out = append(out, cs...)
	}
	return out
}

// services lists the services of every pack once, by id.
func (c *Console) services() []courtOption {
	seen := map[string]bool{}
	var out []courtOption
	for _, p := range c.packs {
		for _, s := range p.Services {
			if !seen[s.ID] {
				seen[s.ID] = true
				out = append(out, courtOption{ID: s.ID, Name: s.Title.In("fr")})
			}
		}
	}
	return out
}
