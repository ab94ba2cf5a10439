// Package update is Guichet's software update, both ends: the release
// tooling that builds and signs an update bundle (Publish, RotateRoot,
// RefreshTimestamp), the repository that serves it over HTTP with ranges or
// from a directory on a USB stick (NewRepositoryHandler, HTTPSource,
// DirSource), and the kiosk's updater: a state machine persisted in its own
// bbolt file that downloads, verifies, stages, waits for the maintenance
// window, activates, supervises the probation and commits or rolls back
// (Updater).
//
// Trust follows The Update Framework (TUF 1.0, through go-tuf/v2's
// trustedmetadata): root, targets, snapshot and timestamp metadata signed
// with Ed25519 keys; the root is pinned at provisioning and rotated only by
// a new root signed by the old one; timestamp and snapshot versions and
// hashes refuse rollback, freeze and mix-and-match. Files are downloaded by
// this package, not by go-tuf: streamed to disk, resumable with HTTP ranges,
// capped at the signed length, fsynced, and checked against the signed
// SHA-256 before they are staged.
//
// The kiosk has no real-time clock: the updater keeps a high-water mark of
// trusted time (release issue times, and the clock when it verified
// unexpired metadata, bounded by the timestamp's expiry) and never checks
// expiry against a clock below it.
//
// On disk (every path is configurable): the data partition /var/lib/guichet
// holds releases/<version>/ (immutable once staged), the links current and
// previous, update/update.db (the state), update/tuf/ (trusted metadata),
// update/status.json (for the kiosk's technician screen and telemetry),
// health/<version>.json (written by the kiosk on probation) and
// session.state (written by the kiosk: session active, maintenance window).
//
// Limits: one release in flight at a time; the application update swaps a
// directory of files, whole-image A/B goes through RAUC (see RAUC).
package update
