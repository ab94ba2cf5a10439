package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"guichet/sync/registry"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/store"
	"guichet/sync/trustfile"
)

func TestInitServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "registry")
	t.Setenv("GUICHET_REGISTRY_PASSWORD", "a long operator password")
	var log bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"init", "-dir", dir, "-operator", "ops.amina", "-host", "registry.justice.example"}, &log); err != nil {
		t.Fatalf("init = %v\n%s", err, log.String())
	}
	for _, f := range []string{registry.FileCAKey, registry.FileCACert, registry.FileServerKey, registry.FileServerCert, registry.FileHPKEKey, registry.FileHPKEPub, registry.FileBoltDB} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("init left no %s: %v", f, err)
		}
	}
	if _, err := registry.New(registry.Config{Dir: t.TempDir()}); err == nil {
		t.Errorf("New(empty directory) = nil, want an error naming init")
	}
	if err := run(ctx, []string{"init", "-dir", dir, "-operator", "ops.amina"}, &log); err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("second init = %v, want a refusal", err)
	}
	for _, args := range [][]string{nil, {"frobnicate"}, {"serve"}, {"init", "-dir", dir}} {
		if err := run(ctx, args, &log); err == nil {
			t.Errorf("run(%q) = nil, want an error", args)
		}
	}

	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"serve", "-dir", dir, "-addr", "127.0.0.1:0", "-console", "127.0.0.1:0", "-console-http"}, &log)
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve = %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "registry listening") || !strings.Contains(log.String(), "console listening") {
		t.Errorf("serve log:\n%s", log.String())
	}
	if err := run(ctx, []string{"serve", "-dir", dir, "-addr", "127.0.0.1:0", "-console", "0.0.0.0:0", "-console-http"}, &log); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("serve with plain HTTP on all interfaces = %v, want a refusal", err)
	}
}

func TestKeygen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "registry")
	t.Setenv("GUICHET_REGISTRY_PASSWORD", "a long operator password")
	var log bytes.Buffer
	ctx := context.Background()
	if err := run(ctx, []string{"init", "-dir", dir, "-operator", "ops.amina"}, &log); err != nil {
		t.Fatal(err)
	}
	srv, err := registry.New(registry.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateAccount(ctx, "ops.amina", registry.NewAccount{Name: "greffe.nadia", Role: store.RoleClerk, Court: "tpi-casablanca", Password: "greffe casablanca 2026"}); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	for _, tt := range []struct {
		args []string
		want string // in the error, or in the log when ""
	}{
		{[]string{"keygen", "-dir", dir}, "-account"},
		{[]string{"keygen", "-dir", dir, "-account", "ops.amina", "-name-latin", "Amina"}, "only a court's clerk or prosecutor"},
		{[]string{"keygen", "-dir", dir, "-account", "greffe.nadia"}, "name"},
		{[]string{"keygen", "-dir", dir, "-account", "greffe.nadia", "-name-latin", "Nadia Benjelloun", "-name-arabic", "نادية بنجلون"}, ""},
		{[]string{"keygen", "-dir", dir, "-account", "greffe.nadia"}, ""}, // keeps the name
	} {
		log.Reset()
		err := run(ctx, tt.args, &log)
		switch {
		case tt.want == "" && (err != nil || !strings.Contains(log.String(), "signing key greffe.nadia.")):
			t.Errorf("run(%q) = %v, log %q", tt.args, err, log.String())
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("run(%q) = %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	st, err := boltstore.Open(filepath.Join(dir, registry.FileBoltDB))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys, _ := st.SigningKeys(ctx)
	live := 0
	for _, k := range keys {
		if k.RetiredAt.IsZero() {
			live++
			if k.NameArabic != "نادية بنجلون" {
				t.Errorf("live key %s name = %q", k.ID, k.NameArabic)
			}
		}
	}
	if len(keys) != 2 || live != 1 {
		t.Errorf("keys = %d (%d live), want 2 with 1 live", len(keys), live)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "registry")
	t.Setenv("GUICHET_REGISTRY_PASSWORD", "a long operator password")
	var log bytes.Buffer
	if err := runKeys([]string{"-dir", dir}, &log, &log); err == nil || !strings.Contains(err.Error(), "guichet-registry init") {
		t.Errorf("keys before init = %v, want a sentence saying to init", err)
	}
	if err := run(ctx, []string{"init", "-dir", dir, "-operator", "ops.amina"}, &log); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runKeys([]string{"-dir", dir}, &out, &log); err != nil {
		t.Fatal(err)
	}
	keys, err := trustfile.Parse(out.Bytes())
	if err != nil {
		t.Fatalf("keys printed %q: %v", out.String(), err)
	}
	// The same keys the serving registry signs tickets with.
	srv, err := registry.New(registry.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if d := cmp.Diff(srv.DocumentKeys(), keys); d != "" {
		t.Errorf("keys (-registry +printed):\n%s", d)
	}
}
