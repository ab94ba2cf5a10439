// Package seal protects a citizen's personal data on the kiosk by sealing it
// to the registry's public key with HPKE (RFC 9180, base mode), so that the
// kiosk stores and forwards what it cannot read back.
//
// The suite is fixed: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and
// ChaCha20-Poly1305, which is fast on kiosk boards without AES instructions.
// Each envelope is sealed with a fresh ephemeral key. The request id and the
// envelope format version are bound into the HPKE info string, and the
// envelope header (format, suite and key id) is the AEAD's additional data,
// so a sealed blob cannot be moved to another request or relabelled.
//
// The envelope layout (version 1) is:
//
//	"GS" | version (1) | KEM id (2) | KDF id (2) | AEAD id (2) | key id (8) | enc (32) | ciphertext (>= 16)
//
// where the key id is the first 8 bytes of SHA-256 over the registry public
// key, so that the registry can pick the right private key after a rotation.
//
// Limits: base mode authenticates nothing about the sender (anyone holding the
// public key can seal); the kiosk's identity comes from mutual TLS. A leak of
// the registry's private key exposes every envelope sealed to it, including
// copies kept by an attacker. Plaintexts are limited to MaxPlaintext bytes.
package seal
