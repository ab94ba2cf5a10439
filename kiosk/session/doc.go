// Package session is one citizen's visit to the kiosk: the idle-timeout
// policy with its warning and extensions, and the one place that holds
// everything personal the visit gathers (language, service, form values,
// fields read from the ID card, card images, the receipt's tracking number)
// until a single Wipe clears it.
//
// # Timeline
//
//	Active ──IdleTimeout−WarningLead without Touch──▶ Warning (EventWarning,
//	then EventCountdown each second) ──WarningLead──▶ Expired (wiped, then
//	EventExpired)
//
// Touch or Extend during the warning returns to Active (EventExtended). The
// policy follows WCAG 2.2.1 (Timing Adjustable), as EN 301 549 requires: the
// warning comes at least 20 seconds before the end, a simple action (any
// touch) extends, and if the number of extensions is limited it is at least
// ten. A warning always lasts its full lead, even when the timer fires late.
// Time comes from a clock.Clock, so tests drive it with clock.Fake.
//
// Events reach the UI through a callback, in order and outside the session's
// lock; the UI hands them to fyne.Do itself.
//
// # Limits of the wipe
//
// Wipe overwrites the byte slices the session owns, empties its maps and
// drops every reference. It cannot reach copies made elsewhere: Go strings
// are immutable, so values passed in as strings and the copies the getters
// return live on in the caller's memory until the garbage collector reuses
// it, and the garbage collector itself may have moved or copied data. The
// session keeps personal data short-lived and in one place; it is not a
// secure-memory allocator.
package session
