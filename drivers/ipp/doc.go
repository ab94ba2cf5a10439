// Package ipp drives the kiosk's laser printer through CUPS over IPP
// (RFC 8010, RFC 8011) with github.com/phin1x/go-ipp: it queues a PDF
// (Print-Job), follows the job to its end (Get-Job-Attributes), reads the
// printer's state (Get-Printer-Attributes) and decodes printer-state-reasons
// into conditions the UI, the technician screen and telemetry act on.
//
// # Printing
//
// Printer.Print submits a Document and waits for its job. Submit is
// idempotent by document name: while a job of that name is queued or
// printing, it follows that job instead of printing again, so a kiosk that
// retries after a timeout never prints an extract twice. Wait polls the job
// and the printer every Config.Poll, reports each change as an Event
// (JobChanged, PrinterChanged, ServerUnreachable), and ends with:
//
//   - the completed job;
//   - a *JobError wrapping ErrJobFailed when the job was aborted or
//     canceled, with the job's reasons and the printer's message
//     ("… is aborted (processing-to-stop-point); printer says: \"Fuser
//     failure (error 50.1)\": print job failed");
//   - a *JobError wrapping ErrJobPending and the context's error when the
//     caller stopped waiting first: the job is still queued (a printer out
//     of paper or paused keeps it) and prints when the printer is back;
//     Wait(ctx, job.ID, …) follows it again.
//
// Errors before a job exists wrap ErrUnreachable (nothing answers),
// ErrNoQueue, ErrNotAccepting (cupsreject) or ErrRefused, each with the
// queue, the server and what the server said.
//
// # The request is never lost
//
// The citizen's request is committed in the kiosk's store before anything
// prints; this package adds no state of its own. A document that could not
// be queued is not marked delivered and is sent again later; a queued job
// survives printer faults on the server (and server restarts, CUPS keeping
// its queue); a job that failed is reported, never silently dropped. The
// PDF of an extract is personal data: nothing here keeps a copy, and the
// server should be configured with PreserveJobFiles No.
//
// # Printer state
//
// DecodeReasons splits each printer-state-reasons keyword into a Condition
// (media-empty, toner-low, door-open, media-jam, paused, offline, …, other)
// and its Severity (report, warning, error; none means error). Status.Ready
// says whether a job would print now; Status.Health gives the
// drivers.Health every device reports, failed with a technician's reason
// ("out of paper: load paper; printer says: Out of paper") or connected
// with warnings ("toner low"). Printer.Watch polls between jobs for the
// technician screen and telemetry.
//
// # Tests
//
// The fake server in the tests answers with IPP encoded by hand from RFC
// 8010; TestCUPS runs a real cupsd (package cupstest) with the cups-pdf
// backend and a fault-playing backend, and reads the printed PDF back with
// pdftotext and zbarimg.
//
// # Limits
//
// Polling, not IPP notifications (CUPS's subscriptions need a notifier
// the kiosk would have to run). One document per job. No authentication:
// the kiosk talks to its own CUPS on loopback. go-ipp's IPPClient ignores
// contexts, so requests go through its HttpAdapter, which honours them.
package ipp
