package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"guichet/kiosk/audit"
	"guichet/kiosk/request"
	"guichet/kiosk/seal"
	"guichet/kiosk/tracking"
)

// errCorrupt marks a panic bbolt raised on a damaged file.
var errCorrupt = errors.New("store: damaged file")

// Open opens (creating if needed) the database at path, checks it, and
// starts its writer. A file that is damaged is moved aside, a fresh one is
// started, and an alarm is raised (see Alarms). Errors that say nothing about
// the file (another process holds it, permissions, a read-only or full file
// system) are returned instead: the file is never moved aside for them.
func Open(path string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxSize == 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.LockTimeout == 0 {
		opts.LockTimeout = 2 * time.Second
	}
	if opts.Tracking == nil {
		opts.Tracking = tracking.NewGenerator(opts.KioskID, opts.Now, nil)
	}
	s := &Store{
		path:    path,
		opts:    opts,
		log:     opts.Logger,
		now:     opts.Now,
		gen:     opts.Tracking,
		ops:     make(chan *op),
		closing: make(chan struct{}),
	}
	s.key.Store(opts.RegistryKey)

	if opts.ReadOnly {
		return s, s.openReadOnly()
	}

	// A compaction interrupted before its rename leaves only this behind.
	tmp := path + compactSuffix
	if err := os.Remove(tmp); err == nil {
		s.log.Warn("store: removed an interrupted compaction", "file", tmp)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: %w", err)
	}

	db, problem, err := s.openChecked()
	if err != nil {
		return nil, err
	}
	var pending []Alarm
	if problem != "" {
		moved, err := s.moveAside()
		if err != nil {
			return nil, fmt.Errorf("store: %s is damaged (%s) and could not be moved aside: %w", path, problem, err)
		}
		a := Alarm{
			Time:    s.now(),
			Kind:    AlarmCorrupt,
			Message: fmt.Sprintf("database damaged (%s); moved to %s and started afresh", problem, filepath.Base(moved)),
			MovedTo: moved,
		}
		s.raise(a)
		pending = append(pending, a)
		if db, problem, err = s.openChecked(); err != nil {
			return nil, err
		} else if problem != "" {
			return nil, fmt.Errorf("store: fresh database %s fails its checks: %s", path, problem)
		}
	}
	s.db = db
	if err := s.initialise(pending); err != nil {
		db.Close()
		return nil, err
	}
	if r, err := s.AuditReport(); err != nil {
		db.Close()
		return nil, err
	} else if !r.OK() {
		a := Alarm{Time: s.now(), Kind: AlarmAuditBroken, Message: summarise(r)}
		s.raise(a)
		if err := s.db.Update(func(tx *bolt.Tx) error {
			_, err := appendAudit(tx, a.Time, audit.System, "store.audit_chain_broken", filepath.Base(path), clip(a.Message))
			return err
		}); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: record alarm: %w", s.writeError(err))
		}
	}
	s.writerW.Add(1)
	go s.writer()
	return s, nil
}

func (s *Store) openReadOnly() error {
	var db *bolt.DB
	err := safely(func() (err error) {
		db, err = bolt.Open(s.path, 0o600, &bolt.Options{ReadOnly: true, Timeout: s.opts.LockTimeout})
		return err
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return fmt.Errorf("store: %s is locked by another process (stop the kiosk or work on a copy)", s.path)
	}
	if err != nil {
		return fmt.Errorf("store: open %s read-only: %w", s.path, err)
	}
	err = safely(func() error {
		return db.View(func(tx *bolt.Tx) error {
			for _, name := range allBuckets {
				if tx.Bucket(name) == nil {
					return fmt.Errorf("store: %s is not a kiosk database (no %s bucket)", s.path, name)
				}
			}
			return checkFormat(tx)
		})
	})
	if err != nil {
		db.Close()
		return err
	}
	s.db = db // no writer: enqueue refuses with ErrReadOnly
	return nil
}

// openChecked opens path and checks it. A non-empty problem means the file
// is damaged; err means something else went wrong.
func (s *Store) openChecked() (db *bolt.DB, problem string, err error) {
	err = safely(func() (err error) {
		db, err = bolt.Open(s.path, 0o600, &bolt.Options{Timeout: s.opts.LockTimeout})
		return err
	})
	if err != nil {
		if environmental(err) {
			return nil, "", fmt.Errorf("store: open %s: %w", s.path, err)
		}
		return nil, fmt.Sprintf("bbolt refuses to open it: %v", err), nil
	}
	problem, err = checkFile(db)
	if err != nil || problem != "" {
		db.Close()
		return nil, problem, err
	}
	return db, "", nil
}

// environmental reports whether an open error is about the surroundings
// (locks, permissions, resources, a read-only or full file system) rather
// than the file's contents.
func environmental(err error) bool {
	if errors.Is(err, berrors.ErrTimeout) || errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrNotExist) {
		return true
	}
	for _, e := range []syscall.Errno{syscall.EROFS, syscall.ENOSPC, syscall.EDQUOT, syscall.EMFILE,
		syscall.ENFILE, syscall.ENOMEM, syscall.EAGAIN, syscall.EINTR, syscall.EISDIR, syscall.ENOTDIR} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// safely runs fn turning a panic, including a memory fault on a damaged
// mapped page, into an error.
func safely(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errCorrupt, r)
		}
	}()
	return fn()
}

