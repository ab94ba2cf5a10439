package update_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"guichet/sync/update"
	"guichet/sync/update/updatetest"
)

// bigRelease publishes a 1.1.0 whose binary is size pseudo-random bytes.
func bigRelease(t *testing.T, size int) (*updatetest.Repo, []byte) {
	repo := updatetest.NewRepo(t, t0)
	bin := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range bin {
		bin[i] = byte(r.Uint32())
	}
	repo.Publish("1.1.0", "", map[string][]byte{"guichet": bin}, nil)
	return repo, bin
}

func binaryFile(t *testing.T, repo *updatetest.Repo) update.File {
	t.Helper()
	res, err := kioskTrust(t, repo.Root()).Refresh(context.Background(), update.DirSource(repo.Dir), t0)
	if err != nil {
		t.Fatal(err)
	}
	return res.Release.Files[0]
}

func TestDownloadResumesAfterACut(t *testing.T) {
	repo, bin := bigRelease(t, 300<<10)
	f := binaryFile(t, repo)
	srv := updatetest.NewServer(t, repo.Dir)
	dir := t.TempDir()
	d := &update.Downloader{Source: update.HTTPSource{BaseURL: srv.URL}, SyncEvery: 16 << 10}
	srv.SetFaults(updatetest.Faults{CutAfter: 100 << 10})
	cuts := 0
	for {
		err := d.Fetch(context.Background(), f, dir)
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "resuming later") {
			t.Fatalf("Fetch = %v, want a cut connection resumed later", err)
		}
		if cuts++; cuts > 5 {
			t.Fatalf("no progress after %d cuts", cuts)
		}
	}
	if cuts != 2 || srv.Ranges != 2 {
		t.Errorf("cuts %d, range requests %d; want 2 and 2", cuts, srv.Ranges)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "guichet")); !bytes.Equal(got, bin) {
		t.Fatal("resumed file differs from the release")
	}
	if srv.Sent() != int64(len(bin)) {
		t.Errorf("server sent %d bytes for a %d-byte file: resumption re-downloaded", srv.Sent(), len(bin))
	}
}

