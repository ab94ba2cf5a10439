package update

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"
	"github.com/theupdateframework/go-tuf/v2/metadata/trustedmetadata"
)

// Release is a verified release: what targets.json says of it, signed.
type Release struct {
	Version        Version   `json:"version"`
	MinUpgradeFrom Version   `json:"min_upgrade_from,omitzero"`
	Issued         time.Time `json:"issued"`
	ActivateBy     time.Time `json:"activate_by,omitzero"`
	Expires        time.Time `json:"expires"` // of the targets metadata that listed it
	Notes          string    `json:"notes,omitempty"`
	Files          []File    `json:"files"`
}

// File is one file of a release.
type File struct {
	Name   string   `json:"name"`
	Kind   FileKind `json:"kind"`
	Target string   `json:"target"` // repository path under targets/
	Length int64    `json:"length"`
	SHA256 string   `json:"sha256"` // hex
}

// Image is the release's OS image, if it has one.
func (r Release) Image() (File, bool) {
	for _, f := range r.Files {
		if f.Kind == KindImage {
			return f, true
		}
	}
	return File{}, false
}

// Size is the sum of the release's file lengths.
func (r Release) Size() int64 {
	var n int64
	for _, f := range r.Files {
		n += f.Length
	}
	return n
}

func (r Release) validate() error {
	if r.Version.IsZero() || len(r.Files) == 0 || len(r.Files) > MaxFiles {
		return fmt.Errorf("update: release %q with %d files", r.Version, len(r.Files))
	}
	bin, img := 0, 0
	for _, f := range r.Files {
		if !fileNameRE.MatchString(f.Name) || f.Target != path.Join(r.Version.String(), f.Name) ||
			f.Length < 0 || f.Length > MaxFileSize || len(f.SHA256) != 64 {
			return fmt.Errorf("update: release %s: file %q is not well formed", r.Version, clip(f.Name))
		}
		if _, err := hex.DecodeString(f.SHA256); err != nil {
			return fmt.Errorf("update: release %s: file %q hash is not hex", r.Version, clip(f.Name))
		}
		switch f.Kind {
		case KindBinary:
			bin++
		case KindImage:
			img++
		}
	}
	if bin != 1 || img > 1 {
		return fmt.Errorf("update: release %s has %d binaries and %d OS images, want 1 and at most 1", r.Version, bin, img)
	}
	return nil
}

// Limits on metadata sizes the kiosk reads.
const (
	maxRootSize      = 512 << 10
	maxTimestampSize = 16 << 10
	maxMetaSize      = 4 << 20
	maxRootChain     = 64
)

// Trust is the kiosk's trusted TUF metadata, kept in Dir (root.json pinned
// at provisioning, then the newest verified root, timestamp, snapshot and
// targets).
type Trust struct{ Dir string }

