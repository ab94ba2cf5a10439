// Package mrz reads and writes the machine-readable zone of identity
// documents (ICAO Doc 9303, 8th edition, parts 3 to 7): TD1 cards (3×30,
// the Moroccan CNIE), TD2 cards (2×36), TD3 passports (2×44) and the two
// visa layouts MRV-A (2×44) and MRV-B (2×36). It is pure: no I/O, the clock
// is injected.
package mrz
