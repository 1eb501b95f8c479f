/**
 * Bundle encode/decode (RFC 9171 §4.1; protocols.md §3.1): an indefinite-length CBOR array (0x9f) of
 * the primary block and the canonical blocks, closed by a break (0xff). Decoding is structural
 * (validate.ts judges the result) and copies nothing: block data and the payload are views into the
 * input. Encoding writes shortest-form integers; for large payloads encodeBundleParts() writes only the
 * bytes around the payload and computes the payload block's CRC where the payload lies.
 *
 * CRC policy: every block CRC is verified on decode. By default a mismatch fails the decode with
 * CRC_MISMATCH (what a BPA needs: RFC 9171 §4.2.2 bundles with damaged blocks are discarded); with
 * `requireValidCrc: false` the decode succeeds and `crcOk` (per block and overall) reports the verdict
 * (what `farside bundle decode` prints).
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { AI_INDEFINITE, MAJOR_ARRAY, MAJOR_UINT } from '../cbor/header';
import { CborReader } from '../cbor/reader';
import { allocateOutput } from '../cbor/pool';
import { writeBreak, writeIndefiniteArray } from '../cbor/writer';
import { LIMITS } from '../limits';
import {
  canonicalBlockSizeOrProblem,
  canonicalTailSize,
  readCanonicalBlock,
  writeCanonicalBlock,
  writeCanonicalBlockHead,
  writeCanonicalBlockTail,
} from './canonical';
import { CRC_NONE, crc32cOf, crcUpdate, verifyBlockCrc } from './crc';
import type { CodecOptions } from './crc';
import { primaryBlockSizeOrProblem, readPrimaryBlock, writePrimaryBlock } from './primary';
import type { Bundle, CanonicalBlock, DecodedBlock, PrimaryBlock } from './types';
import { PAYLOAD_BLOCK_TYPE } from './types';

export interface DecodeOptions extends CodecOptions {
  /** Default true: a CRC mismatch fails the decode (CRC_MISMATCH). false: decode and report crcOk. */
  readonly requireValidCrc?: boolean;
}

export interface DecodedBundle {
  readonly bundle: Bundle;
  /** The primary block with its offset, length and CRC verdict. */
  readonly primary: DecodedBlock<PrimaryBlock>;
  /** The canonical blocks in wire order (same order as bundle.blocks), with offsets, lengths, CRC verdicts. */
  readonly blocks: readonly DecodedBlock<CanonicalBlock>[];
  /** True when every block CRC present matched. */
  readonly crcOk: boolean;
  /** Bytes the bundle occupies from the start of the input (0x9f … 0xff). */
  readonly length: number;
}

const INDEFINITE_ARRAY = (MAJOR_ARRAY << 5) | AI_INDEFINITE; // 0x9f

/** Decodes one bundle that fills `bytes` exactly (TRAILING_BYTES otherwise). */
export function decodeBundle(bytes: Uint8Array, opts?: DecodeOptions): Result<DecodedBundle> {
  if (bytes.length > LIMITS.bundleMaxBytes) {
    return err('LIMIT_EXCEEDED', `bundle of ${bytes.length} bytes exceeds LIMITS.bundleMaxBytes (${LIMITS.bundleMaxBytes})`, 0);
  }
  return decodeAt(bytes, opts, true);
}

/**
 * Decodes the bundle at the start of `bytes` and ignores what follows it; `length` says how many bytes
 * it took (for streams that carry bundles back to back).
 */
export function decodeBundlePrefix(bytes: Uint8Array, opts?: DecodeOptions): Result<DecodedBundle> {
  return decodeAt(bytes, opts, false);
}

