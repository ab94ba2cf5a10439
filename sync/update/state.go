package update

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// State is where the kiosk's update stands. Each is persisted before the
// work of the state begins, so a crash or power cut resumes it.
type State string

// The states, in order. Idle is both "up to date" and "committed".
const (
	Idle        State = "idle"
	Announced   State = "announced"   // a verified release above the committed one is known
	Downloading State = "downloading" // its files are being fetched into releases/.incoming-<v>
	Verified    State = "verified"    // every file matches its signed length and SHA-256
	Staged      State = "staged"      // releases/<v>/ holds it, read-only
	Waiting     State = "waiting"     // for no session and the maintenance window (or the deadline)
	Activating  State = "activating"  // current -> releases/<v>, previous -> the committed one, kiosk restarted
	Probation   State = "probation"   // waiting for the kiosk's health report
	RollingBack State = "rolling_back"
)

var allStates = []State{Idle, Announced, Downloading, Verified, Staged, Waiting, Activating, Probation, RollingBack}

func (s State) valid() bool {
	for _, t := range allStates {
		if s == t {
			return true
		}
	}
	return false
}

// Record is the persisted state of the updater.
type Record struct {
	State     State     `json:"state"`
	Committed Version   `json:"committed,omitzero"` // the version running and committed; zero: the factory binary
	Release   *Release  `json:"release,omitempty"`  // the release in flight, from Announced to RollingBack
	Attempts  int       `json:"attempts"`           // failures (crashes included) in State so far
	Boots     int       `json:"boots"`              // probation starts of the release, crashes counted, clean stops not
	CleanStop bool      `json:"clean_stop"`         // the updater stopped cleanly (SIGTERM) in State
	Reason    string    `json:"reason,omitempty"`   // why the last attempt failed, or why a rollback began
	Since     time.Time `json:"since"`              // when State was entered (kiosk clock)
	// ImageSlot is the bootname of the OS slot an image release was
	// installed into: probation expects to run there.
	ImageSlot   string `json:"image_slot,omitempty"`
	ImageBootID string `json:"image_boot_id,omitempty"` // the boot that installed it: probation waits for another
}

const maxRecord = 64 << 10

// EncodeRecord is the persisted form of r.
func EncodeRecord(r Record) ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	return json.Marshal(r)
}

// DecodeRecord reads a persisted record strictly; a record that does not
// decode or breaks an invariant is an error, never guessed at.
func DecodeRecord(b []byte) (Record, error) {
	var r Record
	if len(b) > maxRecord {
		return r, fmt.Errorf("update: state record is %d bytes, limit %d", len(b), maxRecord)
	}
	if err := decodeStrict(b, &r); err != nil {
		return r, fmt.Errorf("update: state record: %w", err)
	}
	return r, r.validate()
}

func (r Record) validate() error {
	switch {
	case !r.State.valid():
		return fmt.Errorf("update: state %q is not a state", clip(string(r.State)))
	case (r.State == Idle) != (r.Release == nil):
		return fmt.Errorf("update: state %s with release %v", r.State, r.Release != nil)
	case r.Attempts < 0 || r.Attempts > 1000 || r.Boots < 0 || r.Boots > 1000:
		return fmt.Errorf("update: state %s with %d attempts and %d boots", r.State, r.Attempts, r.Boots)
	case len(r.ImageSlot) > 64 || len(r.ImageBootID) > 64:
		return fmt.Errorf("update: image slot name is %d bytes", len(r.ImageSlot))
	case len(r.Reason) > 4096:
		return fmt.Errorf("update: reason is %d bytes", len(r.Reason))
	}
	if r.Release != nil {
		if err := r.Release.validate(); err != nil {
			return err
		}
	}
	return nil
}

// Event is one line of the update history: a commit, a rollback, a refusal.
type Event struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"` // committed, rolled_back, refused, abandoned
	Version Version   `json:"version,omitzero"`
	From    Version   `json:"from,omitzero"`
	Reason  string    `json:"reason,omitempty"`
}

var (
	bucketUpdate  = []byte("update")
	bucketFailed  = []byte("failed")
	bucketHistory = []byte("history")
	keyRecord     = []byte("record")
	keyClock      = []byte("clock")
)

const maxHistory = 200

func openDB(path string) (*bolt.DB, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("update: opening %s (is another updater running?): %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketUpdate, bucketFailed, bucketHistory} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("update: %w", err)
	}
	return db, nil
}

func loadRecord(tx *bolt.Tx) (Record, bool, error) {
	b := tx.Bucket(bucketUpdate).Get(keyRecord)
	if b == nil {
		return Record{}, false, nil
	}
	r, err := DecodeRecord(b)
	return r, true, err
}

func putRecord(tx *bolt.Tx, r Record) error {
	b, err := EncodeRecord(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketUpdate).Put(keyRecord, b)
}

func loadClock(tx *bolt.Tx) time.Time {
	b := tx.Bucket(bucketUpdate).Get(keyClock)
	if len(b) != 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
}

func raiseClock(tx *bolt.Tx, t time.Time) error {
	if !t.After(loadClock(tx)) {
		return nil
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(t.UnixNano()))
	return tx.Bucket(bucketUpdate).Put(keyClock, b[:])
}

func addEvent(tx *bolt.Tx, e Event) error {
	h := tx.Bucket(bucketHistory)
	seq, err := h.NextSequence()
	if err != nil {
		return err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	if err := h.Put(k[:], b); err != nil {
		return err
	}
	if seq > maxHistory {
		binary.BigEndian.PutUint64(k[:], seq-maxHistory)
		return h.Delete(k[:])
	}
	return nil
}

func markFailed(tx *bolt.Tx, v Version, reason string) error {
	return tx.Bucket(bucketFailed).Put([]byte(v.String()), []byte(reason))
}

func failedReason(tx *bolt.Tx, v Version) (string, bool) {
	b := tx.Bucket(bucketFailed).Get([]byte(v.String()))
	return string(b), b != nil
}
