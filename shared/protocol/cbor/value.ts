/**
 * Generic CBOR values (RFC 8949): the one wrapper around cbor-x. Bundle structure and EIDs use the
 * hand-written reader (reader.ts) instead; this is for CBOR whose shape is open, where speed matters less.
 *
 * cbor-x is fenced in three ways so that hostile input cannot make it do anything surprising:
 * 1. Before cbor-x sees the bytes, CborReader.skip() checks that they hold exactly one well-formed item
 *    inside LIMITS (depth, items per container) and inside the subset we accept: no tags (so none of
 *    cbor-x's tag extensions, records, structured clone, shared/packed values or Dates can trigger),
 *    no indefinite-length strings, no simple values beyond false/true/null/undefined, valid UTF-8.
 * 2. The decoder and encoder are configured without records, packing, structured clone, bundled
 *    strings or typed-array tags; maps decode as Map; byte strings decode as plain Uint8Array views.
 * 3. Every call is wrapped: no cbor-x exception escapes; failures are Result errors.
 */
import { Decoder, Encoder } from 'cbor-x';
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../limits';
import { CborReader } from './reader';

/** What a generic CBOR item decodes to and what may be encoded. */
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | undefined
  | Uint8Array
  | readonly CborValue[]
  | ReadonlyMap<CborValue, CborValue>;

const CBORX_OPTIONS = {
  useRecords: false,
  mapsAsObjects: false,
  structuredClone: false,
  bundleStrings: false,
  pack: false,
  tagUint8Array: false,
  copyBuffers: false,
  useFloat32: 0,
  variableMapSize: true,
  largeBigIntToFloat: false,
  useSelfDescribedHeader: false,
} as const;

const decoder = new Decoder(CBORX_OPTIONS);
const encoder = new Encoder(CBORX_OPTIONS);

const TWO_32 = 0x1_0000_0000;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_64 = 1n << 64n;

export interface CborDecoded {
  readonly value: CborValue;
  /** Offset just past the item. */
  readonly end: number;
}

/**
 * Decodes the one CBOR item at bytes[offset…] and returns it with the offset after it (for items
 * embedded in a larger structure or a CBOR sequence). Byte strings are views into `bytes`.
 * Integers are numbers up to 2^53-1 and bigints beyond.
 */
export function decodeCborItem(bytes: Uint8Array, offset = 0, end: number = bytes.length): Result<CborDecoded> {
  const reader = new CborReader(bytes, offset, end);
  if (!reader.skip('CBOR item')) return { ok: false, error: reader.takeError() };
  // A fresh view: cbor-x caches a DataView as a property on the array it is given, and returns byte
  // strings as subarrays of it (so they are plain Uint8Array even when the caller passed a Buffer).
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset + offset, reader.pos - offset);
  let decoded: unknown;
  try {
    decoded = decoder.decode(view);
  } catch (e) {
    return err('CBOR_MALFORMED', `CBOR decoder rejected the item: ${e instanceof Error ? e.message : String(e)}`, offset);
  }
  const value = reader.sawWideInteger ? narrowIntegers(decoded) : (decoded as CborValue);
  return ok({ value, end: reader.pos });
}

/** Decodes `bytes`, which must hold exactly one CBOR item (TRAILING_BYTES otherwise). */
export function decodeCborValue(bytes: Uint8Array): Result<CborValue> {
  const r = decodeCborItem(bytes);
  if (!r.ok) return r;
  if (r.value.end !== bytes.length) return err('TRAILING_BYTES', `${bytes.length - r.value.end} bytes follow the CBOR item`, r.value.end);
  return ok(r.value.value);
}

/** An item encoded in 8 bytes decodes as a bigint in cbor-x; numbers are the contract up to 2^53-1. */
function narrowIntegers(v: unknown): CborValue {
  if (typeof v === 'bigint') return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
  if (Array.isArray(v)) return v.map(narrowIntegers);
  if (v instanceof Map) {
    const m = new Map<CborValue, CborValue>();
    for (const [k, x] of v) m.set(narrowIntegers(k), narrowIntegers(x));
    return m;
  }
  return v as CborValue;
}

/**
 * Encodes a value in preferred serialisation (shortest integer heads, RFC 8949 §4.2.1): integers of
 * magnitude ≥ 2^32 are handed to cbor-x as bigints (it would write float64 for such numbers) and small
 * bigints as numbers (it would write 8 bytes for them). Other numbers (fractions, beyond 2^53, NaN,
 * ±Infinity) are float64; -0 is written as the integer 0. Returns
 * INVALID_ARGUMENT for what CBOR without tags cannot carry: objects other than Uint8Array/arrays/Maps,
 * integers beyond 64 bits, nesting or sizes past LIMITS.
 */
export function encodeCborValue(value: CborValue): Result<Uint8Array> {
  const prepared = prepare(value, 0);
  if (typeof prepared === 'string') return err('INVALID_ARGUMENT', prepared);
  let encoded: unknown;
  try {
    encoded = encoder.encode(prepared.v);
  } catch (e) {
    return err('INVALID_ARGUMENT', `CBOR encoder rejected the value: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!(encoded instanceof Uint8Array)) return err('INTERNAL', 'CBOR encoder returned no bytes');
  // cbor-x returns a Buffer that may share a reusable pool; hand out an independent plain Uint8Array.
  const out = new Uint8Array(encoded.length);
  out.set(encoded);
  return ok(out);
}

/** Checks a value and rewrites integers as described at encodeCborValue; a string is the problem. */
function prepare(v: unknown, depth: number): { v: unknown } | string {
  switch (typeof v) {
    case 'number':
      // Integers beyond 2^53 are not known exactly as numbers: they stay float64, like other non-safe values.
      return Number.isSafeInteger(v) && (v >= TWO_32 || v < -TWO_32) ? { v: BigInt(v) } : { v };
    case 'bigint':
      // -2^64 itself is valid CBOR (3b ffffffffffffffff) but cbor-x writes it as a tag-3 bignum.
      if (v >= TWO_64 || v <= -TWO_64) return `integer ${v} is outside (-2^64, 2^64)`;
      return v < BigInt(TWO_32) && v >= -BigInt(TWO_32) ? { v: Number(v) } : { v };
    case 'string':
    case 'boolean':
    case 'undefined':
      return { v };
    case 'object':
      break;
    default:
      return `a ${typeof v} cannot be encoded as CBOR`;
  }
  if (v === null || v instanceof Uint8Array) return { v };
  if (depth >= LIMITS.cborMaxDepth) return `value nests deeper than ${LIMITS.cborMaxDepth}`;
  if (Array.isArray(v)) {
    if (v.length > LIMITS.cborMaxItems) return `array has more than ${LIMITS.cborMaxItems} items`;
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const p = prepare(v[i], depth + 1);
      if (typeof p === 'string') return p;
      if (p.v !== v[i]) copy ??= v.slice();
      if (copy) copy[i] = p.v;
    }
    return { v: copy ?? v };
  }
  if (v instanceof Map) {
    if (v.size > LIMITS.cborMaxItems) return `map has more than ${LIMITS.cborMaxItems} entries`;
    const m = new Map<unknown, unknown>();
    for (const [k, x] of v) {
      const pk = prepare(k, depth + 1);
      if (typeof pk === 'string') return pk;
      const px = prepare(x, depth + 1);
      if (typeof px === 'string') return px;
      m.set(pk.v, px.v);
    }
    return { v: m };
  }
  return 'only numbers, bigints, strings, booleans, null, undefined, Uint8Array, arrays and Maps can be encoded';
}
