// Package pgstore is the registry's storage on PostgreSQL through pgx, for a
// national fleet: several stateless registry processes share one database,
// and the database, not the processes, enforces the guarantees of
// store.Store.
//
//   - Idempotency: requests have the primary key (kiosk_id, request_id); a
//     batch inserts with ON CONFLICT DO NOTHING and reads back the rows it
//     did not insert to answer Duplicate or Conflict, in one transaction
//     that first locks the kiosk's row, so two processes ingesting the same
//     kiosk's batches serialise instead of deadlocking.
//   - Feeds without gaps: each kiosk row holds its feed head; appending a
//     change increments it (UPDATE … RETURNING, which row-locks it) and
//     inserts the change in the same transaction, so a rollback leaves no
//     hole and two writers never get the same sequence.
//   - Enrolment tokens are consumed under SELECT … FOR UPDATE.
//
// Times are stored as timestamptz, which keeps microseconds: the store
// truncates the times it is given to microseconds (the registry's clock
// does too), except a request's created_at, which is part of its body hash
// and is kept exactly in nanoseconds.
//
// Limits: Migrate creates the schema of version 1 if it is missing; there is
// no down-migration. Long-poll wake-ups across processes are not signalled
// through the database (LISTEN/NOTIFY); the server polls.
package pgstore
