/**
 * Semantic validation of a bundle (design.md principle 4): decodeBundle() checks structure only;
 * validateBundle() returns EVERY rule the bundle breaks, each with the RFC section it comes from.
 * 'error' issues make the bundle invalid (a BPA discards it); 'warning' issues are deviations that
 * real implementations produce and that Farside tolerates (e.g. uD3TN's endpoint in the source field).
 */
import { CborReader, FAILED } from '../cbor/reader';
import { eidProblem, isNodeId, isNullEid } from './eid';
import { decodeExtensionData } from './extension-blocks';
import { BlockType, BundleFlag, KNOWN_BLOCK_FLAGS, KNOWN_BUNDLE_FLAGS, REPORT_REQUEST_FLAGS, hasFlag, unknownFlagBits } from './flags';
import type { Bundle, CanonicalBlock } from './types';
import { PAYLOAD_BLOCK_NUMBER, PAYLOAD_BLOCK_TYPE } from './types';

export type IssueRule =
  | 'no-payload-block'
  | 'multiple-payload-blocks'
  | 'payload-not-last'
  | 'payload-block-number'
  | 'block-number-zero'
  | 'duplicate-block-number'
  | 'primary-crc-missing'
  | 'crc-type'
  | 'invalid-eid'
  | 'source-not-node-id'
  | 'admin-record-requests-reports'
  | 'null-source-requests-reports'
  | 'null-source-fragmentable'
  | 'fragment-fields-mismatch'
  | 'fragment-not-fragmentable'
  | 'fragment-beyond-adu'
  | 'reserved-bundle-flags'
  | 'reserved-block-flags'
  | 'duplicate-extension-block'
  | 'extension-data-malformed'
  | 'hop-limit-range'
  | 'previous-node-not-node-id'
  | 'bundle-age-missing';

export interface Issue {
  readonly severity: 'error' | 'warning';
  readonly rule: IssueRule;
  /** Where the rule comes from, e.g. "RFC 9171 §4.2.3". */
  readonly section: string;
  readonly message: string;
  /** The block concerned (0 = primary), when there is one. */
  readonly blockNumber?: number;
}

export function hasErrors(issues: readonly Issue[]): boolean {
  return issues.some((i) => i.severity === 'error');
}

/** Every problem of the bundle, in a stable order (primary block first, then blocks in wire order). */
export function validateBundle(b: Bundle): Issue[] {
  const issues: Issue[] = [];
  const add = (severity: Issue['severity'], rule: IssueRule, section: string, message: string, blockNumber?: number): void => {
    issues.push(blockNumber === undefined ? { severity, rule, section, message } : { severity, rule, section, message, blockNumber });
  };
  const p = b.primary;
  const flags = p.flags;

  // ---- primary block ----
  if (p.crcType !== 0 && p.crcType !== 1 && p.crcType !== 2) add('error', 'crc-type', 'RFC 9171 §4.2.1', `CRC type ${String(p.crcType)} is not 0, 1 or 2`, 0);
  for (const [field, eid] of [
    ['destination', p.destination],
    ['source', p.source],
    ['report-to', p.reportTo],
  ] as const) {
    const problem = eidProblem(eid);
    if (problem !== undefined) add('error', 'invalid-eid', 'RFC 9171 §4.2.5', `${field} EID: ${problem}`, 0);
  }
  if (eidProblem(p.source) === undefined && !isNullEid(p.source) && !isNodeId(p.source)) {
    add('warning', 'source-not-node-id', 'RFC 9171 §4.3.1', 'the source is an endpoint, not a node ID (uD3TN writes the sending endpoint here)', 0);
  }
  if (p.crcType === 0 && !primaryCoveredByBib(b.blocks)) {
    add('error', 'primary-crc-missing', 'RFC 9171 §4.3.1', 'the primary block must carry a CRC unless a BIB covers it', 0);
  }
  const unknownFlags = unknownFlagBits(flags, KNOWN_BUNDLE_FLAGS);
  if (unknownFlags !== 0) {
    add('warning', 'reserved-bundle-flags', 'RFC 9171 §4.2.3', `reserved or unassigned bundle flag bits set: 0x${unknownFlags.toString(16)}`, 0);
  }
  if (hasFlag(flags, BundleFlag.ADMIN_RECORD) && hasFlag(flags, REPORT_REQUEST_FLAGS)) {
    add('error', 'admin-record-requests-reports', 'RFC 9171 §4.2.3', 'an administrative record must not request status reports', 0);
  }
  if (isNullEid(p.source)) {
    if (hasFlag(flags, REPORT_REQUEST_FLAGS)) {
      add('error', 'null-source-requests-reports', 'RFC 9171 §4.2.3', 'a bundle from the null endpoint must not request status reports', 0);
    }
    if (!hasFlag(flags, BundleFlag.MUST_NOT_FRAGMENT)) {
      add('error', 'null-source-fragmentable', 'RFC 9171 §4.2.3', 'a bundle from the null endpoint must have the "must not be fragmented" flag set', 0);
    }
  }
  const isFragment = hasFlag(flags, BundleFlag.IS_FRAGMENT);
  if (isFragment !== (p.fragment !== undefined)) {
    add('error', 'fragment-fields-mismatch', 'RFC 9171 §4.3.1', 'fragment offset and total ADU length must be present exactly when the "is fragment" flag is set', 0);
  }
  if (isFragment && hasFlag(flags, BundleFlag.MUST_NOT_FRAGMENT)) {
    add('error', 'fragment-not-fragmentable', 'RFC 9171 §5.8', 'a fragment carries the "must not be fragmented" flag', 0);
  }

  // ---- canonical blocks ----
  const seen = new Set<number>();
  const extensionCounts = new Map<number, number>();
  let payloads = 0;
  b.blocks.forEach((block, index) => {
    const n = block.number;
    if (n === 0) add('error', 'block-number-zero', 'RFC 9171 §4.3.2', 'block number 0 is the primary block; canonical blocks need another', n);
    else if (seen.has(n)) add('error', 'duplicate-block-number', 'RFC 9171 §4.3.2', `block number ${n} is used more than once`, n);
    seen.add(n);
    if (block.crcType !== 0 && block.crcType !== 1 && block.crcType !== 2) {
      add('error', 'crc-type', 'RFC 9171 §4.2.1', `block ${n}: CRC type ${String(block.crcType)} is not 0, 1 or 2`, n);
    }
    const unknownBlockFlags = unknownFlagBits(block.flags, KNOWN_BLOCK_FLAGS);
    if (unknownBlockFlags !== 0) {
      add('warning', 'reserved-block-flags', 'RFC 9171 §4.2.4', `block ${n}: reserved or unassigned block flag bits set: 0x${unknownBlockFlags.toString(16)}`, n);
    }
    if (block.type === PAYLOAD_BLOCK_TYPE) {
      payloads++;
      if (payloads === 2) add('error', 'multiple-payload-blocks', 'RFC 9171 §4.3.3', 'a bundle has exactly one payload block', n);
      if (n !== PAYLOAD_BLOCK_NUMBER) add('error', 'payload-block-number', 'RFC 9171 §4.3.3', `the payload block has number ${n}; it is always 1`, n);
      if (index !== b.blocks.length - 1) add('error', 'payload-not-last', 'RFC 9171 §4.1', 'the payload block must be the last block', n);
      if (isFragment && p.fragment !== undefined && p.fragment.offset + block.data.length > p.fragment.totalAduLength) {
        add(
          'error',
          'fragment-beyond-adu',
          'RFC 9171 §5.8',
          `fragment offset ${p.fragment.offset} + payload length ${block.data.length} exceeds the total ADU length ${p.fragment.totalAduLength}`,
          n,
        );
      }
      return;
    }
    checkExtensionBlock(block, extensionCounts, add);
  });
  if (payloads === 0) add('error', 'no-payload-block', 'RFC 9171 §4.1', 'the bundle has no payload block');

  const ageBlocks = extensionCounts.get(BlockType.BUNDLE_AGE) ?? 0;
  if (p.creation.time === 0 && ageBlocks === 0) {
    add('error', 'bundle-age-missing', 'RFC 9171 §4.2.7, §4.4.2', 'creation time 0 (no accurate clock) requires a Bundle Age block', 0);
  }
  return issues;
}

