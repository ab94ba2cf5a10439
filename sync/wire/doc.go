// Package wire is the single definition of the messages a Guichet kiosk and
// the ministry's central registry exchange: both the kiosk-side client and
// the registry server import it, and neither copies it.
//
// The transport is HTTPS with mutual TLS 1.3 and JSON bodies under versioned
// paths (Version, PathEnrol, PathRequests, PathChanges, PathTelemetry,
// PathRenew). This package holds only the message types, their validation,
// strict decoders and the canonical body hash; it opens no connection.
//
// Every body a kiosk sends carries its kiosk id (checked by the registry
// against the identity in the client certificate, see KioskURI) and a unique
// message id. Every mutation is idempotent: a request item is keyed by its
// request id, and the registry answers a replay with the original answer.
//
// Strictness: Unmarshal and ReadBody refuse unknown fields, trailing data,
// bodies over the message's size cap and any message whose Validate fails,
// so a message that decodes is one the other side may act on. Byte fields
// (the sealed payload, signatures, documents) are standard base64 in JSON, as
// encoding/json writes []byte; hashes are lower-case hex.
//
// The body hash (RequestItem.ComputeBodyHash) is defined once, here: SHA-256
// over a length-prefixed canonical encoding of the item's fields, so that a
// replay with a byte-identical sealed payload and index is recognised as the
// same body whatever the JSON spacing or field order.
//
// Limits: the protocol is version 1; a later version gets new paths (/v2/…)
// and both versions are served side by side during a fleet's migration.
// Capability names let a kiosk and a registry of different releases agree on
// what each understands within one version.
package wire
