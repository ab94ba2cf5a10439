package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"guichet/drivers"
	"guichet/kiosk/store"
	"guichet/sync/wire"
)

// telemetryLoop reports telemetry at the settings' interval.
// The first report waits a random part of the interval (at most 30 s), so
// that a fleet starting together does not report together.
func (c *Client) telemetryLoop(ctx context.Context) {
	b := newBackoff(c.cfg.RetryMin, c.cfg.RetryMax, c.cfg.Rand)
	first := c.Settings().TelemetryInterval.Std()
	if first <= 0 {
		first = c.cfg.TelemetryTime
	}
	if !c.pause(ctx, time.Duration(c.cfg.Rand()*float64(min(first, 30*time.Second))), nil) {
		return
	}
	for ctx.Err() == nil {
		every := c.Settings().TelemetryInterval.Std()
		if every <= 0 {
			every = c.cfg.TelemetryTime
		}
		wait := every
		if err := c.SendTelemetry(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = min(b.next(retryAfterOf(err)), every)
			if errors.Is(err, ErrRefused) {
				wait = every
			}
			c.log.Warn("telemetry", "err", err, "retry_in", wait)
		} else {
			b.reset()
		}
		if !c.pause(ctx, wait, nil) {
			return
		}
	}
}

// Telemetry builds the report SendTelemetry sends: the software, the
// devices' health and paper from Config.Readings, the outbox's depth and
// oldest entry, the feed position, and the audit chain's head signed with
// the kiosk's key.
func (c *Client) Telemetry() (wire.Telemetry, error) {
	id, _ := c.current()
	now := c.clk.Now().UTC()
	h, err := c.st.Health()
	if err != nil {
		return wire.Telemetry{}, fmt.Errorf("client: telemetry: %w", err)
	}
	fs, err := c.st.Feed()
	if err != nil {
		return wire.Telemetry{}, fmt.Errorf("client: telemetry: %w", err)
	}
	var r Readings
	if c.cfg.Readings != nil {
		r = c.cfg.Readings()
	}
	set := c.Settings()
	st := c.Status()
	t := wire.Telemetry{
		KioskID: id.KioskID, MessageID: messageID("telemetry"), At: now,
		SoftwareVersion: c.cfg.SoftwareVersion, CountryPack: id.CountryPack, PackVersion: id.PackVersion,
		Capabilities: c.cfg.Capabilities, QueueDepth: h.QueueDepth,
		FeedSince: fs.Since, SettingsVersion: set.Version, Uptime: wire.Duration(max(now.Sub(c.start), 0)),
		CertNotAfter: id.Certificate.NotAfter.UTC(), Message: wire.Text(r.Message, wire.MaxText),
		ServiceMode: r.ServiceMode, LastFeedAt: st.LastFeed.UTC(), Update: r.Update,
	}
	if set.PackVersion > 0 {
		t.PackVersion = set.PackVersion
	}
	if h.QueueDepth > 0 {
		t.OldestEntryAge = wire.Duration(h.OldestAge)
	}
	for _, d := range r.Devices {
		// A device name follows the wire's name rule, which is the kiosk
		// id's; one that does not is left out rather than failing the report.
		if len(t.Peripherals) == wire.MaxPeripherals || !wire.ValidKioskID(d.Device) {
			continue
		}
		since := d.Since.UTC()
		if d.Since.IsZero() {
			since = c.start.UTC()
		}
		t.Peripherals = append(t.Peripherals, wire.Peripheral{Name: d.Device, Health: healthOf(d.State), Detail: wire.Text(d.Reason, wire.MaxText), Since: since})
	}
	for _, p := range r.Paper {
		if len(t.Paper) < wire.MaxPeripherals {
			t.Paper = append(t.Paper, p)
		}
	}
	for _, a := range c.st.Alarms() {
		if name := string(a.Kind); !slices.Contains(t.Alarms, name) && len(t.Alarms) < wire.MaxPeripherals {
			t.Alarms = append(t.Alarms, name)
		}
	}
	t.AuditHead = wire.AuditHead{Seq: h.AuditHead.Seq, Hash: wire.Hash(h.AuditHead.Hash)}
	sig, err := sign(id.Key, wire.AuditHeadSignedBytes(id.KioskID, t.AuditHead))
	if err != nil {
		return wire.Telemetry{}, fmt.Errorf("client: sign audit head: %w", err)
	}
	t.AuditHead.Signature = sig
	return t, nil
}

// healthOf maps a device's connection state to the wire's health.
func healthOf(s drivers.State) wire.Health {
	switch s {
	case drivers.Connected:
		return wire.HealthOK
	case drivers.Reconnecting:
		return wire.HealthDegraded
	case drivers.Failed:
		return wire.HealthFault
	}
	return wire.HealthAbsent
}

