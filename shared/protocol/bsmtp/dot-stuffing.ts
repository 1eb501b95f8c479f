/**
 * The mail data of a DATA command: line-end normalisation and dot-stuffing on the way out, dot-unstuffing
 * on the way in.
 *
 * - RFC 5321 §2.3.8: SMTP lines end in CRLF; a bare CR or bare LF in a message is turned into CRLF before
 *   sending (CR LF together stays one line end, so "\r\r\n" is a bare CR followed by a CRLF).
 * - RFC 5321 §4.5.2: a line that begins with "." is sent with one more "." in front; the receiver deletes
 *   the first "." of any line that begins with one, except the terminating line ".".
 * - RFC 5321 §4.1.1.4: the data ends with CRLF "." CRLF, the first CRLF belonging to the last line, so a
 *   message that does not end in a line end gets a CRLF appended.
 *
 * Both directions copy runs: the stretch between two changes (an inserted CR, LF or dot, a dropped dot) is
 * copied with one `set`, never octet by octet. For a message that needs no change the encoder does one
 * measuring scan and one memcpy (encode.ts), the decoder one validating scan and no copy (decode.ts).
 */
import { CR, DOT, LF } from './grammar';
import { lowOctetScanner, nextLowOctet } from './line-scan';

export interface MessageShape {
  /**
   * Octets of the normalised message: CRLF line ends, final CRLF included, no stuffing dots. This is the
   * RFC 1870 §4 message size ("including CR-LF pairs, but not the SMTP DATA command's terminating dot or
   * doubled quoting dots") and the length a decoder gives back.
   */
  readonly size: number;
  /** Octets written between DATA CRLF and the terminating "." CRLF: `size` plus one per stuffed line. */
  readonly stuffedSize: number;
  /** Longest normalised line, CRLF included and any stuffing dot excluded (RFC 5321 §4.5.3.1.6 counts so). */
  readonly longestLine: number;
}

/** Scan `message` once and report what stuffing it will produce, without writing anything. */
export function measureMessage(message: Uint8Array): MessageShape {
  const n = message.length;
  const scanner = lowOctetScanner(message);
  let added = 0; // CR or LF octets that normalisation inserts
  let dots = 0;
  let longestLine = 0;
  let lineStart = 0;
  for (let i = nextLowOctet(scanner, 0); i < n; i = nextLowOctet(scanner, i)) {
    const b = message[i]!;
    let next: number;
    if (b === CR && message[i + 1] === LF) {
      next = i + 2;
    } else if (b === CR || b === LF) {
      next = i + 1;
      added++; // a bare CR or bare LF gets its missing half
    } else {
      i++;
      continue;
    }
    if (message[lineStart] === DOT) dots++;
    if (i - lineStart + 2 > longestLine) longestLine = i - lineStart + 2;
    lineStart = next;
    i = next;
  }
  if (lineStart < n) {
    // last line without a line end: a CRLF is appended
    added += 2;
    if (message[lineStart] === DOT) dots++;
    if (n - lineStart + 2 > longestLine) longestLine = n - lineStart + 2;
  }
  return { size: n + added, stuffedSize: n + added + dots, longestLine };
}

/**
 * Write `message` normalised and dot-stuffed into `out` at `at`; returns the offset after it. `out` must have
 * `measureMessage(message).stuffedSize` octets free from `at`.
 */
export function writeStuffedMessage(message: Uint8Array, out: Uint8Array, at: number): number {
  const n = message.length;
  const scanner = lowOctetScanner(message);
  let o = at;
  let runStart = 0; // start of the stretch of `message` not yet copied
  let lineStart = 0;
  if (n > 0 && message[0] === DOT) out[o++] = DOT; // the original dot starts the first run
  for (let i = nextLowOctet(scanner, 0); i < n; i = nextLowOctet(scanner, i)) {
    const b = message[i]!;
    if (b === CR) {
      if (message[i + 1] === LF) {
        lineStart = i + 2;
      } else {
        // bare CR: copy through it, then add the missing LF
        out.set(message.subarray(runStart, i + 1), o);
        o += i + 1 - runStart;
        out[o++] = LF;
        runStart = lineStart = i + 1;
      }
    } else if (b === LF) {
      // bare LF: copy up to it and add the missing CR; the LF itself starts the next run
      out.set(message.subarray(runStart, i), o);
      o += i - runStart;
      out[o++] = CR;
      runStart = i;
      lineStart = i + 1;
    } else {
      i++;
      continue;
    }
    if (message[lineStart] === DOT) {
      out.set(message.subarray(runStart, lineStart), o);
      o += lineStart - runStart;
      out[o++] = DOT;
      runStart = lineStart; // the original dot starts the next run
    }
    i = lineStart;
  }
  out.set(message.subarray(runStart, n), o);
  o += n - runStart;
  if (lineStart < n) {
    out[o++] = CR;
    out[o++] = LF;
  }
  return o;
}

/**
 * Copy the mail data `bytes[start, end)` without its stuffing dots. The caller has validated the region
 * (CRLF is its only line end, so every CR found starts a CRLF) and counted `stuffedLines`, the lines
 * beginning with "."; the result has `end - start - stuffedLines` octets.
 */
export function unstuffMessage(bytes: Uint8Array, start: number, end: number, stuffedLines: number): Uint8Array {
  const out = new Uint8Array(end - start - stuffedLines);
  const scanner = lowOctetScanner(bytes);
  let o = 0;
  let runStart = start;
  let lineStart = start;
  while (lineStart < end) {
    if (bytes[lineStart] === DOT) {
      out.set(bytes.subarray(runStart, lineStart), o);
      o += lineStart - runStart;
      runStart = lineStart + 1; // drop the stuffing dot
    }
    let i = nextLowOctet(scanner, lineStart);
    while (i < end && bytes[i] !== CR) i = nextLowOctet(scanner, i + 1);
    lineStart = i + 2;
  }
  out.set(bytes.subarray(runStart, end), o);
  return out;
}
