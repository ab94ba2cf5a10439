package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"guichet/sync/wire"
)

// DialFunc opens a TCP connection (net.Dialer.DialContext's shape).
type DialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// newTransport is an HTTPS transport that trusts only roots, presents the
// certificate getCert returns (none if nil), and speaks TLS 1.3 only.
func newTransport(roots *x509.CertPool, getCert func(*tls.CertificateRequestInfo) (*tls.Certificate, error), now func() time.Time, dial DialFunc) *http.Transport {
	if dial == nil {
		d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
		dial = d.DialContext
	}
	return &http.Transport{
		DialContext: dial,
		TLSClientConfig: &tls.Config{
			MinVersion:           tls.VersionTLS13,
			RootCAs:              roots,
			GetClientCertificate: getCert,
			Time:                 now,
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   15 * time.Second,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Error kinds a caller branches on (errors.Is).
var (
	// ErrUnreachable wraps a failure to reach the registry or to read its
	// answer: the network, a timeout, a cut connection.
	ErrUnreachable = errors.New("client: registry unreachable")
	// ErrRefused wraps the registry's refusal of this kiosk's identity: no
	// certificate, expired, revoked, or another kiosk's. Retrying does not
	// help; a technician must enrol the kiosk again.
	ErrRefused = errors.New("client: the registry refuses this kiosk")
	// ErrBadAnswer wraps an answer that does not decode or does not match
	// the question: a broken registry or something in between.
	ErrBadAnswer = errors.New("client: bad answer from the registry")
)

// problemError is a problem answer with its Retry-After.
type problemError struct {
	p          *wire.Problem
	retryAfter time.Duration
}

func (e *problemError) Error() string { return e.p.Error() }
func (e *problemError) Unwrap() []error {
	if refusesIdentity(e.p.Code) {
		return []error{e.p, ErrRefused}
	}
	return []error{e.p}
}

// refusesIdentity reports whether code says the kiosk's identity is not
// accepted.
func refusesIdentity(c wire.ErrorCode) bool {
	switch c {
	case wire.CodeNoCertificate, wire.CodeCertExpired, wire.CodeCertRevoked, wire.CodeIdentityMismatch:
		return true
	}
	return false
}

// retryAfterOf returns how long err asks to wait before retrying (0 for no
// advice).
func retryAfterOf(err error) time.Duration {
	var pe *problemError
	if errors.As(err, &pe) {
		return pe.retryAfter
	}
	return 0
}

// problemOf returns the registry's problem in err, or nil.
func problemOf(err error) *wire.Problem {
	var pe *problemError
	if errors.As(err, &pe) {
		return pe.p
	}
	return nil
}

// call sends in (nil for none) to base+path?query and decodes a 200 answer
// into out. A problem answer is a *problemError; a network failure wraps
// ErrUnreachable; an answer that does not decode wraps ErrBadAnswer.
func call(ctx context.Context, hc *http.Client, method, base, path string, query url.Values, in, out wire.Message) error {
	var body io.Reader
	if in != nil {
		b, err := wire.Marshal(in)
		if err != nil {
			return fmt.Errorf("client: %s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	u := base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("client: %s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", wire.ContentType)
	}
	req.Header.Set("Accept", wire.ContentType+", "+wire.ProblemContentType)
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("client: %s %s: %w", method, path, ctx.Err())
		}
		return fmt.Errorf("%w: %s %s: %w", ErrUnreachable, method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readProblem(resp, method, path)
	}
	if err := wire.ReadBody(resp.Body, out); err != nil {
		if errors.Is(err, wire.ErrMalformed) || errors.Is(err, wire.ErrInvalid) || errors.Is(err, wire.ErrTooLarge) {
			return fmt.Errorf("%w: %s %s: %w", ErrBadAnswer, method, path, err)
		}
		return fmt.Errorf("%w: %s %s: reading the answer: %w", ErrUnreachable, method, path, err)
	}
	return nil
}

// readProblem turns an error answer into a *problemError. An answer that is
// not a problem (a proxy's HTML page) becomes one with the HTTP status and
// CodeInternal for 5xx, CodeMalformed for 4xx.
func readProblem(resp *http.Response, method, path string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, wire.MaxProblemBody+1))
	var p wire.Problem
	if err := decodeProblem(b, &p); err != nil || p.Status != resp.StatusCode {
		code := wire.CodeMalformed
		if resp.StatusCode >= 500 {
			code = wire.CodeInternal
		}
		p = *wire.NewProblem(resp.StatusCode, code, http.StatusText(resp.StatusCode), fmt.Sprintf("%s %s: not a problem answer", method, path))
	}
	pe := &problemError{p: &p, retryAfter: p.RetryAfter.Std()}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d > pe.retryAfter {
		pe.retryAfter = d
	}
	return pe
}

// decodeProblem decodes a problem answer strictly.
func decodeProblem(b []byte, p *wire.Problem) error {
	if err := wire.Unmarshal(b, p); err != nil {
		return err
	}
	return nil
}

// maxRetryAfter bounds what a Retry-After may ask: a registry asking for
// more is taken at this.
const maxRetryAfter = time.Hour

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3), bounded to maxRetryAfter.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return min(time.Duration(n)*time.Second, maxRetryAfter), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

// jsonValid is json.Valid, for settings kept as text.
func jsonValid(b []byte) bool { return json.Valid(b) }