function decodeAt(bytes: Uint8Array, opts: DecodeOptions | undefined, exact: boolean): Result<DecodedBundle> {
  if (bytes.length === 0) return err('TRUNCATED', 'empty input: no bundle', 0);
  const first = bytes[0] as number;
  if (first !== INDEFINITE_ARRAY) return notABundle(first);
  const crc32c = crc32cOf(opts);
  const requireCrc = opts?.requireValidCrc !== false;
  const r = new CborReader(bytes, 1);

  const primaryBlock = readPrimaryBlock(r);
  if (primaryBlock === undefined) return { ok: false, error: r.takeError() };
  const primary: DecodedBlock<PrimaryBlock> = {
    block: primaryBlock,
    offset: 1,
    length: r.pos - 1,
    crcOk: verifyBlockCrc(primaryBlock.crcType, bytes, 1, r.pos, crc32c),
  };
  if (requireCrc && !primary.crcOk) return crcMismatch('the primary block', primaryBlock.crcType, 1);
  let crcOk = primary.crcOk;

  const blocks: CanonicalBlock[] = [];
  const decoded: DecodedBlock<CanonicalBlock>[] = [];
  while (!r.atBreak()) {
    if (r.atEnd) return err('TRUNCATED', 'input ends before the break (0xff) that closes the bundle (RFC 9171 §4.1)', r.pos);
    if (blocks.length >= LIMITS.bundleMaxBlocks) {
      return err('LIMIT_EXCEEDED', `bundle has more than LIMITS.bundleMaxBlocks (${LIMITS.bundleMaxBlocks}) canonical blocks`, r.pos);
    }
    const start = r.pos;
    const block = readCanonicalBlock(r);
    if (block === undefined) return { ok: false, error: r.takeError() };
    const blockCrcOk = verifyBlockCrc(block.crcType, bytes, start, r.pos, crc32c);
    if (requireCrc && !blockCrcOk) return crcMismatch(`block ${block.number} (type ${block.type})`, block.crcType, start);
    crcOk &&= blockCrcOk;
    blocks.push(block);
    decoded.push({ block, offset: start, length: r.pos - start, crcOk: blockCrcOk });
  }
  r.pos++; // the break
  if (exact && r.pos !== bytes.length) return err('TRAILING_BYTES', `${bytes.length - r.pos} bytes follow the bundle's closing break`, r.pos);
  if (r.pos > LIMITS.bundleMaxBytes) {
    return err('LIMIT_EXCEEDED', `bundle of ${r.pos} bytes exceeds LIMITS.bundleMaxBytes (${LIMITS.bundleMaxBytes})`, 0);
  }
  return ok({ bundle: { primary: primaryBlock, blocks }, primary, blocks: decoded, crcOk, length: r.pos });
}

function crcMismatch(what: string, crcType: number, offset: number): Result<never> {
  return err('CRC_MISMATCH', `${crcType === 1 ? 'CRC-16' : 'CRC-32C'} of ${what} does not match (RFC 9171 §4.2.2)`, offset);
}

/** Why the first byte rules out a BPv7 bundle. */
function notABundle(first: number): Result<never> {
  const major = first >> 5;
  const info = first & 0x1f;
  if (major === MAJOR_UINT && info >= 4 && info <= 6) {
    // RFC 5050 (BPv6) and its predecessors start with a version byte (protocols.md §3; the BPv6 vector).
    return err('UNSUPPORTED', `bundle protocol version ${info}${info === 6 ? ' (RFC 5050)' : ''} is not supported; Farside speaks BPv7 (RFC 9171)`, 0);
  }
  if (major === MAJOR_ARRAY) {
    return err('MALFORMED', 'a bundle is an indefinite-length CBOR array (RFC 9171 §4.1); this one has a definite length (uD3TN drops these too)', 0);
  }
  return err('MALFORMED', `not a BPv7 bundle: expected 0x9f (indefinite-length array, RFC 9171 §4.1), found 0x${first.toString(16).padStart(2, '0')}`, 0);
}

// ---- encoding ----

interface Measured {
  readonly total: number;
  readonly primary: number;
  readonly blocks: readonly number[];
}

function measure(bundle: Bundle): Measured | string {
  if (bundle.blocks.length > LIMITS.bundleMaxBlocks) return `bundle has more than LIMITS.bundleMaxBlocks (${LIMITS.bundleMaxBlocks}) canonical blocks`;
  const primary = primaryBlockSizeOrProblem(bundle.primary);
  if (typeof primary === 'string') return primary;
  let total = 2 + primary; // 0x9f … 0xff
  const blocks: number[] = new Array<number>(bundle.blocks.length);
  for (let i = 0; i < bundle.blocks.length; i++) {
    const s = canonicalBlockSizeOrProblem(bundle.blocks[i] as CanonicalBlock);
    if (typeof s === 'string') return s;
    blocks[i] = s;
    total += s;
  }
  return { total, primary, blocks };
}

