package update

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// The repository layout, the same on the registry and on a USB stick:
//
//	metadata/1.root.json, 2.root.json, …   every root, for the kiosk's root chain
//	metadata/root.json                      the newest root
//	metadata/timestamp.json, snapshot.json, targets.json
//	targets/<version>/<name>                the files of each release
const (
	MetadataDir = "metadata"
	TargetsDir  = "targets"
)

// Default lifetimes of signed metadata. The timestamp is short so that a
// kiosk notices a frozen repository within a week: operations re-sign it
// (RefreshTimestamp) daily.
const (
	DefaultRootExpiry      = 365 * 24 * time.Hour
	DefaultTargetsExpiry   = 90 * 24 * time.Hour
	DefaultSnapshotExpiry  = 30 * 24 * time.Hour
	DefaultTimestampExpiry = 7 * 24 * time.Hour
)

// InitRepository creates an empty repository in dir with root version 1
// listing the public halves of k, each role with threshold 1. The
// metadata/root.json it writes is the file pinned on kiosks at
// provisioning.
func InitRepository(dir string, k Keys, now time.Time, rootExpiry time.Duration) error {
	if err := k.need(Roles...); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, MetadataDir, "root.json")); err == nil {
		return fmt.Errorf("update: %s already holds a repository (metadata/root.json); rotate its root instead", dir)
	}
	if err := os.MkdirAll(filepath.Join(dir, MetadataDir), 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, TargetsDir), 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	root := metadata.Root(expiry(now, orDefault(rootExpiry, DefaultRootExpiry)))
	if err := setRoleKeys(root, k); err != nil {
		return err
	}
	return writeRoot(dir, root, k[metadata.ROOT])
}

func expiry(now time.Time, d time.Duration) time.Time { return now.UTC().Add(d).Truncate(time.Second) }

func setRoleKeys(root *metadata.Metadata[metadata.RootType], k Keys) error {
	for _, r := range Roles {
		for _, id := range root.Signed.Roles[r].KeyIDs {
			if err := root.Signed.RevokeKey(id, r); err != nil {
				return fmt.Errorf("update: %w", err)
			}
		}
		key, _, err := tufKey(k[r])
		if err != nil {
			return err
		}
		if err := root.Signed.AddKey(key, r); err != nil {
			return fmt.Errorf("update: %w", err)
		}
	}
	return nil
}

// writeRoot signs root with each signer and writes <v>.root.json, then root.json.
func writeRoot(dir string, root *metadata.Metadata[metadata.RootType], signers ...ed25519.PrivateKey) error {
	root.Signatures = nil
	for _, s := range signers {
		sig, err := sign(root.Signed, s)
		if err != nil {
			return err
		}
		root.Signatures = append(root.Signatures, sig)
	}
	b, err := root.ToBytes(true)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	md := filepath.Join(dir, MetadataDir)
	if err := writeFileAtomic(filepath.Join(md, strconv.FormatInt(root.Signed.Version, 10)+".root.json"), b, 0o644); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(md, "root.json"), b, 0o644)
}

// ReleaseFile is one file to put into a release.
type ReleaseFile struct {
	Source string   // path of the file on the release machine
	Kind   FileKind // binary, config or data
	Name   string   // name in the release directory; "" is guichet for the binary, the source's base name otherwise
}

// ReleaseSpec describes a release to publish.
type ReleaseSpec struct {
	Version        Version
	MinUpgradeFrom Version // zero: any committed version may upgrade
	Files          []ReleaseFile
	ActivateBy     time.Time // zero: activate only inside maintenance windows
	Notes          string
	Now            time.Time
	// Lifetimes; zero takes the default.
	TargetsExpiry, SnapshotExpiry, TimestampExpiry time.Duration
}

