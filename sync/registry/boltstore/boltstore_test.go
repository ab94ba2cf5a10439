package boltstore_test

import (
	"path/filepath"
	"testing"

	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/store"
	"guichet/sync/registry/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "registry.db")
		s, err := boltstore.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			// After the suite's Close: reopen and check the file's consistency.
			s2, err := boltstore.Open(path)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s2.Close()
			if err := s2.Check(); err != nil {
				t.Errorf("Check() = %v", err)
			}
		})
		return s
	})
}
