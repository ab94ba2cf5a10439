// Package request is a citizen's request as the kiosk indexes it, and the
// state machine it lives by:
//
//	draft → queued → sent → acknowledged → in_processing → ready → delivered
//
// with side exits to rejected (always with a reason) and cancelled.
// Exactly these steps are legal (Transition): draft→queued|cancelled;
// queued→sent|cancelled; sent→acknowledged|queued (the send failed; retry)|
// rejected; acknowledged→in_processing|rejected|cancelled; in_processing→
// ready|rejected; ready→delivered. Delivered, rejected and cancelled are
// terminal. An illegal step is an error wrapping ErrIllegalTransition, never a
// silent change.
//
// Decisions the issue left open:
//
//   - The state machine never skips. When the registry reports a status the
//     kiosk has not seen the way to (acknowledged → ready: the clerk worked
//     fast and the change feed carries only the latest status; sent → ready:
//     the acknowledgement was lost), Path gives the legal forward steps and
//     the kiosk records each of them, so the audit chain stays a sequence of
//     legal steps and every step in between is explicit.
//   - Path never goes backwards: the retry edge sent→queued is not used.
//   - Once the registry has acknowledged a request, only the registry cancels
//     it (acknowledged→cancelled is a registry status); a queued request is
//     cancelled on the kiosk. Nothing is cancelled once in processing: the
//     registry rejects instead.
//   - A rejection always carries a reason; no other state does.
//   - A tracking number is assigned at submit: only a draft (or a draft
//     cancelled) may lack one.
//
// The Request holds no personal data: that is sealed to the registry and
// stored apart, keyed by the idempotency key ID. MarshalBinary's versioned
// format is documented at formatV1 and frozen by testdata/request_v1.golden;
// JSON uses the struct tags. Both decoders are strict (unknown version or
// field, trailing data, a request that fails Validate) and fuzzed.
//
// Limits: times are stored to the nanosecond in UTC; the time zone of a
// time.Time is not kept.
package request