func TestDownloadRestartsWhenRangesAreIgnored(t *testing.T) {
	repo, bin := bigRelease(t, 200<<10)
	f := binaryFile(t, repo)
	srv := updatetest.NewServer(t, repo.Dir)
	dir := t.TempDir()
	d := &update.Downloader{Source: update.HTTPSource{BaseURL: srv.URL}}
	srv.SetFaults(updatetest.Faults{CutAfter: 150 << 10})
	if err := d.Fetch(context.Background(), f, dir); err == nil {
		t.Fatal("Fetch through a cut = nil")
	}
	srv.SetFaults(updatetest.Faults{IgnoreRanges: true})
	if err := d.Fetch(context.Background(), f, dir); err != nil {
		t.Fatalf("Fetch from a server ignoring ranges = %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "guichet")); !bytes.Equal(got, bin) {
		t.Fatal("file differs after a restart from zero")
	}
}

func TestDownloadDetectsAFileChangedBetweenResumes(t *testing.T) {
	repo, bin := bigRelease(t, 200<<10)
	f := binaryFile(t, repo)
	srv := updatetest.NewServer(t, repo.Dir)
	dir := t.TempDir()
	d := &update.Downloader{Source: update.HTTPSource{BaseURL: srv.URL}}
	// The first part comes from another content of the same length (the
	// file was being replaced on the server); the rest from the right one.
	target := filepath.Join(repo.Dir, "targets", f.Target)
	other := bytes.Clone(bin)
	copy(other, "altered")
	os.WriteFile(target, other, 0o644)
	srv.SetFaults(updatetest.Faults{CutAfter: 50 << 10})
	if err := d.Fetch(context.Background(), f, dir); err == nil {
		t.Fatal("Fetch through a cut = nil")
	}
	os.WriteFile(target, bin, 0o644)
	srv.SetFaults(updatetest.Faults{})
	err := d.Fetch(context.Background(), f, dir)
	if !errors.Is(err, update.ErrHashMismatch) || !strings.Contains(err.Error(), "changed between resumes") {
		t.Fatalf("Fetch after the file changed = %v, want a hash mismatch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "guichet")); err == nil {
		t.Fatal("a file that failed its hash was kept")
	}
	// The next attempt starts from zero and succeeds.
	if err := d.Fetch(context.Background(), f, dir); err != nil {
		t.Fatalf("Fetch once the file is right again = %v", err)
	}
}

func TestDownloadRefusesTooManyBytes(t *testing.T) {
	repo, _ := bigRelease(t, 64<<10)
	f := binaryFile(t, repo)
	srv := updatetest.NewServer(t, repo.Dir)
	srv.SetFaults(updatetest.Faults{ExtraBytes: 10})
	dir := t.TempDir()
	d := &update.Downloader{Source: update.HTTPSource{BaseURL: srv.URL}}
	err := d.Fetch(context.Background(), f, dir)
	if err == nil || !strings.Contains(err.Error(), "signed 65536: refused") {
		t.Fatalf("Fetch of a longer file = %v, want refused on its announced length", err)
	}
	if st, err := os.Stat(filepath.Join(dir, "guichet.part")); err == nil && st.Size() > f.Length {
		t.Fatalf("partial file is %d bytes, over the signed %d", st.Size(), f.Length)
	}
}

// A server that does not announce a length but keeps sending is cut at the
// signed length.
func TestDownloadCapsAnUnannouncedStream(t *testing.T) {
	repo, _ := bigRelease(t, 64<<10)
	f := binaryFile(t, repo)
	dir := t.TempDir()
	d := &update.Downloader{Source: endless{}}
	err := d.Fetch(context.Background(), f, dir)
	if !errors.Is(err, update.ErrTooLong) {
		t.Fatalf("Fetch of an endless stream = %v, want ErrTooLong", err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "guichet.part")); st.Size() != f.Length {
		t.Fatalf("partial file is %d bytes, want capped at %d", st.Size(), f.Length)
	}
}

type endless struct{}

func (endless) String() string { return "endless" }
func (endless) Open(context.Context, string, int64) (*update.Body, error) {
	return &update.Body{ReadCloser: nopCloser{zeros{}}, Start: 0, Total: -1}, nil
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

type nopCloser struct{ zeros }

func (nopCloser) Close() error { return nil }

// fullDisk is a partial file on a disk with room for only `room` more
// bytes: writes past it fail with ENOSPC, as on a full ext4.
type fullDisk struct {
	*os.File
	room int64
}

func (f *fullDisk) Write(b []byte) (int, error) {
	if int64(len(b)) > f.room {
		n, _ := f.File.Write(b[:f.room])
		f.room = 0
		return n, &fs.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.room -= int64(len(b))
	return f.File.Write(b)
}

func TestDownloadReportsAFullDisk(t *testing.T) {
	repo, bin := bigRelease(t, 200<<10)
	f := binaryFile(t, repo)
	srv := updatetest.NewServer(t, repo.Dir)
	dir := t.TempDir()
	room := int64(120 << 10)
	d := &update.Downloader{Source: update.HTTPSource{BaseURL: srv.URL},
		OpenFile: func(name string, flag int, perm fs.FileMode) (update.PartialFile, error) {
			f, err := os.OpenFile(name, flag, perm)
			if err != nil {
				return nil, err
			}
			return &fullDisk{File: f, room: room}, nil
		}}
	err := d.Fetch(context.Background(), f, dir)
	if !errors.Is(err, update.ErrDiskFull) || !strings.Contains(err.Error(), "free space on the data partition") {
		t.Fatalf("Fetch onto a full disk = %v, want ErrDiskFull with what to do", err)
	}
	// Space freed: the download resumes from what was written.
	room = 1 << 30
	sent := srv.Sent()
	if err := d.Fetch(context.Background(), f, dir); err != nil {
		t.Fatalf("Fetch after space was freed = %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "guichet")); !bytes.Equal(got, bin) {
		t.Fatal("file differs after the full disk")
	}
	if again := srv.Sent() - sent; again > int64(len(bin))-120<<10+64<<10 {
		t.Errorf("after the full disk %d bytes were fetched again; want only the rest", again)
	}
}

func TestDownloadRefusesATruncatedOrAlteredTarget(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(p string, b []byte)
		want   string
	}{
		{"truncated", func(p string, b []byte) { os.WriteFile(p, b[:len(b)/2], 0o644) }, "refused"},
		{"altered", func(p string, b []byte) { b[7] ^= 1; os.WriteFile(p, b, 0o644) }, "does not match its signed SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo, bin := bigRelease(t, 32<<10)
			f := binaryFile(t, repo)
			tc.change(filepath.Join(repo.Dir, "targets", f.Target), bytes.Clone(bin))
			for _, src := range []update.Source{update.DirSource(repo.Dir), update.HTTPSource{BaseURL: updatetest.NewServer(t, repo.Dir).URL}} {
				err := (&update.Downloader{Source: src}).Fetch(context.Background(), f, t.TempDir())
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("Fetch(%s) of a %s target = %v, want %q", src, tc.name, err, tc.want)
				}
			}
		})
	}
}
