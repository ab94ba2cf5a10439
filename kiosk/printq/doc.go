// Package printq is the kiosk's durable print queue and the spooler that
// empties it onto the receipt printer, so that a receipt survives a printer
// that runs out of paper half way, an open cover, an unplugged printer and
// a restart of the kiosk — and is never printed twice unless someone asks.
//
// # Queue
//
// Queue keeps jobs (a receipt.Document and its state) in two buckets of a
// bbolt database: its own file (Open), or a database shared with the rest
// of the kiosk (New). Jobs are indexed by tracking number for reprints.
// Documents hold no personal data (a callback ticket's phone number is
// masked), so printed jobs may be kept for reprints until Prune.
//
// # Spooler
//
// Spooler prints one job at a time, oldest first, through a Printer (the
// driver, drivers/escpos). The request itself was committed to the kiosk's
// store before its receipt was queued: nothing a printer does can lose it.
//
//   - A fault (paper out, cover open, printer absent, printer error) stops
//     the job at the next chunk boundary; the job is held, and an EventHeld
//     carries the pack message key that tells the citizen what happened and
//     what to do (printer.paper_out …) and raises an alarm for the
//     technician.
//   - The spooler asks the printer every RetryEvery whether it is ready;
//     when it is, the held job is sent again from its start (EventResumed):
//     the part printed before the fault is not a receipt.
//   - A job held longer than HoldFor (10 minutes) expires instead: its
//     citizen has gone, and a receipt printed for nobody would go to the
//     next person. It is reprinted on request.
//   - A job found printing at start-up (the kiosk stopped mid-job) is marked
//     interrupted, with an alarm, and not printed again on its own.
//   - Reprint prints a duplicate of the original, marked "DUPLICATA" /
//     "نسخة" with the reprint date (receipt.AsDuplicate); it refuses while
//     the original still waits to print.
//
// Limits: one printer per spooler; jobs print in submission order, so a
// held job keeps newer ones waiting (they would meet the same fault); no
// priority between kinds; expiry is measured from submission.
package printq
