// Package serialtest makes pseudo-terminal pairs that stand in for serial
// devices: the near side (a /dev/pts/N path) is opened by the code under test
// exactly as a real /dev/ttyUSB0 would be, with drivers/serialport; the far
// side (the pty master) is where a test or an emulator plays the device.
//
// The near side is put in raw mode (no echo, no CR/LF translation, no
// signals), and is held open by the PTY itself so that its settings survive
// the driver closing and reopening it. Closing the far side hangs the near
// side up as unplugging a USB adapter does: the /dev/pts/N node disappears,
// a Read there returns 0 bytes at once (end of file; EIO on some kernels)
// and a Write fails with EIO.
//
// Limits: Linux pseudo-terminals only; a pty ignores baud rate, parity and
// stop bits, so timing is the emulator's business (see idscansim's pacing).
package serialtest
