// Package bidi orders mixed Arabic, Latin and digit text for display, the
// same way on the thermal receipts and on the touchscreen.
//
// It implements the Unicode Bidirectional Algorithm, UAX #9 revision 46
// (Unicode 15.0.0), for one line at a time: the paragraph level (P2, P3, or
// given), explicit embeddings, overrides and isolates (X1–X10), weak types
// (W1–W7), bracket pairs (N0, with canonical equivalents), neutrals (N1,
// N2), implicit levels (I1, I2), then for the line the reset of trailing
// whitespace and isolate controls (L1), reordering (L2) and mirroring (L4).
// Levels gives the levels, Visual the reordered string, VisualRuns the runs
// a shaper needs, and VisualLines the runs of each line of a paragraph that
// a renderer has wrapped.
//
// Identifiers inside a sentence of the other direction must be isolated so
// that they read as written: after Arabic letters, "2024-00123" displays as
// "00123-2024" unless it is wrapped in LRI … PDI. Isolate wraps one value;
// Substitute fills a message template and isolates every value it inserts.
//
// Character properties: Bidi_Class comes from golang.org/x/text/unicode/bidi
// (LookupRune), corrected where its defaults for unassigned code points
// predate Unicode 15 (140 code points in Arabic-letter ranges that it calls
// R, listed in tables.go). Paired brackets (with the canonical equivalents of
// U+2329 and U+232A) and mirrored glyphs come from tables.go too, which
// gen_tables.go generates from Debian's unicode-data files. Everything is
// Unicode 15.0.0 (PropertiesVersion), the version of the conformance files;
// the tests check every code point's class against DerivedBidiClass.txt and
// pass all 91,707 cases of BidiCharacterTest.txt and all 770,241 of
// BidiTest.txt. Bump x/text or the data files together, then go generate.
//
// Limits:
//   - A line is a paragraph. A paragraph separator (U+2029, LF, CR, U+001C–
//     U+001E, U+0085) inside the text ends every embedding and isolate and
//     sits at the paragraph level, but does not start a paragraph with a
//     direction of its own: split text into lines before calling.
//   - No line breaking: a renderer that wraps a paragraph chooses where its
//     lines end (from its own widths) and gives the ends to VisualLines,
//     which resolves the paragraph once and reorders each line.
//   - No shaping and no rule L3: in a right-to-left run Visual puts a
//     combining mark before (left of) its base; a shaper given VisualRuns'
//     logical runs places marks itself. Visual swaps mirrored characters
//     (L4); VisualRuns leaves mirroring to the shaper.
//   - Runes are not normalised; invalid UTF-8 reads as U+FFFD.
package bidi
