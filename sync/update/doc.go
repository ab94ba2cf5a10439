// Package update is Guichet's software update, both ends: the release
// tooling that builds and signs an update bundle (Publish, RotateRoot,
// RefreshTimestamp), the repository that serves it over HTTP with ranges or
// from a directory on a USB stick (NewRepositoryHandler, HTTPSource,
// DirSource, PreferDir), and the kiosk's updater: a state machine persisted
// in its own bbolt file that downloads, verifies, stages, waits for the
// maintenance window, activates, supervises the probation and commits or
// rolls back (Updater, run by cmd/guichet-updater).
//
// Trust follows The Update Framework (TUF 1.0, through go-tuf/v2's
// trustedmetadata): root, targets, snapshot and timestamp metadata signed
// with Ed25519 keys; the root is pinned at provisioning and rotated only by
// a new root signed by the old one; timestamp and snapshot versions and
// hashes refuse rollback, freeze and mix-and-match. Guichet's own metadata
// rides on each target's "custom" field (ReleaseMeta). Files are downloaded
// by this package, not by go-tuf: streamed to disk, resumable with HTTP
// ranges, capped at the signed length, fsynced, and checked against the
// signed SHA-256 before they are staged.
//
// The kiosk has no real-time clock: the updater keeps a high-water mark of
// trusted time (release signing times, and the clock when it verified
// unexpired metadata, bounded by the timestamp's expiry) and never checks
// expiry against a clock below it.
//
// The states: idle → announced → downloading → verified → staged → waiting
// → activating → probation → idle (committed), or → rolling_back → idle.
// Each is persisted before its work; a crash or power cut resumes it (and
// counts against it, unless the updater was stopped cleanly), each has a
// bounded number of attempts, and a release that failed its probation is
// never installed again.
//
// Contracts with the kiosk program (paths under the data directory,
// /var/lib/guichet on the appliance):
//
//   - releases/<version>/ holds a release, read-only; current and previous
//     are links to them; no current means the image's factory binary.
//   - health/ is the directory the kiosk writes for the updater (files
//     mode 0644 whatever its umask: WriteHealthReport, WriteSessionState,
//     WriteAnnouncement).
//   - health/<version>.json: the kiosk writes a HealthReport there
//     (GUICHET_HEALTH_FILE) once it has started; probation passes on a
//     report whose checks all passed, fails on one that did not, and times
//     out when none comes (crash, crash loop, hang).
//   - health/session.state: the kiosk writes SessionState whenever a session starts
//     or ends and when its maintenance window changes.
//   - health/announcement.json: the kiosk writes the payload of the "update"
//     document of its change feed (Announcement); with AnnouncedGate, only
//     the announced release is installed (staged rollout).
//   - update/status.json: the updater's Status, for the technician screen
//     and telemetry.
//
// A release may also carry a whole OS image (KindImage, a RAUC bundle):
// RAUC installs it into the inactive slot, the kiosk reboots into it, and
// the slot is marked good only after the application's probation passed
// there (RAUC, over D-Bus).
//
// Limits: one release in flight at a time; delegations and consistent
// snapshots of TUF are not used (one targets role, one release listed).
package update
