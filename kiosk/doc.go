// Package kiosk is the appliance core of Guichet: country packs, services and
// their forms, requests and their state machine, tracking numbers, the durable
// bbolt store with its sealed personal data, outbox and audit chain, and the
// citizen session.
//
// It imports no Fyne, no net/http and no hardware library: the touchscreen
// (ui/), the devices (drivers/) and the registry client (sync/) depend on it,
// never the other way round. deps_test.go enforces that.
package kiosk
