// Package receipt lays out the documents the kiosk prints on its thermal
// receipt printer — the request receipt law 55-19 makes mandatory, a
// payment receipt, a callback ticket, a "pay at the counter" slip, the
// technician's test page and diagnostics page — as printer-neutral
// Documents: a list of blocks (heading, paragraph, label and value row, QR
// code, rule, ruler, feed, cut), each with its language, direction,
// alignment, weight and size.
//
// A printer driver (drivers/escpos) decides how to put each block on
// paper: native text where the printer's code page holds it, shaped and
// reordered raster text for Arabic and Tifinagh, its own line breaking.
// This package chooses only what is said and in which order; it imports no
// driver, and the kiosk core can build, store and reprint documents
// without one.
//
// Texts come from the country pack's messages (Keys lists them) in the
// citizen's language; the request receipt adds the pack's legal mention in
// every receipt language (Arabic and French in Morocco). Values that are
// identifiers (tracking numbers, dates, amounts, phone numbers) are Row
// values, laid out as paragraphs of their own, so that they never need
// isolating inside a translated sentence.
//
// Documents are JSON (the print queue stores them) and validated on decode.
// AsDuplicate marks a copy for an explicit reprint ("DUPLICATA" / "نسخة",
// with the reprint date): a receipt is never printed twice otherwise.
//
// Limits: one receipt width for all documents (the driver wraps); no
// images other than QR codes; no personal data is printed except a
// callback ticket's phone number, masked to its first and last two digits.
package receipt
