package wire

import (
	"fmt"
	"time"
)

// Problem is every error answer of the registry, an RFC 9457 problem
// details object served as ProblemContentType, with a machine-readable Code.
type Problem struct {
	Type       string    `json:"type"`   // "about:blank" or a URN naming Code
	Title      string    `json:"title"`  // short, human
	Status     int       `json:"status"` // the HTTP status
	Detail     string    `json:"detail,omitempty"`
	Code       ErrorCode `json:"code"`
	MessageID  string    `json:"message_id,omitempty"`  // the request's, when it could be read
	RetryAfter Duration  `json:"retry_after,omitempty"` // also in the Retry-After header
}

func (Problem) maxBody() int { return MaxProblemBody }

// ErrorCode is the machine-readable reason of a Problem.
type ErrorCode string

// The error codes. A client branches on these, never on Title or Detail.
const (
	CodeMalformed        ErrorCode = "malformed"          // 400: not JSON, unknown field, wrong types, bad query
	CodeInvalid          ErrorCode = "invalid"            // 422: decoded but breaks a rule
	CodeTooLarge         ErrorCode = "too_large"          // 413
	CodeUnsupportedMedia ErrorCode = "unsupported_media"  // 415
	CodeNoCertificate    ErrorCode = "no_certificate"     // 401: no client certificate
	CodeCertExpired      ErrorCode = "cert_expired"       // 401
	CodeCertRevoked      ErrorCode = "cert_revoked"       // 401
	CodeIdentityMismatch ErrorCode = "identity_mismatch"  // 403: body kiosk id is not the certificate's
	CodeTokenInvalid     ErrorCode = "token_invalid"      // 403: unknown enrolment token
	CodeTokenUsed        ErrorCode = "token_used"         // 403
	CodeTokenExpired     ErrorCode = "token_expired"      // 403
	CodeNotFound         ErrorCode = "not_found"          // 404
	CodeMethod           ErrorCode = "method_not_allowed" // 405
	CodeOverloaded       ErrorCode = "overloaded"         // 503 with Retry-After
	CodeInternal         ErrorCode = "internal"           // 500
	CodeUnauthorized     ErrorCode = "unauthorized"       // 401: clerk or operator without a valid session
	CodeForbidden        ErrorCode = "forbidden"          // 403: clerk or operator without the role
	CodeState            ErrorCode = "illegal_state"      // 409: a clerk's transition the state machine refuses
	CodeHolderMismatch   ErrorCode = "holder_mismatch"    // 403: the card presented is not the extract holder's
	CodeNotReady         ErrorCode = "not_ready"          // 409: the extract is not issued and endorsed yet
	CodeDelivered        ErrorCode = "already_delivered"  // 409: the extract was handed over already
)

// Retryable reports whether the same message may succeed later unchanged.
func (c ErrorCode) Retryable() bool { return c == CodeOverloaded || c == CodeInternal }

// Validate checks the status range, the code and the text fields.
func (p Problem) Validate() error {
	if p.Status < 400 || p.Status > 599 {
		return invalid("problem status %d is not 4xx or 5xx", p.Status)
	}
	if !validName(string(p.Code), MaxName) {
		return invalid("problem code %q is not valid", clip(string(p.Code)))
	}
	if !validText(p.Type, MaxText) || !validText(p.Title, MaxText) || !validText(p.Detail, 4*MaxText) {
		return invalid("problem text is not valid")
	}
	if p.MessageID != "" && !ValidMessageID(p.MessageID) {
		return invalid("problem message id %q is not valid", clip(p.MessageID))
	}
	return nil
}

// Error makes a Problem an error on the client side.
func (p *Problem) Error() string {
	if p.Detail != "" {
		return fmt.Sprintf("wire: registry %d %s: %s", p.Status, p.Code, p.Detail)
	}
	return fmt.Sprintf("wire: registry %d %s", p.Status, p.Code)
}

// NewProblem returns a Problem with Type naming code.
func NewProblem(status int, code ErrorCode, title, detail string) *Problem {
	return &Problem{Type: "urn:guichet:problem:" + string(code), Title: title, Status: status, Code: code, Detail: detail}
}

// WithRetryAfter sets RetryAfter and returns p.
func (p *Problem) WithRetryAfter(d time.Duration) *Problem {
	p.RetryAfter = Duration(d)
	return p
}
