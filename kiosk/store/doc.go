// Package store is the kiosk's durable memory, a bbolt database holding the
// request queue, the personal data sealed to the registry, the outbox the sync
// client drains, and the audit chain.
//
// # One transaction per submission
//
// Submit writes, in one bbolt transaction, the request index (no personal
// data), the personal data sealed with HPKE to the registry's public key
// (package seal: the kiosk cannot read its own queue), an outbox entry
// carrying the idempotency key, and an audit entry. It returns only after the
// transaction committed and bbolt's fdatasync returned, so "accepted" on the
// screen means on disk. Concurrent writers are grouped into one transaction
// (group commit, with no added delay), which is what makes 16 concurrent
// submitters cheaper than 16 fsyncs; each caller still learns its own result.
//
// # Buckets
//
//	meta          format version, audit head, residue counter
//	requests      request id → request.Request (binary)
//	tracking      tracking number → request id
//	sealed        request id → seal envelope, until the registry acknowledges
//	outbox        sequence (8 bytes, big-endian) → outbox record
//	outbox_by_id  request id → outbox sequence
//	audit         sequence (8 bytes, big-endian) → audit.Entry
//
// # Life of a request
//
// Submit queues it; MarkSent counts an attempt (queued → sent); Acknowledge
// (the registry has it) deletes the sealed payload and the outbox entry;
// ApplyStatus walks the registry's later statuses through request.Path, each
// step a legal transition and an audit entry. Every state change and every
// RecordAudit call appends to the audit chain in the same transaction.
//
// # Size limit, disk full, corruption
//
// Beyond Options.MaxSize of live pages, Submit returns ErrQueueFull and Health
// reports the store as limited; acknowledgements, status changes and audit
// entries are still written, so the queue drains. A write the file system
// refuses (ENOSPC, EDQUOT, EFBIG) returns ErrNoSpace; bbolt rolls the
// transaction back and nothing committed before is touched.
//
// At Open the file is walked page by page (every bucket, every key, every
// value through its strict decoder, the indexes cross-checked) and bbolt's
// tx.Check runs. A file bbolt refuses to open or that fails those checks is
// renamed to NAME.corrupt-YYYYMMDDTHHMMSSZ (kept for forensics, never
// deleted), a fresh database is started, and an alarm is raised: logged,
// listed by Alarms, and written as the first entries of the new audit chain. A
// broken audit chain raises an alarm but keeps the file: evidence stays where
// it is.
//
// # Compaction
//
// bbolt never returns pages to the file system and keeps deleted values in
// free pages. Compact copies the live data into NAME.compact, fsyncs it,
// renames it over NAME and fsyncs the directory; a crash at any point leaves
// either the old or the new complete file. After Acknowledge, the sealed bytes
// linger in free pages until the next compaction: Health().Residue counts
// them, and the kiosk compacts when idle and Residue > 0.
//
// # Limits
//
// The audit chain and the request index (which answers tracking lookups) are
// never pruned here; MaxSize eventually limits a kiosk that never prunes
// them. Compaction removes old bytes from the database file, not from the
// flash cells under it: sealing is what protects personal data at rest.
// Structural checks at Open cost a read of the whole file. Context
// cancellation is honoured before a write is queued, never after: once queued,
// a write completes and its caller learns the outcome.
package store
