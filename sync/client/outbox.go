package client

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"time"

	"guichet/kiosk/store"
	"guichet/sync/wire"
)

// defaultBatch is the items per batch when the settings say none.
const defaultBatch = 50

// batchBudget bounds the estimated encoded size of a batch, under
// wire.MaxBatchBody with room for the JSON around the items.
const batchBudget = wire.MaxBatchBody - 64<<10

// sendLoop sends the outbox whenever it has something, backing off after a
// failure.
func (c *Client) sendLoop(ctx context.Context) {
	b := newBackoff(c.cfg.RetryMin, c.cfg.RetryMax, c.cfg.Rand)
	for ctx.Err() == nil {
		_, err := c.SendOutbox(ctx)
		wait := c.cfg.OutboxPoll
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			wait = b.next(retryAfterOf(err))
			if errors.Is(err, ErrRefused) {
				wait = max(wait, c.cfg.RetryMax)
			}
			c.log.Warn("outbox not sent", "err", err, "retry_in", wait)
		} else {
			b.reset()
		}
		// A Notify during a failure's wait does not cut it short: the
		// registry asked for room, or the network is down.
		var notify <-chan struct{} = c.notify
		if err != nil {
			notify = nil
		}
		if !c.pause(ctx, wait, notify) {
			return
		}
	}
}

// pause waits d, or until notify fires or the identity changes; it
// reports whether ctx is still live.
func (c *Client) pause(ctx context.Context, d time.Duration, notify <-chan struct{}) bool {
	wake := c.wakeChan()
	merged := make(chan struct{})
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-notify:
		case <-wake:
		case <-stop:
			return
		}
		close(merged)
	}()
	return sleep(ctx, c.clk, d, merged)
}

// SendOutbox sends the pending outbox in batches until it is empty or a
// send fails, and returns how many requests the registry took. Accepted
// and duplicate items are acknowledged in the store (which deletes their
// sealed payloads); conflicting and rejected ones are refused in the store
// (rejected with the reason, payload deleted, alarm raised) and never sent
// again. A failed send changes nothing but the attempt counts: every entry
// stays until the registry answers for it.
func (c *Client) SendOutbox(ctx context.Context) (int, error) {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	total := 0
	for ctx.Err() == nil {
		items, err := c.nextBatch(ctx)
		if err != nil {
			return total, err
		}
		if len(items) == 0 {
			return total, nil
		}
		n, err := c.sendBatch(ctx, items)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, ctx.Err()
}

// nextBatch reads the oldest sendable entries, at most the batch size and
// the byte budget. An entry whose sealed payload no longer matches the hash
// fixed at submission, or that the wire would refuse, is alarmed once and
// kept (never dropped), but not sent.
func (c *Client) nextBatch(ctx context.Context) ([]wire.RequestItem, error) {
	limit := c.Settings().BatchMaxItems
	if limit <= 0 {
		limit = defaultBatch
	}
	limit = min(limit, wire.MaxBatchItems)
	c.mu.Lock()
	skipped := len(c.skipped)
	c.mu.Unlock()
	entries, err := c.st.PendingOutbox(limit + skipped)
	if err != nil {
		return nil, fmt.Errorf("client: outbox: %w", err)
	}
	var items []wire.RequestItem
	size := 0
	for _, e := range entries {
		if len(items) == limit {
			break
		}
		c.mu.Lock()
		skip := c.skipped[e.RequestID]
		c.mu.Unlock()
		if skip {
			continue
		}
		it := wire.NewRequestItem(e.Request, e.Sealed)
		why := ""
		if sha256.Sum256(e.Sealed) != e.BodyHash {
			why = "its sealed payload changed since submission (damaged storage)"
		} else if err := it.Validate(); err != nil {
			why = "the registry's protocol would refuse it: " + err.Error()
		}
		if why != "" {
			c.mu.Lock()
			c.skipped[e.RequestID] = true
			c.mu.Unlock()
			c.log.Error("outbox entry cannot be sent; kept", "request", e.RequestID, "why", why)
			c.alarmOnce(ctx, "unsendable "+e.RequestID, store.AlarmSync, e.RequestID, "outbox entry kept but not sent: "+why)
			continue
		}
		est := len(e.Sealed)*4/3 + 1024
		if len(items) > 0 && size+est > batchBudget {
			break
		}
		size += est
		items = append(items, it)
	}
	return items, nil
}

// sendBatch posts one batch and records the answer for each item.
func (c *Client) sendBatch(ctx context.Context, items []wire.RequestItem) (int, error) {
	id, hc := c.current()
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.RequestID
	}
	if err := c.st.MarkSent(ctx, ids...); err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("client: mark sent: %w", err)
	}
	batch := wire.RequestBatch{KioskID: id.KioskID, MessageID: messageID("batch"), Items: items}
	var resp wire.BatchResponse
	rctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTime)
	err := call(rctx, hc, http.MethodPost, id.RegistryURL, wire.PathRequests, nil, &batch, &resp)
	cancel()
	if err != nil {
		c.failed(err)
		if p := problemOf(err); p != nil && refusesIdentity(p.Code) {
			c.alarmOnce(ctx, "refused", store.AlarmSync, id.KioskID, refusalText(p))
		}
		return 0, fmt.Errorf("client: send %d requests: %w", len(items), err)
	}
	if !resp.Matches(batch) {
		err := fmt.Errorf("%w: the answer does not match batch %s", ErrBadAnswer, batch.MessageID)
		c.failed(err)
		return 0, err
	}
	now := c.clk.Now()
	var acked []string
	refused := 0
	for i, res := range resp.Results {
		it := items[i]
		switch res.Outcome {
		case wire.Accepted, wire.Duplicate:
			if res.BodyHash != it.BodyHash {
				// The registry claims to hold another body: never delete ours.
				c.alarmOnce(ctx, "hash "+it.RequestID, store.AlarmSync, it.RequestID,
					fmt.Sprintf("the registry answered %s with body hash %s, ours is %s; kept", res.Outcome, res.BodyHash, it.BodyHash))
				continue
			}
			acked = append(acked, it.RequestID)
		case wire.Conflict:
			refused++
			c.refuse(ctx, it.RequestID, store.AlarmRequestConflict,
				fmt.Sprintf("conflict at the registry: another body (%s) is stored under this request id: %s", res.BodyHash, res.Reason), now)
		case wire.Rejected:
			refused++
			c.refuse(ctx, it.RequestID, store.AlarmRequestRejected, fmt.Sprintf("refused by the registry (%s): %s", res.Code, res.Reason), now)
		}
	}
	if len(acked) > 0 {
		if err := c.st.Acknowledge(ctx, acked...); err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("client: acknowledge: %w", err)
		}
	}
	c.succeeded(func(s *Status, now time.Time) {
		s.LastSent = now
		s.Acknowledged += len(acked)
		s.Refused += refused
	})
	c.log.Debug("batch sent", "items", len(items), "acknowledged", len(acked), "refused", refused)
	return len(acked), nil
}

// refuse records the registry's final refusal of a request.
func (c *Client) refuse(ctx context.Context, id string, kind store.AlarmKind, reason string, at time.Time) {
	c.log.Error("request refused by the registry", "request", id, "kind", kind, "reason", reason)
	if err := c.st.RefuseRequest(ctx, id, kind, reason, at); err != nil && !errors.Is(err, store.ErrNotFound) {
		// Kept in the outbox: the next send gets the same final answer.
		c.log.Error("record refusal", "request", id, "err", err)
	}
}
