// Package updatetest helps test the updater: a signed repository in a
// temporary directory, and an HTTP server in front of it that misbehaves
// on request (cuts connections, ignores ranges, changes a file between
// resumes, sends more bytes than asked).
package updatetest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"guichet/sync/update"
)

// Repo is a release repository with its keys.
type Repo struct {
	Dir  string
	Keys update.Keys
	Now  time.Time
	t    testing.TB
}

// NewRepo makes keys and an empty repository in a temporary directory.
func NewRepo(t testing.TB, now time.Time) *Repo {
	t.Helper()
	k, err := update.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := update.InitRepository(dir, k, now, 0); err != nil {
		t.Fatal(err)
	}
	return &Repo{Dir: dir, Keys: k, Now: now, t: t}
}

// Root is the repository's current root.json, the file a kiosk pins.
func (r *Repo) Root() []byte {
	b, err := os.ReadFile(filepath.Join(r.Dir, update.MetadataDir, "root.json"))
	if err != nil {
		r.t.Fatal(err)
	}
	return b
}

// Publish signs a release made of the given files (name -> content; the
// name "guichet" is the binary, others are config files).
func (r *Repo) Publish(version, minFrom string, files map[string][]byte, mod func(*update.ReleaseSpec)) {
	r.t.Helper()
	v, err := update.ParseVersion(version)
	if err != nil {
		r.t.Fatal(err)
	}
	spec := update.ReleaseSpec{Version: v, Now: r.Now}
	if minFrom != "" {
		if spec.MinUpgradeFrom, err = update.ParseVersion(minFrom); err != nil {
			r.t.Fatal(err)
		}
	}
	src := r.t.TempDir()
	for name, content := range files {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			r.t.Fatal(err)
		}
		kind := update.KindConfig
		if name == update.BinaryName {
			kind = update.KindBinary
		}
		spec.Files = append(spec.Files, update.ReleaseFile{Source: p, Kind: kind, Name: name})
	}
	if mod != nil {
		mod(&spec)
	}
	if err := update.Publish(r.Dir, r.Keys, spec); err != nil {
		r.t.Fatal(err)
	}
}

// Faults makes a Server misbehave; all zero is a well-behaved server.
type Faults struct {
	CutAfter     int64 // close the connection after this many body bytes of a target (once per request)
	IgnoreRanges bool  // answer 200 with the whole file to a Range request
	ExtraBytes   int   // append this many bytes to every target
	// Change, when set, is called before serving a target with the
	// request number (from 1); it may rewrite the file.
	Change func(n int, path string)
}

// Server serves a repository directory over HTTP with faults.
type Server struct {
	*httptest.Server
	mu       sync.Mutex
	faults   Faults
	requests int
	Bytes    int64 // target body bytes sent
	Meta     int64 // metadata body bytes sent
	Ranges   int   // Range requests received for targets
}

// NewServer starts a server for dir; it stops with the test.
func NewServer(t testing.TB, dir string) *Server {
	s := &Server{}
	h := update.NewRepositoryHandler(dir)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		f := s.faults
		target := strings.HasPrefix(r.URL.Path, "/"+update.TargetsDir+"/")
		if target {
			s.requests++
			if r.Header.Get("Range") != "" {
				s.Ranges++
			}
		}
		n := s.requests
		s.mu.Unlock()
		if !target {
			h.ServeHTTP(&countingWriter{ResponseWriter: w, s: s, meta: true}, r)
			return
		}
		if f.Change != nil {
			f.Change(n, filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
		}
		if f.IgnoreRanges {
			r.Header.Del("Range")
		}
		cw := &countingWriter{ResponseWriter: w, s: s, cut: f.CutAfter}
		if f.ExtraBytes > 0 {
			b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(r.URL.Path, "/"))))
			if err != nil {
				http.NotFound(w, r)
				return
			}
			b = append(b, make([]byte, f.ExtraBytes)...)
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			cw.Write(b)
			return
		}
		h.ServeHTTP(cw, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// SetFaults changes the faults for the requests that follow.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// Sent returns the target bytes sent so far.
func (s *Server) Sent() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Bytes
}

// SentMetadata returns the metadata bytes sent so far.
func (s *Server) SentMetadata() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Meta
}

// HealthyKiosk stands in for the kiosk's restart in process: it writes a
// passing health report for the release current points to.
func HealthyKiosk(data string) func(context.Context) error {
	return func(context.Context) error {
		t, err := os.Readlink(filepath.Join(data, update.CurrentLink))
		if err != nil {
			return nil // the factory binary
		}
		v, err := update.ParseVersion(filepath.Base(t))
		if err != nil {
			return err
		}
		return update.WriteHealthReport(filepath.Join(data, update.HealthDir), update.HealthReport{Version: v, WrittenAt: time.Now(),
			HomeScreenRendered: true, PeripheralsAnswered: true, StoreOpened: true, RegistryReachedOrQueueIntact: true})
	}
}

type countingWriter struct {
	http.ResponseWriter
	s    *Server
	cut  int64
	sent int64
	meta bool
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.cut > 0 && c.sent+int64(len(b)) > c.cut {
		b = b[:c.cut-c.sent]
		n, _ := c.ResponseWriter.Write(b)
		c.add(n)
		if f, ok := c.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler) // the connection is cut mid-body
	}
	n, err := c.ResponseWriter.Write(b)
	c.add(n)
	return n, err
}

func (c *countingWriter) add(n int) {
	c.sent += int64(n)
	c.s.mu.Lock()
	if c.meta {
		c.s.Meta += int64(n)
	} else {
		c.s.Bytes += int64(n)
	}
	c.s.mu.Unlock()
}
