package update

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Announcement is the payload of the "update" signed document that the
// registry puts on a kiosk's change feed (wire.ChangeUpdateManifest) when a
// staged rollout reaches the kiosk. It says which release to install; the
// release itself is trusted only through the TUF metadata. The kiosk, once
// it has verified and stored the document, writes its payload atomically to
// <data>/health/announcement.json (AnnouncementFile); the updater installs
// a published release only when it is the announced one (or it comes from
// a USB stick), and gives up a release still waiting for its window when
// the announcement no longer names it (rollout paused or aborted).
type Announcement struct {
	Release    Version   `json:"release"`              // the release to install; zero: none (rollout aborted)
	Rollout    string    `json:"rollout,omitempty"`    // the rollout's id, echoed in the update status
	Stage      int       `json:"stage,omitempty"`      // the rollout stage that reached this kiosk
	ActivateBy time.Time `json:"activate_by,omitzero"` // informational; the signed deadline is in targets.json
	Issued     time.Time `json:"issued"`               // when operations announced it
}

// AnnouncementFile is where the kiosk writes the announcement, under the
// data directory: in the directory the kiosk writes for the updater.
const AnnouncementFile = HealthDir + "/announcement.json"

const maxAnnouncement = 4 << 10

// DecodeAnnouncement reads an announcement strictly.
func DecodeAnnouncement(b []byte) (Announcement, error) {
	var a Announcement
	if len(b) > maxAnnouncement {
		return a, fmt.Errorf("update: announcement is %d bytes, limit %d", len(b), maxAnnouncement)
	}
	if err := decodeStrict(b, &a); err != nil {
		return a, fmt.Errorf("update: announcement: %w", err)
	}
	if len(a.Rollout) > 64 || a.Stage < 0 || a.Stage > 100 {
		return a, fmt.Errorf("update: announcement rollout %q stage %d out of range", clip(a.Rollout), a.Stage)
	}
	if a.Issued.IsZero() {
		return a, fmt.Errorf("update: announcement without an issue time")
	}
	return a, nil
}

// ReadAnnouncement reads path; a missing file is the zero Announcement
// (nothing announced) without error.
func ReadAnnouncement(path string) (Announcement, error) {
	b, err := readFileCapped(path, maxAnnouncement)
	if errors.Is(err, fs.ErrNotExist) {
		return Announcement{}, nil
	}
	if err != nil {
		return Announcement{}, err
	}
	return DecodeAnnouncement(b)
}

// WriteAnnouncement writes a's payload where the updater reads it (the
// kiosk calls it after storing the "update" document; payload is the
// document's Payload, checked here).
func WriteAnnouncement(dataDir string, payload []byte) error {
	if _, err := DecodeAnnouncement(payload); err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir+"/"+HealthDir, 0o755); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return writeFileAtomic(dataDir+"/"+AnnouncementFile, payload, 0o644)
}

// AnnouncedGate is the Config.Announced of a kiosk in a staged rollout:
// a release may be installed when the announcement in dataDir names it,
// or when usbDir (if not "") holds a repository: a technician's stick is
// its own announcement.
func AnnouncedGate(dataDir, usbDir string) func(Version) (bool, string) {
	return func(v Version) (bool, string) {
		if usbDir != "" {
			if _, err := os.Stat(usbDir + "/" + MetadataDir + "/timestamp.json"); err == nil {
				return true, ""
			}
		}
		a, err := ReadAnnouncement(dataDir + "/" + AnnouncementFile)
		if err != nil {
			return false, fmt.Sprintf("release %s is published but the announcement does not read: %v", v, err)
		}
		if a.Release != v {
			if a.Release.IsZero() {
				return false, fmt.Sprintf("release %s is published but not announced to this kiosk (staged rollout)", v)
			}
			return false, fmt.Sprintf("release %s is published but %s is announced to this kiosk", v, a.Release)
		}
		return true, ""
	}
}
