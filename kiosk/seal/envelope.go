package seal

import (
	"encoding/binary"
	"fmt"
)

// Envelope is a decoded sealed blob. Only version 1 with the fixed suite
// exists; anything else is refused by ParseEnvelope.
type Envelope struct {
	KeyID      KeyID
	Enc        [encLen]byte
	Ciphertext []byte // includes the 16-byte tag
}

// header returns the fixed header, which is also the AEAD's additional data.
func (e Envelope) header() []byte {
	b := make([]byte, 0, headerLen)
	b = append(b, magic...)
	b = append(b, Version)
	b = binary.BigEndian.AppendUint16(b, KEMX25519)
	b = binary.BigEndian.AppendUint16(b, KDFHKDFSHA256)
	b = binary.BigEndian.AppendUint16(b, AEADChaCha20Poly)
	return append(b, e.KeyID[:]...)
}

// MarshalBinary encodes the envelope.
func (e Envelope) MarshalBinary() ([]byte, error) {
	if len(e.Ciphertext) < tagLen {
		return nil, fmt.Errorf("seal: ciphertext is %d bytes, shorter than the tag", len(e.Ciphertext))
	}
	if len(e.Ciphertext) > MaxPlaintext+tagLen {
		return nil, fmt.Errorf("seal: ciphertext is %d bytes, limit %d", len(e.Ciphertext), MaxPlaintext+tagLen)
	}
	b := make([]byte, 0, headerLen+encLen+len(e.Ciphertext))
	b = append(b, e.header()...)
	b = append(b, e.Enc[:]...)
	return append(b, e.Ciphertext...), nil
}

// ParseEnvelope decodes a sealed blob strictly: the magic, version and suite
// must be exactly those Seal writes, and the lengths must fit.
func ParseEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	if len(b) < headerLen+encLen+tagLen {
		return e, fmt.Errorf("seal: envelope is %d bytes, shorter than the minimum %d", len(b), headerLen+encLen+tagLen)
	}
	if len(b) > headerLen+encLen+tagLen+MaxPlaintext {
		return e, fmt.Errorf("seal: envelope is %d bytes, limit %d", len(b), headerLen+encLen+tagLen+MaxPlaintext)
	}
	if string(b[:2]) != magic {
		return e, fmt.Errorf("seal: not a sealed envelope (magic %q)", b[:2])
	}
	if b[2] != Version {
		return e, fmt.Errorf("seal: envelope version %d, want %d", b[2], Version)
	}
	kem := binary.BigEndian.Uint16(b[3:])
	kdf := binary.BigEndian.Uint16(b[5:])
	aead := binary.BigEndian.Uint16(b[7:])
	if kem != KEMX25519 || kdf != KDFHKDFSHA256 || aead != AEADChaCha20Poly {
		return e, fmt.Errorf("seal: unsupported suite KEM %#04x KDF %#04x AEAD %#04x", kem, kdf, aead)
	}
	copy(e.KeyID[:], b[9:headerLen])
	copy(e.Enc[:], b[headerLen:headerLen+encLen])
	e.Ciphertext = append([]byte(nil), b[headerLen+encLen:]...)
	return e, nil
}
