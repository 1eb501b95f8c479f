/**
 * Strict UTF-8 (RFC 3629 §3, as required for CBOR text strings by RFC 8949 §3.1 major type 3), written
 * by hand because shared/ is runtime-neutral and must not depend on TextEncoder/TextDecoder typings.
 * ASCII takes a fast path: every dtn EID is ASCII by its grammar (RFC 9171 §4.2.5.1.1).
 */

/** Largest argument list handed to String.fromCharCode at once (engines cap argument counts). */
const CHUNK = 4096;

/**
 * Length of the valid UTF-8 sequence starting at `i`, or 0 when the bytes there are not well-formed
 * (overlong forms, surrogates U+D800..DFFF, code points above U+10FFFF, truncated sequences).
 */
function sequenceLength(bytes: Uint8Array, i: number, end: number): number {
  const b0 = bytes[i] as number;
  if (b0 < 0x80) return 1;
  if (b0 < 0xc2) return 0; // continuation byte or overlong 2-byte lead
  if (b0 < 0xe0) {
    if (i + 1 >= end) return 0;
    return ((bytes[i + 1] as number) & 0xc0) === 0x80 ? 2 : 0;
  }
  if (b0 < 0xf0) {
    if (i + 2 >= end) return 0;
    const b1 = bytes[i + 1] as number;
    if ((b1 & 0xc0) !== 0x80 || ((bytes[i + 2] as number) & 0xc0) !== 0x80) return 0;
    if (b0 === 0xe0 && b1 < 0xa0) return 0; // overlong
    if (b0 === 0xed && b1 >= 0xa0) return 0; // surrogate
    return 3;
  }
  if (b0 < 0xf5) {
    if (i + 3 >= end) return 0;
    const b1 = bytes[i + 1] as number;
    if ((b1 & 0xc0) !== 0x80 || ((bytes[i + 2] as number) & 0xc0) !== 0x80 || ((bytes[i + 3] as number) & 0xc0) !== 0x80) {
      return 0;
    }
    if (b0 === 0xf0 && b1 < 0x90) return 0; // overlong
    if (b0 === 0xf4 && b1 >= 0x90) return 0; // above U+10FFFF
    return 4;
  }
  return 0;
}

/** True when bytes[start, end) are well-formed UTF-8. */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  let i = start;
  while (i < end) {
    if ((bytes[i] as number) < 0x80) {
      i++;
      continue;
    }
    const n = sequenceLength(bytes, i, end);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

/** Decodes bytes[start, end) as strict UTF-8; undefined when they are not well-formed. */
export function decodeUtf8(bytes: Uint8Array, start: number, end: number): string | undefined {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return decodeAscii(bytes, start, end);
  const units: number[] = [];
  let out = '';
  let i = start;
  while (i < end) {
    const n = sequenceLength(bytes, i, end);
    if (n === 0) return undefined;
    const b0 = bytes[i] as number;
    let cp: number;
    if (n === 1) cp = b0;
    else if (n === 2) cp = ((b0 & 0x1f) << 6) | ((bytes[i + 1] as number) & 0x3f);
    else if (n === 3) cp = ((b0 & 0x0f) << 12) | (((bytes[i + 1] as number) & 0x3f) << 6) | ((bytes[i + 2] as number) & 0x3f);
    else {
      cp =
        ((b0 & 0x07) << 18) |
        (((bytes[i + 1] as number) & 0x3f) << 12) |
        (((bytes[i + 2] as number) & 0x3f) << 6) |
        ((bytes[i + 3] as number) & 0x3f);
    }
    i += n;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else units.push(cp);
    if (units.length >= CHUNK) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}

/** Decodes bytes[start, end), which the caller has checked to be ASCII (< 0x80). */
export function decodeAscii(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= CHUNK) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  let out = '';
  for (let i = start; i < end; i += CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
  }
  return out;
}

/** Bytes of `s` in UTF-8. A lone surrogate counts as U+FFFD (3 bytes), as writeUtf8 writes it. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Writes `s` as UTF-8 at `offset` (lone surrogates become U+FFFD); returns the offset after it. */
export function writeUtf8(out: Uint8Array, offset: number, s: string): number {
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[o++] = 0xf0 | (c >> 18);
      out[o++] = 0x80 | ((c >> 12) & 0x3f);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c < 0xe000) c = 0xfffd;
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 0x3f);
    out[o++] = 0x80 | (c & 0x3f);
  }
  return o;
}
