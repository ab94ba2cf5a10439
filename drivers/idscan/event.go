package idscan

import (
	"time"

	"guichet/drivers/mrz"
)

// Event is what the scanner tells the kiosk: CardRead or ReadFailed.
type Event interface{ isEvent() }

// CardRead is a valid identity document, not expired.
type CardRead struct {
	MRZ *mrz.MRZ // Valid is true; holds personal data: never log it
	At  time.Time
}

// ReadFailed is a read the citizen must do again or differently. The UI
// shows Reason in the session's language; Message is the English sentence,
// for logs (Reason.Message gives French).
type ReadFailed struct {
	Reason  Reason
	Message string
	// Fields names the MRZ fields that failed (unreadable) or the expiry
	// date (expired); empty otherwise. No personal data.
	Fields []string
	At     time.Time
}

func (CardRead) isEvent()   {}
func (ReadFailed) isEvent() {}

// Reason is why a read failed, as a code the UI translates.
type Reason string

// The reasons, each with something the citizen can do.
const (
	// ReasonPlaceFlat: the reader saw part of an MRZ (a line cut short, a
	// smudged character, a line missing): the card moved or was not flat.
	ReasonPlaceFlat Reason = "place_flat"
	// ReasonUnreadable: a whole MRZ arrived but its check digits fail: a
	// worn, dirty or damaged card (or a forged one).
	ReasonUnreadable Reason = "unreadable"
	// ReasonExpired: the card's expiry date is before today.
	ReasonExpired Reason = "expired"
	// ReasonNotIDCard: a document the kiosk does not take as proof of
	// identity, such as a visa.
	ReasonNotIDCard Reason = "not_id_card"
)

var messages = map[Reason]map[string]string{
	ReasonPlaceFlat: {
		"en": "The card could not be read completely. Place it flat on the reader, text side down, and hold it still.",
		"fr": "La carte n'a pas pu être lue entièrement. Posez-la bien à plat sur le lecteur, face écrite vers le bas, sans la bouger.",
	},
	ReasonUnreadable: {
		"en": "This card cannot be read. Wipe it and try again; if it still fails, please ask at the counter.",
		"fr": "Cette carte est illisible. Essuyez-la et réessayez ; si cela ne fonctionne toujours pas, adressez-vous au guichet.",
	},
	ReasonExpired: {
		"en": "This card has expired. Please use an identity card that is still valid.",
		"fr": "Cette carte est expirée. Veuillez utiliser une carte d'identité en cours de validité.",
	},
	ReasonNotIDCard: {
		"en": "This document is not an identity card or a passport. Please use your national identity card.",
		"fr": "Ce document n'est ni une carte d'identité ni un passeport. Veuillez utiliser votre carte nationale d'identité.",
	},
}

// Message returns the default sentence for r in lang ("en" or "fr"),
// English for any other language or "" for an unknown reason. The UI keeps
// its own translations (Arabic, Tamazight); these are for logs and as a
// fallback.
func (r Reason) Message(lang string) string {
	m := messages[r]
	if s, ok := m[lang]; ok {
		return s
	}
	return m["en"]
}
