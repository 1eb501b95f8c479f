/**
 * The primary bundle block (RFC 9171 §4.3.1; protocols.md §3.2). PRIMARY_BLOCK_LAYOUT describes the
 * wire layout once; item count, size, encoding and decoding are all derived from it.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { headSize } from '../cbor/header';
import { CborReader, FAILED } from '../cbor/reader';
import { isUint, writeArrayHead, writeBytesHead, writeUint } from '../cbor/writer';
import { CRC_NONE, crc32cOf, crcUpdate, crcValueLength, verifyBlockCrc, writeCrcValue } from './crc';
import type { CodecOptions, Crc32cFn } from './crc';
import { DTN_NONE, eidProblem, eidSize, readEid, writeEid } from './eid';
import { BundleFlag, hasFlag } from './flags';
import type { CreationTimestamp, CrcType, DecodedBlock, Eid, PrimaryBlock } from './types';

/** Shape-determining inputs: fields 2 and 3 (flags, CRC type) decide which later fields exist. */
type Presence = (flags: number, crcType: number) => boolean;

const always: Presence = () => true;
const ifFragment: Presence = (flags) => hasFlag(flags, BundleFlag.IS_FRAGMENT);
const ifCrc: Presence = (_flags, crcType) => crcType !== CRC_NONE;

/** Decoded values on their way into a PrimaryBlock. */
interface Draft {
  version: number;
  flags: number;
  crcType: number;
  destination: Eid;
  source: Eid;
  reportTo: Eid;
  time: number;
  sequence: number;
  lifetime: number;
  fragmentOffset: number;
  totalAduLength: number;
}

interface FieldBase {
  /** Name used in error messages. */
  readonly name: string;
  readonly present: Presence;
}
type PrimaryField =
  | (FieldBase & { readonly kind: 'uint'; readonly get: (p: PrimaryBlock) => number | undefined; readonly set: (d: Draft, v: number) => void })
  | (FieldBase & { readonly kind: 'eid'; readonly get: (p: PrimaryBlock) => Eid; readonly set: (d: Draft, v: Eid) => void })
  | (FieldBase & { readonly kind: 'timestamp'; readonly get: (p: PrimaryBlock) => CreationTimestamp })
  | (FieldBase & { readonly kind: 'crc' });

/** RFC 9171 §4.3.1: a definite-length array of these items, in this order, each present when `present`. */
export const PRIMARY_BLOCK_LAYOUT: readonly PrimaryField[] = [
  { name: 'version', kind: 'uint', present: always, get: (p) => p.version, set: (d, v) => (d.version = v) },
  { name: 'bundle processing control flags', kind: 'uint', present: always, get: (p) => p.flags, set: (d, v) => (d.flags = v) },
  { name: 'CRC type', kind: 'uint', present: always, get: (p) => p.crcType, set: (d, v) => (d.crcType = v) },
  { name: 'destination EID', kind: 'eid', present: always, get: (p) => p.destination, set: (d, v) => (d.destination = v) },
  { name: 'source node ID', kind: 'eid', present: always, get: (p) => p.source, set: (d, v) => (d.source = v) },
  { name: 'report-to EID', kind: 'eid', present: always, get: (p) => p.reportTo, set: (d, v) => (d.reportTo = v) },
  { name: 'creation timestamp', kind: 'timestamp', present: always, get: (p) => p.creation },
  { name: 'lifetime', kind: 'uint', present: always, get: (p) => p.lifetime, set: (d, v) => (d.lifetime = v) },
  { name: 'fragment offset', kind: 'uint', present: ifFragment, get: (p) => p.fragment?.offset, set: (d, v) => (d.fragmentOffset = v) },
  {
    name: 'total application data unit length',
    kind: 'uint',
    present: ifFragment,
    get: (p) => p.fragment?.totalAduLength,
    set: (d, v) => (d.totalAduLength = v),
  },
  { name: 'CRC', kind: 'crc', present: ifCrc },
];

/** Fields 1..3 (version, flags, CRC type) fix the shape; the item count is checked right after them. */
const SHAPE_FIELDS = 3;

export const BP_VERSION = 7;

/** Item count of a primary block with these flags and CRC type: 8 to 11 (§4.3.1). */
export function primaryItemCount(flags: number, crcType: number): number {
  let n = 0;
  for (const f of PRIMARY_BLOCK_LAYOUT) if (f.present(flags, crcType)) n++;
  return n;
}

