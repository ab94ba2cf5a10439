// Package registry is the ministry's central registry server: the HTTPS API
// the kiosks talk to (sync/wire over mutual TLS 1.3), the clerks' minimal
// API to process requests, and the operators' API for enrolment tokens and
// the fleet. cmd/guichet-registry is its thin main; cmd/guichet starts one
// in-process for `make run` (New, ListenAndServe, EnrolLocal).
//
// Kiosk endpoints (wire.PathEnrol, PathRenew, PathRequests, PathChanges,
// PathTelemetry) authenticate the kiosk by its client certificate, issued by
// the registry's CA at enrolment: no certificate, one not issued by the CA,
// an expired or revoked one, or a body naming another kiosk than the
// certificate is refused with a problem JSON (wire.Problem) and changes
// nothing. Bodies are decoded strictly with size caps (413, 400, 422).
// Ingest and long-polls are bounded: past the bound the registry answers
// 503 with Retry-After rather than queueing without end.
//
// Clerks and operators authenticate with HTTP Basic over the same TLS
// listener against accounts whose passwords are hashed with Argon2id. The
// clerk API lists a court's requests, opens one (unsealing its personal data
// with the registry's HPKE key, an audited action) and moves it to
// in_processing, ready or rejected, each move a change-feed entry for the
// kiosk. A web console belongs in sync/registry/console and uses Server's
// exported methods (Store, Open, SetStatus, IssueToken, Authenticate).
//
// Storage is a store.Store: boltstore by default, pgstore for several
// registry processes over one database (the main chooses). Long-polls wake
// at once on changes made by this process and poll the store every
// Config.PollInterval for changes made by others.
//
// Limits: no console, no signed bulletin n°3 PDF yet; no CRL or OCSP
// (revocation is checked against the store on every request, which is what
// makes it immediate); telemetry's audit-head signature is stored, not
// verified.
package registry
