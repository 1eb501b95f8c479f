/**
 * Block-type-specific data of the extension blocks RFC 9171 defines (§4.4; protocols.md §3.9). The data
 * is CBOR inside the block's byte string; each must hold exactly one item (TRAILING_BYTES otherwise).
 *
 * | type | block         | data                          | section |
 * |------|---------------|-------------------------------|---------|
 * | 6    | previous node | the forwarding node's node ID | §4.4.1  |
 * | 7    | bundle age    | uint, milliseconds            | §4.4.2  |
 * | 10   | hop count     | [hop limit, hop count]        | §4.4.3  |
 *
 * Other types (payload, BPSec, unknown) are not interpreted here and travel unchanged.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { CborReader, FAILED } from '../cbor/reader';
import { isUint, uintSize, writeUint } from '../cbor/writer';
import { decodeEid, encodeEid } from './eid';
import { BlockType } from './flags';
import type { Bundle, CanonicalBlock, Eid } from './types';

export interface HopCount {
  /** Hop limit, 1..255 (§4.4.3; validateBundle checks the range). */
  readonly limit: number;
  readonly count: number;
}

/** A decoded extension block of a type this module knows. */
export type ExtensionData =
  | { readonly type: typeof BlockType.PREVIOUS_NODE; readonly previousNode: Eid }
  | { readonly type: typeof BlockType.BUNDLE_AGE; readonly ageMs: number }
  | { readonly type: typeof BlockType.HOP_COUNT; readonly hopCount: HopCount };

export function decodePreviousNode(data: Uint8Array): Result<Eid> {
  return decodeEid(data);
}

export function encodePreviousNode(nodeId: Eid): Result<Uint8Array> {
  return encodeEid(nodeId);
}

export function decodeBundleAge(data: Uint8Array): Result<number> {
  const r = new CborReader(data);
  const age = r.uint('bundle age');
  if (age === FAILED || !r.expectEnd('the bundle age')) return { ok: false, error: r.takeError() };
  return ok(age);
}

export function encodeBundleAge(ageMs: number): Result<Uint8Array> {
  if (!isUint(ageMs)) return err('INVALID_ARGUMENT', 'bundle age must be an integer number of ms in 0..2^53-1');
  const out = new Uint8Array(uintSize(ageMs));
  writeUint(out, 0, ageMs);
  return ok(out);
}

export function decodeHopCount(data: Uint8Array): Result<HopCount> {
  const r = new CborReader(data);
  const items = r.arrayHead('hop count');
  if (items !== FAILED && items !== 2) r.fail('MALFORMED', `hop count data must be [hop limit, hop count], not ${items} items (RFC 9171 §4.4.3)`, 0);
  const limit = r.uint('hop limit');
  const count = r.uint('hop count');
  if (r.error !== undefined || !r.expectEnd('the hop count')) return { ok: false, error: r.takeError() };
  return ok({ limit, count });
}

export function encodeHopCount(h: HopCount): Result<Uint8Array> {
  if (!isUint(h.limit) || !isUint(h.count)) return err('INVALID_ARGUMENT', 'hop limit and hop count must be integers in 0..2^53-1');
  const out = new Uint8Array(1 + uintSize(h.limit) + uintSize(h.count));
  out[0] = 0x82;
  writeUint(out, writeUint(out, 1, h.limit), h.count);
  return ok(out);
}

/**
 * Decodes the data of a previous node, bundle age or hop count block; undefined for any other type
 * (payload, BPSec, unknown: carried unchanged).
 */
export function decodeExtensionData(block: CanonicalBlock): Result<ExtensionData> | undefined {
  switch (block.type) {
    case BlockType.PREVIOUS_NODE: {
      const r = decodePreviousNode(block.data);
      return r.ok ? ok({ type: BlockType.PREVIOUS_NODE, previousNode: r.value }) : r;
    }
    case BlockType.BUNDLE_AGE: {
      const r = decodeBundleAge(block.data);
      return r.ok ? ok({ type: BlockType.BUNDLE_AGE, ageMs: r.value }) : r;
    }
    case BlockType.HOP_COUNT: {
      const r = decodeHopCount(block.data);
      return r.ok ? ok({ type: BlockType.HOP_COUNT, hopCount: r.value }) : r;
    }
    default:
      return undefined;
  }
}

/** The first block of `type` in the bundle, if any. */
export function findBlock(bundle: Bundle, type: number): CanonicalBlock | undefined {
  for (const b of bundle.blocks) if (b.type === type) return b;
  return undefined;
}
