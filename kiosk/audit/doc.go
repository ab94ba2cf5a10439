// Package audit is the kiosk's tamper-evident journal: every request state
// change and every technician action becomes an Entry whose hash covers its
// own fields and the hash of the entry before it, so that the entries form a
// chain from a zero genesis hash.
//
// An entry holds a sequence number (from 1, without gaps), a time, the kind of
// actor (system, citizen, technician, registry), an action name, a subject (a
// request id or a tracking number) and a short detail. Details must never
// carry personal data: the journal outlives the sealed payloads it describes.
//
// The hash is SHA-256 over a domain string and the entry's canonical binary
// encoding (see MarshalBinary); the encoding is strict, so one entry has one
// encoding and Decode refuses anything else.
//
// Check and Verify walk a list of entries in storage order and name what was
// done to it: an edited entry (its hash no longer matches, or it no longer
// matches the hash its successor recorded), a deleted one (a sequence gap), a
// reordered one (out of sequence order) or an inserted one (a second entry
// with a sequence number, not linked by its successor).
//
// Limits: a bare hash chain has no secret, so someone able to rewrite the
// whole file can recompute every hash after the point they change, and can
// cut the tail off unseen. CheckAgainst compares the chain with a head
// recorded elsewhere (the store's metadata, the head sent with telemetry to
// the registry); only a head held off the kiosk defeats a full rewrite.
package audit
