// Package pgtest starts a real PostgreSQL server from Debian's package for
// tests: initdb into the test's temporary directory, pg_ctl start on a free
// loopback port with its unix socket in that directory, and a stop in the
// test's cleanup. It is for tests only.
//
// PostgreSQL refuses to run as root, so when the test runs as root the
// server runs as the "postgres" user through runuser (the Debian package
// creates that user). Without PostgreSQL installed, Start skips the test,
// unless the CI environment variable is set: then it fails, so that a CI
// machine that lost the package does not pass silently.
package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Options tune the server.
type Options struct {
	// Durable keeps fsync and synchronous commit on, as in production; the
	// default turns them off, which is faster and enough for correctness
	// tests (nothing here survives a machine crash anyway).
	Durable bool
}

// Server is a running PostgreSQL.
type Server struct {
	Port    int
	Dir     string
	dbCount atomic.Int64
}

// Bin returns the directory of Debian's PostgreSQL binaries (the newest
// major version installed), or "" if there is none.
func Bin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i]
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

// Start starts a server for t and stops it when t ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Bin()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("pgtest: PostgreSQL is not installed (Debian package postgresql; images/host-packages.txt lists it)")
		}
		t.Skip("pgtest: PostgreSQL is not installed: apt-get install postgresql (skipped outside CI)")
	}
	var prefix []string
	var owner *user.User
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("pgtest: running as root and there is no postgres user to run the server as: %v", err)
		}
		owner = u
		prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	base := t.TempDir()
	dir := filepath.Join(base, "pg")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if owner != nil {
		// The postgres user must reach dir through the test's directories.
		for d := base; d != os.TempDir() && d != "/" && strings.HasPrefix(d, os.TempDir()); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o711); err != nil {
				t.Fatal(err)
			}
		}
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	mustRun(t, prefix, filepath.Join(bin, "initdb"), "-D", data, "-U", "guichet", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if err := runAs(prefix, "mkdir", "-m", "0700", sock); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	settings := []string{"-p", strconv.Itoa(port), "-k", sock, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"}
	if !opts.Durable {
		settings = append(settings, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logFile := filepath.Join(dir, "server.log")
	mustRun(t, prefix, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", logFile, "-w", "-t", "60", "-o", strings.Join(settings, " "), "start")
	s := &Server{Port: port, Dir: dir}
	t.Cleanup(func() {
		if err := runAs(prefix, filepath.Join(bin, "pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"); err != nil {
			t.Errorf("pgtest: stop: %v", err)
		}
		if t.Failed() {
			if b, err := os.ReadFile(logFile); err == nil {
				t.Logf("pgtest: server log:\n%s", b)
			}
		}
	})
	return s
}

func runAs(prefix []string, name string, args ...string) error {
	argv := append(append(slices.Clone(prefix), name), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", strings.Join(argv, " "), err, out)
	}
	return nil
}

func mustRun(t testing.TB, prefix []string, name string, args ...string) {
	t.Helper()
	if err := runAs(prefix, name, args...); err != nil {
		t.Fatal(err)
	}
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// DSN returns the connection string of database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://guichet@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDatabase creates an empty database and returns its connection string.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("registry_%d", s.dbCount.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return s.DSN(name)
}
