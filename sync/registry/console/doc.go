// Package console is the registry's web console: the pages where a court's
// clerks process the citizens' requests and issue the bulletin n°3, where
// the court's prosecutor endorses it, where anyone checks an extract's QR
// code, and where central operations watch the fleet, issue enrolment
// tokens, publish settings and manage accounts. It is server-rendered
// html/template with one style sheet and no script; it uses
// sync/registry's exported functions (Authenticate, Open, SetStatus,
// IssueToken, PublishSettings, CreateAccount) and its store.
//
// # Serving
//
// The console listens on its own address (DefaultAddr, 127.0.0.1:8444),
// apart from the kiosks' mutual-TLS API: HTTPS with the registry's server
// certificate (TLS 1.3, no client certificate asked), or plain HTTP when
// Config.PlainHTTP is set, which New allows on a loopback address only
// (`make run`). Browsers count loopback as a secure context, so the
// session cookie keeps its Secure attribute there too. PublicHandler
// serves the verification page alone, for the address printed in the
// extract's QR code (the pack's ExtractVerificationBase, whose path ends
// in /v/).
//
// # Accounts, sessions, CSRF, throttling
//
// Accounts are the registry's (Argon2id password hashes) with four roles:
// a court's clerk (greffier), a court's prosecutor (procureur, added by
// this package: store.RoleProsecutor), an operator and a viewer.
// Signing in creates a server-side session in the store (several registry
// processes share it over pgstore): the cookie __Host-guichet-session
// holds 256 random bits, the store their SHA-256; it is Secure, HttpOnly,
// SameSite=Strict, and ends after SessionIdle unused or SessionMax in all.
// Every POST must carry the session's CSRF token in its form (the sign-in
// form carries its own, bound to a short cookie); net/http's
// CrossOriginProtection refuses cross-site POSTs before that. Failed
// sign-ins are counted in the store per account and per client address:
// after AccountAttempts (5) failures in LoginWindow (15 min), further
// attempts for that account are refused without checking the password,
// with 429 and a sentence saying how long to wait; AddrAttempts (20) do the
// same for an address. Signing or endorsing an extract asks the password
// again (counted the same way): an unattended open session cannot sign.
// Every action is audited: sign-in, failure, throttling, sign-out, CSRF
// refusal, opening a request, status changes, issue, endorsement, PDF
// download, tokens, settings, accounts, keys.
//
// # The bulletin n°3
//
// A clerk or prosecutor account gets an Ed25519 signing key when it is
// created (or from `guichet-registry keygen`, or the accounts page, which
// retires the previous one); the private key is stored encrypted with
// AES-256-GCM under a key kept in the registry's directory
// (FileSigningKEK), bound to its key id and account. The clerk checks the
// holder's identity against the court's record (the form is prefilled
// from the unsealed request), lists the convictions (none: "Néant"),
// names the court's prosecutor who will endorse, and signs: both signers
// are named in the signed bytes (kiosk/extract), the clerk's signature
// gives the verification code, and the extract waits, signed once. The
// named prosecutor reviews it and endorses it with a second signature;
// only then does it verify, render to PDF (drivers/pdfdoc, in each of the
// pack's languages) and let the clerk mark the request ready (a request
// of an ExtractServices service is refused "ready" before). The
// verification page answers for an endorsed extract whose signatures
// verify now against the key list (Keys): valid, its number, court, date
// and the holder's initials, nothing more; anything else gets one
// "invalid" page.
//
// # Limits
//
// Keys are software keys on the registry, not a qualified signature device
// (law 43-20 would want an HSM or a smart card for a qualified
// signature); key distribution to kiosks (Keys) is the sync engineer's.
// One extract per request: no re-issue or revocation yet. Personal data is
// shown in French labels from the pack; the console's own words are French
// only. Throttling trusts the TCP peer address (no X-Forwarded-For).
// Fleet alerts are computed when a page is shown, not pushed.
package console
