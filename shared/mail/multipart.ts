/**
 * The body parts of a multipart entity (RFC 2046 §5.1.1). A delimiter is "--" boundary at the start of
 * a line, optionally followed by transport padding (linear white space) before the line end; the close
 * delimiter adds "--". The line end before a delimiter belongs to the delimiter, so a part's span ends
 * before it. Text before the first delimiter (preamble) and after the close delimiter (epilogue) is
 * ignored. A bare LF is accepted as a line end (see header-fields.ts for why).
 */

export interface PartSpan {
  /** Offset of the part's first octet (its header). */
  readonly start: number;
  /** Offset just past its last octet. */
  readonly end: number;
}

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;

/** Part spans of `bytes[from, to)` for `boundary`; a missing close delimiter ends the last part at `to`. */
export function splitMultipart(bytes: Uint8Array, boundary: string, from = 0, to = bytes.length): PartSpan[] {
  const marker = new TextEncoder().encode(`--${boundary}`);
  const parts: PartSpan[] = [];
  let partStart = -1;
  let lineStart = from;
  while (lineStart < to) {
    const lf = bytes.indexOf(LF, lineStart);
    const lineEnd = lf < 0 || lf >= to ? to : lf;
    const next = lineEnd === to ? to : lineEnd + 1;
    if (startsWith(bytes, lineStart, lineEnd, marker)) {
      let i = lineStart + marker.length;
      const close = bytes[i] === DASH && bytes[i + 1] === DASH;
      if (close) i += 2;
      let padded = true;
      for (let j = i; j < lineEnd; j++) {
        const b = bytes[j];
        if (b !== 0x20 && b !== 0x09 && !(b === CR && j === lineEnd - 1)) padded = false;
      }
      if (padded) {
        if (partStart >= 0) {
          // drop the line end before the delimiter (CRLF or LF)
          let end = lineStart;
          if (end > partStart && bytes[end - 1] === LF) end--;
          if (end > partStart && bytes[end - 1] === CR) end--;
          parts.push({ start: partStart, end });
        }
        if (close) return parts;
        partStart = next;
      }
    }
    lineStart = next;
  }
  if (partStart >= 0 && partStart < to) parts.push({ start: partStart, end: to });
  return parts;
}

function startsWith(bytes: Uint8Array, at: number, limit: number, prefix: Uint8Array): boolean {
  if (limit - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}
