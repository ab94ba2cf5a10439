package store

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"

	"guichet/kiosk/seal"
	"guichet/kiosk/tracking"
)

// FormatVersion is the layout of buckets and records this package writes.
const FormatVersion = 1

// DefaultMaxSize is the live-data limit when Options.MaxSize is zero.
const DefaultMaxSize = 256 << 20

var (
	// ErrQueueFull is returned by Submit when the database holds MaxSize of
	// live data: the kiosk must tell citizens the service is limited.
	ErrQueueFull = errors.New("store: queue full, service limited")
	// ErrNoSpace wraps a write the file system refused for lack of space.
	// Nothing committed before is lost.
	ErrNoSpace = errors.New("store: no space left on device")
	// ErrNotFound is returned for an unknown request id or tracking number.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned when a request id or tracking number is
	// already used by a different request.
	ErrConflict = errors.New("store: conflict")
	// ErrNoRegistryKey is returned by Submit before the kiosk has the
	// registry's public key (before enrolment).
	ErrNoRegistryKey = errors.New("store: no registry key, cannot seal personal data")
	// ErrReadOnly is returned by writes on a store opened read-only.
	ErrReadOnly = errors.New("store: opened read-only")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("store: closed")
)

// Options configure Open.
type Options struct {
	// RegistryKey is the registry's HPKE public key. Without it Submit
	// fails with ErrNoRegistryKey; SetRegistryKey sets it after enrolment.
	RegistryKey *seal.PublicKey
	// KioskID fills Request.KioskID when the caller leaves it empty, and
	// seeds the default tracking-number generator.
	KioskID string
	// MaxSize bounds the live data, in bytes (DefaultMaxSize if zero,
	// no limit if negative).
	MaxSize int64
	// Now is the clock (time.Now if nil).
	Now func() time.Time
	// Logger receives operational messages, never personal data
	// (discarded if nil).
	Logger *slog.Logger
	// Tracking issues tracking numbers for requests submitted without one
	// (a generator for KioskID if nil).
	Tracking *tracking.Generator
	// ReadOnly opens the file for inspection (guichetctl): no checks
	// that could move it aside, no writes.
	ReadOnly bool
	// LockTimeout bounds the wait for another process's lock on the file
	// (2 s if zero).
	LockTimeout time.Duration
}

// AlarmKind classifies an alarm.
type AlarmKind string

// The alarms the store raises.
const (
	AlarmCorrupt     AlarmKind = "database_corrupt"   // the file was moved aside
	AlarmAuditBroken AlarmKind = "audit_chain_broken" // the audit chain fails verification
	AlarmNoSpace     AlarmKind = "disk_full"          // a write failed for lack of space
	AlarmQueueFull   AlarmKind = "queue_full"         // Submit refused a request (MaxSize)
)

// Alarm is something operations must look at.
type Alarm struct {
	Time    time.Time
	Kind    AlarmKind
	Message string
	// MovedTo is where a corrupt file was kept (AlarmCorrupt only).
	MovedTo string
}

// Store is an open kiosk database. Its methods are safe for concurrent use.
type Store struct {
	path string
	opts Options
	log  *slog.Logger
	now  func() time.Time
	gen  *tracking.Generator

	key atomic.Pointer[seal.PublicKey]

	// mu guards db: readers hold it shared for a whole transaction; only
	// the writer goroutine (compaction) and Close replace db, holding it.
	mu sync.RWMutex
	db *bolt.DB

	ops     chan *op
	closing chan struct{}
	writerW sync.WaitGroup
	closeMu sync.Mutex
	closed  bool

	alarmMu sync.Mutex
	alarms  []Alarm
	limited atomic.Bool
}

// Bucket names.
var (
	bMeta       = []byte("meta")
	bRequests   = []byte("requests")
	bTracking   = []byte("tracking")
	bSealed     = []byte("sealed")
	bOutbox     = []byte("outbox")
	bOutboxByID = []byte("outbox_by_id")
	bAudit      = []byte("audit")

	allBuckets = [][]byte{bMeta, bRequests, bTracking, bSealed, bOutbox, bOutboxByID, bAudit}
)

// Keys in the meta bucket.
var (
	kFormat    = []byte("format")     // one byte, FormatVersion
	kAuditHead = []byte("audit_head") // audit.Head binary
	kResidue   = []byte("residue")    // uint64: sealed payloads deleted since the last compaction
)

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// SetRegistryKey replaces the registry public key used by later Submits
// (at enrolment or key rotation).
func (s *Store) SetRegistryKey(k *seal.PublicKey) { s.key.Store(k) }

// maxAlarms bounds the alarms kept in memory; the oldest go first.
const maxAlarms = 100

// Alarms returns the alarms raised since Open (the last 100), oldest first.
func (s *Store) Alarms() []Alarm {
	s.alarmMu.Lock()
	defer s.alarmMu.Unlock()
	return append([]Alarm(nil), s.alarms...)
}

func (s *Store) raise(a Alarm) {
	if a.Time.IsZero() {
		a.Time = s.now()
	}
	s.alarmMu.Lock()
	if len(s.alarms) == maxAlarms {
		s.alarms = append(s.alarms[:0], s.alarms[1:]...)
	}
	s.alarms = append(s.alarms, a)
	s.alarmMu.Unlock()
	s.log.Error("store alarm", "kind", string(a.Kind), "message", a.Message, "moved_to", a.MovedTo)
}

// view runs fn in a read transaction.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.db == nil {
		return ErrClosed
	}
	return s.db.View(fn)
}

// Close waits for queued writes, stops the writer and closes the file.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.closeMu.Unlock()
	s.writerW.Wait()

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.db == nil {
		return nil
	}
	err := s.db.Close()
	s.db = nil
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// bucket returns a bucket that Open guarantees exists.
func bucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	b := tx.Bucket(name)
	if b == nil {
		// Open created every bucket; only a file changed under us lacks one.
		panic(fmt.Sprintf("store: bucket %s missing", name))
	}
	return b
}