// Pin installs root as the kiosk's root of trust if Dir has none yet (at
// provisioning, or on first start from the image's copy). It checks that
// root is a root signed by itself.
func (t Trust) Pin(rootJSON []byte) error {
	if _, err := os.Stat(filepath.Join(t.Dir, "root.json")); err == nil {
		return nil
	}
	if _, err := trustedmetadata.New(rootJSON); err != nil {
		return fmt.Errorf("update: the root of trust to pin is not a self-signed TUF root: %w", err)
	}
	if err := os.MkdirAll(t.Dir, 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return writeFileAtomic(filepath.Join(t.Dir, "root.json"), rootJSON, 0o644)
}

// RefreshResult is the outcome of a refresh.
type RefreshResult struct {
	Release *Release // nil when the repository lists no release
	// TrustedTime is the latest time the refresh proves: the release's
	// issue time, or the clock used if it was below the timestamp's expiry.
	TrustedTime time.Time
	RootVersion int64
}

// Refresh runs the TUF client workflow against src with now as the
// reference time for expiry (the caller passes max(clock, high-water
// mark)): the root chain, then timestamp, snapshot and targets, each
// verified against the trusted one before it; the new metadata is kept in
// Dir. It returns the release targets.json lists. Every refusal says why in
// a sentence (unknown key, bad signature, expired, rolled back, mixed).
func (t Trust) Refresh(ctx context.Context, src Source, now time.Time) (out RefreshResult, err error) {
	defer func() {
		var f fetchError
		if err != nil && !errors.As(err, &f) {
			err = refusal{err}
		}
	}()
	rootData, err := readFileCapped(filepath.Join(t.Dir, "root.json"), maxRootSize)
	if err != nil {
		return out, fmt.Errorf("update: no root of trust pinned in %s (provision the kiosk): %w", t.Dir, err)
	}
	trusted, err := trustedmetadata.New(rootData)
	if err != nil {
		return out, fmt.Errorf("update: the pinned root of trust does not verify: %w", err)
	}
	trusted.RefTime = now.UTC()

	// The root chain: N+1.root.json as long as the repository has one.
	for i := 0; i < maxRootChain; i++ {
		next := strconv.FormatInt(trusted.Root.Signed.Version+1, 10) + ".root.json"
		data, err := fetchMeta(ctx, src, next, maxRootSize)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return out, err
		}
		if _, err := trusted.UpdateRoot(data); err != nil {
			return out, explain("root "+next, data, trusted, metadata.ROOT, err)
		}
		if err := writeFileAtomic(filepath.Join(t.Dir, "root.json"), data, 0o644); err != nil {
			return out, err
		}
	}
	out.RootVersion = trusted.Root.Signed.Version

	// Earlier timestamp and snapshot, for rollback protection; they may
	// have expired or been signed by keys rotated away since.
	if b, err := readFileCapped(filepath.Join(t.Dir, "timestamp.json"), maxTimestampSize); err == nil {
		trusted.UpdateTimestamp(b)
	}
	tsData, err := fetchMeta(ctx, src, "timestamp.json", maxTimestampSize)
	if err != nil {
		return out, err
	}
	if _, err := trusted.UpdateTimestamp(tsData); err != nil {
		var eq *metadata.ErrEqualVersionNumber
		if !errors.As(err, &eq) {
			return out, explain("timestamp.json", tsData, trusted, metadata.TIMESTAMP, err)
		}
		if trusted.Timestamp.Signed.IsExpired(trusted.RefTime) {
			return out, fmt.Errorf("update: timestamp.json expired at %s (kiosk time %s): the repository was not re-signed, or it is frozen", trusted.Timestamp.Signed.Expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
	}
	if b, err := readFileCapped(filepath.Join(t.Dir, "snapshot.json"), maxMetaSize); err == nil {
		trusted.UpdateSnapshot(b, true) // for rollback protection of the new one
	}
	snapMeta := trusted.Timestamp.Signed.Meta["snapshot.json"]
	snapData, err := fetchMeta(ctx, src, "snapshot.json", capLen(snapMeta.Length))
	if err != nil {
		return out, err
	}
	if _, err := trusted.UpdateSnapshot(snapData, false); err != nil {
		return out, explain("snapshot.json", snapData, trusted, metadata.SNAPSHOT, err)
	}
	tMeta := trusted.Snapshot.Signed.Meta["targets.json"]
	if tMeta == nil {
		return out, fmt.Errorf("update: snapshot.json does not list targets.json")
	}
	tData, err := fetchMeta(ctx, src, "targets.json", capLen(tMeta.Length))
	if err != nil {
		return out, err
	}
	if err := tMeta.VerifyLengthHashes(tData); err != nil {
		return out, fmt.Errorf("update: targets.json does not match the hash snapshot.json signed for it (metadata mixed from two releases, or altered): %v", err)
	}
	targets, err := trusted.UpdateTargets(tData)
	if err != nil {
		return out, explain("targets.json", tData, trusted, metadata.TARGETS, err)
	}
	rel, err := releaseOf(targets)
	if err != nil {
		return out, err
	}
	for name, b := range map[string][]byte{"timestamp.json": tsData, "snapshot.json": snapData, "targets.json": tData} {
		if err := writeFileAtomic(filepath.Join(t.Dir, name), b, 0o644); err != nil {
			return out, err
		}
	}
	out.Release = rel
	tsExp := trusted.Timestamp.Signed.Expires
	out.TrustedTime = now.UTC()
	if tsExp.Before(out.TrustedTime) {
		out.TrustedTime = tsExp
	}
	if rel != nil && rel.Issued.After(out.TrustedTime) {
		out.TrustedTime = rel.Issued
	}
	return out, nil
}

func capLen(n int64) int64 {
	if n <= 0 || n > maxMetaSize {
		return maxMetaSize
	}
	return n
}

// ErrRefused marks a refresh error that is a refusal of what the
// repository served (signature, version, expiry, hash), as opposed to a
// repository that could not be reached.
var ErrRefused = errors.New("update: refused")

type refusal struct{ err error }

func (r refusal) Error() string   { return r.err.Error() }
func (r refusal) Unwrap() []error { return []error{r.err, ErrRefused} }

// fetchError is a repository that could not be read.
type fetchError struct{ err error }

func (f fetchError) Error() string { return f.err.Error() }
func (f fetchError) Unwrap() error { return f.err }

func fetchMeta(ctx context.Context, src Source, name string, max int64) ([]byte, error) {
	b, err := src.Open(ctx, MetadataDir+"/"+name, 0)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err // the root chain ends; a missing timestamp is refused below
		}
		return nil, fetchError{err}
	}
	defer b.Close()
	data, err := io.ReadAll(io.LimitReader(b, max+1))
	if err != nil {
		return nil, fetchError{fmt.Errorf("update: reading %s from %s: %w", name, src, err)}
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("update: %s from %s is over %d bytes: refused", name, src, max)
	}
	return data, nil
}

