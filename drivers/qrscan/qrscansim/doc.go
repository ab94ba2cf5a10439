// Package qrscansim emulates a serial QR/barcode scanner on the far side of
// a pseudo-terminal, for drivers/qrscan's tests and cmd/guichet-devsim.
//
// The scanner is reachable at a stable path, a symbolic link the Sim owns in
// the directory given to New (as /dev/guichet/qrscan would be on a kiosk).
// It speaks what drivers/qrscan expects: each code framed by the configured
// prefix and suffix, and, with a trigger profile, it reads only between a
// start command (Honeywell SYN T CR) and a read (one-shot), a stop command
// or its own read time-out. A code shown while it is not reading waits in
// view until the next start command, as a receipt held up to an idle
// scanner does.
//
// Scriptable: Scan(code), Noise(n) random bytes, HalfLine() (a code cut
// short), Raw(bytes), Withdraw(), Unplug() (the pty hangs up and the path
// disappears) and Replug() (a new pty behind the same path, the scanner
// idle as after power-up). Exec takes the same as text commands for
// guichet-devsim.
//
// Limits: Linux pseudo-terminals only; no baud-rate pacing (bytes arrive
// as fast as the pty carries them); configuration (menu) commands are
// ignored, not answered.
package qrscansim
