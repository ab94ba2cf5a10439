// Package qrscan drives the kiosk's QR/barcode reader: a serial (RS-232 or
// USB-CDC) scanner that sends the text of each code it decodes. Citizens
// show it the QR code of an earlier receipt, a fine notice or a delivered
// extract; kiosk/scan then tells which it is.
//
// # Protocol
//
// The scanner sends, for every code, an optional prefix (an STX, an AIM
// symbology identifier such as "]Q1"), the code's text and a suffix: CR
// (Honeywell's default), LF, CRLF or TAB, as set up in the scanner and in
// Config. Framer (wire.go, pure, fuzzed) splits the stream:
//
//   - a line longer than MaxPayload is dropped whole, without being kept
//     (the framer's memory is fixed when it is made), and reported as
//     scan.too_long;
//   - a line that is not UTF-8 text, or holds control characters, is
//     reported as scan.not_text;
//   - a line left unfinished for CharTimeout (a transmission cut short, the
//     scanner unplugged mid-code) is dropped as scan.incomplete;
//   - with a prefix, noise before it on the same line is skipped.
//
// # Triggers
//
// The kiosk reads codes only while a screen asks for one: Arm(ctx) until
// Disarm or until ctx (the screen's) is done. Lines read while disarmed are
// ignored. Config.Trigger selects the serial trigger command set:
//
//	none       the scanner reads on its own (presentation or continuous
//	           mode); nothing is sent; disarmed codes are ignored
//	honeywell  SYN T CR (16 54 0D) starts a scan, SYN U CR (16 55 0D)
//	           stops it; Honeywell scanners in manual/serial trigger mode
//	           (TRGMOD0) and Datalogic imagers documenting the same commands
//	custom     TriggerStart / TriggerStop sent as configured, for scanners
//	           whose start and stop characters are set up in the scanner;
//	           TriggerOneShot when a read ends the scan
//
// A Honeywell scan ends at the first code read, at SYN U CR or at the
// scanner's own read time-out; while armed, the driver sends SYN T CR again
// RearmDelay after each read and every Retrigger (set it below the
// scanner's read time-out). On every (re)connection the scanner is put in
// the state the screens want: started when armed, stopped otherwise.
//
// # Events
//
// Scanned{Payload, At} for each code; ScanFailed{Reason, Detail, At} with
// Reason a kiosk/scan message key. The same code seen again within
// DuplicateWindow of its last sighting is suppressed (a receipt held in
// front of the scanner is one scan); arming clears that memory. Events is
// buffered (16); when nobody reads it, further events are dropped and
// counted in Stats rather than blocking the serial line.
//
// # Connections
//
// A Scanner outlives connections: Serve(ctx, port) runs it on one open port
// and is a serialport.Supervisor's drive function, so unplugging and
// replugging the scanner keeps the armed state and the duplicate memory.
//
// # Emulator and proofs
//
// qrscansim plays the scanner on a pseudo-terminal, obeying the trigger
// commands; the tests open it through serialport.Open under a Supervisor.
// BenchmarkScanToEvent reports the scan-to-event latency (event-µs) next to
// the code's time on a 9600-baud line (wire-µs).
//
// # Limits
//
// Text codes only: a binary QR payload (bytes that are not UTF-8) is
// scan.not_text. Without a prefix, a transmission cut short followed within
// CharTimeout by a whole code reads as one wrong code (kiosk/scan then
// refuses it). Noise that happens to look like a short line of text is a
// code to the driver; kiosk/scan refuses it as unknown. A TAB suffix
// cannot carry codes that contain a TAB. Zebra's binary SSI protocol and
// scanner configuration commands are not supported: set the scanner up
// with its programming bar codes.
package qrscan
