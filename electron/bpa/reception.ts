/**
 * What the processor makes of the bytes a CLA hands it (RFC 9171 §5.6, "bundle reception"), as a pure
 * function: the processor stores, reports and dispatches according to the outcome.
 *
 * 1. Decode with every CRC checked (§4.2.2: a damaged bundle is discarded) and validate (validate.ts);
 *    a bundle that does not decode or breaks an 'error' rule is dropped without a report: its fields
 *    cannot be trusted, not even its report-to.
 * 2. Blocks the node cannot process (§4.3.2, §5.6 step 4; protocols.md §3.13): every block other than
 *    payload, previous node, bundle age and hop count, including BPSec blocks (this node implements no
 *    security context). Their block processing control flags decide:
 *      0x04 delete the bundle → deleted with reason 8 "block unintelligible";
 *      0x10 discard the block → the bundle is re-encoded without it;
 *      0x02 report → a reception report with reason 8 is due, whatever the bundle's own report flags;
 *    otherwise the block travels unchanged. uD3TN v0.13 does the same for 0x04 and 0x10
 *    (ud3tn-behaviour.md §4).
 * 3. Hop count (§4.4.3): a bundle that arrives with its count already above its limit is deleted with
 *    reason 9. (The increment happens when the node forwards it: forward-blocks.ts.)
 */
import { err, ok, type FarsideError, type Result } from '../../shared/errors';
import { decodeBundle, encodeBundle, payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import type { CodecOptions } from '../../shared/protocol/bpv7/crc';
import { decodeBundleAge, decodeHopCount } from '../../shared/protocol/bpv7/extension-blocks';
import { BlockFlag, BlockType, hasFlag } from '../../shared/protocol/bpv7/flags';
import { StatusReason } from '../../shared/protocol/bpv7/report-reasons';
import type { Bundle, CanonicalBlock } from '../../shared/protocol/bpv7/types';
import { hasErrors, validateBundle } from '../../shared/protocol/bpv7/validate';

export type ReceptionOutcome =
  | {
      readonly kind: 'accept';
      readonly bundle: Bundle;
      /** The bytes to store: the input, or a re-encoding when blocks were discarded. */
      readonly bytes: Uint8Array;
      /** The Bundle Age block's value, ms (0 without one). */
      readonly bundleAgeMs: number;
      /** Block types discarded (flag 0x10). */
      readonly discardedBlocks: readonly number[];
      /** A block with flag 0x02 could not be processed: a reception report with reason 8 is due. */
      readonly blockReport: boolean;
    }
  | { readonly kind: 'delete'; readonly bundle: Bundle; readonly reason: number; readonly detail: string; readonly blockReport: boolean };

const PROCESSED_TYPES: ReadonlySet<number> = new Set([BlockType.PAYLOAD, BlockType.PREVIOUS_NODE, BlockType.BUNDLE_AGE, BlockType.HOP_COUNT]);

function firstError(bundle: Bundle): FarsideError | undefined {
  const issues = validateBundle(bundle);
  if (!hasErrors(issues)) return undefined;
  const e = issues.find((i) => i.severity === 'error');
  return e === undefined ? undefined : { code: 'BUNDLE_INVALID', message: `${e.message} (${e.section})` };
}

/** Decode, validate and judge a received bundle; an error means "drop, log, no report". */
export function examineReceived(bytes: Uint8Array, codec: CodecOptions): Result<ReceptionOutcome> {
  const decoded = decodeBundle(bytes, codec);
  if (!decoded.ok) return decoded;
  const bundle = decoded.value.bundle;
  const invalid = firstError(bundle);
  if (invalid !== undefined) return { ok: false, error: invalid };
  if (payloadBlockOf(bundle) === undefined) return err('BUNDLE_INVALID', 'the last block is not the payload block (RFC 9171 §4.1)');

  let blockReport = false;
  let bundleAgeMs = 0;
  const discarded: number[] = [];
  for (const block of bundle.blocks) {
    if (block.type === BlockType.HOP_COUNT) {
      const h = decodeHopCount(block.data);
      if (h.ok && h.value.count > h.value.limit) {
        return ok({ kind: 'delete', bundle, reason: StatusReason.HOP_LIMIT_EXCEEDED, detail: `hop count ${h.value.count} above limit ${h.value.limit}`, blockReport });
      }
      continue;
    }
    if (block.type === BlockType.BUNDLE_AGE) {
      const a = decodeBundleAge(block.data);
      if (a.ok) bundleAgeMs = a.value;
      continue;
    }
    if (PROCESSED_TYPES.has(block.type)) continue;
    if (hasFlag(block.flags, BlockFlag.REPORT_IF_UNPROCESSABLE)) blockReport = true;
    if (hasFlag(block.flags, BlockFlag.DELETE_BUNDLE_IF_UNPROCESSABLE)) {
      return ok({ kind: 'delete', bundle, reason: StatusReason.BLOCK_UNINTELLIGIBLE, detail: `block ${block.number} of type ${block.type} cannot be processed`, blockReport });
    }
    if (hasFlag(block.flags, BlockFlag.DISCARD_BLOCK_IF_UNPROCESSABLE)) discarded.push(block.number);
  }
  if (discarded.length === 0) {
    return ok({ kind: 'accept', bundle, bytes, bundleAgeMs, discardedBlocks: [], blockReport });
  }
  const kept: CanonicalBlock[] = bundle.blocks.filter((b) => !discarded.includes(b.number));
  const stripped: Bundle = { primary: bundle.primary, blocks: kept };
  return ok({
    kind: 'accept',
    bundle: stripped,
    bytes: encodeBundle(stripped, codec),
    bundleAgeMs,
    discardedBlocks: bundle.blocks.filter((b) => discarded.includes(b.number)).map((b) => b.type),
    blockReport,
  });
}
