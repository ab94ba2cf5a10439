package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"guichet/sync/registry"
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
	go func() { done <- run(sctx, []string{"serve", "-dir", dir, "-addr", "127.0.0.1:0"}, &log) }()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve = %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "registry listening") {
		t.Errorf("serve log:\n%s", log.String())
	}
}