// SendTelemetry sends one telemetry report.
func (c *Client) SendTelemetry(ctx context.Context) error {
	t, err := c.Telemetry()
	if err != nil {
		return err
	}
	id, hc := c.current()
	var ack wire.TelemetryAck
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	err = call(rctx, hc, http.MethodPost, id.RegistryURL, wire.PathTelemetry, nil, &t, &ack)
	cancel()
	if err != nil {
		c.failed(err)
		if p := problemOf(err); p != nil && refusesIdentity(p.Code) {
			c.alarmOnce(ctx, "refused", store.AlarmSync, id.KioskID, refusalText(p))
		}
		return fmt.Errorf("client: telemetry: %w", err)
	}
	if ack.KioskID != id.KioskID || ack.MessageID != t.MessageID {
		err := fmt.Errorf("%w: telemetry acknowledged for %s/%s", ErrBadAnswer, ack.KioskID, ack.MessageID)
		c.failed(err)
		return err
	}
	if ack.FeedHead < t.FeedSince {
		c.log.Warn("the registry's feed is behind this kiosk's position", "feed_head", ack.FeedHead, "since", t.FeedSince)
	}
	if d := ack.ServerTime.Sub(t.At); d > 5*time.Minute || d < -5*time.Minute {
		c.log.Warn("kiosk clock differs from the registry's", "by", d.Round(time.Second))
	}
	c.clearAlarm("refused")
	c.succeeded(func(s *Status, now time.Time) { s.LastTelemetry = now })
	return nil
}

// renewLoop renews the certificate once two thirds of its life have
// passed, retrying with backoff; an expired certificate cannot be renewed
// (Status says to enrol again).
func (c *Client) renewLoop(ctx context.Context) {
	b := newBackoff(max(c.cfg.RetryMin, time.Minute), max(c.cfg.RetryMax, time.Hour), c.cfg.Rand)
	for ctx.Err() == nil {
		id, _ := c.current()
		now := c.clk.Now()
		nb, na := id.Certificate.NotBefore, id.Certificate.NotAfter
		renewAt := na.Add(-na.Sub(nb) / 3)
		var wait time.Duration
		switch {
		case !now.Before(na):
			wait = c.cfg.RenewCheck
		case !now.Before(renewAt):
			if err := c.Renew(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				wait = b.next(retryAfterOf(err))
				c.log.Warn("certificate renewal", "err", err, "retry_in", wait, "not_after", na)
			} else {
				b.reset()
				continue
			}
		default:
			wait = min(renewAt.Sub(now), c.cfg.RenewCheck)
		}
		if !c.pause(ctx, wait, nil) {
			return
		}
	}
}

// Renew asks the registry for a certificate for a new key while the
// current one is valid, and switches to it once it is written to disk.
func (c *Client) Renew(ctx context.Context) error {
	id, hc := c.current()
	key, err := newKey()
	if err != nil {
		return err
	}
	csr, err := csrFor(id.KioskID, key)
	if err != nil {
		return err
	}
	req := wire.RenewRequest{KioskID: id.KioskID, MessageID: messageID("renew"), CSR: csr}
	var resp wire.RenewResponse
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	err = call(rctx, hc, http.MethodPost, id.RegistryURL, wire.PathRenew, nil, &req, &resp)
	cancel()
	if err != nil {
		c.failed(err)
		return fmt.Errorf("client: renew: %w", err)
	}
	certs, _ := wire.ParseCertificates(resp.Certificate)
	cert := certs[0]
	name, nerr := wire.KioskIDFromCertificate(cert)
	switch {
	case resp.KioskID != id.KioskID || nerr != nil || name != id.KioskID:
		return fmt.Errorf("%w: renewal: the certificate does not name kiosk %s", ErrBadAnswer, id.KioskID)
	case !samePublicKey(key.Public(), cert.PublicKey):
		return fmt.Errorf("%w: renewal: the certificate is not for the new key", ErrBadAnswer)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: id.CAPool(), CurrentTime: c.clk.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return fmt.Errorf("%w: renewal: the certificate is not from the pinned CA: %v", ErrBadAnswer, err)
	}
	nid := *id
	nid.Key, nid.Certificate = key, cert
	pemID, err := encodeIdentityPEM(key, cert.Raw)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(nid.Dir+"/"+FileIdentity, pemID, 0o600); err != nil {
		return err
	}
	c.setIdentity(&nid)
	c.succeeded(func(s *Status, now time.Time) { s.RenewedAt = now })
	c.log.Info("certificate renewed", "not_after", cert.NotAfter)
	return nil
}
