// Package client is the kiosk's side of the wire to the ministry's central
// registry (sync/wire over HTTPS with mutual TLS 1.3): enrolment, the
// outbox sender, the change feed, telemetry and certificate renewal.
// cmd/guichet builds one Client over the kiosk's store (kiosk/store) and
// runs it beside the touchscreen; kiosk/ never imports this package.
//
// # Enrolment and identity
//
// Enrol takes a technician's one-time token, generates the kiosk's Ed25519
// key, sends a certificate request and writes what the registry returns to
// the kiosk's data directory, each file atomically (temporary file, fsync,
// rename, directory fsync): FileIdentity (key and certificate, 0600),
// FileRegistryCA (the CA pinned from then on: the client trusts no other),
// FileEnrolment (serial, court, country pack, registry address, initial
// settings), FileRegistryKey (the HPKE key requests are sealed to) and
// FileKioskID. The key of an enrolment in progress is kept until it
// completes, so that a retry after a lost answer presents the same key and
// the registry answers with the same certificate. Certificates live 7 days;
// Run renews at two thirds of their life (POST /v1/renew, a new key each
// time). An expired or revoked kiosk is told so (Status.NeedsEnrolment) and
// keeps its outbox until a technician enrols it again (Reenrol).
//
// # Outbox: at least once on the wire, exactly once at the registry
//
// SendOutbox sends the store's pending entries oldest first in batches
// (Settings.BatchMaxItems, at most wire.MaxBatchItems, bounded in bytes). The
// registry stores a request once per (kiosk, request id) and answers a
// replay with its original answer, so the client may resend freely: after a
// reset connection, a lost reply or a restart it sends the same bytes again
// (the sealed payload and its body hash are fixed at submission) and gets
// "duplicate". Only accepted or duplicate with the item's own body hash
// acknowledges an entry (the store deletes its sealed payload). Conflict and
// rejected are final: the store marks the request rejected with the reason,
// deletes its payload and raises an alarm (store.RefuseRequest); it is never
// sent again. Anything else (network failure, 5xx, 503 with Retry-After)
// leaves the outbox as it is and is retried with exponential backoff and
// equal jitter, never sooner than Retry-After (and spread up to twice it,
// so a fleet told to wait comes back spread out). An entry whose sealed payload
// no longer matches its submission hash is alarmed and kept, never sent.
//
// # Change feed
//
// PollChanges long-polls GET /v1/changes after the position the store
// holds and applies the answer with the new position in one bbolt
// transaction (store.ApplyChanges), so a crash neither skips nor repeats a
// change. Status changes walk request.Path; reference data and update
// manifests must carry a valid Ed25519 signature by one of
// Config.DocumentKeys or the registry's document keys pinned at enrolment,
// and a version above the one held; configuration
// changes must raise the settings' version. A change that fails is recorded
// as refused (audited, alarmed) and the feed moves on. A registry whose feed
// is behind the kiosk's position (422: it lost changes) makes the kiosk read
// the feed again from the start; what it holds stays, older versions are
// refused as rollbacks.
//
// # Services asked while a citizen waits
//
// LookupFines (POST /v1/fines), FetchExtract (POST /v1/extract) and
// Delivered (POST /v1/delivered) are asked once within RequestTime, never
// retried with backoff: the citizen is told at once to come back or to go
// to the counter. FetchExtract prints nothing the kiosk did not verify: the
// signers list by a pinned document key, every signature on the extract by
// a signer of its role, the verification URL, and the holder against the
// card presented.
//
// # Telemetry and status
//
// Telemetry reports the software version, the devices' health and paper
// (Config.Readings), the outbox depth and the age of its oldest entry, the
// feed position and the audit chain's head signed with the kiosk key.
// Status is what the status strip (online, last sync) and the technician
// screen show.
//
// Limits: one registry address; no proxy support; update manifests are
// stored, not acted on (the fleet-update work reads them from the store);
// the extract download capability is not implemented. Time for TLS and
// retries comes from Config.Clock, but network timeouts are real time.
package client
