// Package payterm drives a certified payment terminal (card reader with PIN
// pad, or a mobile-money terminal) over a serial line, as an electronic cash
// register (ECR) does. The kiosk never sees card data: it sends an amount and
// a reference, and reads back an authorisation result.
//
// # Protocol
//
// Guichet's ECR link is a line protocol, one ASCII line per message ended by
// CR LF, fields separated by single spaces:
//
//	host → terminal   PAY <ref> <amount> <currency> <method>
//	terminal → host   ACK <ref>
//	terminal → host   RESULT <ref> APPROVED <authorisation-code>
//	                  RESULT <ref> DECLINED <reason>
//	                  RESULT <ref> PENDING
//	                  RESULT <ref> UNKNOWN
//	host → terminal   QUERY <ref>
//	host → terminal   ABORT <ref>
//	terminal → host   ERR <reason>
//
// <ref> is the kiosk's payment reference (the request's idempotency key or a
// derivative, [A-Za-z0-9-]{1,64}); <amount> is in minor units; <currency> is
// ISO 4217; <method> is the pack's payment-method id.
//
// The terminal remembers every reference it has seen: a PAY with a known
// reference answers the stored result and never charges twice. That is what
// makes a retry after a lost line safe: Pay sends PAY, waits for the RESULT,
// and when the wait times out it asks QUERY before giving up; a payment still
// PENDING then is aborted (ABORT) and reported as timed out, and a later QUERY
// tells whether the abort came too late.
//
// # Limits
//
// Real terminals speak vendor protocols (Ingenico, Verifone, nexo); a
// converter box or the vendor's ECR library maps them onto this one. The link
// carries no secret: authentication of the terminal is the serial cable.
package payterm
