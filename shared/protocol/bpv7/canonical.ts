/**
 * Canonical bundle blocks (RFC 9171 §4.3.2; protocols.md §3.3): the payload block and every extension
 * block. CANONICAL_BLOCK_LAYOUT describes the wire layout once; size, encoding (whole, or split around
 * the data for gather writes) and decoding are derived from it. Block-type-specific data is carried as
 * bytes whatever the type, so unknown blocks pass through unchanged (design.md principle 5).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { headSize } from '../cbor/header';
import { CborReader, FAILED } from '../cbor/reader';
import { isUint, writeArrayHead, writeBytesHead, writeUint } from '../cbor/writer';
import { CRC_NONE, crc32cOf, crcUpdate, crcValueLength, verifyBlockCrc, writeCrcValue } from './crc';
import type { CodecOptions, Crc32cFn } from './crc';
import type { CanonicalBlock, CrcType, DecodedBlock } from './types';

/** Decoded values on their way into a CanonicalBlock. */
interface Draft {
  type: number;
  number: number;
  flags: number;
  crcType: number;
  data: Uint8Array;
}

interface FieldBase {
  readonly name: string;
  readonly present: (crcType: number) => boolean;
}
type CanonicalField =
  | (FieldBase & { readonly kind: 'uint'; readonly get: (b: CanonicalBlock) => number; readonly set: (d: Draft, v: number) => void })
  | (FieldBase & { readonly kind: 'data' })
  | (FieldBase & { readonly kind: 'crc' });

const always = (): boolean => true;

/** RFC 9171 §4.3.2: a definite-length array of these items, in this order, each present when `present`. */
export const CANONICAL_BLOCK_LAYOUT: readonly CanonicalField[] = [
  { name: 'block type code', kind: 'uint', present: always, get: (b) => b.type, set: (d, v) => (d.type = v) },
  { name: 'block number', kind: 'uint', present: always, get: (b) => b.number, set: (d, v) => (d.number = v) },
  { name: 'block processing control flags', kind: 'uint', present: always, get: (b) => b.flags, set: (d, v) => (d.flags = v) },
  { name: 'CRC type', kind: 'uint', present: always, get: (b) => b.crcType, set: (d, v) => (d.crcType = v) },
  { name: 'block-type-specific data', kind: 'data', present: always },
  { name: 'CRC', kind: 'crc', present: (crcType) => crcType !== CRC_NONE },
];

/** The CRC type (field 4) fixes the shape; the item count is checked right after it. */
const SHAPE_FIELDS = 4;

const EMPTY = new Uint8Array(0);

/** Item count of a canonical block with this CRC type: 5 or 6 (§4.3.2). */
export function canonicalItemCount(crcType: number): number {
  let n = 0;
  for (const f of CANONICAL_BLOCK_LAYOUT) if (f.present(crcType)) n++;
  return n;
}

// ---- size and encoding ----

/** Encoded size of a canonical block, or a string saying why it cannot be encoded. */
export function canonicalBlockSizeOrProblem(b: CanonicalBlock): number | string {
  if (b.crcType !== 0 && b.crcType !== 1 && b.crcType !== 2) return `block ${String(b.number)}: CRC type must be 0, 1 or 2 (RFC 9171 §4.2.1)`;
  if (!(b.data instanceof Uint8Array)) return `block ${String(b.number)}: data must be a Uint8Array`;
  let size = 0;
  let items = 0;
  for (const f of CANONICAL_BLOCK_LAYOUT) {
    if (!f.present(b.crcType)) continue;
    items++;
    switch (f.kind) {
      case 'uint': {
        const v = f.get(b);
        if (!isUint(v)) return `block ${String(b.number)}: ${f.name} must be an integer in 0..2^53-1`;
        size += headSize(v);
        break;
      }
      case 'data':
        size += headSize(b.data.length) + b.data.length;
        break;
      case 'crc':
        size += 1 + crcValueLength(b.crcType);
        break;
    }
  }
  return headSize(items) + size;
}

/** Encoded size of a canonical block, or INVALID_ARGUMENT. */
export function canonicalBlockSize(b: CanonicalBlock): Result<number> {
  const s = canonicalBlockSizeOrProblem(b);
  return typeof s === 'number' ? ok(s) : err('INVALID_ARGUMENT', s);
}

/** Bytes after the data: the CRC item (head + value), or nothing. */
export function canonicalTailSize(crcType: CrcType): number {
  return crcType === CRC_NONE ? 0 : 1 + crcValueLength(crcType);
}

/**
 * Writes everything of a block that precedes its data bytes: the array head, the fields before the
 * data and the data's byte-string head. Returns the offset where the data goes.
 */
export function writeCanonicalBlockHead(out: Uint8Array, offset: number, b: CanonicalBlock): number {
  let o = writeArrayHead(out, offset, canonicalItemCount(b.crcType));
  for (const f of CANONICAL_BLOCK_LAYOUT) {
    if (f.kind === 'data') return writeBytesHead(out, o, b.data.length);
    if (f.kind === 'uint') o = writeUint(out, o, f.get(b));
  }
  return o;
}

