package client

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"guichet/drivers"
	"guichet/kiosk/clock"
	"guichet/kiosk/seal"
	"guichet/kiosk/store"
	"guichet/sync/wire"
)

// Store is what the client needs of the kiosk's store; *store.Store
// implements it.
type Store interface {
	PendingOutbox(limit int) ([]store.OutboxEntry, error)
	MarkSent(ctx context.Context, ids ...string) error
	Acknowledge(ctx context.Context, ids ...string) error
	RefuseRequest(ctx context.Context, id string, kind store.AlarmKind, reason string, at time.Time) error
	ApplyChanges(ctx context.Context, next uint64, changes []store.Change) ([]store.Outcome, error)
	ResetFeed(ctx context.Context, since uint64, why string) error
	Feed() (store.FeedState, error)
	Health() (store.Health, error)
	Alarms() []store.Alarm
	RaiseAlarm(ctx context.Context, kind store.AlarmKind, subject, message string) error
	SetRegistryKey(k *seal.PublicKey)
}

var _ Store = (*store.Store)(nil)

// Readings are what the kiosk's main knows of its devices, for telemetry.
type Readings struct {
	Devices     []drivers.Health  // each peripheral's connection state
	Paper       []wire.Paper      // each printer's paper
	ServiceMode bool              // technician mode is on
	Message     string            // a note from the technician screen
	Update      *wire.UpdateState // the software updater's state, if there is one
}

// Config configures a Client. Dir and Store are required.
type Config struct {
	Dir             string // the kiosk's data directory, enrolled (LoadIdentity)
	Store           Store
	SoftwareVersion string // default "dev"
	// DocumentKeys are the ministry's Ed25519 keys, by key id, that sign
	// reference data and update manifests, in addition to the registry's
	// document keys pinned at enrolment (Identity.DocumentKeys); a document
	// signed by another key is refused (audited, alarmed) and the feed
	// moves on.
	DocumentKeys map[string]ed25519.PublicKey
	// Readings is called for each telemetry report (nil: none).
	Readings func() Readings
	Logger   *slog.Logger
	Clock    clock.Clock    // default clock.System
	Rand     func() float64 // jitter, in [0, 1); default math/rand/v2
	Dial     DialFunc       // default a net.Dialer

	// Timing; zero fields take the defaults in brackets.
	RetryMin      time.Duration // first retry after a failure [1 s]
	RetryMax      time.Duration // longest wait between retries [5 min]
	OutboxPoll    time.Duration // look at the outbox without a Notify [30 s]
	RenewCheck    time.Duration // how often the certificate's age is checked [1 h]
	RequestTime   time.Duration // bound on one POST [60 s]
	Capabilities  []wire.Capability
	FeedWait      time.Duration // long-poll asked when the settings say none [30 s]
	FeedLimit     int           // changes asked for per poll [100]
	TelemetryTime time.Duration // telemetry period when the settings say none [5 min]
}

// Client syncs one kiosk with the registry. Its methods are safe for
// concurrent use.
type Client struct {
	cfg   Config
	st    Store
	log   *slog.Logger
	clk   clock.Clock
	start time.Time

	mu       sync.Mutex
	id       *Identity
	hc       *http.Client
	tr       *http.Transport
	settings wire.Settings
	status   Status
	alarmed  map[string]bool // problems already alarmed, so a retry loop alarms once
	skipped  map[string]bool // outbox entries that cannot be sent (alarmed, kept)

	notify chan struct{} // the outbox has something new
	wake   chan struct{} // identity changed: retry now
	sendMu sync.Mutex    // one outbox pass at a time
}

// New loads the kiosk's identity from cfg.Dir (ErrNotEnrolled if there is
// none), gives the store the registry's sealing key, and returns a client
// ready to Run.
func New(cfg Config) (*Client, error) {
	if cfg.Store == nil {
		return nil, errors.New("client: no store")
	}
	id, err := LoadIdentity(cfg.Dir)
	if err != nil {
		return nil, err
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RetryMin, time.Second)
	def(&cfg.RetryMax, 5*time.Minute)
	def(&cfg.OutboxPoll, 30*time.Second)
	def(&cfg.RenewCheck, time.Hour)
	def(&cfg.RequestTime, 60*time.Second)
	def(&cfg.FeedWait, 30*time.Second)
	def(&cfg.TelemetryTime, 5*time.Minute)
	if cfg.FeedLimit <= 0 || cfg.FeedLimit > wire.MaxChangesPerResponse {
		cfg.FeedLimit = 100
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SoftwareVersion == "" {
		cfg.SoftwareVersion = "dev"
	}
	if cfg.Capabilities == nil {
		cfg.Capabilities = Capabilities
	}
	c := &Client{
		cfg: cfg, st: cfg.Store, clk: cfg.Clock, start: cfg.Clock.Now(),
		log:     cfg.Logger.With("kiosk", id.KioskID),
		alarmed: map[string]bool{}, skipped: map[string]bool{},
		notify: make(chan struct{}, 1), wake: make(chan struct{}),
	}
	c.setIdentity(id)
	if err := c.loadSettings(); err != nil {
		return nil, err
	}
	return c, nil
}

// setIdentity installs id: a transport pinned to its CA presenting its
// certificate. Connections made with the previous identity are closed.
func (c *Client) setIdentity(id *Identity) {
	tr := newTransport(id.CAPool(), func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		return id.tlsCertificate(), nil
	}, c.clk.Now, c.cfg.Dial)
	c.mu.Lock()
	old := c.tr
	c.id, c.tr, c.hc = id, tr, &http.Client{Transport: tr}
	c.status.KioskID, c.status.Serial, c.status.Court = id.KioskID, id.Serial, id.Court
	c.status.CertNotAfter = id.Certificate.NotAfter
	c.status.Fingerprint = id.Fingerprint()
	c.mu.Unlock()
	c.st.SetRegistryKey(id.RegistryKey)
	if old != nil {
		old.CloseIdleConnections()
	}
}

