// Package idscansim emulates a serial ID-card (MRZ) reader on a
// pseudo-terminal, for tests and for guichet-devsim. It speaks the reader's
// real protocol on the far side of the pty: each card as its MRZ lines, each
// followed by the configured terminator, wrapped in STX … ETX when the
// framing says so, paced at the configured baud rate (10 bits a byte) so
// that timing looks like a real 9600-baud line.
//
// The driver opens Path, a stable symlink the Sim owns in the directory it
// was given, as udev owns /dev/guichet/idscan: Unplug closes the pty (a read
// on the driver's side then ends at once, as on a hung-up tty) and removes
// the symlink; Replug makes a new pty and points the symlink at it.
//
// Limits: the pty ignores the driver's baud rate, parity and stop bits, so a
// mismatch that would garble a real line goes unnoticed here; the reader
// receives no commands (the host's writes are read and dropped).
package idscansim
