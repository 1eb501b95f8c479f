/**
 * Which form a received e-mail payload has. draft-blanchet-dtn-email-over-bp-00 carried a plain RFC 5322
 * message, and the author's testbed still sends that form (protocols.md §1.2-1.3); -01 and later carry
 * RFC 2442 Batch SMTP. The two cannot be confused on the first line:
 *
 * - BSMTP starts with a command: "EHLO " / "HELO " (RFC 5321 §4.1.1.1) or "MAIL FROM:" (§4.1.1.2),
 *   verbs case-insensitive (§2.4).
 * - RFC 5322 starts with a header field: field-name ":" where field-name = 1*ftext, printable US-ASCII
 *   without ":" (RFC 5322 §3.6.8), optionally followed by white space before the colon (obs-optional,
 *   §4.5.3). "MAIL FROM:" is not a field (SP inside the name) and a command has no colon in its first word.
 *
 * Only the first line is looked at (at most 998 octets, RFC 5322 §2.1.1), so this is cheap on any payload.
 */

export type PayloadForm = 'bsmtp' | 'rfc5322' | 'unknown';

const COLON = 0x3a;
const SP = 0x20;
const HTAB = 0x09;
/** RFC 5322 §2.1.1: a line holds at most 998 characters before its CRLF. */
const MAX_FIRST_LINE = 998;

function startsWithIgnoringCase(bytes: Uint8Array, upperAscii: string): boolean {
  if (bytes.length < upperAscii.length) return false;
  for (let i = 0; i < upperAscii.length; i++) {
    const b = bytes[i]!;
    // ASCII letters fold by clearing bit 0x20; other characters must match exactly
    const folded = b >= 0x61 && b <= 0x7a ? b - 0x20 : b;
    if (folded !== upperAscii.charCodeAt(i)) return false;
  }
  return true;
}

export function detectPayloadForm(bytes: Uint8Array): PayloadForm {
  if (startsWithIgnoringCase(bytes, 'EHLO ') || startsWithIgnoringCase(bytes, 'HELO ') || startsWithIgnoringCase(bytes, 'MAIL FROM:')) {
    return 'bsmtp';
  }
  const end = Math.min(bytes.length, MAX_FIRST_LINE);
  let i = 0;
  while (i < end) {
    const b = bytes[i]!;
    if (b === COLON || b < 0x21 || b > 0x7e) break; // ftext ends
    i++;
  }
  if (i === 0) return 'unknown';
  while (i < end && (bytes[i] === SP || bytes[i] === HTAB)) i++;
  return i < end && bytes[i] === COLON ? 'rfc5322' : 'unknown';
}
