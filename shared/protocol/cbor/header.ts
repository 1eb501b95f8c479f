/**
 * CBOR data item heads (RFC 8949 §3): the first byte holds the major type (high 3 bits) and the
 * additional information (low 5 bits); additional information 24..27 means a 1, 2, 4 or 8-byte
 * big-endian argument follows, 31 means indefinite length (major types 2..5) or "break" (major 7).
 *
 * This is the one place that reads and writes CBOR heads. Everything that frames with CBOR (BPv7
 * blocks, MTCP byte strings) builds on it, so the rules live here once.
 */

export const MAJOR_UINT = 0;
export const MAJOR_NEGINT = 1;
export const MAJOR_BYTES = 2;
export const MAJOR_TEXT = 3;
export const MAJOR_ARRAY = 4;
export const MAJOR_MAP = 5;
export const MAJOR_TAG = 6;
export const MAJOR_SIMPLE = 7;

/** Additional information 31: indefinite length (RFC 8949 §3.2.1) or, with major type 7, the break stop code. */
export const AI_INDEFINITE = 31;
export const BREAK = 0xff;

/** Largest argument value we hand out as a JS number (RFC 8949 allows 2^64-1; larger is rejected by callers). */
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO_32 = 0x1_0000_0000;

export interface Head {
  readonly major: number;
  /** Additional information (low 5 bits of the initial byte). */
  readonly info: number;
  /**
   * The argument: the value of an integer, the length of a string/array/map, the tag number, or the
   * simple value. For info 31 (indefinite) it is -1. For 8-byte arguments above 2^53-1 it is -2: the
   * caller must reject or read the raw bytes itself (see headArgumentBigInt).
   */
  readonly value: number;
  /** Offset just past the head. */
  readonly end: number;
}

/** Outcome of reading a head: a head, "need more bytes", or an ill-formed head (RFC 8949 §3: info 28..30). */
export type HeadRead = Head | 'need-more' | 'ill-formed';

/**
 * Read the head at `offset`. Never reads past `limit` (default bytes.length).
 * Returns 'need-more' when the head is cut off, 'ill-formed' for reserved additional information
 * (28..30, RFC 8949 §3) or indefinite length on a major type that does not allow it (0, 1, 6).
 */
export function readHead(bytes: Uint8Array, offset: number, limit: number = bytes.length): HeadRead {
  if (offset >= limit) return 'need-more';
  const ib = bytes[offset] as number;
  const major = ib >> 5;
  const info = ib & 0x1f;
  if (info < 24) return { major, info, value: info, end: offset + 1 };
  switch (info) {
    case 24:
      if (offset + 2 > limit) return 'need-more';
      return { major, info, value: bytes[offset + 1] as number, end: offset + 2 };
    case 25:
      if (offset + 3 > limit) return 'need-more';
      return { major, info, value: ((bytes[offset + 1] as number) << 8) | (bytes[offset + 2] as number), end: offset + 3 };
    case 26: {
      if (offset + 5 > limit) return 'need-more';
      const v =
        (bytes[offset + 1] as number) * 0x1000000 +
        (((bytes[offset + 2] as number) << 16) | ((bytes[offset + 3] as number) << 8) | (bytes[offset + 4] as number));
      return { major, info, value: v, end: offset + 5 };
    }
    case 27: {
      if (offset + 9 > limit) return 'need-more';
      const hi =
        (bytes[offset + 1] as number) * 0x1000000 +
        (((bytes[offset + 2] as number) << 16) | ((bytes[offset + 3] as number) << 8) | (bytes[offset + 4] as number));
      const lo =
        (bytes[offset + 5] as number) * 0x1000000 +
        (((bytes[offset + 6] as number) << 16) | ((bytes[offset + 7] as number) << 8) | (bytes[offset + 8] as number));
      const v = hi * TWO_32 + lo;
      return { major, info, value: hi < 0x200000 && v <= MAX_SAFE ? v : -2, end: offset + 9 };
    }
    case AI_INDEFINITE:
      // Indefinite length is defined for byte/text strings, arrays and maps; with major 7 it is "break".
      if (major === MAJOR_UINT || major === MAJOR_NEGINT || major === MAJOR_TAG) return 'ill-formed';
      return { major, info, value: -1, end: offset + 1 };
    default:
      return 'ill-formed'; // 28, 29, 30 are reserved (RFC 8949 §3)
  }
}

/** The full 64-bit argument of an 8-byte head (info 27) as a bigint; for smaller heads, their value. */
export function headArgumentBigInt(bytes: Uint8Array, offset: number): bigint {
  const ib = bytes[offset] as number;
  const info = ib & 0x1f;
  if (info !== 27) {
    const h = readHead(bytes, offset);
    return typeof h === 'string' ? -1n : BigInt(h.value);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset + 1, 8);
  return view.getBigUint64(0, false);
}

/** Bytes needed for the head of `value` in the shortest form (RFC 8949 §4.2.1 preferred serialisation). */
export function headSize(value: number): number {
  if (value < 24) return 1;
  if (value < 0x100) return 2;
  if (value < 0x10000) return 3;
  if (value < TWO_32) return 5;
  return 9;
}

/**
 * Write the shortest head for (major, value) at `offset`; returns the offset after it. `value` must be a
 * non-negative integer ≤ 2^53-1 (callers validate; this is a hot path and does not re-check).
 */
export function writeHead(out: Uint8Array, offset: number, major: number, value: number): number {
  const mt = major << 5;
  if (value < 24) {
    out[offset] = mt | value;
    return offset + 1;
  }
  if (value < 0x100) {
    out[offset] = mt | 24;
    out[offset + 1] = value;
    return offset + 2;
  }
  if (value < 0x10000) {
    out[offset] = mt | 25;
    out[offset + 1] = value >>> 8;
    out[offset + 2] = value & 0xff;
    return offset + 3;
  }
  if (value < TWO_32) {
    out[offset] = mt | 26;
    out[offset + 1] = value >>> 24;
    out[offset + 2] = (value >>> 16) & 0xff;
    out[offset + 3] = (value >>> 8) & 0xff;
    out[offset + 4] = value & 0xff;
    return offset + 5;
  }
  const hi = Math.floor(value / TWO_32);
  const lo = value >>> 0;
  out[offset] = mt | 27;
  out[offset + 1] = hi >>> 24;
  out[offset + 2] = (hi >>> 16) & 0xff;
  out[offset + 3] = (hi >>> 8) & 0xff;
  out[offset + 4] = hi & 0xff;
  out[offset + 5] = lo >>> 24;
  out[offset + 6] = (lo >>> 16) & 0xff;
  out[offset + 7] = (lo >>> 8) & 0xff;
  out[offset + 8] = lo & 0xff;
  return offset + 9;
}

/** A standalone head as a new Uint8Array (for framing, e.g. the MTCP byte-string header). */
export function encodeHead(major: number, value: number): Uint8Array {
  const out = new Uint8Array(headSize(value));
  writeHead(out, 0, major, value);
  return out;
}
