// Package scan tells what a code read by the kiosk's QR/barcode reader is: the
// QR code of an earlier receipt (a tracking number), a traffic fine's PV
// number, the verification code printed on a delivered extract, or something
// else. It is pure: no device, no I/O; drivers/qrscan reads the codes, the UI
// shows what Classify found or the message its key names.
//
// # Codes recognised
//
//   - Tracking number: the receipt's QR code, Params.TrackingQRBase followed by
//     the 12-character number (kiosk/tracking), or the bare number as printed
//     under it. The check character is verified; nothing is "corrected".
//
//   - Fine PV number: 8 digits, "-RF-", 4 digits, exactly
//     (^[0-9]{8}-RF-[0-9]{4}$), as printed on fixed-radar fine notices.
//     Surrounding white space is ignored and "rf" is read as "RF".
//
//   - Extract verification code: the QR code printed on a signed extract,
//
//     <Params.VerificationBase><tracking number>.<signature fragment>
//
//     e.g. https://verif.justice.gov.ma/v/K7MX4HQ9XR33.MFRGGZDFMZTWQ2LK.
//     The tracking number is that of the request the extract answers, check
//     character verified. The fragment is the first 80 bits of the registry's
//     signature over the extract, in RFC 4648 base32 without padding: exactly
//     16 characters of A–Z and 2–7. Everything after the base fits the QR
//     alphanumeric mode (upper-case letters, digits, '.'), so the whole code
//     may be upper-cased by the encoder: the base is compared without regard to
//     case and the rest is upper-cased before checking.
//
//   - Anything else is Unknown.
//
// # Message keys
//
// Result.Message is empty for a valid code; otherwise it is one of these
// keys, which the country packs translate (drivers/qrscan's ScanFailed uses
// the first three too):
//
//	scan.too_long              longer than MaxLen bytes; not read further
//	scan.not_text              not UTF-8 text, or holds control characters
//	scan.incomplete            the reader sent half a code (drivers/qrscan)
//	scan.empty                 nothing but white space
//	scan.tracking_malformed    a receipt QR whose number has a wrong length or character
//	scan.tracking_check_failed a receipt QR or number whose check character is wrong
//	scan.fine_pv_malformed     looks like a PV number (…-RF-…) but is not 8+4 digits
//	scan.extract_malformed     an extract code whose number or fragment has the wrong form
//	scan.extract_check_failed  an extract code whose number's check character is wrong
//	scan.unknown_code          none of the codes the kiosk reads
//
// # Limits
//
// The kiosk checks only the form of an extract verification code: whether
// the signature fragment is right is known only to the registry, online. A
// fine PV number's own validity (that a judgment exists) is known only after
// a lookup. Classify reads at most MaxLen bytes of a payload.
package scan