// ---- size and encoding ----

/**
 * Encoded size of a primary block, or a string saying why it cannot be encoded (INVALID_ARGUMENT
 * material: a value the wire format cannot carry, an invalid EID, or fragment fields that disagree
 * with the "is fragment" flag).
 */
export function primaryBlockSizeOrProblem(p: PrimaryBlock): number | string {
  if (p.version !== BP_VERSION) return `primary block version must be ${BP_VERSION}`;
  if (!isUint(p.flags)) return 'bundle processing control flags must be an integer in 0..2^53-1';
  if (p.crcType !== 0 && p.crcType !== 1 && p.crcType !== 2) return 'primary block CRC type must be 0, 1 or 2 (RFC 9171 §4.2.1)';
  if (ifFragment(p.flags, p.crcType) !== (p.fragment !== undefined)) {
    return 'fragment offset and total ADU length are present exactly when the "is fragment" flag is set (RFC 9171 §4.3.1)';
  }
  let size = 0;
  let items = 0;
  for (const f of PRIMARY_BLOCK_LAYOUT) {
    if (!f.present(p.flags, p.crcType)) continue;
    items++;
    switch (f.kind) {
      case 'uint': {
        const v = f.get(p);
        if (!isUint(v)) return `${f.name} must be an integer in 0..2^53-1`;
        size += headSize(v);
        break;
      }
      case 'eid': {
        const n = eidSize(f.get(p));
        if (n < 0) return `${f.name}: ${eidProblem(f.get(p)) ?? 'invalid EID'}`;
        size += n;
        break;
      }
      case 'timestamp': {
        const c = f.get(p);
        if (!isUint(c.time) || !isUint(c.sequence)) return 'creation timestamp time and sequence must be integers in 0..2^53-1';
        size += 1 + headSize(c.time) + headSize(c.sequence);
        break;
      }
      case 'crc':
        size += 1 + crcValueLength(p.crcType);
        break;
    }
  }
  return headSize(items) + size;
}

/** Encoded size of a primary block, or INVALID_ARGUMENT saying what cannot be encoded. */
export function primaryBlockSize(p: PrimaryBlock): Result<number> {
  const s = primaryBlockSizeOrProblem(p);
  return typeof s === 'number' ? ok(s) : err('INVALID_ARGUMENT', s);
}

/**
 * Writes a primary block that primaryBlockSizeOrProblem() accepted, its CRC included (computed over
 * the written block with zeroed value bytes, §4.2.2). Returns the offset after it.
 */
export function writePrimaryBlock(out: Uint8Array, offset: number, p: PrimaryBlock, crc32c: Crc32cFn): number {
  let o = writeArrayHead(out, offset, primaryItemCount(p.flags, p.crcType));
  for (const f of PRIMARY_BLOCK_LAYOUT) {
    if (!f.present(p.flags, p.crcType)) continue;
    switch (f.kind) {
      case 'uint':
        o = writeUint(out, o, f.get(p) as number);
        break;
      case 'eid':
        o = writeEid(out, o, f.get(p));
        break;
      case 'timestamp': {
        const c = f.get(p);
        out[o++] = 0x82;
        o = writeUint(out, o, c.time);
        o = writeUint(out, o, c.sequence);
        break;
      }
      case 'crc': {
        const n = crcValueLength(p.crcType);
        o = writeBytesHead(out, o, n);
        out.fill(0, o, o + n);
        o += n;
        writeCrcValue(p.crcType, out, o - n, crcUpdate(p.crcType, out.subarray(offset, o), 0, crc32c));
        break;
      }
    }
  }
  return o;
}

/** A primary block on its own (e.g. to hash a bundle ID); INVALID_ARGUMENT for what cannot be encoded. */
export function encodePrimaryBlock(p: PrimaryBlock, opts?: CodecOptions): Result<Uint8Array> {
  const size = primaryBlockSize(p);
  if (!size.ok) return size;
  const out = new Uint8Array(size.value);
  writePrimaryBlock(out, 0, p, crc32cOf(opts));
  return ok(out);
}

// ---- decoding ----

/**
 * Reads a primary block at the reader's position, or returns undefined with the reader's error set.
 * Structural only: BP version other than 7 is UNSUPPORTED, a CRC type other than 0..2 or an item
 * count that disagrees with the flags and CRC type is MALFORMED. The CRC is checked by the caller
 * (verifyBlockCrc) over the block's span.
 */
