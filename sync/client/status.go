package client

import (
	"errors"
	"time"

	"guichet/sync/wire"
)

// Status is what the kiosk's status strip and technician screen show of
// the sync.
type Status struct {
	KioskID     string
	Serial      string
	Court       string
	Fingerprint string // SHA-256 of the client certificate

	Online        bool      // the last exchange with the registry succeeded
	LastSync      time.Time // the last successful exchange of any kind
	LastSent      time.Time // the last batch the registry answered
	LastFeed      time.Time // the last change-feed answer
	LastTelemetry time.Time
	Acknowledged  int // requests the registry took since start (accepted or duplicate)
	Refused       int // requests it refused for good since start (conflict, rejected)

	QueueDepth int           // requests waiting to be sent
	OldestAge  time.Duration // how long the oldest has waited

	FeedSince       uint64
	SettingsVersion uint64
	CertNotAfter    time.Time
	RenewedAt       time.Time // the last certificate renewal; zero if none since start

	// NeedsEnrolment is set when the registry refuses the kiosk's identity
	// (expired, revoked, unknown or another kiosk's certificate): a
	// technician must enrol it again (Reenrol). The outbox is kept.
	NeedsEnrolment bool
	Problem        string         // what is wrong, for the technician; "" when all is well
	ProblemCode    wire.ErrorCode // the registry's code, when it gave one
	LastError      string         // the last failure of any loop, for the log screen
	LastErrorAt    time.Time
}

// Status returns the sync's state now.
func (c *Client) Status() Status {
	c.mu.Lock()
	s := c.status
	c.mu.Unlock()
	if h, err := c.st.Health(); err == nil {
		s.QueueDepth, s.OldestAge = h.QueueDepth, h.OldestAge
	}
	now := c.clk.Now()
	if !s.CertNotAfter.IsZero() && !now.Before(s.CertNotAfter) && !s.NeedsEnrolment {
		s.NeedsEnrolment = true
		s.Problem = "the kiosk certificate expired on " + s.CertNotAfter.UTC().Format(time.RFC3339) + ": enrol the kiosk again"
		s.ProblemCode = wire.CodeCertExpired
		s.Online = false
	}
	return s
}

// succeeded records a successful exchange; it clears a refusal.
func (c *Client) succeeded(set func(s *Status, now time.Time)) {
	now := c.clk.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.Online = true
	c.status.LastSync = now
	if c.status.NeedsEnrolment || c.status.Problem != "" {
		c.status.NeedsEnrolment, c.status.Problem, c.status.ProblemCode = false, "", ""
	}
	if set != nil {
		set(&c.status, now)
	}
}

// failed records a failed exchange: offline on a network failure or a
// server error, refused (NeedsEnrolment) on an identity refusal.
func (c *Client) failed(err error) {
	now := c.clk.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.LastError, c.status.LastErrorAt = err.Error(), now
	p := problemOf(err)
	switch {
	case errors.Is(err, ErrRefused):
		c.status.Online = false
		c.status.NeedsEnrolment = true
		c.status.ProblemCode = p.Code
		c.status.Problem = refusalText(p)
	case errors.Is(err, ErrUnreachable):
		c.status.Online = false
	case p != nil && p.Status >= 500:
		c.status.Online = false
	}
}

func (c *Client) clearProblem() {
	c.mu.Lock()
	c.status.NeedsEnrolment, c.status.Problem, c.status.ProblemCode = false, "", ""
	c.mu.Unlock()
}

// refusalText says what a refusal means to the technician.
func refusalText(p *wire.Problem) string {
	switch p.Code {
	case wire.CodeCertExpired:
		return "the registry says the kiosk certificate has expired: enrol the kiosk again"
	case wire.CodeCertRevoked:
		return "the registry has revoked this kiosk: ask operations, then enrol it again"
	case wire.CodeIdentityMismatch:
		return "the registry says this certificate belongs to another kiosk: enrol the kiosk again"
	}
	return "the registry does not accept the kiosk certificate: enrol the kiosk again"
}
