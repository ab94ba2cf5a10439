package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"guichet/kiosk/store"
	"guichet/sync/wire"
)

// feedLoop long-polls the change feed and applies what comes.
func (c *Client) feedLoop(ctx context.Context) {
	b := newBackoff(c.cfg.RetryMin, c.cfg.RetryMax, c.cfg.Rand)
	for ctx.Err() == nil {
		wait := c.Settings().FeedWait.Std()
		if wait <= 0 {
			wait = c.cfg.FeedWait
		}
		began := c.clk.Now()
		n, more, err := c.PollChanges(ctx, wait)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d := b.next(retryAfterOf(err))
			if errors.Is(err, ErrRefused) {
				d = max(d, c.cfg.RetryMax)
			}
			c.log.Warn("change feed", "err", err, "retry_in", d)
			if !c.pause(ctx, d, nil) {
				return
			}
			continue
		}
		b.reset()
		// A registry that does not hold the poll (no feed.longpoll) would
		// make this loop spin: pace it.
		if n == 0 && !more && c.clk.Now().Sub(began) < time.Second {
			if !c.pause(ctx, min(wait, 5*time.Second), nil) {
				return
			}
		}
	}
}

// PollChanges asks the registry for the changes after the position the
// store holds, waiting up to wait for one to appear, and applies them with
// the new position in one store transaction. It returns how many changes
// were applied and whether more are waiting. Documents are checked against
// Config.DocumentKeys; a change that fails its checks is recorded as
// refused (audited, alarmed) and the feed moves past it.
func (c *Client) PollChanges(ctx context.Context, wait time.Duration) (int, bool, error) {
	id, hc := c.current()
	fs, err := c.st.Feed()
	if err != nil {
		return 0, false, fmt.Errorf("client: feed: %w", err)
	}
	wait = min(max(wait, 0), wire.MaxWait).Truncate(time.Second)
	q := wire.ChangesQuery{KioskID: id.KioskID, Since: fs.Since, Wait: wait, Limit: c.cfg.FeedLimit}
	var resp wire.ChangesResponse
	rctx, cancel := context.WithTimeout(ctx, wait+c.cfg.RequestTime)
	err = call(rctx, hc, http.MethodGet, id.RegistryURL, wire.PathChanges, q.Values(), nil, &resp)
	cancel()
	if err != nil {
		c.failed(err)
		p := problemOf(err)
		switch {
		case p != nil && refusesIdentity(p.Code):
			c.alarmOnce(ctx, "refused", store.AlarmSync, id.KioskID, refusalText(p))
		case p != nil && p.Status == http.StatusUnprocessableEntity:
			// The registry's feed is behind our position: it lost changes
			// (a restore). Read it again from the start; what was applied
			// stays, and older versions are refused as rollbacks.
			c.log.Error("change feed behind the kiosk's position; reading it again", "since", fs.Since, "detail", p.Detail)
			if rerr := c.st.ResetFeed(ctx, 0, p.Detail); rerr != nil {
				return 0, false, fmt.Errorf("client: reset feed: %w", rerr)
			}
		}
		return 0, false, fmt.Errorf("client: change feed since %d: %w", fs.Since, err)
	}
	if resp.KioskID != id.KioskID || resp.Since != fs.Since {
		err := fmt.Errorf("%w: feed answer for kiosk %s since %d, asked %s since %d", ErrBadAnswer, resp.KioskID, resp.Since, id.KioskID, fs.Since)
		c.failed(err)
		return 0, false, err
	}
	changes := make([]store.Change, len(resp.Changes))
	settings := false
	for i, ch := range resp.Changes {
		changes[i] = c.toStore(ch)
		settings = settings || (ch.Kind == wire.ChangeConfiguration && changes[i].Refused == "")
	}
	applied := 0
	if len(changes) > 0 {
		out, err := c.st.ApplyChanges(ctx, resp.Next, changes)
		if errors.Is(err, store.ErrFeedGap) {
			// Another poll moved the position meanwhile: ask again.
			return 0, true, nil
		}
		if err != nil {
			return 0, false, fmt.Errorf("client: apply changes %d-%d: %w", fs.Since+1, resp.Next, err)
		}
		for _, o := range out {
			if o.Applied {
				applied++
			} else {
				c.log.Warn("change not applied", "seq", o.Seq, "kind", o.Kind, "why", o.Why)
			}
		}
		if settings {
			if err := c.loadSettings(); err != nil {
				return applied, resp.More, err
			}
		}
	}
	c.succeeded(func(s *Status, now time.Time) {
		s.LastFeed = now
		s.FeedSince = resp.Next
	})
	return applied, resp.More, nil
}

// toStore checks one change and converts it for the store. A change of a
// kind this kiosk did not advertise, or a document without a trusted
// signature, is marked Refused.
func (c *Client) toStore(ch wire.Change) store.Change {
	sc := store.Change{Seq: ch.Seq, Kind: store.ChangeKind(ch.Kind), At: ch.At}
	if !slices.Contains(c.cfg.Capabilities, ch.Kind.Capability()) {
		sc.Refused = fmt.Sprintf("kind %s was not advertised by this kiosk", ch.Kind)
		return sc
	}
	switch ch.Kind {
	case wire.ChangeRequestStatus:
		s := ch.Status
		sc.RequestID, sc.State, sc.Reason, sc.UpdatedAt = s.RequestID, s.State, s.Reason, s.UpdatedAt
	case wire.ChangeReferenceData, wire.ChangeUpdateManifest:
		d := ch.Document
		key, ok := c.documentKey(d.KeyID)
		switch {
		case !ok:
			sc.Refused = fmt.Sprintf("document %s version %d is signed by key %q, which this kiosk does not trust", d.Name, d.Version, d.KeyID)
		case !d.Verify(key):
			sc.Refused = fmt.Sprintf("document %s version %d: the signature by key %s does not verify", d.Name, d.Version, d.KeyID)
		default:
			sc.Document = &store.Document{
				Kind: sc.Kind, Name: d.Name, Version: d.Version, Issued: d.Issued, Expires: d.Expires,
				KeyID: d.KeyID, Payload: d.Payload, Signature: d.Signature,
			}
		}
	case wire.ChangeConfiguration:
		b, err := json.Marshal(ch.Settings)
		switch {
		case err != nil:
			sc.Refused = "settings do not encode: " + err.Error()
		case ch.Settings.Version == 0:
			sc.Refused = "settings without a version"
		default:
			sc.Settings, sc.SettingsVersion = b, ch.Settings.Version
		}
	}
	return sc
}
