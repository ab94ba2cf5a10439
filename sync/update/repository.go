package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// NewRepositoryHandler serves the repository in dir (metadata/ and
// targets/, as Publish writes them) read-only over HTTP, with Range
// requests for resumable downloads (http.ServeContent). Mount it under a
// prefix with http.StripPrefix, e.g. the registry's /v1/updates/ behind its
// mutual TLS. Anything but GET or HEAD of a regular file under metadata/ or
// targets/ is refused; names starting with a dot are never served.
func NewRepositoryHandler(dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "update repository: read-only", http.StatusMethodNotAllowed)
			return
		}
		name, ok := cleanRepoPath(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || !st.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(name, MetadataDir+"/") {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		http.ServeContent(w, r, "", st.ModTime(), f)
	})
}

// cleanRepoPath accepts metadata/<file> and targets/<version>/<file> only.
func cleanRepoPath(p string) (string, bool) {
	p = strings.TrimPrefix(p, "/")
	if p == "" || path.Clean(p) != p {
		return "", false
	}
	parts := strings.Split(p, "/")
	for _, s := range parts {
		if s == "" || s[0] == '.' {
			return "", false
		}
	}
	switch {
	case parts[0] == MetadataDir && len(parts) == 2:
	case parts[0] == TargetsDir && len(parts) == 3:
	default:
		return "", false
	}
	return p, true
}

// Source is where the updater reads a repository: the registry over HTTPS
// or a directory on a USB stick. Both are verified the same way.
type Source interface {
	// Open returns the repository file name (a slash path such as
	// "metadata/timestamp.json") from byte offset on. The body may start
	// earlier than asked (Body.Start 0: the server ignored the range).
	Open(ctx context.Context, name string, offset int64) (*Body, error)
	String() string
}

// Body is an open repository file.
type Body struct {
	io.ReadCloser
	Start int64 // the offset of the body's first byte in the file
	Total int64 // the file's whole size as the source says, -1 if unknown
}

// ErrNotFound is returned by Source.Open for a file the repository does not have.
var ErrNotFound = errors.New("update: not in the repository")

// DirSource reads a repository from a directory, such as a mounted USB stick.
type DirSource string

func (d DirSource) String() string { return "directory " + string(d) }

// Open implements Source.
func (d DirSource) Open(ctx context.Context, name string, offset int64) (*Body, error) {
	clean, ok := cleanRepoPath(name)
	if !ok {
		return nil, fmt.Errorf("update: %q is not a repository path", clip(name))
	}
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(clean)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, name, string(d))
	}
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("update: %w", err)
	}
	if offset > st.Size() {
		offset = 0 // the file shrank: start again
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("update: %w", err)
	}
	return &Body{ReadCloser: f, Start: offset, Total: st.Size()}, nil
}

// HTTPSource reads a repository over HTTP(S): BaseURL ends with the mount
// point, e.g. https://registry.example/v1/updates/. Client carries the
// kiosk's mutual TLS.
type HTTPSource struct {
	BaseURL string
	Client  *http.Client
}

func (h HTTPSource) String() string { return h.BaseURL }

// Open implements Source with a Range request when offset > 0. A 206 must
// carry a Content-Range starting at offset; a 200 means the server ignored
// the range and the body starts at 0.
func (h HTTPSource) Open(ctx context.Context, name string, offset int64) (*Body, error) {
	if _, ok := cleanRepoPath(name); !ok {
		return nil, fmt.Errorf("update: %q is not a repository path", clip(name))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(h.BaseURL, "/")+"/"+name, nil)
	if err != nil {
		return nil, fmt.Errorf("update: %w", err)
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("update: fetching %s: %w", name, err)
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return &Body{ReadCloser: resp.Body, Start: 0, Total: resp.ContentLength}, nil
	case http.StatusPartialContent:
		start, total, err := parseContentRange(resp.Header.Get("Content-Range"))
		if err != nil || start != offset {
			resp.Body.Close()
			return nil, fmt.Errorf("update: %s: the server answered the range from %d with Content-Range %q", name, offset, clip(resp.Header.Get("Content-Range")))
		}
		return &Body{ReadCloser: resp.Body, Start: start, Total: total}, nil
	case http.StatusRequestedRangeNotSatisfiable:
		resp.Body.Close()
		// What we hold is longer than the file: it changed. Start over.
		return h.Open(ctx, name, 0)
	case http.StatusNotFound:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s at %s", ErrNotFound, name, h.BaseURL)
	default:
		resp.Body.Close()
		return nil, fmt.Errorf("update: fetching %s: the server answered %s", name, resp.Status)
	}
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be *).
func parseContentRange(s string) (start, total int64, err error) {
	rest, ok := strings.CutPrefix(s, "bytes ")
	if !ok {
		return 0, 0, fmt.Errorf("not a byte range")
	}
	rng, tot, ok := strings.Cut(rest, "/")
	if !ok {
		return 0, 0, fmt.Errorf("no total")
	}
	a, b, ok := strings.Cut(rng, "-")
	if !ok {
		return 0, 0, fmt.Errorf("no range")
	}
	if start, err = strconv.ParseInt(a, 10, 64); err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad start")
	}
	end, err := strconv.ParseInt(b, 10, 64)
	if err != nil || end < start {
		return 0, 0, fmt.Errorf("bad end")
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil || total <= end {
			return 0, 0, fmt.Errorf("bad total")
		}
	}
	return start, total, nil
}

// PreferDir reads each file from dir (a mounted USB stick) when dir has it,
// and from next otherwise. Everything is verified the same whichever side
// served it; metadata mixed from the two is refused like any other mix.
func PreferDir(dir string, next Source) Source { return preferDir{DirSource(dir), next} }

type preferDir struct {
	dir  DirSource
	next Source
}

func (p preferDir) String() string {
	if p.next == nil {
		return p.dir.String()
	}
	return p.dir.String() + " or " + p.next.String()
}

func (p preferDir) Open(ctx context.Context, name string, offset int64) (*Body, error) {
	b, err := p.dir.Open(ctx, name, offset)
	if err == nil || p.next == nil || !errors.Is(err, ErrNotFound) {
		return b, err
	}
	return p.next.Open(ctx, name, offset)
}
