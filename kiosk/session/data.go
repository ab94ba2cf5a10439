package session

import (
	"maps"

	"guichet/kiosk/tracking"
)

// The setters below store the citizen's data in the session and return
// ErrEnded once the session has expired or been wiped (a card scanned a
// moment too late must not start a new life in a dead session). They do not
// count as activity: the UI's input bridge calls Touch for every tap, key and
// scan. Getters return copies, or the zero value after the end.

// SetLanguage records the language the citizen chose (a BCP 47 tag, "ar").
func (s *Session) SetLanguage(tag string) error {
	return s.set(func(p *personal) { p.language = tag })
}

// Language returns the chosen language, or "".
func (s *Session) Language() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.language
}

// SetService records the service the citizen chose (a country-pack id).
func (s *Session) SetService(id string) error {
	return s.set(func(p *personal) { p.service = id })
}

// Service returns the chosen service, or "".
func (s *Session) Service() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.service
}

// SetField records the value of one form field, replacing (and zeroing) the
// previous one. An empty value removes the field.
func (s *Session) SetField(id, value string) error {
	return s.set(func(p *personal) { p.fields = put(p.fields, id, []byte(value)) })
}

// Field returns one form value and whether it is set.
func (s *Session) Field(id string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.p.fields[id]
	return string(v), ok
}

// Fields returns a copy of every form value.
func (s *Session) Fields() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyStrings(s.p.fields)
}

// SetMRZ records the fields read from the ID card's machine-readable zone
// (names as drivers/mrz reports them: "surname", "document_number", …),
// replacing and zeroing those of an earlier scan.
func (s *Session) SetMRZ(fields map[string]string) error {
	return s.set(func(p *personal) {
		for k, v := range p.mrz {
			clear(v)
			delete(p.mrz, k)
		}
		for k, v := range fields {
			p.mrz = put(p.mrz, k, []byte(v))
		}
	})
}

// MRZ returns a copy of the fields read from the card.
func (s *Session) MRZ() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyStrings(s.p.mrz)
}

// SetScan hands an image of the card (side "front" or "back") to the
// session, which owns it from then on: the caller must keep no other copy,
// so that Wipe's zeroing reaches the only one. A nil image removes the side.
func (s *Session) SetScan(side string, image []byte) error {
	return s.set(func(p *personal) { p.scans = put(p.scans, side, image) })
}

// Scan returns the session's own image of one side, to be sealed at submit;
// it is zeroed by Wipe, so use it only while the session lasts.
func (s *Session) Scan(side string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.scans[side]
}

// SetReceipt records the tracking number printed for the citizen.
func (s *Session) SetReceipt(n tracking.Number) error {
	return s.set(func(p *personal) { p.receipt = n })
}

// Receipt returns the tracking number of the receipt, or "".
func (s *Session) Receipt() tracking.Number {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.p.receipt
}

func (s *Session) set(f func(*personal)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == Expired || s.state == Closed {
		return ErrEnded
	}
	f(&s.p)
	return nil
}

// put stores v under k, zeroing what it replaces; an empty v deletes k.
func put(m map[string][]byte, k string, v []byte) map[string][]byte {
	if old, ok := m[k]; ok {
		if len(old) == 0 || len(v) == 0 || &old[0] != &v[0] { // not the same image again
			clear(old)
		}
		delete(m, k)
	}
	if len(v) == 0 {
		return m
	}
	if m == nil {
		m = make(map[string][]byte)
	}
	m[k] = v
	return m
}

func copyStrings(m map[string][]byte) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range maps.All(m) {
		out[k] = string(v)
	}
	return out
}