/**
 * Writes the CRC item (head and zeroed value) at `offset` and returns the offset after it; `crc` is
 * the running CRC of the block up to `offset`. The value is computed over the item with zeroed value
 * bytes (§4.2.2, erratum 8043) and stored big-endian. No-op for CRC type 0.
 */
export function writeCanonicalBlockTail(out: Uint8Array, offset: number, crcType: CrcType, crc: number, crc32c: Crc32cFn): number {
  if (crcType === CRC_NONE) return offset;
  const n = crcValueLength(crcType);
  const o = writeBytesHead(out, offset, n);
  out.fill(0, o, o + n);
  writeCrcValue(crcType, out, o, crcUpdate(crcType, out.subarray(offset, o + n), crc, crc32c));
  return o + n;
}

/** Writes a whole block that canonicalBlockSizeOrProblem() accepted, CRC included; returns the offset after it. */
export function writeCanonicalBlock(out: Uint8Array, offset: number, b: CanonicalBlock, crc32c: Crc32cFn): number {
  let o = writeCanonicalBlockHead(out, offset, b);
  out.set(b.data, o);
  o += b.data.length;
  if (b.crcType === CRC_NONE) return o;
  return writeCanonicalBlockTail(out, o, b.crcType, crcUpdate(b.crcType, out.subarray(offset, o), 0, crc32c), crc32c);
}

/** A canonical block on its own; INVALID_ARGUMENT for what cannot be encoded. */
export function encodeCanonicalBlock(b: CanonicalBlock, opts?: CodecOptions): Result<Uint8Array> {
  const size = canonicalBlockSize(b);
  if (!size.ok) return size;
  const out = new Uint8Array(size.value);
  writeCanonicalBlock(out, 0, b, crc32cOf(opts));
  return ok(out);
}

// ---- decoding ----

/**
 * Reads a canonical block at the reader's position, or returns undefined with the reader's error set.
 * The data is a view into the input. Structural only: CRC type other than 0..2 or an item count that
 * disagrees with it is MALFORMED; the CRC is checked by the caller (verifyBlockCrc) over the block's span.
 */
export function readCanonicalBlock(r: CborReader): CanonicalBlock | undefined {
  const start = r.pos;
  const items = r.arrayHead('canonical block');
  if (items === FAILED) return undefined;
  if (items !== 5 && items !== 6) {
    r.fail('MALFORMED', `canonical block has ${items} items; RFC 9171 §4.3.2 allows 5 or 6`, start);
    return undefined;
  }
  const d: Draft = { type: 0, number: 0, flags: 0, crcType: 0, data: EMPTY };
  for (let i = 0; i < CANONICAL_BLOCK_LAYOUT.length; i++) {
    const f = CANONICAL_BLOCK_LAYOUT[i] as CanonicalField;
    if (i === SHAPE_FIELDS) {
      if (d.crcType > 2) {
        r.fail('MALFORMED', `block ${d.number}: CRC type ${d.crcType} is not defined (RFC 9171 §4.2.1: 0, 1 or 2)`, start);
        return undefined;
      }
      if (items !== canonicalItemCount(d.crcType)) {
        r.fail('MALFORMED', `block ${d.number} has ${items} items but CRC type ${d.crcType} calls for ${canonicalItemCount(d.crcType)} (RFC 9171 §4.3.2)`, start);
        return undefined;
      }
    }
    if (!f.present(d.crcType)) continue;
    switch (f.kind) {
      case 'uint': {
        const v = r.uint(`canonical block ${f.name}`);
        if (v === FAILED) return undefined;
        f.set(d, v);
        break;
      }
      case 'data': {
        const data = r.byteString(`block ${d.number} ${f.name}`);
        if (data === undefined) return undefined;
        d.data = data;
        break;
      }
      case 'crc': {
        const at = r.pos;
        const n = r.bytesHead(`block ${d.number} CRC`);
        if (n === FAILED) return undefined;
        if (n !== crcValueLength(d.crcType as CrcType)) {
          r.fail('MALFORMED', `block ${d.number}: a CRC of CRC type ${d.crcType} must be ${crcValueLength(d.crcType as CrcType)} bytes, not ${n}`, at);
          return undefined;
        }
        r.pos += n;
        break;
      }
    }
  }
  return { type: d.type, number: d.number, flags: d.flags, crcType: d.crcType as CrcType, data: d.data };
}

/** Decodes the canonical block at bytes[offset…] on its own; its data is a view into `bytes`. */
export function decodeCanonicalBlock(bytes: Uint8Array, offset = 0, opts?: CodecOptions): Result<DecodedBlock<CanonicalBlock>> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) return err('INVALID_ARGUMENT', `offset ${offset} is outside the input`);
  const r = new CborReader(bytes, offset);
  const block = readCanonicalBlock(r);
  if (block === undefined) return { ok: false, error: r.takeError() };
  return ok({ block, offset, length: r.pos - offset, crcOk: verifyBlockCrc(block.crcType, bytes, offset, r.pos, crc32cOf(opts)) });
}
