package main

import (
	"context"
	"log/slog"
	"time"

	"guichet/kiosk/flow"
	"guichet/kiosk/request"
	"guichet/kiosk/store"
	"guichet/sync/client"
)

// syncLink is the kiosk's link to the registry; its zero value stands for a
// kiosk that is not enrolled.
type syncLink struct{ c *client.Client }

func startSync(ctx context.Context, data string, st *store.Store, readings func() client.Readings, log *slog.Logger) (*syncLink, error) {
	c, err := client.New(client.Config{Dir: data, Store: st, SoftwareVersion: version, Readings: readings, Logger: log.With("part", "sync")})
	if err != nil {
		return nil, err
	}
	go func() {
		if err := c.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("sync client stopped", "err", err)
		}
	}()
	return &syncLink{c: c}, nil
}

// notify sends a new request at once instead of at the next outbox poll.
func (l *syncLink) notify() {
	if l.c != nil {
		l.c.Notify()
	}
}

// lastFeed is when the kiosk last heard the registry's change feed: how
// fresh a tracking answer from the local store is.
func (l *syncLink) lastFeed() time.Time {
	if l.c == nil {
		return time.Time{}
	}
	return l.c.Status().LastFeed
}

// reportConnectivity keeps the status strip's online state and last sync
// time current.
func (l *syncLink) reportConnectivity(ctx context.Context, f *flow.Flow) {
	var last flow.Connectivity
	every(ctx, 2*time.Second, func() bool {
		var c flow.Connectivity
		if l.c != nil {
			s := l.c.Status()
			c = flow.Connectivity{Online: s.Online, LastSync: s.LastSync}
		}
		if c != last {
			f.SetConnectivity(c)
			last = c
		}
		return true
	})
}

// readings are the devices' health for telemetry.
func (ps *peripherals) readings() client.Readings {
	return client.Readings{Devices: ps.healthSnapshot()}
}

// notifyingStore wakes the sync client after each accepted request.
type notifyingStore struct {
	*store.Store
	notify func()
}

func (s notifyingStore) Submit(ctx context.Context, req request.Request, personal []byte) (request.Request, error) {
	r, err := s.Store.Submit(ctx, req, personal)
	if err == nil {
		s.notify()
	}
	return r, err
}

// version is the kiosk software's version, set at link time by the release
// build (-ldflags "-X main.version=…").
var version = "dev"