// Publish adds a release to the repository in dir: copies its files under
// targets/<version>/, and signs new targets, snapshot and timestamp
// metadata (each version one above the last) with k. The release must be
// above the one published before.
func Publish(dir string, k Keys, spec ReleaseSpec) error {
	if err := k.need(metadata.TARGETS, metadata.SNAPSHOT, metadata.TIMESTAMP); err != nil {
		return err
	}
	if spec.Version.IsZero() {
		return fmt.Errorf("update: a release needs a version")
	}
	if len(spec.Files) == 0 || len(spec.Files) > MaxFiles {
		return fmt.Errorf("update: a release carries 1 to %d files, not %d", MaxFiles, len(spec.Files))
	}
	md := filepath.Join(dir, MetadataDir)
	if _, err := os.Stat(filepath.Join(md, "root.json")); err != nil {
		return fmt.Errorf("update: %s is not a repository (no metadata/root.json); run `guichetctl release init` first", dir)
	}
	var targetsVersion int64 = 1
	if old, err := metadata.Targets().FromFile(filepath.Join(md, "targets.json")); err == nil {
		targetsVersion = old.Signed.Version + 1
		for _, tf := range old.Signed.Targets {
			if tf.Custom == nil {
				continue
			}
			if m, err := DecodeCustom(*tf.Custom); err == nil && m.Release.Compare(spec.Version) >= 0 {
				return fmt.Errorf("update: release %s is not above %s, already published; kiosks would refuse it as a downgrade", spec.Version, m.Release)
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("update: reading the published targets.json: %w", err)
	}
	now := spec.Now
	if now.IsZero() {
		now = time.Now()
	}
	targets := metadata.Targets(expiry(now, orDefault(spec.TargetsExpiry, DefaultTargetsExpiry)))
	targets.Signed.Version = targetsVersion
	rdir := filepath.Join(dir, TargetsDir, spec.Version.String())
	if err := os.MkdirAll(rdir, 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	binaries, images := 0, 0
	seen := map[string]bool{}
	for _, f := range spec.Files {
		name := f.Name
		if name == "" {
			name = filepath.Base(f.Source)
			if f.Kind == KindBinary {
				name = BinaryName
			}
		}
		switch f.Kind {
		case KindBinary:
			binaries++
		case KindImage:
			images++
		}
		if seen[name] {
			return fmt.Errorf("update: two files named %q in release %s", name, spec.Version)
		}
		seen[name] = true
		custom, err := EncodeCustom(ReleaseMeta{Release: spec.Version, MinUpgradeFrom: spec.MinUpgradeFrom, Kind: f.Kind,
			Name: name, Issued: now.UTC().Truncate(time.Second), ActivateBy: spec.ActivateBy.UTC(), Notes: spec.Notes})
		if err != nil {
			return err
		}
		dst := filepath.Join(rdir, name)
		if err := copyFile(f.Source, dst); err != nil {
			return err
		}
		tf, err := metadata.TargetFile().FromFile(dst, "sha256")
		if err != nil {
			return fmt.Errorf("update: hashing %s: %w", dst, err)
		}
		if tf.Length > MaxFileSize {
			return fmt.Errorf("update: %s is %d bytes, limit %d", f.Source, tf.Length, MaxFileSize)
		}
		tf.Custom = &custom
		tpath := path.Join(spec.Version.String(), name)
		tf.Path = tpath
		targets.Signed.Targets[tpath] = tf
	}
	if binaries != 1 || images > 1 {
		return fmt.Errorf("update: a release carries exactly one binary and at most one OS image, this one %d and %d", binaries, images)
	}
	tb, err := signWith(targets, k[metadata.TARGETS])
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(md, "targets.json"), tb, 0o644); err != nil {
		return err
	}
	return resignSnapshotTimestamp(dir, k, now, tb, spec.SnapshotExpiry, spec.TimestampExpiry)
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func signWith[T metadata.Roles](m *metadata.Metadata[T], key ed25519.PrivateKey) ([]byte, error) {
	m.Signatures = nil
	sig, err := sign(m.Signed, key)
	if err != nil {
		return nil, err
	}
	m.Signatures = append(m.Signatures, sig)
	b, err := m.ToBytes(false)
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	return b, nil
}

func metaFile(version int64, data []byte) *metadata.MetaFiles {
	mf := metadata.MetaFile(version)
	sum := sha256.Sum256(data)
	mf.Length = int64(len(data))
	mf.Hashes = metadata.Hashes{"sha256": sum[:]}
	return mf
}

// resignSnapshotTimestamp writes a snapshot naming targetsData, then a
// timestamp naming that snapshot; each version one above the last.
func resignSnapshotTimestamp(dir string, k Keys, now time.Time, targetsData []byte, snapExp, tsExp time.Duration) error {
	md := filepath.Join(dir, MetadataDir)
	targets, err := metadata.Targets().FromBytes(targetsData)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	snap := metadata.Snapshot(expiry(now, orDefault(snapExp, DefaultSnapshotExpiry)))
	if old, err := metadata.Snapshot().FromFile(filepath.Join(md, "snapshot.json")); err == nil {
		snap.Signed.Version = old.Signed.Version + 1
	}
	snap.Signed.Meta["targets.json"] = metaFile(targets.Signed.Version, targetsData)
	sb, err := signWith(snap, k[metadata.SNAPSHOT])
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(md, "snapshot.json"), sb, 0o644); err != nil {
		return err
	}
	return writeTimestamp(dir, k, now, sb, tsExp)
}

func writeTimestamp(dir string, k Keys, now time.Time, snapshotData []byte, tsExp time.Duration) error {
	md := filepath.Join(dir, MetadataDir)
	snap, err := metadata.Snapshot().FromBytes(snapshotData)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	ts := metadata.Timestamp(expiry(now, orDefault(tsExp, DefaultTimestampExpiry)))
	if old, err := metadata.Timestamp().FromFile(filepath.Join(md, "timestamp.json")); err == nil {
		ts.Signed.Version = old.Signed.Version + 1
	}
	ts.Signed.Meta["snapshot.json"] = metaFile(snap.Signed.Version, snapshotData)
	tb, err := signWith(ts, k[metadata.TIMESTAMP])
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(md, "timestamp.json"), tb, 0o644)
}

// RefreshTimestamp re-signs the timestamp with a new expiry and the next
// version, changing nothing else: operations run it daily so that kiosks
// keep trusting an unchanged repository (freeze protection).
func RefreshTimestamp(dir string, k Keys, now time.Time, tsExp time.Duration) error {
	if err := k.need(metadata.TIMESTAMP); err != nil {
		return err
	}
	sb, err := readFileCapped(filepath.Join(dir, MetadataDir, "snapshot.json"), 2<<20)
	if err != nil {
		return fmt.Errorf("update: no release published yet in %s: %w", dir, err)
	}
	return writeTimestamp(dir, k, now, sb, tsExp)
}

// RotateRoot writes root version N+1 listing the keys of next (roles
// missing from next keep their key) signed by both the current root key and
// next's root key, so that a kiosk trusting root N accepts it and root N+1
// alone is trusted afterwards. When a non-root key changes, the published
// targets, snapshot and timestamp are re-signed with the new keys.
func RotateRoot(dir string, current, next Keys, now time.Time, rootExpiry time.Duration) error {
	if err := current.need(metadata.ROOT); err != nil {
		return err
	}
	md := filepath.Join(dir, MetadataDir)
	root, err := metadata.Root().FromFile(filepath.Join(md, "root.json"))
	if err != nil {
		return fmt.Errorf("update: reading the current root: %w", err)
	}
	_, curID, err := tufKey(current[metadata.ROOT])
	if err != nil {
		return err
	}
	if ids := root.Signed.Roles[metadata.ROOT].KeyIDs; len(ids) != 1 || ids[0] != curID {
		return fmt.Errorf("update: the given root key is not the repository's current root key")
	}
	merged := Keys{}
	for _, r := range Roles {
		if next[r] != nil {
			merged[r] = next[r]
		} else if current[r] != nil {
			merged[r] = current[r]
		}
	}
	// A role whose key we do not hold keeps its public key as it is.
	for _, r := range Roles {
		if merged[r] != nil {
			continue
		}
		return fmt.Errorf("update: rotating the root needs the %s key (current or new) to re-list it", r)
	}
	root.Signed.Version++
	root.Signed.Expires = expiry(now, orDefault(rootExpiry, DefaultRootExpiry))
	if err := setRoleKeys(root, merged); err != nil {
		return err
	}
	if err := writeRoot(dir, root, current[metadata.ROOT], merged[metadata.ROOT]); err != nil {
		return err
	}
	tb, err := readFileCapped(filepath.Join(md, "targets.json"), 8<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	targets, err := metadata.Targets().FromBytes(tb)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	targets.Signed.Version++
	if tb, err = signWith(targets, merged[metadata.TARGETS]); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(md, "targets.json"), tb, 0o644); err != nil {
		return err
	}
	return resignSnapshotTimestamp(dir, merged, now, tb, 0, 0)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("update: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("update: copying %s: %w", src, err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("update: %w", err)
	}
	return out.Close()
}