type Add = (severity: Issue['severity'], rule: IssueRule, section: string, message: string, blockNumber?: number) => void;

const EXTENSION_SECTIONS: ReadonlyMap<number, string> = new Map([
  [BlockType.PREVIOUS_NODE, 'RFC 9171 §4.4.1'],
  [BlockType.BUNDLE_AGE, 'RFC 9171 §4.4.2'],
  [BlockType.HOP_COUNT, 'RFC 9171 §4.4.3'],
]);

function checkExtensionBlock(block: CanonicalBlock, counts: Map<number, number>, add: Add): void {
  const section = EXTENSION_SECTIONS.get(block.type);
  if (section === undefined) return; // BPSec and unknown blocks: carried unchanged, not judged here
  const n = block.number;
  const count = (counts.get(block.type) ?? 0) + 1;
  counts.set(block.type, count);
  if (count === 2) add('error', 'duplicate-extension-block', 'RFC 9171 §4.4', `more than one block of type ${block.type}`, n);
  const decoded = decodeExtensionData(block);
  if (decoded === undefined) return;
  if (!decoded.ok) {
    add('error', 'extension-data-malformed', section, `block ${n} (type ${block.type}): ${decoded.error.message}`, n);
    return;
  }
  const v = decoded.value;
  if (v.type === BlockType.HOP_COUNT && (v.hopCount.limit < 1 || v.hopCount.limit > 255)) {
    add('error', 'hop-limit-range', section, `hop limit ${v.hopCount.limit} is outside 1..255`, n);
  }
  if (v.type === BlockType.PREVIOUS_NODE && !isNodeId(v.previousNode)) {
    add('warning', 'previous-node-not-node-id', section, `block ${n}: the previous node is an endpoint, not a node ID`, n);
  }
}

/**
 * True when a Block Integrity Block (RFC 9172 §3.7) lists block 0 among its security targets: the
 * first item of its abstract security block is the array of target block numbers (RFC 9172 §3.6).
 */
function primaryCoveredByBib(blocks: readonly CanonicalBlock[]): boolean {
  for (const block of blocks) {
    if (block.type !== BlockType.BLOCK_INTEGRITY) continue;
    const r = new CborReader(block.data);
    const targets = r.arrayHead('BIB security targets');
    for (let i = 0; i < targets; i++) {
      const t = r.uint('BIB security target');
      if (t === FAILED) break;
      if (t === 0) return true;
    }
  }
  return false;
}
