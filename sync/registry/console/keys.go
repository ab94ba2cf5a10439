package console

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"guichet/kiosk/extract"
	"guichet/sync/registry"
	"guichet/sync/registry/store"
	"guichet/sync/wire"
)

// FileSigningKEK is the file in the registry's data directory holding the
// AES-256 key that encrypts the clerks' and prosecutors' signing keys in
// the store (0600, base64). Losing it makes the stored signing keys
// useless (new ones can be generated; issued extracts still verify);
// copying it with the database gives them away.
const FileSigningKEK = "console-signing.key"

func loadKEK(dir string) (cipher.AEAD, error) {
	path := filepath.Join(dir, FileSigningKEK)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) { // another process made it first
			return loadKEK(dir)
		} else if err != nil {
			return nil, fmt.Errorf("console: signing-key encryption key: %w", err)
		}
		_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("console: signing-key encryption key: %w", err)
		}
		raw = []byte(base64.StdEncoding.EncodeToString(key))
	} else if err != nil {
		return nil, fmt.Errorf("console: signing-key encryption key: %w", err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("console: %s is not a base64 AES-256 key", path)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// keyAAD binds an encrypted key to its id and account, so that a sealed
// key cannot be moved to another record.
func keyAAD(id, account string) []byte {
	return []byte("guichet signing key v1\x00" + id + "\x00" + account)
}

func (c *Console) sealKey(id, account string, seed []byte) []byte {
	nonce := make([]byte, c.kek.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return c.kek.Seal(nonce, nonce, seed, keyAAD(id, account))
}

func (c *Console) privateKey(k store.SigningKey) (ed25519.PrivateKey, error) {
	n := c.kek.NonceSize()
	if len(k.Sealed) < n {
		return nil, fmt.Errorf("console: signing key %s: sealed key too short", k.ID)
	}
	seed, err := c.kek.Open(nil, k.Sealed[:n], k.Sealed[n:], keyAAD(k.ID, k.Account))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("console: signing key %s: cannot decrypt it with %s", k.ID, FileSigningKEK)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(k.Public)) {
		return nil, fmt.Errorf("console: signing key %s: private and public keys differ", k.ID)
	}
	return priv, nil
}

// NewSigningKey generates an Ed25519 signing key for a clerk's or
// prosecutor's account, stores it encrypted, retires the account's earlier
// keys (extracts they signed still verify) and audits it. nameLatin and
// nameArabic are the signer's name as printed under the signature; when
// both are empty those of the account's previous key are kept.
func (c *Console) NewSigningKey(ctx context.Context, by, account, nameLatin, nameArabic string) (store.SigningKey, error) {
	a, err := c.st.Account(ctx, account)
	if err != nil {
		return store.SigningKey{}, fmt.Errorf("console: signing key: %w", err)
	}
	if (a.Role != store.RoleClerk && a.Role != store.RoleProsecutor) || a.Court == "" {
		return store.SigningKey{}, fmt.Errorf("console: signing key: %s is a %s; only a court's clerk or prosecutor signs extracts", account, a.Role)
	}
	all, err := c.st.SigningKeys(ctx)
	if err != nil {
		return store.SigningKey{}, err
	}
	var old []store.SigningKey
	for _, k := range all {
		if k.Account == account && k.RetiredAt.IsZero() {
			old = append(old, k)
		}
	}
	nameLatin, nameArabic = strings.TrimSpace(nameLatin), strings.TrimSpace(nameArabic)
	if nameLatin == "" && nameArabic == "" && len(old) > 0 {
		nameLatin, nameArabic = old[len(old)-1].NameLatin, old[len(old)-1].NameArabic
	}
	if nameLatin == "" && nameArabic == "" {
		return store.SigningKey{}, errors.New("console: signing key: the signer's name, as printed on the extract, is required")
	}
	if len(nameLatin) > extract.MaxText || len(nameArabic) > extract.MaxText {
		return store.SigningKey{}, fmt.Errorf("console: signing key: a name is at most %d bytes", extract.MaxText)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return store.SigningKey{}, err
	}
	sum := sha256.Sum256(pub)
	id := account + "." + hex.EncodeToString(sum[:4])
	if len(id) > 64 {
		id = "key." + hex.EncodeToString(sum[:8])
	}
	now := c.now()
	k := store.SigningKey{ID: id, Account: account, Role: a.Role, Court: a.Court, NameLatin: nameLatin, NameArabic: nameArabic,
		Public: pub, Sealed: c.sealKey(id, account, priv.Seed()), CreatedAt: now}
	if err := c.st.PutSigningKey(ctx, k); err != nil {
		return store.SigningKey{}, err
	}
	for _, o := range old {
		if err := c.st.RetireSigningKey(ctx, o.ID, now); err != nil {
			return store.SigningKey{}, err
		}
	}
	c.audit(ctx, by, "signing_key.create", account, id)
	return k, nil
}

// activeKey is the account's signing key in use.
func (c *Console) activeKey(ctx context.Context, account string) (store.SigningKey, error) {
	all, err := c.st.SigningKeys(ctx)
	if err != nil {
		return store.SigningKey{}, err
	}
	var found *store.SigningKey
	for i, k := range all {
		if k.Account == account && k.RetiredAt.IsZero() && (found == nil || k.CreatedAt.After(found.CreatedAt)) {
			found = &all[i]
		}
	}
	if found == nil {
		return store.SigningKey{}, fmt.Errorf("%w: %s has no signing key", store.ErrNotFound, account)
	}
	return *found, nil
}

// Keys is the list of every extract signing key the registry ever used,
// retired ones included, for kiosks and verifiers (kiosk/extract.Verify).
func (c *Console) Keys(ctx context.Context) (extract.Keys, error) {
	all, err := c.st.SigningKeys(ctx)
	if err != nil {
		return nil, err
	}
	keys := extract.Keys{}
	for _, k := range all {
		role := extract.Clerk
		if k.Role == store.RoleProsecutor {
			role = extract.Prosecutor
		}
		keys[k.ID] = extract.Key{Role: role, Public: ed25519.PublicKey(k.Public)}
	}
	return keys, nil
}

// NewAccount is an account an operator creates in the console.
type NewAccount struct {
	registry.NewAccount
	// The signer's name as printed on extracts, for a clerk or a
	// prosecutor (whose signing key is generated at once).
	NameLatin, NameArabic string
}

// CreateAccount creates an account — a clerk, a court's prosecutor, an
// operator or a viewer — with its password hashed, and for a clerk or a
// prosecutor its signing key; all audited as by.
func (c *Console) CreateAccount(ctx context.Context, by string, n NewAccount) error {
	signer := n.Role == store.RoleClerk || n.Role == store.RoleProsecutor
	if signer && strings.TrimSpace(n.NameLatin) == "" && strings.TrimSpace(n.NameArabic) == "" {
		return errors.New("console: the signer's name, as printed on the extract, is required for a clerk or a prosecutor")
	}
	if n.Role == store.RoleProsecutor {
		// The registry's API knows no prosecutors; the console creates
		// them under the same rules.
		if !wire.ValidKioskID(n.Name) {
			return fmt.Errorf("console: account name %q: letters, digits, '.', '-', '_'", n.Name)
		}
		if n.Court == "" {
			return errors.New("console: a prosecutor's account needs a court")
		}
		if _, err := c.st.Account(ctx, n.Name); err == nil {
			return fmt.Errorf("%w: account %s", store.ErrExists, n.Name)
		}
		hash, err := registry.HashPassword(n.Password)
		if err != nil {
			return err
		}
		if err := c.st.PutAccount(ctx, store.Account{Name: n.Name, Role: n.Role, Court: n.Court, PasswordHash: hash, CreatedAt: c.now()}); err != nil {
			return err
		}
		c.audit(ctx, by, "account.create", n.Name, string(n.Role))
	} else if err := c.reg.CreateAccount(ctx, by, n.NewAccount); err != nil {
		return err
	}
	if signer {
		if _, err := c.NewSigningKey(ctx, by, n.Name, n.NameLatin, n.NameArabic); err != nil {
			return err
		}
	}
	return nil
}
