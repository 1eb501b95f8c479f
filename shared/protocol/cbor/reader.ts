/**
 * A positional CBOR reader (RFC 8949) for the hot paths: bundle structure, blocks, EIDs. It walks the
 * input in place, returns numbers and views (never copies), and never throws on bad input.
 *
 * Errors are data, but without an allocation per read: a failed read returns FAILED (or undefined) and
 * records the first error in `error`; later reads keep failing, so a decoder may check once per block.
 * Codes: TRUNCATED (input ends inside an item), CBOR_MALFORMED (not the expected item, or ill-formed),
 * LIMIT_EXCEEDED (an integer above 2^53-1, or a LIMITS bound), UNSUPPORTED (well-formed CBOR outside the
 * subset Farside accepts, see skip()).
 */
import type { ErrorCode, FarsideError } from '../../errors';
import { LIMITS } from '../limits';
import { BREAK, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_MAP, MAJOR_NEGINT, MAJOR_TAG, MAJOR_TEXT, MAJOR_UINT, readHead } from './header';
import { decodeUtf8, isValidUtf8 } from './utf8';

/** Returned by numeric reads that failed; `error` says why. */
export const FAILED = -1;
/** Returned by arrayHead(…, true) for an indefinite-length array (RFC 8949 §3.2.2). */
export const INDEFINITE = -2;

/** Initial bytes of the simple values false, true, null, undefined (RFC 8949 §3.3). */
const FALSE = 0xf4;
const TRUE = 0xf5;

const MAJOR_NAMES = ['unsigned integer', 'negative integer', 'byte string', 'text string', 'array', 'map', 'tag', 'simple value/float'];

export class CborReader {
  readonly bytes: Uint8Array;
  /** Offset of the next item. */
  pos: number;
  /** Reads never look at or past this offset. */
  readonly end: number;
  /** The first error met; once set, every read fails. */
  error: FarsideError | undefined = undefined;
  /** Set by skip() when it met an integer encoded in 8 bytes (callers of cbor-x normalise bigints then). */
  sawWideInteger = false;

  constructor(bytes: Uint8Array, pos = 0, end: number = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = Math.min(end, bytes.length);
  }

  /** Records an error (the first one wins) and returns FAILED. */
  fail(code: ErrorCode, message: string, offset: number = this.pos): number {
    if (this.error === undefined) this.error = { code, message, offset };
    return FAILED;
  }

