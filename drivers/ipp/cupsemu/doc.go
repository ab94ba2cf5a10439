// Package cupsemu runs a private CUPS scheduler that plays the kiosk's laser
// printer: cupsd started on a free loopback port with its own configuration,
// spool, cache, state and logs in a directory of its own, queues printing to
// PDF files through the cups-pdf backend, and a fault-playing backend (out
// of paper, failing, toner low) so that the kiosk's IPP driver meets a real
// CUPS and its error paths.
//
// guichet-devsim runs it as the emulated laser printer of `make run`;
// guichet/drivers/ipp/cupstest wraps it for tests.
//
// # cups-pdf's configuration
//
// Debian's cups-pdf backend (3.0.1) reads its configuration from a path
// compiled in: /etc/cups/cups-pdf-<name>.conf for a queue whose device URI
// is cups-pdf:/<name>, else /etc/cups/cups-pdf.conf. Each queue added here
// prints to a device of its own, cups-pdf:/guichet-<random>, whose
// /etc/cups/cups-pdf-guichet-<random>.conf names output, spool and log
// directories of this server; Close removes the file, and the system's
// cups-pdf.conf is never touched. The queue's own name is free, so two
// servers may both have a queue "guichet-laser".
//
// # Requirements and limits
//
// Debian packages cups, cups-pdf (printer-driver-cups-pdf) and
// cups-ipp-utils; root (cupsd runs its backends as root, cups-pdf needs it,
// and /etc/cups must be writable). Without them Start returns an error
// wrapping ErrUnavailable, saying what is missing.
//
// cups-pdf runs Ghostscript as the job's user, "nobody" for a user the
// system does not know: a queue's output directory is made writable by all
// (sticky, like cups-pdf's ANONYMOUS directory), and every directory above
// it must be searchable by all.
//
// A server killed without Close (SIGKILL) leaves its directory under the
// system's temporary directory and its cups-pdf-guichet-*.conf files in
// /etc/cups behind.
package cupsemu