export function readPrimaryBlock(r: CborReader): PrimaryBlock | undefined {
  const start = r.pos;
  const items = r.arrayHead('primary block');
  if (items === FAILED) return undefined;
  if (items < 8 || items > 11) {
    r.fail('MALFORMED', `primary block has ${items} items; RFC 9171 §4.3.1 allows 8 to 11`, start);
    return undefined;
  }
  const d: Draft = {
    version: 0,
    flags: 0,
    crcType: 0,
    destination: DTN_NONE,
    source: DTN_NONE,
    reportTo: DTN_NONE,
    time: 0,
    sequence: 0,
    lifetime: 0,
    fragmentOffset: 0,
    totalAduLength: 0,
  };
  for (let i = 0; i < PRIMARY_BLOCK_LAYOUT.length; i++) {
    const f = PRIMARY_BLOCK_LAYOUT[i] as PrimaryField;
    if (i === SHAPE_FIELDS && !checkShape(r, d, items, start)) return undefined;
    if (!f.present(d.flags, d.crcType)) continue;
    switch (f.kind) {
      case 'uint': {
        const v = r.uint(`primary block ${f.name}`);
        if (v === FAILED) return undefined;
        f.set(d, v);
        if (i === 0 && v !== BP_VERSION) {
          r.fail('UNSUPPORTED', `bundle protocol version ${v} is not supported (Farside speaks BPv7, RFC 9171)`, start);
          return undefined;
        }
        break;
      }
      case 'eid': {
        const eid = readEid(r, f.name);
        if (eid === undefined) return undefined;
        f.set(d, eid);
        break;
      }
      case 'timestamp': {
        const at = r.pos;
        if (r.arrayHead('creation timestamp') !== 2) {
          if (r.error === undefined) r.fail('MALFORMED', 'creation timestamp must be [time, sequence number] (RFC 9171 §4.2.7)', at);
          return undefined;
        }
        d.time = r.uint('creation time');
        d.sequence = r.uint('creation sequence number');
        if (r.error !== undefined) return undefined;
        break;
      }
      case 'crc': {
        const at = r.pos;
        const n = r.bytesHead('primary block CRC');
        if (n === FAILED) return undefined;
        if (n !== crcValueLength(d.crcType as CrcType)) {
          r.fail('MALFORMED', `primary block CRC of CRC type ${d.crcType} must be ${crcValueLength(d.crcType as CrcType)} bytes, not ${n}`, at);
          return undefined;
        }
        r.pos += n;
        break;
      }
    }
  }
  const base = {
    version: BP_VERSION,
    flags: d.flags,
    crcType: d.crcType as CrcType,
    destination: d.destination,
    source: d.source,
    reportTo: d.reportTo,
    creation: { time: d.time, sequence: d.sequence },
    lifetime: d.lifetime,
  } as const;
  return ifFragment(d.flags, d.crcType) ? { ...base, fragment: { offset: d.fragmentOffset, totalAduLength: d.totalAduLength } } : base;
}

function checkShape(r: CborReader, d: Draft, items: number, start: number): boolean {
  if (d.crcType > 2) {
    r.fail('MALFORMED', `CRC type ${d.crcType} is not defined (RFC 9171 §4.2.1: 0, 1 or 2)`, start);
    return false;
  }
  const expected = primaryItemCount(d.flags, d.crcType);
  if (items !== expected) {
    r.fail('MALFORMED', `primary block has ${items} items but its flags and CRC type call for ${expected} (RFC 9171 §4.3.1)`, start);
    return false;
  }
  return true;
}

/** Decodes the primary block at bytes[offset…] on its own (e.g. to read a bundle ID cheaply). */
export function decodePrimaryBlock(bytes: Uint8Array, offset = 0, opts?: CodecOptions): Result<DecodedBlock<PrimaryBlock>> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) return err('INVALID_ARGUMENT', `offset ${offset} is outside the input`);
  const r = new CborReader(bytes, offset);
  const block = readPrimaryBlock(r);
  if (block === undefined) return { ok: false, error: r.takeError() };
  return ok({ block, offset, length: r.pos - offset, crcOk: verifyBlockCrc(block.crcType, bytes, offset, r.pos, crc32cOf(opts)) });
}
