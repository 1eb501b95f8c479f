/**
 * The extension blocks a node updates when it forwards a bundle (RFC 9171 §4.4, §5.4):
 * - Previous Node (§4.4.1): replaced by (or, when absent, a new block with) the forwarding node's node
 *   ID. uD3TN v0.13 neither adds nor updates it (ud3tn-behaviour.md §4); the RFC asks for it.
 * - Hop Count (§4.4.3): incremented; a bundle whose count would exceed its limit is not forwarded but
 *   deleted with reason 9 "hop limit exceeded".
 * - Bundle Age (§4.4.2): the time the bundle spent at this node is added. A bundle with creation time 0
 *   must carry one (§4.2.7): it gets a new block when it has none.
 * Every other block travels unchanged (design.md principle 5). New blocks go just before the payload
 * block (which stays last, §4.1) with the lowest unused block number above 1, no flags and no CRC.
 * The input is not modified; unchanged blocks (the payload included) are shared, not copied.
 */
import { err, ok, type Result } from '../../shared/errors';
import { DTN_TIME_UNKNOWN } from '../../shared/protocol/bpv7/dtn-time';
import {
  decodeBundleAge,
  decodeHopCount,
  encodeBundleAge,
  encodeHopCount,
  encodePreviousNode,
} from '../../shared/protocol/bpv7/extension-blocks';
import { BlockType } from '../../shared/protocol/bpv7/flags';
import type { Bundle, CanonicalBlock, Eid } from '../../shared/protocol/bpv7/types';

export interface ForwardUpdate {
  /** This node's node ID (the new previous node). */
  readonly nodeId: Eid;
  /** Time the bundle spent at this node, ms (added to the bundle age). */
  readonly elapsedMs: number;
}

export type ForwardPreparation =
  | { readonly kind: 'ok'; readonly bundle: Bundle }
  | { readonly kind: 'hop-limit-exceeded'; readonly limit: number; readonly count: number };

function nextBlockNumber(blocks: readonly CanonicalBlock[]): number {
  let max = 1;
  for (const b of blocks) if (b.number > max) max = b.number;
  return max + 1;
}

/** The bundle as it leaves this node. Errors only for extension blocks that do not decode (reception checked them). */
export function prepareForForwarding(bundle: Bundle, update: ForwardUpdate): Result<ForwardPreparation> {
  const previousNode = encodePreviousNode(update.nodeId);
  if (!previousNode.ok) return previousNode;
  const elapsed = Math.max(0, Math.round(update.elapsedMs));
  const out: CanonicalBlock[] = [];
  let sawPrevious = false;
  let sawAge = false;
  for (const block of bundle.blocks) {
    switch (block.type) {
      case BlockType.PREVIOUS_NODE:
        if (sawPrevious) continue; // one previous-node block at most; a second copy would name a stale hop
        sawPrevious = true;
        out.push({ ...block, data: previousNode.value });
        break;
      case BlockType.HOP_COUNT: {
        const h = decodeHopCount(block.data);
        if (!h.ok) return err('BUNDLE_INVALID', `hop count block: ${h.error.message}`);
        const count = h.value.count + 1;
        if (count > h.value.limit) return ok({ kind: 'hop-limit-exceeded', limit: h.value.limit, count });
        const data = encodeHopCount({ limit: h.value.limit, count });
        if (!data.ok) return data;
        out.push({ ...block, data: data.value });
        break;
      }
      case BlockType.BUNDLE_AGE: {
        const a = decodeBundleAge(block.data);
        if (!a.ok) return err('BUNDLE_INVALID', `bundle age block: ${a.error.message}`);
        const data = encodeBundleAge(a.value + elapsed);
        if (!data.ok) return data;
        sawAge = true;
        out.push({ ...block, data: data.value });
        break;
      }
      default:
        out.push(block);
    }
  }
  const payload = out.pop();
  if (payload === undefined) return err('BUNDLE_INVALID', 'the bundle has no blocks');
  let number = nextBlockNumber(bundle.blocks);
  if (!sawPrevious) out.push({ type: BlockType.PREVIOUS_NODE, number: number++, flags: 0, crcType: 0, data: previousNode.value });
  if (!sawAge && bundle.primary.creation.time === DTN_TIME_UNKNOWN) {
    const data = encodeBundleAge(elapsed);
    if (!data.ok) return data;
    out.push({ type: BlockType.BUNDLE_AGE, number, flags: 0, crcType: 0, data: data.value });
  }
  out.push(payload);
  return ok({ kind: 'ok', bundle: { primary: bundle.primary, blocks: out } });
}