// explain turns a go-tuf refusal into a sentence naming the attack it stops.
func explain(what string, data []byte, trusted *trustedmetadata.TrustedMetadata, role string, err error) error {
	var (
		exp  *metadata.ErrExpiredMetadata
		ver  *metadata.ErrBadVersionNumber
		hash *metadata.ErrLengthOrHashMismatch
		uns  *metadata.ErrUnsignedMetadata
	)
	switch {
	case errors.As(err, &exp):
		return fmt.Errorf("update: %s refused: expired (kiosk time %s): the repository is frozen or was not re-signed: %v", what, trusted.RefTime.Format(time.RFC3339), err)
	case errors.As(err, &ver):
		return fmt.Errorf("update: %s refused: its version goes backwards (rollback attack): %v", what, err)
	case errors.As(err, &hash):
		return fmt.Errorf("update: %s refused: it does not match the hash signed for it (metadata mixed from two releases, or altered): %v", what, err)
	case errors.As(err, &uns):
		if unknown := unknownSigners(data, trusted, role); unknown != "" {
			return fmt.Errorf("update: %s refused: signed by a key the kiosk does not trust for %s (%s)", what, role, unknown)
		}
		return fmt.Errorf("update: %s refused: bad signature (altered after signing, or signed over other content): %v", what, err)
	}
	return fmt.Errorf("update: %s refused: %v", what, err)
}

// unknownSigners lists the key ids signing data that the trusted root does
// not list for role, or "" if every signer is known.
func unknownSigners(data []byte, trusted *trustedmetadata.TrustedMetadata, role string) string {
	var env struct {
		Signatures []struct {
			KeyID string `json:"keyid"`
		} `json:"signatures"`
	}
	if json.Unmarshal(data, &env) != nil || trusted.Root == nil || trusted.Root.Signed.Roles[role] == nil {
		return ""
	}
	known := trusted.Root.Signed.Roles[role].KeyIDs
	var unknown []string
	for _, s := range env.Signatures {
		if !slices.Contains(known, s.KeyID) {
			unknown = append(unknown, "key "+clip(s.KeyID))
		}
	}
	if len(unknown) != len(env.Signatures) {
		return ""
	}
	if len(unknown) == 0 {
		return "no signature"
	}
	return strings.Join(unknown, ", ")
}

// releaseOf reads the one release targets.json lists. All its files must
// carry the same release metadata.
func releaseOf(targets *metadata.Metadata[metadata.TargetsType]) (*Release, error) {
	if len(targets.Signed.Targets) == 0 {
		return nil, nil
	}
	var rel *Release
	names := make([]string, 0, len(targets.Signed.Targets))
	for p := range targets.Signed.Targets {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		tf := targets.Signed.Targets[p]
		if tf.Custom == nil {
			return nil, fmt.Errorf("update: target %s has no Guichet metadata", clip(p))
		}
		m, err := DecodeCustom(*tf.Custom)
		if err != nil {
			return nil, fmt.Errorf("update: target %s: %w", clip(p), err)
		}
		sum, ok := tf.Hashes["sha256"]
		if !ok || len(sum) != 32 {
			return nil, fmt.Errorf("update: target %s has no SHA-256", clip(p))
		}
		f := File{Name: m.Name, Kind: m.Kind, Target: p, Length: tf.Length, SHA256: hex.EncodeToString(sum)}
		if rel == nil {
			rel = &Release{Version: m.Release, MinUpgradeFrom: m.MinUpgradeFrom, Issued: m.Issued, ActivateBy: m.ActivateBy,
				Expires: targets.Signed.Expires, Notes: m.Notes}
		} else if rel.Version != m.Release || rel.MinUpgradeFrom != m.MinUpgradeFrom || !rel.Issued.Equal(m.Issued) || !rel.ActivateBy.Equal(m.ActivateBy) {
			return nil, fmt.Errorf("update: targets.json mixes files of releases %s and %s: refused", rel.Version, m.Release)
		}
		rel.Files = append(rel.Files, f)
	}
	if err := rel.validate(); err != nil {
		return nil, err
	}
	return rel, nil
}
