// Package idscan drives a serial ID-card reader: the desktop document
// readers (OCR of the machine-readable zone) that a kiosk's citizen lays a
// card or passport on, connected over RS-232 or USB-CDC.
//
// # Protocol
//
// Such a reader sends nothing until a document is laid on it; then it sends
// the MRZ as text, one line after another, each ended by CR, LF or CR LF
// (a reader setting), the whole optionally wrapped in STX (0x02) … ETX
// (0x03). A TD1 card (the Moroccan CNIE) is 3 lines of 30 characters, a TD2
// card 2 of 36, a passport (TD3) 2 of 44. The characters are A–Z, 0–9 and
// <. At 9600 baud 8N1 a TD1 MRZ with CRs takes 93 × 10 / 9600 s ≈ 97 ms.
// Readers also send garbage at power-up, banners, and — when the card moves
// or is not flat — lines cut short or with unreadable characters.
//
// The framing layer (framing.go, pure, fuzzed) is Assembler: bytes and their
// arrival times in, Candidates out. It ends a line at any CR or LF (they
// never occur inside an MRZ, so a reader set to another terminator still
// reads), collects MRZ-shaped lines of one width until the layout is
// complete, and discards a read in progress when no byte comes for the
// inter-character timeout. A read that began like an MRZ and did not finish
// is a Partial candidate (reported once per attempt); noise is dropped
// silently. It holds at most MaxBuffered bytes whatever it is fed.
//
// # Events
//
// Reader.Run reads the port, parses each candidate with drivers/mrz and
// emits:
//
//   - CardRead: a valid identity card (TD1 or TD2, codes A, C, I) or
//     passport (TD3, code P), not expired;
//   - ReadFailed with a Reason the UI translates, and English and French
//     sentences for logs (Reason.Message):
//     place_flat for a partial read, unreadable when check digits or
//     characters fail, expired when the expiry date is before today,
//     not_id_card for a visa or another kind of document.
//
// The same card read again within Config.DuplicateWindow of its last
// reading gives no event (a reader repeats a card left on the glass; the
// window slides with each repeat); only a hash of the MRZ is kept for this.
// Today's date (expiry, two-digit years), the byte times and the window
// come from an injected clock (WithClock). The MRZ is personal data: the
// Reader never logs it.
//
// Run returns when its ctx is done or the port fails; under a
// serialport.Supervisor the port is then reopened and a new Reader run.
//
// # Emulator
//
// Package idscansim plays such a reader on a pseudo-terminal (insert a
// card, noise, half a line, unplug, replug, baud-rate pacing) for tests and
// guichet-devsim.
//
// Limits: gaps are measured when the driver reads the bytes, not when they
// arrived on the wire, so a driver held up longer than the inter-character
// timeout in the middle of a burst can cut a good read (300 ms default is
// far above any scheduling delay on the kiosk); no reader commands
// (trigger, LEDs, configuration) are sent — the reader is taken to be in
// its continuous mode; only the MRZ, no image, chip (NFC) or barcode data;
// the duplicate window is per Reader, so it starts afresh after a reconnect.
package idscan