/** Encoded size of a bundle, or INVALID_ARGUMENT saying what cannot be encoded. */
export function checkEncodable(bundle: Bundle): Result<number> {
  const m = measure(bundle);
  return typeof m === 'string' ? err('INVALID_ARGUMENT', m) : ok(m.total);
}

function measured(bundle: Bundle): Measured {
  const m = measure(bundle);
  // Programmer error: bundles are built from validated parts (parseEid, isUint); see checkEncodable().
  if (typeof m === 'string') throw new RangeError(`bundle cannot be encoded: ${m}`);
  return m;
}

/**
 * Encoded size of a bundle without encoding it. Throws RangeError for a bundle that cannot be encoded
 * at all (an invalid EID, a negative or fractional number): use checkEncodable() for untrusted input.
 */
export function encodedBundleSize(bundle: Bundle): number {
  return measured(bundle).total;
}

/**
 * Encodes a bundle into one new buffer (shortest-form integers, CRCs computed as §4.2.2 says).
 * Small results may share a slab with other outputs (cbor/pool.ts): use byteOffset/byteLength.
 * Throws RangeError for a bundle that cannot be encoded; see encodedBundleSize.
 */
export function encodeBundle(bundle: Bundle, opts?: CodecOptions): Uint8Array {
  const m = measured(bundle);
  const out = allocateOutput(m.total);
  write(bundle, out, 0, opts);
  return out;
}

/**
 * Encodes a bundle into a caller's buffer at `offset` (e.g. after a CLA frame header) and returns the
 * offset after it; INVALID_ARGUMENT when the bundle cannot be encoded or does not fit.
 */
export function encodeBundleInto(bundle: Bundle, out: Uint8Array, offset: number, opts?: CodecOptions): Result<number> {
  const m = measure(bundle);
  if (typeof m === 'string') return err('INVALID_ARGUMENT', m);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + m.total > out.length) {
    return err('INVALID_ARGUMENT', `bundle of ${m.total} bytes does not fit at offset ${offset} of a ${out.length}-byte buffer`);
  }
  return ok(write(bundle, out, offset, opts));
}

function write(bundle: Bundle, out: Uint8Array, offset: number, opts: CodecOptions | undefined): number {
  const crc32c = crc32cOf(opts);
  let o = writeIndefiniteArray(out, offset);
  o = writePrimaryBlock(out, o, bundle.primary, crc32c);
  for (const b of bundle.blocks) o = writeCanonicalBlock(out, o, b, crc32c);
  return writeBreak(out, o);
}

/**
 * Encodes a bundle as parts whose concatenation is encodeBundle()'s output, without copying the data
 * of its last block (the payload): [everything up to the payload data, the payload view itself,
 * payload CRC item (if any) + break]. The payload block's CRC runs over the three pieces where they
 * lie. A bundle without canonical blocks is one part. Throws RangeError like encodeBundle.
 */
export function encodeBundleParts(bundle: Bundle, opts?: CodecOptions): Uint8Array[] {
  const last = bundle.blocks[bundle.blocks.length - 1];
  if (last === undefined) return [encodeBundle(bundle, opts)];
  const m = measured(bundle);
  const crc32c = crc32cOf(opts);
  const tail = canonicalTailSize(last.crcType);
  const head = allocateOutput(m.total - last.data.length - tail - 1);
  let o = writeIndefiniteArray(head, 0);
  o = writePrimaryBlock(head, o, bundle.primary, crc32c);
  for (let i = 0; i < bundle.blocks.length - 1; i++) o = writeCanonicalBlock(head, o, bundle.blocks[i] as CanonicalBlock, crc32c);
  const lastStart = o;
  writeCanonicalBlockHead(head, o, last);
  const end = allocateOutput(tail + 1);
  if (last.crcType !== CRC_NONE) {
    const crc = crcUpdate(last.crcType, last.data, crcUpdate(last.crcType, head.subarray(lastStart), 0, crc32c), crc32c);
    writeCanonicalBlockTail(end, 0, last.crcType, crc, crc32c);
  }
  writeBreak(end, tail);
  return [head, last.data, end];
}

/** The payload block: the last block when it has type 1 (RFC 9171 §4.1 puts it last), else undefined. */
export function payloadBlockOf(bundle: Bundle): CanonicalBlock | undefined {
  const last = bundle.blocks[bundle.blocks.length - 1];
  return last !== undefined && last.type === PAYLOAD_BLOCK_TYPE ? last : undefined;
}
