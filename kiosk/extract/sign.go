package extract

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Key is one signer's public key, as the registry publishes it with its
// reference data.
type Key struct {
	Role   Role
	Public ed25519.PublicKey
}

// Keys maps a key id to its key.
type Keys map[string]Key

// Errors of Verify that callers branch on; each is wrapped with the
// signature or field concerned.
var (
	// ErrUnsigned: a signature has no Sig yet.
	ErrUnsigned = errors.New("not signed")
	// ErrUnknownKey: a signature names a key id the kiosk does not know,
	// or a key of another role.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrBadSignature: a signature does not verify: the extract was
	// altered, or signed by someone else.
	ErrBadSignature = errors.New("signature does not verify")
	// ErrVerificationURL: VerificationURL is not the one the clerk's
	// signature gives.
	ErrVerificationURL = errors.New("verification URL does not match the signature")
)

// Sign signs e with priv for the signature whose KeyID is keyID, which
// must already be listed in e.Signatures (every signer is named in the
// signed bytes, so all signers are listed before anyone signs).
func (e *Extract) Sign(keyID string, priv ed25519.PrivateKey) error {
	msg, err := e.SignedBytes()
	if err != nil {
		return err
	}
	if len(priv) != ed25519.PrivateKeySize {
		return fmt.Errorf("extract: sign %s: private key of %d bytes, want %d", keyID, len(priv), ed25519.PrivateKeySize)
	}
	for i := range e.Signatures {
		if e.Signatures[i].KeyID == keyID {
			e.Signatures[i].Sig = ed25519.Sign(priv, msg)
			return nil
		}
	}
	return fmt.Errorf("extract: sign: no signature with key id %q", keyID)
}

// VerificationURLFor returns the verification URL of a signed extract for
// the pack's extract verification base:
//
//	<base><tracking number>.<first 80 bits of the clerk's signature, base32>
//
// the form kiosk/scan reads back (scan.ExtractVerification).
func (e *Extract) VerificationURLFor(base string) (string, error) {
	for _, s := range e.Signatures {
		if s.Role != Clerk {
			continue
		}
		f := fragment(s.Sig)
		if f == "" || len(s.Sig) != ed25519.SignatureSize {
			return "", fmt.Errorf("extract: verification URL: clerk's signature: %w", ErrUnsigned)
		}
		if !e.Tracking.Valid() {
			return "", fmt.Errorf("extract: verification URL: tracking %q: %w", string(e.Tracking), ErrInvalid)
		}
		return base + string(e.Tracking) + "." + f, nil
	}
	return "", fmt.Errorf("extract: verification URL: no clerk's signature: %w", ErrInvalid)
}

// Verify checks a signed extract before it is printed: Validate, every
// signature present and made by a known key of its role over SignedBytes,
// and VerificationURL the one VerificationURLFor(base) gives. base is the
// pack's ExtractVerificationBase.
func (e *Extract) Verify(keys Keys, base string) error {
	msg, err := e.SignedBytes()
	if err != nil {
		return err
	}
	for i, s := range e.Signatures {
		if len(s.Sig) == 0 {
			return fmt.Errorf("extract: signatures[%d] (%s, key %s): %w", i, s.Role, s.KeyID, ErrUnsigned)
		}
		k, ok := keys[s.KeyID]
		if !ok {
			return fmt.Errorf("extract: signatures[%d] (%s): key %s: %w", i, s.Role, s.KeyID, ErrUnknownKey)
		}
		if k.Role != s.Role {
			return fmt.Errorf("extract: signatures[%d] (%s): key %s belongs to a %s: %w", i, s.Role, s.KeyID, k.Role, ErrUnknownKey)
		}
		if len(k.Public) != ed25519.PublicKeySize {
			return fmt.Errorf("extract: signatures[%d] (%s): key %s: public key of %d bytes: %w", i, s.Role, s.KeyID, len(k.Public), ErrUnknownKey)
		}
		if !ed25519.Verify(k.Public, msg, s.Sig) {
			return fmt.Errorf("extract: signatures[%d] (%s, key %s): %w", i, s.Role, s.KeyID, ErrBadSignature)
		}
	}
	want, err := e.VerificationURLFor(base)
	if err != nil {
		return err
	}
	if e.VerificationURL != want {
		return fmt.Errorf("extract: verification_url %q, want %q: %w", e.VerificationURL, want, ErrVerificationURL)
	}
	return nil
}

// MaxJSON is the largest JSON extract Parse reads.
const MaxJSON = 64 << 10

// Parse decodes an extract from the registry's JSON strictly: unknown
// fields and trailing data are refused, and the result must pass Validate.
// It does not verify the signatures (Verify does).
func Parse(data []byte) (*Extract, error) {
	if len(data) > MaxJSON {
		return nil, fmt.Errorf("extract: parse: %d bytes, at most %d: %w", len(data), MaxJSON, ErrInvalid)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e Extract
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("extract: parse: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("extract: parse: data after the extract: %w", ErrInvalid)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return &e, nil
}
