package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Version is the envelope format version written by Seal.
const Version = 1

// Suite identifiers (RFC 9180 §7).
const (
	KEMX25519        uint16 = 0x0020
	KDFHKDFSHA256    uint16 = 0x0001
	AEADChaCha20Poly uint16 = 0x0003
)

const (
	magic = "GS"
	// keyIDLen is the length of a KeyID.
	keyIDLen = 8
	// encLen is the length of an X25519 encapsulated key.
	encLen = 32
	// tagLen is the ChaCha20-Poly1305 authentication tag.
	tagLen = 16
	// headerLen covers magic, version, suite and key id: the AEAD's AAD.
	headerLen = len(magic) + 1 + 3*2 + keyIDLen
	// Overhead is how many bytes sealing adds to a plaintext.
	Overhead = headerLen + encLen + tagLen
	// MaxPlaintext bounds what one envelope may carry (form fields and, for
	// some services, a scanned document).
	MaxPlaintext = 4 << 20
	// MaxRequestID bounds the request id bound into an envelope.
	MaxRequestID = 256

	// publicKeyTextPrefix starts the text form of a public key.
	publicKeyTextPrefix = "hpke-x25519:"
)

var (
	// ErrWrongKey means the envelope was sealed to another registry key.
	ErrWrongKey = errors.New("seal: envelope sealed to another key")
	// ErrAuthentication means the envelope does not open under this key and
	// request id: it belongs to another request or was altered.
	ErrAuthentication = errors.New("seal: authentication failed (wrong request id or altered envelope)")
)

// suite returns the fixed HPKE ciphersuite.
func suite() (hpke.KEM, hpke.KDF, hpke.AEAD) {
	return hpke.DHKEM(ecdh.X25519()), hpke.HKDFSHA256(), hpke.ChaCha20Poly1305()
}

// KeyID names a registry public key: the first 8 bytes of its SHA-256.
type KeyID [keyIDLen]byte

func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// PublicKey is the registry's HPKE public key, which the kiosk seals to.
type PublicKey struct {
	k  hpke.PublicKey
	id KeyID
}

// PrivateKey is the registry's HPKE private key. It never lives on a kiosk.
type PrivateKey struct {
	k   hpke.PrivateKey
	pub *PublicKey
}

func newPublicKey(k hpke.PublicKey) *PublicKey {
	sum := sha256.Sum256(k.Bytes())
	p := &PublicKey{k: k}
	copy(p.id[:], sum[:keyIDLen])
	return p
}

// GenerateKey returns a new registry key pair from crypto/rand.
func GenerateKey() (*PrivateKey, error) {
	kem, _, _ := suite()
	k, err := kem.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("seal: generate key: %w", err)
	}
	return &PrivateKey{k: k, pub: newPublicKey(k.PublicKey())}, nil
}

// ParsePrivateKey decodes a 32-byte X25519 private key as written by
// PrivateKey.Bytes.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("seal: private key is %d bytes, want 32", len(b))
	}
	kem, _, _ := suite()
	k, err := kem.NewPrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("seal: private key: %w", err)
	}
	return &PrivateKey{k: k, pub: newPublicKey(k.PublicKey())}, nil
}

// Bytes returns the private key's 32-byte serialisation.
func (k *PrivateKey) Bytes() ([]byte, error) {
	b, err := k.k.Bytes()
	if err != nil {
		return nil, fmt.Errorf("seal: private key: %w", err)
	}
	return b, nil
}

// Public returns the matching public key.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// ParsePublicKey decodes a 32-byte X25519 public key.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != 32 {
		return nil, fmt.Errorf("seal: public key is %d bytes, want 32", len(b))
	}
	kem, _, _ := suite()
	k, err := kem.NewPublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("seal: public key: %w", err)
	}
	return newPublicKey(k), nil
}

// Bytes returns the public key's 32-byte serialisation.
func (k *PublicKey) Bytes() []byte { return k.k.Bytes() }

// ID returns the key id written into every envelope sealed to k.
func (k *PublicKey) ID() KeyID { return k.id }

// Equal reports whether k and o are the same key.
func (k *PublicKey) Equal(o *PublicKey) bool {
	return k != nil && o != nil && bytes.Equal(k.Bytes(), o.Bytes())
}

// String returns the text form, "hpke-x25519:" then unpadded base64url.
func (k *PublicKey) String() string {
	return publicKeyTextPrefix + base64.RawURLEncoding.EncodeToString(k.Bytes())
}

// MarshalText returns the text form, for configuration files.
func (k *PublicKey) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText parses the text form written by MarshalText.
func (k *PublicKey) UnmarshalText(text []byte) error {
	s, ok := strings.CutPrefix(string(text), publicKeyTextPrefix)
	if !ok {
		return fmt.Errorf("seal: public key text does not start with %q", publicKeyTextPrefix)
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return fmt.Errorf("seal: public key text: %w", err)
	}
	p, err := ParsePublicKey(b)
	if err != nil {
		return err
	}
	*k = *p
	return nil
}

// info is the HPKE info string: it binds the format version and the request.
func info(requestID string) []byte {
	b := make([]byte, 0, 32+len(requestID))
	b = append(b, "guichet/seal v"...)
	b = append(b, '0'+Version, 0)
	return append(b, requestID...)
}

func checkRequestID(id string) error {
	if id == "" {
		return errors.New("seal: empty request id")
	}
	if len(id) > MaxRequestID {
		return fmt.Errorf("seal: request id is %d bytes, limit %d", len(id), MaxRequestID)
	}
	return nil
}

// Seal encrypts plaintext to the registry key pub, bound to requestID, and
// returns the envelope.
func Seal(pub *PublicKey, requestID string, plaintext []byte) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("seal: no registry public key")
	}
	if err := checkRequestID(requestID); err != nil {
		return nil, err
	}
	if len(plaintext) > MaxPlaintext {
		return nil, fmt.Errorf("seal: plaintext is %d bytes, limit %d", len(plaintext), MaxPlaintext)
	}
	_, kdf, aead := suite()
	enc, sender, err := hpke.NewSender(pub.k, kdf, aead, info(requestID))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	env := Envelope{KeyID: pub.id}
	if len(enc) != encLen {
		return nil, fmt.Errorf("seal: encapsulated key is %d bytes, want %d", len(enc), encLen)
	}
	copy(env.Enc[:], enc)
	ct, err := sender.Seal(env.header(), plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	env.Ciphertext = ct
	return env.MarshalBinary()
}

// Open decrypts an envelope sealed to priv's public key for requestID. It is
// the registry's side; the kiosk never holds priv.
func Open(priv *PrivateKey, requestID string, sealed []byte) ([]byte, error) {
	if priv == nil {
		return nil, errors.New("seal: no private key")
	}
	if err := checkRequestID(requestID); err != nil {
		return nil, err
	}
	env, err := ParseEnvelope(sealed)
	if err != nil {
		return nil, err
	}
	if env.KeyID != priv.pub.id {
		return nil, fmt.Errorf("%w: envelope key %s, this key %s", ErrWrongKey, env.KeyID, priv.pub.id)
	}
	_, kdf, aead := suite()
	r, err := hpke.NewRecipient(env.Enc[:], priv.k, kdf, aead, info(requestID))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAuthentication, err)
	}
	pt, err := r.Open(env.header(), env.Ciphertext)
	if err != nil {
		return nil, ErrAuthentication
	}
	return pt, nil
}
