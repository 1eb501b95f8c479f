/**
 * Writing CBOR items into preallocated buffers (RFC 8949, shortest-form heads, §4.2.1). Each writer
 * takes (out, offset, …) and returns the offset after what it wrote; each has a matching size function,
 * so an encoder sizes its output once, allocates once, and writes without intermediate arrays.
 * Callers validate values first (isUint); these hot-path functions do not re-check.
 */
import { AI_INDEFINITE, BREAK, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_TEXT, MAJOR_UINT, headSize, writeHead } from './header';
import { utf8Length, writeUtf8 } from './utf8';

/** A value an unsigned-integer field can carry as a JS number: an integer in [0, 2^53-1]. */
export function isUint(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

export function uintSize(v: number): number {
  return headSize(v);
}

export function writeUint(out: Uint8Array, offset: number, v: number): number {
  return writeHead(out, offset, MAJOR_UINT, v);
}

export function writeArrayHead(out: Uint8Array, offset: number, count: number): number {
  return writeHead(out, offset, MAJOR_ARRAY, count);
}

/** The initial byte of an indefinite-length array (0x9f, RFC 8949 §3.2.2). */
export function writeIndefiniteArray(out: Uint8Array, offset: number): number {
  out[offset] = (MAJOR_ARRAY << 5) | AI_INDEFINITE;
  return offset + 1;
}

/** The break stop code (0xff) that closes an indefinite-length item. */
export function writeBreak(out: Uint8Array, offset: number): number {
  out[offset] = BREAK;
  return offset + 1;
}

/** Size of a byte string of `length` bytes, head included. */
export function byteStringSize(length: number): number {
  return headSize(length) + length;
}

export function writeBytesHead(out: Uint8Array, offset: number, length: number): number {
  return writeHead(out, offset, MAJOR_BYTES, length);
}

/** A byte string: head, then a copy of `data`. */
export function writeByteString(out: Uint8Array, offset: number, data: Uint8Array): number {
  const o = writeHead(out, offset, MAJOR_BYTES, data.length);
  out.set(data, o);
  return o + data.length;
}

/** Size of `s` as a CBOR text string, head included. */
export function textStringSize(s: string): number {
  const n = utf8Length(s);
  return headSize(n) + n;
}

/** A text string in UTF-8; ASCII (every dtn EID) is written byte by byte without a second pass. */
export function writeTextString(out: Uint8Array, offset: number, s: string): number {
  let ascii = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return writeUtf8(out, writeHead(out, offset, MAJOR_TEXT, utf8Length(s)), s);
  let o = writeHead(out, offset, MAJOR_TEXT, s.length);
  for (let i = 0; i < s.length; i++) out[o++] = s.charCodeAt(i);
  return o;
}
