// Package ui is the Fyne touchscreen application of the kiosk: the screens a
// citizen walks through, the theme with the bundled Arabic and Tifinagh fonts,
// and the per-session language.
//
// It renders view-models computed by guichet/kiosk and sends intents back; it
// does no I/O of its own. Hardware and store events reach it through one bridge
// that calls fyne.Do. It never imports fyne.io/fyne/v2/app, so its tests run
// with Fyne's headless test driver (and without cgo); only cmd/guichet opens a
// real window.
//
// Limits: Fyne shapes Arabic but does not reorder mixed-direction text nor
// mirror layouts; this package mirrors its own layouts for right-to-left
// languages, and mixed lines go through the bidi layer.
package ui
