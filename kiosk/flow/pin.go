package flow

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The technician PIN is kept as a PBKDF2-SHA256 hash in the kiosk's
// configuration: "pbkdf2-sha256$<iterations>$<salt>$<key>", salt and key in
// unpadded base64. A PIN has few digits, so the hash only slows a thief who
// copied the configuration; the lockout after MaxPINAttempts protects the
// screen.
const (
	pinScheme = "pbkdf2-sha256"
	// PINIterations is what HashPIN uses: about 0.1 s on the kiosk board.
	PINIterations = 200_000
	pinKeyLen     = 32
)

type pinHash struct {
	iter      int
	salt, key []byte
}

// HashPIN returns the configuration string for a PIN of 4 to 12 digits.
// salt must be at least 16 random bytes.
func HashPIN(pin string, salt []byte) (string, error) {
	if !validPIN(pin) {
		return "", errors.New("flow: a technician PIN is 4 to 12 digits")
	}
	if len(salt) < 16 {
		return "", errors.New("flow: PIN salt shorter than 16 bytes")
	}
	key, err := pbkdf2.Key(sha256.New, pin, salt, PINIterations, pinKeyLen)
	if err != nil {
		return "", fmt.Errorf("flow: hash PIN: %w", err)
	}
	enc := base64.RawStdEncoding
	return pinScheme + "$" + strconv.Itoa(PINIterations) + "$" + enc.EncodeToString(salt) + "$" + enc.EncodeToString(key), nil
}

func validPIN(pin string) bool {
	if len(pin) < 4 || len(pin) > 12 {
		return false
	}
	for i := 0; i < len(pin); i++ {
		if pin[i] < '0' || pin[i] > '9' {
			return false
		}
	}
	return true
}

func parsePINHash(s string) (pinHash, error) {
	parts := strings.Split(s, "$")
	bad := func(why string) (pinHash, error) {
		return pinHash{}, fmt.Errorf("flow: technician PIN hash: %s (want %s$ITERATIONS$SALT$KEY)", why, pinScheme)
	}
	if len(parts) != 4 || parts[0] != pinScheme {
		return bad("unknown format")
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 10_000 || iter > 10_000_000 {
		return bad("iterations out of range")
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[2])
	if err != nil || len(salt) < 16 {
		return bad("bad salt")
	}
	key, err := enc.DecodeString(parts[3])
	if err != nil || len(key) != pinKeyLen {
		return bad("bad key")
	}
	return pinHash{iter: iter, salt: salt, key: key}, nil
}

// CheckPINHash reports whether s is a HashPIN string the kiosk can verify
// PINs against.
func CheckPINHash(s string) error {
	_, err := parsePINHash(s)
	return err
}

// VerifyPIN reports whether pin matches a HashPIN string.
func VerifyPIN(hash, pin string) (bool, error) {
	h, err := parsePINHash(hash)
	if err != nil {
		return false, err
	}
	if !validPIN(pin) {
		return false, nil
	}
	key, err := pbkdf2.Key(sha256.New, pin, h.salt, h.iter, pinKeyLen)
	if err != nil {
		return false, fmt.Errorf("flow: verify PIN: %w", err)
	}
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}
