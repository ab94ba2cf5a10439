// Package boltstore is the registry's embedded storage on bbolt: one file,
// one writer at a time, the default for a single registry process and for
// `make run`. It implements store.Store and passes storetest.
//
// Records are JSON; keys are ordered so that listings need no sort: requests
// by (kiosk, request id), a court's requests by reception time, each kiosk's
// feed by sequence. Sealed payloads live in a bucket of their own so that
// listings never read them.
//
// Limits: bbolt allows one writer, so ingest is bounded by one fsync per
// batch; several registry processes cannot share the file (use pgstore).
package boltstore
