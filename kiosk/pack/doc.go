// Package pack holds the country packs: everything country-specific the kiosk
// knows, as versioned JSON data, never as code. A pack gives the languages
// (with their script and direction), the currency and how amounts are
// written, the services offered with their fees and delays, the forms those
// services use (package form), the courts and cities with their names in
// every language, the payment methods, the CIN pattern and where the national
// number sits in the ID card's MRZ, the base of the receipt's tracking QR,
// the call centre, the receipt's legal mention, and every message the
// screens show, in every language of the pack.
//
// Two packs are embedded: Morocco (ma: Arabic, French, Tamazight in Tifinagh,
// English; dirhams) and Togo (tg: French; CFA francs). Others arrive as files
// (pushed by the registry as signed reference data, or given to `guichetctl
// pack check`), and go through the same Load.
//
// Load is strict: unknown or duplicate JSON keys, wrong types, and any
// inconsistency a later screen would trip over (a service whose form does not
// exist, a court without its Tamazight name, a message missing in one
// language, a pattern that does not compile or is not anchored, a tracking QR
// base that is not https) are refused. Every problem is reported, each with
// the file, a JSON path and the reason:
//
//	pack: ma.json: courts[3].names.zgh: missing name for language zgh
//
// Screen messages: ScreenKeys lists the keys every pack must translate
// (home screen, navigation, privacy notice, review, payment, receipt,
// session timeout, request statuses); each form adds its own (form.Form.Keys).
//
// Limits: a pack describes one country and one ministry; amounts are whole
// numbers of minor units (int64); delays are whole hours; text is stored as
// given (no Unicode normalisation), so a pack author must write names in NFC.
// The facts inside the embedded packs that are assumptions rather than
// sourced are listed in each pack's "notes".
package pack
