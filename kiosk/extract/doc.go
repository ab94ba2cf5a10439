// Package extract is the bulletin n°3 (extract of the criminal record, السجل
// العدلي) as the registry issues it and the kiosk prints it on the laser
// printer: the data the extract carries, the canonical bytes its signatures
// cover, and its printer-neutral layout.
//
// # Data and signatures
//
// An Extract holds its number, the tracking number of the request it
// answers, when and by which court it was issued, the holder's identity
// (names in Latin and, where the country writes Arabic, Arabic letters),
// the convictions it lists (none: "Néant"), the signatures of the clerk
// (greffier) who issues it and of the public prosecutor (procureur du Roi in
// Morocco, de la République in Togo) who endorses it, and the verification
// URL its QR code carries.
//
// Each signature is Ed25519 (RFC 8032) over SignedBytes: a versioned,
// length-prefixed binary encoding of every field, the signers' roles, names
// and key ids included, so that the registry (which signs) and the kiosk
// (which verifies before printing) agree byte for byte whatever JSON carried
// the extract. Validate refuses what could make two parties read one
// extract differently: invalid UTF-8, control and bidi format characters,
// sub-second times.
//
// The verification URL is the pack's extract verification base, the
// tracking number, '.', and the first 80 bits of the clerk's signature in
// base32 — the form kiosk/scan classifies as an extract verification code.
// Anyone scanning it reaches the registry, which alone can say whether that
// fragment belongs to an extract it issued.
//
// # Layout
//
// Layout turns a verified extract into a Document for one language: blocks
// in reading order (header, title, fields, the holder's identity, the
// convictions or "Néant", the signature blocks with each key id and
// signature fingerprint, the verification QR) with every word taken from
// the country pack (the extract.* messages, court names, the state's name).
// It is printer-neutral: drivers/pdfdoc renders it to PDF for the laser
// printer, choosing fonts, line breaks and pages. Identifiers are wrapped in
// directional isolates so that they read as written in Arabic.
//
// # Limits
//
// The registry's keys reach the kiosk as reference data (Keys); how they are
// distributed and revoked is not this package's business. Entries are
// printed as the registry writes them; nothing is translated. Dates are
// printed day/month/year in every language, with Western digits (as
// Moroccan administrative documents print them).
package extract
