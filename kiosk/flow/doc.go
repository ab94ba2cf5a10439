// Package flow is the citizen's journey through the kiosk as a plain model:
// no Fyne, no devices, no network. It decides which screen shows, what it
// says in the session's language, and what happens when the citizen taps,
// types, presents a card or a code; the touchscreen (package ui) renders its
// view-models and sends intents back.
//
// One Flow serves one kiosk. Its journey, for every service of the country
// pack: attract → language → service → privacy notice (law 09-08) before any
// personal data is collected → ID card (the form is prefilled from the MRZ;
// an expired card or one whose check digits fail is refused) → the fields the
// card lacks, one per screen, on the on-screen keyboard or from a paged list
// → a review of every value in both scripts (the session's language and the
// pack's language of the other script) → fee and payment → submit (nothing
// says "accepted" before the store has committed) → receipt → wipe. Radar
// fines are looked up by the card's national number or a typed or scanned
// PV number, then paid; the directory is searched with paging; a request is
// tracked by scanning its receipt or typing its number, with how fresh the
// answer is; a ready extract is collected with the receipt and the same ID
// card; a callback is requested with a phone number and a topic.
//
// Everything personal lives in a kiosk/session.Session and is wiped when the
// session ends (finished, cancelled, or idle past its countdown); the flow
// keeps only keys and indexes between screens, so a language switch at any
// step re-renders the same step with the form intact.
//
// The devices and services the flow needs are interfaces it declares
// (PaymentProvider, ReceiptPrinter, FineLookup, Directory, Tracker,
// ExtractFetcher, DocumentPrinter, Store, Technician, Speaker); the kiosk's
// main wires the real ones and converts device events (idscan.CardRead into
// CardRead, idscan.ReadFailed into CardFailed, qrscan.Scanned and ScanFailed
// into Scanned and ScanFailed, GPIO into Presence, ServiceKey, Tap(TapHelp)
// and SetPrinter; the sync client into SetConnectivity). Screen().Accepts
// says when to arm the readers.
// Blocking calls run off the caller's goroutine (Deps.Go) with a context and
// a timeout; their results come back as a new screen and a call to
// Deps.Changed. Every error a dependency returns becomes a message key of
// the pack saying what to do next (Keys lists them; CheckPack verifies a
// pack has them all).
//
// Technician mode: the service key (GPIO) and a PIN, checked against a
// PBKDF2 hash from the configuration (HashPIN); it shows each peripheral's
// health, the registry and network status, the queue statistics (the only
// place queue depth shows) and the enrolment state, runs a test print and a
// test scan, and writes every action to the audit chain.
//
// Time comes from the injected clock (session timeouts, the last screen's
// return to attract, the technician lockout): there is no Tick intent.
//
// Limits: one citizen at a time; texts are in logical order, identifiers
// wrapped in directional isolates (LRI … PDI) — reordering for display is the
// renderer's job (drivers/bidi); the flow does not decide fonts, sizes or
// layout; idle time counts from the last intent, and while a payment or a
// submission is in progress the session is kept alive; a payment approved
// after Close is not submitted (Close is for shutdown). The review pages
// nothing itself: a long form is paged by the renderer.
package flow
