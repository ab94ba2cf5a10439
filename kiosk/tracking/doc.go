// Package tracking makes and reads the tracking numbers printed on receipts,
// typed back by citizens and carried in the receipt's QR code.
//
// # Form
//
// A number is 12 characters of a 23-character alphabet, printed in groups of
// four: K7MX-4HQ9-XR3T. The alphabet,
//
//	3 4 6 7 9 A C D E F G H J K M N P Q R T W X Y
//
// leaves out every character that is easily taken for another on a thermal
// receipt, in handwriting or on a keypad: 0 and O, 1, I and L, 2 and Z, 5 and
// S, 8 and B, U and V (Q and D stay: with 0 and O gone, they have nothing left
// to be taken for). Parse accepts lower case, Arabic-Indic digits, spaces and
// dashes, and refuses anything else with the position of the first bad
// character; it never guesses what a refused character was meant to be.
//
// # Check character
//
// The last character c₁₂ makes Σ i·v(cᵢ) ≡ 0 (mod 23) over the twelve
// positions i = 1…12, where v is the index in the alphabet. Because 23 is
// prime and the weights 1…12 are distinct and non-zero modulo 23:
//
//   - one wrong character at position i changes the sum by i·δ with
//     0 < |δ| < 23, never a multiple of 23: every single substitution is
//     caught;
//   - swapping the characters at positions i and j changes it by
//     (j−i)·(v(cᵢ)−v(cⱼ)), with 0 < j−i < 23: every swap of two different
//     characters is caught, neighbours or not.
//
// The tests check both exhaustively. Two or more errors are caught with
// probability 22/23.
//
// # Uniqueness without coordination
//
// The eleven other characters are, in order:
//
//   - 3: the kiosk prefix, SHA-256 of the kiosk id onto 23³ = 12,167 values;
//   - 3: the issue day, days since 2025-01-01 UTC modulo 12,167 (33 years);
//   - 5: a counter, 23⁵ = 6,436,343 values, started each day (and at each
//     start of the kiosk) at a uniformly random offset.
//
// A Generator never repeats itself: the counter is unique within a day, and
// its day never goes back, even when the clock does. Two runs of Generators
// can only collide if they share a prefix and a day and their counter ranges
// overlap; for runs issuing m₁ and m₂ numbers that day, the chance is at most
// (m₁+m₂)/6,436,343.
//
// One kiosk restarted during a day is such a pair, sharing its prefix: the
// store sees those collisions in its own index and must draw another number
// (Next again) before printing, so they never reach a receipt.
//
// Two kiosks share a prefix with probability 1/12,167. A fleet of N kiosks,
// each issuing at most m numbers a day, therefore expects at most
//
//	N(N−1)/2 · 1/12,167 · 2m/6,436,343
//
// colliding numbers a day. For N = 100 kiosks and m = 100 numbers each: one
// collision in about 200 years; N = 500, m = 200: one in about 4 years;
// N = 1,000, m = 300: one in about 9 months. The registry must detect such a
// collision (a number it already holds under another idempotency key) and
// tell the two requests apart by kiosk and date. Numbers are not secrets
// (a kiosk's consecutive receipts differ in the counter): nothing personal is
// shown for a number alone, and collecting an extract needs the same ID card.
//
// # Limits
//
// The day part says when the number was made only if the kiosk's clock was
// right. More than 6.4 million numbers in a day on one kiosk borrow the next
// day's range. The check character catches typing errors, not forgery.
package tracking
