package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"guichet/kiosk/seal"
	"guichet/sync/registry/boltstore"
	"guichet/sync/registry/store"
)

// InitOptions configure Init.
type InitOptions struct {
	Hostnames []string    // names and addresses of the server certificate; localhost and loopback are always added
	Operator  string      // the first operator account
	Password  string      // its password (at least 12 characters)
	Store     store.Store // where the account goes; default boltstore in the directory
	Now       time.Time   // default time.Now
}

// Init creates a registry's data directory: its CA, the server's TLS key
// and certificate, the HPKE key pair kiosks seal to, and the first operator
// account. It refuses to overwrite an existing CA.
func Init(ctx context.Context, dir string, o InitOptions) error {
	if o.Operator == "" {
		return errors.New("registry: init: an operator account name is required")
	}
	hash, err := HashPassword(o.Password)
	if err != nil {
		return fmt.Errorf("registry: init: %w", err)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	now := o.Now.UTC()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("registry: init: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileCAKey)); err == nil {
		return fmt.Errorf("registry: init: %s already holds a registry (%s exists)", dir, FileCAKey)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry: init: %w", err)
	}
	caCert, caDER, caKey, err := createCA(now, "Guichet registry CA")
	if err != nil {
		return fmt.Errorf("registry: init: CA: %w", err)
	}
	ca := &authority{cert: caCert, key: caKey}
	srvKey, err := newKey()
	if err != nil {
		return err
	}
	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, o.Hostnames...)
	srvDER, err := ca.issueServer(now, hosts, srvKey.Public())
	if err != nil {
		return fmt.Errorf("registry: init: server certificate: %w", err)
	}
	hk, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	hb, err := hk.Bytes()
	if err != nil {
		return err
	}
	steps := []func() error{
		func() error { return writeKey(filepath.Join(dir, FileServerKey), srvKey) },
		func() error { return writePEM(filepath.Join(dir, FileServerCert), "CERTIFICATE", srvDER, 0o644) },
		func() error {
			return os.WriteFile(filepath.Join(dir, FileHPKEKey), []byte(base64.StdEncoding.EncodeToString(hb)+"\n"), 0o600)
		},
		func() error {
			return os.WriteFile(filepath.Join(dir, FileHPKEPub), []byte(hk.Public().String()+"\n"), 0o644)
		},
		func() error {
			_, dk, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			return writeKey(filepath.Join(dir, FileDocKey), dk)
		},
		func() error { return writePEM(filepath.Join(dir, FileCACert), "CERTIFICATE", caDER, 0o644) },
		func() error { return writeKey(filepath.Join(dir, FileCAKey), caKey) }, // last: its presence means "initialised"
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("registry: init: %w", err)
		}
	}
	st := o.Store
	if st == nil {
		b, err := boltstore.Open(filepath.Join(dir, FileBoltDB))
		if err != nil {
			return fmt.Errorf("registry: init: %w", err)
		}
		defer b.Close()
		st = b
	}
	if _, err := st.Account(ctx, o.Operator); err == nil {
		return fmt.Errorf("registry: init: account %s exists already", o.Operator)
	}
	if err := st.PutAccount(ctx, store.Account{Name: o.Operator, Role: store.RoleOperator, PasswordHash: hash, CreatedAt: now}); err != nil {
		return fmt.Errorf("registry: init: %w", err)
	}
	return st.AddAudit(ctx, store.AuditEntry{At: now, Actor: "init", Action: "account.create", Subject: o.Operator, Detail: string(store.RoleOperator)})
}

// Initialised reports whether dir holds a registry made by Init.
func Initialised(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, FileCAKey))
	return err == nil
}
