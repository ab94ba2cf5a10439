package printq

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/receipt"
	"guichet/kiosk/tracking"
)

// State is where a print job stands.
type State string

// The states of a job:
//
//	pending → printing → printed
//	             ↓  ↑
//	            held → expired
//
// printing → interrupted when the kiosk stopped (or crashed) in the middle
// of a job; an interrupted or expired job is never printed again on its
// own — Reprint prints a duplicate when someone asks.
const (
	Pending     State = "pending"     // waits for the printer
	Printing    State = "printing"    // being sent
	Printed     State = "printed"     // came out whole
	Held        State = "held"        // stopped by a fault; prints when it clears
	Expired     State = "expired"     // held longer than the spooler's HoldFor
	Interrupted State = "interrupted" // the kiosk stopped while it printed
	Cancelled   State = "cancelled"   // a technician cancelled it
)

// States lists every state.
var States = []State{Pending, Printing, Printed, Held, Expired, Interrupted, Cancelled}

// Job is one document to print, as the queue keeps it.
type Job struct {
	ID       uint64           `json:"id"`
	Document receipt.Document `json:"document"`
	State    State            `json:"state"`
	// Fault is the last fault that stopped the job, while Held (and kept
	// after, for the record).
	Fault Fault `json:"fault,omitempty"`
	// Attempts counts the times the job was sent.
	Attempts  int       `json:"attempts"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	PrintedAt time.Time `json:"printed_at,omitzero"`
}

// Finished reports whether the job will never print on its own.
func (j Job) Finished() bool {
	switch j.State {
	case Printed, Expired, Interrupted, Cancelled:
		return true
	}
	return false
}

// ErrNoJob is returned (wrapped) for a job or tracking number the queue
// does not have.
var ErrNoJob = errors.New("printq: no such job")

var (
	bucketJobs       = []byte("print_jobs")        // id (8 bytes, big-endian) → Job (JSON)
	bucketByTracking = []byte("print_by_tracking") // tracking number + id → nothing
)

// Queue is the durable list of print jobs, two buckets in a bbolt
// database. Its methods are safe for concurrent use.
type Queue struct {
	db  *bolt.DB
	own bool // opened by Open: Close closes it
}

// Open opens (creating it if needed) a print queue in its own bbolt file.
func Open(path string) (*Queue, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("printq: open %s: %w", path, err)
	}
	q, err := New(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	q.own = true
	return q, nil
}

// New keeps the print queue in db, an open bbolt database another part of
// the kiosk may share; it creates the queue's buckets if needed.
func New(db *bolt.DB) (*Queue, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketJobs, bucketByTracking} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("printq: %w", err)
	}
	return &Queue{db: db}, nil
}

// Close closes the database if Open opened it.
func (q *Queue) Close() error {
	if !q.own {
		return nil
	}
	if err := q.db.Close(); err != nil {
		return fmt.Errorf("printq: %w", err)
	}
	return nil
}

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

func trackingKey(n tracking.Number, id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(n), id)
}

func decodeJob(v []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(v, &j); err != nil {
		return Job{}, fmt.Errorf("printq: stored job: %w", err)
	}
	if !slices.Contains(States, j.State) {
		return Job{}, fmt.Errorf("printq: stored job %d: unknown state %q", j.ID, j.State)
	}
	if j.ID == 0 {
		return Job{}, errors.New("printq: stored job without an id")
	}
	// A missing document is never decoded, so never validated: check it.
	if err := j.Document.Validate(); err != nil {
		return Job{}, fmt.Errorf("printq: stored job %d: %w", j.ID, err)
	}
	return j, nil
}

func put(tx *bolt.Tx, j Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketJobs).Put(idKey(j.ID), v)
}

// Add stores doc as a pending job and returns it. The document is
// validated first: a job that cannot print is refused now, not found
// later.
func (q *Queue) Add(doc receipt.Document, at time.Time) (Job, error) {
	if err := doc.Validate(); err != nil {
		return Job{}, fmt.Errorf("printq: %w", err)
	}
	var j Job
	err := q.db.Update(func(tx *bolt.Tx) error {
		id, err := tx.Bucket(bucketJobs).NextSequence()
		if err != nil {
			return err
		}
		j = Job{ID: id, Document: doc, State: Pending, CreatedAt: at.UTC(), UpdatedAt: at.UTC()}
		if doc.Tracking != "" {
			if err := tx.Bucket(bucketByTracking).Put(trackingKey(doc.Tracking, id), nil); err != nil {
				return err
			}
		}
		return put(tx, j)
	})
	if err != nil {
		return Job{}, fmt.Errorf("printq: add: %w", err)
	}
	return j, nil
}

// Get returns the job with that id.
func (q *Queue) Get(id uint64) (Job, error) {
	var j Job
	err := q.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketJobs).Get(idKey(id))
		if v == nil {
			return fmt.Errorf("%w: %d", ErrNoJob, id)
		}
		var err error
		j, err = decodeJob(v)
		return err
	})
	return j, err
}

// update changes one job in a transaction; fn sees the stored job.
func (q *Queue) update(id uint64, at time.Time, fn func(*Job) error) (Job, error) {
	var j Job
	err := q.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketJobs).Get(idKey(id))
		if v == nil {
			return fmt.Errorf("%w: %d", ErrNoJob, id)
		}
		var err error
		if j, err = decodeJob(v); err != nil {
			return err
		}
		if err := fn(&j); err != nil {
			return err
		}
		j.UpdatedAt = at.UTC()
		return put(tx, j)
	})
	if err != nil {
		return Job{}, err
	}
	return j, nil
}

// transition moves a job from one of the states from to state to.
func (q *Queue) transition(id uint64, at time.Time, to State, from []State, edit func(*Job)) (Job, error) {
	return q.update(id, at, func(j *Job) error {
		if !slices.Contains(from, j.State) {
			return fmt.Errorf("printq: job %d is %s, cannot become %s", j.ID, j.State, to)
		}
		j.State = to
		if edit != nil {
			edit(j)
		}
		return nil
	})
}

// Next returns the oldest job waiting to print (pending or held), and
// false when there is none.
func (q *Queue) Next() (Job, bool, error) {
	jobs, err := q.list(1, Pending, Held)
	if err != nil || len(jobs) == 0 {
		return Job{}, false, err
	}
	return jobs[0], true, nil
}

// Jobs returns the jobs in the given states (all when none is given),
// oldest first.
func (q *Queue) Jobs(states ...State) ([]Job, error) { return q.list(0, states...) }

func (q *Queue) list(limit int, states ...State) ([]Job, error) {
	var out []Job
	err := q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketJobs).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			j, err := decodeJob(v)
			if err != nil {
				return err
			}
			if len(states) == 0 || slices.Contains(states, j.State) {
				out = append(out, j)
				if limit > 0 && len(out) == limit {
					return nil
				}
			}
		}
		return nil
	})
	return out, err
}

// ByTracking returns the jobs of documents about tracking number n,
// oldest first.
func (q *Queue) ByTracking(n tracking.Number) ([]Job, error) {
	var out []Job
	err := q.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketByTracking).Cursor()
		prefix := []byte(n)
		for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(n); k, _ = c.Next() {
			v := tx.Bucket(bucketJobs).Get(k[len(prefix):])
			if v == nil {
				continue // pruned
			}
			j, err := decodeJob(v)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return nil
	})
	return out, err
}

// Recover marks the jobs a stopped kiosk left printing as interrupted and
// returns them: whether they came out is unknown, and printing them again
// unasked could give a citizen two receipts.
func (q *Queue) Recover(at time.Time) ([]Job, error) {
	jobs, err := q.Jobs(Printing)
	if err != nil {
		return nil, err
	}
	var out []Job
	for _, j := range jobs {
		j, err := q.transition(j.ID, at, Interrupted, []State{Printing}, nil)
		if err != nil {
			return out, err
		}
		out = append(out, j)
	}
	return out, nil
}

// Cancel stops a job that has not printed; it is kept, cancelled.
func (q *Queue) Cancel(id uint64, at time.Time) (Job, error) {
	return q.transition(id, at, Cancelled, []State{Pending, Held}, nil)
}

// Prune deletes finished jobs last changed before before, and returns how
// many it deleted. Printed receipts are kept until then so that they can
// be reprinted from the queue.
func (q *Queue) Prune(before time.Time) (int, error) {
	n := 0
	err := q.db.Update(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(bucketJobs)
		c := jobs.Cursor()
		var dead []Job
		for k, v := c.First(); k != nil; k, v = c.Next() {
			j, err := decodeJob(v)
			if err != nil {
				return err
			}
			if j.Finished() && j.UpdatedAt.Before(before) {
				dead = append(dead, j)
			}
		}
		for _, j := range dead {
			if err := jobs.Delete(idKey(j.ID)); err != nil {
				return err
			}
			if j.Document.Tracking != "" {
				if err := tx.Bucket(bucketByTracking).Delete(trackingKey(j.Document.Tracking, j.ID)); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("printq: prune: %w", err)
	}
	return n, nil
}
