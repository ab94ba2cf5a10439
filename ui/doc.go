// Package ui is the Fyne touchscreen of the kiosk: it renders the view-models
// of kiosk/flow (flow.Screen) and sends the citizen's taps and keys back as
// intents. The journey, the texts and every decision live in the flow; this
// package decides only how things look and where they stand.
//
// Text: every string on every screen is a Text, which lays a paragraph out
// in visual order with drivers/bidi (UAX #9, the same code that orders the
// receipts): it wraps the paragraph, takes each line's runs in visual order,
// and draws one canvas.Text per run and font from left to right. Fyne
// shapes a run of one direction correctly (HarfBuzz through go-text) but
// lays a mixed line out in logical order and has no font fallback for a
// text with a font source, so runs are also split where the bundled fonts'
// coverage changes (Noto Naskh Arabic has no brackets), and a neutral-only
// right-to-left piece is drawn mirrored. Identifiers arrive from the flow
// wrapped in directional isolates, so "2024-00123" after Arabic reads as
// written.
//
// Layout: Arabic screens mirror — text aligned right, grids and rows
// reversed, back on the right, the review's Arabic column on the right in
// every language. Touch targets are at least TargetSize(DPI): 9 mm, and
// never under 72 units; there is no drag-scrolling, long lists have paging
// buttons. The on-screen keyboards (AZERTY Latin with French accents,
// Arabic, digits, phone, codes) are our own; a Field also takes a hardware
// keyboard's keys. Larger text and high contrast are toggles on every
// screen; the idle countdown covers the screen with a "more time" button
// and any tap on it counts as more time.
//
// Concurrency: Kiosk.Changed is the flow's Deps.Changed; it re-renders on
// Fyne's goroutine with fyne.Do and does no I/O. Screens are rebuilt from the
// view-model at every change (a few milliseconds, see the benchmarks), so no
// widget survives a session with a citizen's value in it.
//
// Limits: the package never imports fyne.io/fyne/v2/app, so its tests run
// with Fyne's headless test driver (and without cgo); only cmd/guichet opens
// a real window. It uses no container.NewThemeOverride: Fyne keeps every
// object under an override in a map it never empties, which leaked every
// rebuilt screen. Lines wrap at spaces only (no hyphenation); a word wider
// than its box is cut between characters.
package ui
