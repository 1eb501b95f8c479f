/**
 * The header section of an RFC 5322 message (§2.2, §3.6): where it ends, its fields unfolded, a field's
 * value by name, and a field written folded (formatField). Also used for the header-like groups of a delivery-status report (RFC 3464 §2.1,
 * which borrows the RFC 822 field syntax).
 *
 * Lenient where reading cannot go wrong: a bare LF ends a line like CRLF (messages handed over by local
 * programs often have LF line ends; Postfix's sendmail accepts them, environment.md §5), and a line that
 * is not a field and not a continuation is skipped rather than ending the header. Field names are matched
 * case-insensitively (RFC 5322 §1.2.2).
 */

export interface HeaderField {
  /** The field name as written. */
  readonly name: string;
  /** The value unfolded (RFC 5322 §2.2.3: CRLF before WSP removed), leading and trailing WSP trimmed. */
  readonly value: string;
  /** Offset of the field's first octet in the input; with `end`, the span a caller may cut out. */
  readonly start: number;
  /** Offset just past the field's last line end. */
  readonly end: number;
}

export interface MessageParts {
  /** The header fields in order. */
  readonly fields: readonly HeaderField[];
  /** Offset of the first body octet (after the empty line), or the input length when there is no body. */
  readonly bodyStart: number;
  /** Offset where the empty line that ends the header starts (= bodyStart when there is none). */
  readonly headerEnd: number;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** Header octets are US-ASCII (RFC 5322 §2.2); stray 8-bit octets are read as UTF-8 with replacement. */
const utf8 = new TextDecoder('utf-8');

/** Offset after the line end that ends the line starting at `i`, and where that line's text ends. */
function lineAt(bytes: Uint8Array, i: number, limit: number): { textEnd: number; next: number } {
  const lf = bytes.indexOf(LF, i);
  if (lf < 0 || lf >= limit) return { textEnd: limit, next: limit };
  return { textEnd: lf > i && bytes[lf - 1] === CR ? lf - 1 : lf, next: lf + 1 };
}

/**
 * Split `bytes[from, to)` into header fields and the body offset. A field name is 1*ftext (printable
 * US-ASCII but ":"), optionally followed by WSP before the colon (RFC 5322 §3.6.8, §4.5.3).
 */
export function parseHeader(bytes: Uint8Array, from = 0, to = bytes.length): MessageParts {
  const fields: HeaderField[] = [];
  let i = from;
  let current: { name: string; start: number; pieces: string[]; end: number } | null = null;
  const flush = (): void => {
    if (current === null) return;
    fields.push({ name: current.name, value: current.pieces.join('').replace(/^[ \t]+|[ \t]+$/g, ''), start: current.start, end: current.end });
    current = null;
  };
  while (i < to) {
    const { textEnd, next } = lineAt(bytes, i, to);
    if (textEnd === i) {
      // the empty line: the header ends, the body starts after it
      flush();
      return { fields, bodyStart: next, headerEnd: i };
    }
    const first = bytes[i];
    if ((first === SP || first === HTAB) && current !== null) {
      current.pieces.push(utf8.decode(bytes.subarray(i, textEnd)));
      current.end = next;
    } else {
      flush();
      let c = i;
      while (c < textEnd && bytes[c]! > SP && bytes[c]! < 0x7f && bytes[c] !== COLON) c++;
      let colon = c;
      while (colon < textEnd && (bytes[colon] === SP || bytes[colon] === HTAB)) colon++;
      if (c > i && colon < textEnd && bytes[colon] === COLON) {
        current = { name: utf8.decode(bytes.subarray(i, c)), start: i, pieces: [utf8.decode(bytes.subarray(colon + 1, textEnd))], end: next };
      }
    }
    i = next;
  }
  flush();
  return { fields, bodyStart: to, headerEnd: to };
}

/** The value of the first field called `name` (case-insensitive), or undefined. */
export function fieldValue(fields: readonly HeaderField[], name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const f of fields) if (f.name.toLowerCase() === lower) return f.value;
  return undefined;
}

/** The values of every field called `name`, in order. */
export function fieldValues(fields: readonly HeaderField[], name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower).map((f) => f.value);
}

/**
 * The msg-id of a Message-ID value (RFC 5322 §3.6.4) without its angle brackets, or undefined when the
 * value holds none. Comments and surrounding white space are tolerated.
 */
export function messageIdOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /<([^<>\s]+)>/.exec(value);
  return m?.[1];
}

/** RFC 5322 §2.1.1: a line SHOULD be at most 78 characters and MUST be at most 998, excluding the CRLF. */
const FOLD_AT = 78;
const MAX_LINE = 998;

/**
 * "Name: value" folded (RFC 5322 §2.2.3: a CRLF inserted before a space, so unfolding gives the value
 * back exactly) wherever a line would pass 78 characters, without a final CRLF; null when a word (a run
 * without spaces) still makes a line longer than 998. Each line keeps at least one word, and a line never
 * starts at an empty word (two spaces in a row), which could leave a line of white space only (§3.2.2).
 */
export function formatField(name: string, value: string): string | null {
  const lines: string[] = [];
  let line = `${name}:`;
  // whether the current line holds a word yet: "Name:" alone does not
  let hasWord = false;
  for (const w of value.split(' ')) {
    if (hasWord && w.length > 0 && line.length + 1 + w.length > FOLD_AT) {
      lines.push(line);
      line = ` ${w}`;
    } else {
      line += ` ${w}`;
    }
    hasWord = true;
  }
  lines.push(line);
  return lines.some((l) => l.length > MAX_LINE) ? null : lines.join('\r\n');
}