func checkFormat(tx *bolt.Tx) error {
	meta := tx.Bucket(bMeta)
	if meta == nil {
		return nil
	}
	f := meta.Get(kFormat)
	switch {
	case f == nil:
		return nil
	case len(f) != 1:
		return fmt.Errorf("%w: format marker is %d bytes", errCorrupt, len(f))
	case f[0] > FormatVersion:
		return fmt.Errorf("store: database format %d is newer than this software's (%d); refusing to touch it", f[0], FormatVersion)
	case f[0] < FormatVersion:
		return fmt.Errorf("store: database format %d is unknown", f[0])
	}
	return nil
}

// checkFile walks every bucket, decodes every value, cross-checks the
// indexes and runs bbolt's own page check. It returns the first problems
// found, or an error for a file this software must not touch.
func checkFile(db *bolt.DB) (problem string, err error) {
	var problems []string
	walkErr := safely(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if err := checkFormat(tx); err != nil {
				if errors.Is(err, errCorrupt) {
					problems = append(problems, err.Error())
					return nil
				}
				return err
			}
			problems = append(problems, checkContents(tx)...)
			return nil
		})
	})
	if walkErr != nil && !errors.Is(walkErr, errCorrupt) {
		return "", walkErr
	}
	if walkErr != nil {
		problems = append(problems, walkErr.Error())
	}
	if len(problems) == 0 {
		// Every reachable page was just read safely, so bbolt's checker (which
		// runs on its own goroutine, beyond recover) meets no wild page.
		_ = db.View(func(tx *bolt.Tx) error {
			for err := range tx.Check() {
				if len(problems) < 5 {
					problems = append(problems, err.Error())
				}
			}
			return nil
		})
	}
	if len(problems) > 3 {
		problems = append(problems[:3], fmt.Sprintf("and %d more", len(problems)-3))
	}
	return strings.Join(problems, "; "), nil
}