// current returns the identity and HTTP client in use.
func (c *Client) current() (*Identity, *http.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.id, c.hc
}

// loadSettings takes the enrolment's settings, replaced by newer ones
// received on the feed.
func (c *Client) loadSettings() error {
	id, _ := c.current()
	set := id.Settings
	fs, err := c.st.Feed()
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	if fs.SettingsVersion > set.Version && len(fs.Settings) > 0 {
		var s wire.Settings
		if err := json.Unmarshal(fs.Settings, &s); err == nil && s.Validate() == nil {
			set = s
		} else {
			c.log.Error("stored settings do not decode; keeping the enrolment's", "version", fs.SettingsVersion)
		}
	}
	c.mu.Lock()
	c.settings = set
	c.status.FeedSince = fs.Since
	c.status.SettingsVersion = set.Version
	c.mu.Unlock()
	return nil
}

// Settings returns the configuration in force: the enrolment's, or the
// latest the registry sent on the feed.
func (c *Client) Settings() wire.Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.settings
}

// Identity returns the kiosk's identity in use.
func (c *Client) Identity() *Identity {
	id, _ := c.current()
	return id
}

// Notify tells the client the outbox has a new entry, so that it sends at
// once instead of at its next look. It never blocks.
func (c *Client) Notify() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// wakeAll interrupts every loop's wait (after a new identity).
func (c *Client) wakeAll() {
	c.mu.Lock()
	close(c.wake)
	c.wake = make(chan struct{})
	c.mu.Unlock()
}

func (c *Client) wakeChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wake
}

// Run sends the outbox, follows the change feed, reports telemetry and
// renews the certificate until ctx ends; then it returns nil. Failures are
// retried with backoff and shown by Status; nothing is dropped.
func (c *Client) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, loop := range []func(context.Context){c.sendLoop, c.feedLoop, c.telemetryLoop, c.renewLoop} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loop(ctx)
		}()
	}
	wg.Wait()
	c.mu.Lock()
	tr := c.tr
	c.mu.Unlock()
	tr.CloseIdleConnections()
	return nil
}

// Reenrol enrols the kiosk again with a new token (its certificate expired
// or was revoked), trusting the CA it pinned, and resumes syncing with the
// new identity. The outbox and the feed position are kept.
func (c *Client) Reenrol(ctx context.Context, token string) error {
	id, _ := c.current()
	nid, err := Enrol(ctx, EnrolOptions{
		Dir: id.Dir, RegistryURL: id.RegistryURL, KioskID: id.KioskID, Token: token, Trust: id.CAPool(),
		SoftwareVersion: c.cfg.SoftwareVersion, Capabilities: c.cfg.Capabilities, Clock: c.clk, Dial: c.cfg.Dial,
	})
	if err != nil {
		return err
	}
	c.setIdentity(nid)
	c.clearProblem()
	c.mu.Lock()
	c.alarmed = map[string]bool{}
	c.mu.Unlock()
	c.wakeAll()
	c.log.Info("kiosk enrolled again", "serial", nid.Serial, "not_after", nid.Certificate.NotAfter)
	return nil
}

// alarmOnce raises a store alarm for a problem the first time it is seen
// (until the next success of the same kind clears it).
func (c *Client) alarmOnce(ctx context.Context, key string, kind store.AlarmKind, subject, message string) {
	c.mu.Lock()
	seen := c.alarmed[key]
	c.alarmed[key] = true
	c.mu.Unlock()
	if seen {
		return
	}
	if err := c.st.RaiseAlarm(ctx, kind, subject, message); err != nil {
		c.log.Error("raise alarm", "kind", kind, "err", err)
	}
}

func (c *Client) clearAlarm(key string) {
	c.mu.Lock()
	delete(c.alarmed, key)
	c.mu.Unlock()
}
