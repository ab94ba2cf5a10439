package update

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// PartialFile is the file a download writes to; *os.File is one. Tests
// put a fault-injecting one in place to meet a full disk.
type PartialFile interface {
	io.Writer
	Sync() error
	Close() error
	Truncate(size int64) error
	Seek(offset int64, whence int) (int64, error)
}

// Download errors the updater branches on.
var (
	ErrDiskFull     = errors.New("update: the data partition is full")
	ErrTooLong      = errors.New("update: the server sent more bytes than the signed length")
	ErrHashMismatch = errors.New("update: the downloaded file does not match its signed SHA-256")
)

// Downloader fetches a release's files into a directory: each to
// <name>.part, resumed from its size with a Range request, capped at the
// signed length, fsynced, then hashed whole and renamed to <name>.
type Downloader struct {
	Source Source
	// OpenFile opens a partial file; nil is os.OpenFile.
	OpenFile func(name string, flag int, perm fs.FileMode) (PartialFile, error)
	// Progress, when set, is told the bytes held of the file being fetched.
	Progress func(f File, have int64)
	// SyncEvery is how many bytes are written between fsyncs (default 1 MiB).
	SyncEvery int64
	// Failpoint, when set, is called at named points (tests crash there).
	Failpoint func(name string)
}

func (d *Downloader) open(name string) (PartialFile, error) {
	if d.OpenFile != nil {
		return d.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	}
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
}

func (d *Downloader) failpoint(name string) {
	if d.Failpoint != nil {
		d.Failpoint(name)
	}
}

// Fetch brings f into dir, resuming what an earlier attempt left. It
// returns nil once dir/<f.Name> holds exactly the signed content.
func (d *Downloader) Fetch(ctx context.Context, f File, dir string) error {
	final := filepath.Join(dir, f.Name)
	if ok, _ := hasContent(final, f); ok {
		return nil
	}
	part := final + ".part"
	have := int64(0)
	if st, err := os.Stat(part); err == nil {
		have = st.Size()
	}
	w, err := d.open(part)
	if err != nil {
		return d.diskErr(f, have, fmt.Errorf("update: opening %s: %w", part, err))
	}
	defer w.Close()
	if have > f.Length {
		if err := w.Truncate(0); err != nil {
			return d.diskErr(f, have, err)
		}
		have = 0
	}
	if have < f.Length {
		if err := d.fetchRest(ctx, f, w, have); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return d.diskErr(f, f.Length, err)
	}
	d.failpoint("download.complete")
	if ok, sum := hasContent(part, f); !ok {
		os.Remove(part)
		return fmt.Errorf("%w: %s has SHA-256 %s, signed %s: the file changed between resumes or was altered; starting it again", ErrHashMismatch, f.Target, sum, f.SHA256)
	}
	if err := os.Rename(part, final); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return syncDir(dir)
}

func (d *Downloader) fetchRest(ctx context.Context, f File, w PartialFile, have int64) error {
	body, err := d.Source.Open(ctx, TargetsDir+"/"+f.Target, have)
	if err != nil {
		return err
	}
	defer body.Close()
	if body.Total >= 0 && body.Total != f.Length {
		return fmt.Errorf("update: %s is %d bytes at %s, signed %d: refused", f.Target, body.Total, d.Source, f.Length)
	}
	if body.Start != have {
		// The server ignored the range: start the file again from its start.
		if err := w.Truncate(0); err != nil {
			return d.diskErr(f, have, err)
		}
		have = body.Start
	}
	if _, err := w.Seek(have, io.SeekStart); err != nil {
		return d.diskErr(f, have, err)
	}
	syncEvery := d.SyncEvery
	if syncEvery <= 0 {
		syncEvery = 1 << 20
	}
	buf := make([]byte, 64<<10)
	sinceSync := int64(0)
	half := false
	for have < f.Length {
		want := int64(len(buf))
		if rest := f.Length - have; rest < want {
			want = rest
		}
		n, rerr := body.Read(buf[:want])
		if n > 0 {
			if _, err := w.Write(buf[:n]); err != nil {
				w.Sync()
				return d.diskErr(f, have, err)
			}
			have += int64(n)
			sinceSync += int64(n)
			if sinceSync >= syncEvery {
				if err := w.Sync(); err != nil {
					return d.diskErr(f, have, err)
				}
				sinceSync = 0
				if d.Progress != nil {
					d.Progress(f, have)
				}
			}
			if !half && have*2 >= f.Length {
				half = true
				w.Sync()
				d.failpoint("download.half")
			}
		}
		if rerr == io.EOF && have < f.Length {
			w.Sync()
			return fmt.Errorf("update: the connection to %s ended after %d of %d bytes of %s; resuming later", d.Source, have, f.Length, f.Target)
		}
		if rerr != nil && rerr != io.EOF {
			w.Sync()
			return fmt.Errorf("update: the connection to %s was cut after %d of %d bytes of %s (%v); resuming later", d.Source, have, f.Length, f.Target, rerr)
		}
	}
	if err := w.Sync(); err != nil {
		return d.diskErr(f, have, err)
	}
	if d.Progress != nil {
		d.Progress(f, have)
	}
	// One more byte than signed is an attack or a broken server.
	var one [1]byte
	if n, _ := io.ReadFull(body, one[:]); n > 0 {
		return fmt.Errorf("%w: %s from %s goes past its signed %d bytes: refused", ErrTooLong, f.Target, d.Source, f.Length)
	}
	return nil
}

func (d *Downloader) diskErr(f File, have int64, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w while writing %s (%d of %d bytes): free space on the data partition; the download resumes then: %v", ErrDiskFull, f.Target, have, f.Length, err)
	}
	return fmt.Errorf("update: writing %s: %w", f.Target, err)
}

// hasContent reports whether path holds exactly f's signed content, and the
// hex SHA-256 it found.
func hasContent(path string, f File) (bool, string) {
	fh, err := os.Open(path)
	if err != nil {
		return false, ""
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(fh, f.Length+1))
	sum := hex.EncodeToString(h.Sum(nil))
	return err == nil && n == f.Length && sum == f.SHA256, sum
}