// checkContents decodes everything outside the audit chain (whose problems
// are evidence, reported by AuditReport) and checks the indexes agree.
func checkContents(tx *bolt.Tx) []string {
	var problems []string
	bad := func(format string, a ...any) {
		if len(problems) < 10 {
			problems = append(problems, fmt.Sprintf(format, a...))
		}
	}
	present := 0
	for _, name := range allBuckets {
		if tx.Bucket(name) != nil {
			present++
		}
	}
	if present == 0 {
		return nil // a new file
	}
	if present != len(allBuckets) {
		bad("%d of %d buckets present", present, len(allBuckets))
		return problems
	}

	meta := tx.Bucket(bMeta)
	if meta.Get(kFormat) == nil {
		bad("no format marker")
	}
	if h := meta.Get(kAuditHead); h != nil {
		if err := new(audit.Head).UnmarshalBinary(h); err != nil {
			bad("meta: %v", err)
		}
	}
	if _, err := getUint64(meta.Get(kResidue)); err != nil {
		bad("meta: %v", err)
	}

	reqs := make(map[string]request.Request)
	_ = tx.Bucket(bRequests).ForEach(func(k, v []byte) error {
		var r request.Request
		if err := r.UnmarshalBinary(v); err != nil {
			bad("request %x: %v", k, err)
			return nil
		}
		if r.ID != string(k) {
			bad("request under key %q has id %s", k, r.ID)
		}
		reqs[r.ID] = r
		return nil
	})
	_ = tx.Bucket(bTracking).ForEach(func(k, v []byte) error {
		if r, ok := reqs[string(v)]; !ok || string(r.Tracking) != string(k) {
			bad("tracking %q points to %q, which does not carry it", k, v)
		}
		return nil
	})
	outboxByID := make(map[string]bool)
	_ = tx.Bucket(bOutbox).ForEach(func(k, v []byte) error {
		o, err := decodeOutbox(v)
		if err != nil {
			bad("outbox %x: %v", k, err)
			return nil
		}
		if outboxByID[o.RequestID] {
			bad("outbox: request %s queued twice", o.RequestID)
		}
		outboxByID[o.RequestID] = true
		if !bytes.Equal(tx.Bucket(bOutboxByID).Get([]byte(o.RequestID)), k) {
			bad("outbox %x: index for %s disagrees", k, o.RequestID)
		}
		if r, ok := reqs[o.RequestID]; !ok || !pending(r.State) {
			bad("outbox %x: request %s is not pending", k, o.RequestID)
		}
		if tx.Bucket(bSealed).Get([]byte(o.RequestID)) == nil {
			bad("outbox %x: no sealed payload for %s", k, o.RequestID)
		}
		return nil
	})
	if n := tx.Bucket(bOutboxByID).Stats().KeyN; n != len(outboxByID) {
		bad("outbox index has %d entries for %d outbox entries", n, len(outboxByID))
	}
	_ = tx.Bucket(bSealed).ForEach(func(k, v []byte) error {
		if _, err := seal.ParseEnvelope(v); err != nil {
			bad("sealed %s: %v", k, err)
		}
		if !outboxByID[string(k)] {
			bad("sealed payload for %s outside the outbox", k)
		}
		return nil
	})
	for id, r := range reqs {
		if r.Tracking != "" && string(tx.Bucket(bTracking).Get([]byte(r.Tracking))) != id {
			bad("request %s: tracking %s not indexed", id, r.Tracking)
		}
		if pending(r.State) && !outboxByID[id] {
			bad("request %s is %s but not in the outbox", id, r.State)
		}
	}
	return problems
}

// pending reports whether a request in state st is still to be sent.
func pending(st request.State) bool { return st == request.Queued || st == request.Sent }

// moveAside renames the damaged file with a timestamp, never overwriting.
func (s *Store) moveAside() (string, error) {
	base := s.path + ".corrupt-" + s.now().UTC().Format("20060102T150405Z")
	name := base
	for i := 1; ; i++ {
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(s.path, name); err != nil {
		return "", err
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		return "", err
	}
	return name, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// initialise creates the buckets of a new file and records alarms raised
// while opening as the first audit entries.
func (s *Store) initialise(alarms []Alarm) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if meta.Get(kFormat) == nil {
			if err := meta.Put(kFormat, []byte{FormatVersion}); err != nil {
				return err
			}
			if _, err := appendAudit(tx, s.now(), audit.System, "store.created", filepath.Base(s.path), fmt.Sprintf("format=%d", FormatVersion)); err != nil {
				return err
			}
		}
		for _, a := range alarms {
			subject := filepath.Base(a.MovedTo)
			if _, err := appendAudit(tx, a.Time, audit.System, "store.alarm."+string(a.Kind), subject, clip(a.Message)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: initialise %s: %w", s.path, s.writeError(err))
	}
	return nil
}

// clip makes text fit an audit detail: no control characters, bounded.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
	if len(s) > 512 {
		s = strings.ToValidUTF8(s[:509], "") + "..."
	}
	return s
}

func summarise(r audit.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in %d entries:", len(r.Problems), r.Entries)
	for i, p := range r.Problems {
		if i == 3 {
			fmt.Fprintf(&b, " ...")
			break
		}
		fmt.Fprintf(&b, " %v;", p)
	}
	return b.String()
}