  /** As fail(), for boolean-returning reads. */
  private stop(code: ErrorCode, message: string, offset: number): false {
    this.fail(code, message, offset);
    return false;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** The initial byte of the next item, or FAILED at the end of the input. */
  peekByte(): number {
    return this.pos < this.end ? (this.bytes[this.pos] as number) : FAILED;
  }

  /**
   * Reads a head of major type `major` (definite length unless `allowIndefinite`), returns its argument,
   * INDEFINITE, or FAILED. The common one-byte head is decoded inline; longer heads go through readHead.
   */
  private head(major: number, what: string, allowIndefinite: boolean): number {
    if (this.error !== undefined) return FAILED;
    const p = this.pos;
    if (p >= this.end) return this.fail('TRUNCATED', `input ends before ${what}`, p);
    const ib = this.bytes[p] as number;
    if (ib >> 5 !== major) {
      return this.fail('CBOR_MALFORMED', `expected ${MAJOR_NAMES[major] ?? '?'} for ${what}, found ${MAJOR_NAMES[ib >> 5] ?? '?'}`, p);
    }
    if ((ib & 0x1f) < 24) {
      this.pos = p + 1;
      return ib & 0x1f;
    }
    const h = readHead(this.bytes, p, this.end);
    if (h === 'need-more') return this.fail('TRUNCATED', `input ends inside the head of ${what}`, p);
    if (h === 'ill-formed') return this.fail('CBOR_MALFORMED', `ill-formed CBOR head for ${what}`, p);
    if (h.value === -1) {
      if (!allowIndefinite) return this.fail('UNSUPPORTED', `indefinite length is not accepted for ${what}`, p);
      this.pos = h.end;
      return INDEFINITE;
    }
    if (h.value === -2) return this.fail('LIMIT_EXCEEDED', `${what} is above 2^53-1`, p);
    this.pos = h.end;
    return h.value;
  }

  /** An unsigned integer (major type 0), any encoded width, ≤ 2^53-1. */
  uint(what: string): number {
    if (this.error === undefined && this.pos < this.end) {
      const ib = this.bytes[this.pos] as number;
      if (ib < 24) {
        this.pos++;
        return ib;
      }
    }
    return this.head(MAJOR_UINT, what, false);
  }

  /** Head of a definite-length array: its item count; with `allowIndefinite`, INDEFINITE for 0x9f. */
  arrayHead(what: string, allowIndefinite = false): number {
    const n = this.head(MAJOR_ARRAY, what, allowIndefinite);
    if (n > this.end - this.pos) return this.fail('TRUNCATED', `${what} announces ${n} items, more than the input holds`);
    return n;
  }

  /** Head of a definite-length byte string: its length, checked against the input. Content starts at `pos`. */
  bytesHead(what: string): number {
    const start = this.pos;
    const n = this.head(MAJOR_BYTES, what, false);
    if (n > this.end - this.pos) return this.fail('TRUNCATED', `${what} announces ${n} bytes, more than the input holds`, start);
    return n;
  }

  /** A definite-length byte string as a view into the input (not a copy). */
  byteString(what: string): Uint8Array | undefined {
    const n = this.bytesHead(what);
    if (n < 0) return undefined;
    const start = this.pos;
    this.pos = start + n;
    return this.bytes.subarray(start, start + n);
  }

  /** Head of a definite-length text string: its length in bytes, checked against the input. */
  textHead(what: string): number {
    const start = this.pos;
    const n = this.head(MAJOR_TEXT, what, false);
    if (n > this.end - this.pos) return this.fail('TRUNCATED', `${what} announces ${n} bytes, more than the input holds`, start);
    return n;
  }

  /** A definite-length text string, strictly UTF-8 (RFC 8949 §3.1 major type 3). */
  text(what: string): string | undefined {
    const n = this.textHead(what);
    if (n < 0) return undefined;
    const start = this.pos;
    const s = decodeUtf8(this.bytes, start, start + n);
    if (s === undefined) {
      this.fail('CBOR_MALFORMED', `${what} is not valid UTF-8`, start);
      return undefined;
    }
    this.pos = start + n;
    return s;
  }

  /** false or true (simple values 20 and 21). */
  bool(what: string): boolean | undefined {
    if (this.error !== undefined) return undefined;
    const b = this.peekByte();
    if (b === FALSE || b === TRUE) {
      this.pos++;
      return b === TRUE;
    }
    if (b === FAILED) this.fail('TRUNCATED', `input ends before ${what}`);
    else this.fail('CBOR_MALFORMED', `expected a boolean for ${what}`);
    return undefined;
  }

  /** True when the next byte is the break stop code (RFC 8949 §3.2.1). */
  atBreak(): boolean {
    return this.error === undefined && this.pos < this.end && this.bytes[this.pos] === BREAK;
  }

  /** Consumes the break stop code that ends an indefinite-length item. */
  readBreak(what: string): boolean {
    if (this.atBreak()) {
      this.pos++;
      return true;
    }
    if (this.error === undefined) {
      if (this.pos >= this.end) this.fail('TRUNCATED', `input ends before the break that closes ${what}`);
      else this.fail('CBOR_MALFORMED', `expected the break that closes ${what}`);
    }
    return false;
  }

  /** Fails with TRAILING_BYTES unless the whole input has been read. */
  expectEnd(what: string): boolean {
    if (this.error !== undefined) return false;
    if (this.pos === this.end) return true;
    this.fail('TRAILING_BYTES', `${this.end - this.pos} bytes follow ${what}`);
    return false;
  }

  /**
   * Skips one complete data item, checking it is well-formed and inside the subset Farside accepts for
   * generic values: nesting ≤ LIMITS.cborMaxDepth, ≤ LIMITS.cborMaxItems items per array or map,
   * text strings valid UTF-8, and no tags, indefinite-length strings or simple values other than
   * false/true/null/undefined (RFC 9171 structures use none of them; refusing them keeps decoders such
   * as cbor-x from doing anything surprising with hostile input). Returns false on failure.
   */
  skip(what: string, depth = 0): boolean {
    if (this.error !== undefined) return false;
    const p = this.pos;
    if (p >= this.end) return this.stop('TRUNCATED', `input ends inside ${what}`, p);
    const h = readHead(this.bytes, p, this.end);
    if (h === 'need-more') return this.stop('TRUNCATED', `input ends inside ${what}`, p);
    if (h === 'ill-formed') return this.stop('CBOR_MALFORMED', `ill-formed CBOR head in ${what}`, p);
    this.pos = h.end;
    switch (h.major) {
      case MAJOR_UINT:
      case MAJOR_NEGINT:
        if (h.info === 27) this.sawWideInteger = true;
        return true;
      case MAJOR_BYTES:
      case MAJOR_TEXT: {
        if (h.value === -1) return this.stop('UNSUPPORTED', `indefinite-length string in ${what}`, p);
        if (h.value === -2 || h.value > this.end - this.pos) return this.stop('TRUNCATED', `string in ${what} runs past the input`, p);
        const start = this.pos;
        this.pos += h.value;
        if (h.major === MAJOR_TEXT && !isValidUtf8(this.bytes, start, this.pos)) {
          return this.stop('CBOR_MALFORMED', `text string in ${what} is not valid UTF-8`, start);
        }
        return true;
      }
      case MAJOR_ARRAY:
      case MAJOR_MAP: {
        if (depth >= LIMITS.cborMaxDepth) {
          return this.stop('LIMIT_EXCEEDED', `${what} nests deeper than ${LIMITS.cborMaxDepth}`, p);
        }
        const perEntry = h.major === MAJOR_MAP ? 2 : 1;
        if (h.value === -1) {
          let n = 0;
          while (!this.atBreak()) {
            if (this.error !== undefined) return false;
            if (++n > LIMITS.cborMaxItems) {
              return this.stop('LIMIT_EXCEEDED', `${what} has more than ${LIMITS.cborMaxItems} items in one container`, p);
            }
            for (let k = 0; k < perEntry; k++) if (!this.skip(what, depth + 1)) return false;
          }
          return this.readBreak(what);
        }
        if (h.value === -2 || h.value > LIMITS.cborMaxItems) {
          return this.stop('LIMIT_EXCEEDED', `${what} has more than ${LIMITS.cborMaxItems} items in one container`, p);
        }
        if (h.value * perEntry > this.end - this.pos) {
          return this.stop('TRUNCATED', `container in ${what} announces more items than the input holds`, p);
        }
        for (let i = h.value * perEntry; i > 0; i--) if (!this.skip(what, depth + 1)) return false;
        return true;
      }
      case MAJOR_TAG:
        return this.stop('UNSUPPORTED', `CBOR tags are not accepted (in ${what})`, p);
      default: {
        // Major type 7: floats (info 25..27) and false/true/null/undefined; a bare break is ill-formed.
        if (h.info >= 25 && h.info <= 27) return true;
        if (h.info >= 20 && h.info <= 23) return true;
        if (h.info === 31) return this.stop('CBOR_MALFORMED', `unexpected break in ${what}`, p);
        return this.stop('UNSUPPORTED', `simple value ${h.value} is not accepted (in ${what})`, p);
      }
    }
  }

  /** The error as a plain FarsideError (for building an Err), or a generic one if none was recorded. */
  takeError(): FarsideError {
    return this.error ?? { code: 'INTERNAL', message: 'reader failed without an error' };
  }
}
