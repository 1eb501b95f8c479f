import { describe, expect, it } from 'vitest';
import { BlockFlag, BlockType, BundleFlag, KNOWN_BLOCK_FLAGS, KNOWN_BUNDLE_FLAGS, REPORT_REQUEST_FLAGS, hasFlag, unknownFlagBits } from './flags';

describe('flag values (RFC 9171 §4.2.3–4.2.4, protocols.md §3.5)', () => {
  it('bundle flags are the IANA bit positions', () => {
    expect(BundleFlag).toEqual({
      IS_FRAGMENT: 1 << 0,
      ADMIN_RECORD: 1 << 1,
      MUST_NOT_FRAGMENT: 1 << 2,
      ACK_REQUESTED: 1 << 5,
      STATUS_TIME_REQUESTED: 1 << 6,
      REPORT_RECEPTION: 1 << 14,
      REPORT_FORWARDING: 1 << 16,
      REPORT_DELIVERY: 1 << 17,
      REPORT_DELETION: 1 << 18,
    });
    // Not pyd3tn's 0x400000 nor the pre-RFC 0x1000 (protocols.md §3.5 pitfalls).
    expect(BundleFlag.REPORT_DELETION).toBe(0x040000);
  });

  it('all four report requests + status time = 0x074040 (the crafted status-report inputs)', () => {
    expect(REPORT_REQUEST_FLAGS | BundleFlag.STATUS_TIME_REQUESTED).toBe(0x074040);
    // Worked example (d): delivery | deletion | status time.
    expect(BundleFlag.REPORT_DELIVERY | BundleFlag.REPORT_DELETION | BundleFlag.STATUS_TIME_REQUESTED).toBe(0x060040);
  });

  it('block flags and types', () => {
    expect(BlockFlag).toEqual({
      REPLICATE_IN_EVERY_FRAGMENT: 0x01,
      REPORT_IF_UNPROCESSABLE: 0x02,
      DELETE_BUNDLE_IF_UNPROCESSABLE: 0x04,
      DISCARD_BLOCK_IF_UNPROCESSABLE: 0x10,
    });
    expect(KNOWN_BLOCK_FLAGS).toBe(0x17);
    expect(Object.values(BlockType)).toEqual([1, 6, 7, 10, 11, 12]);
  });
});

describe('hasFlag / unknownFlagBits on uint64 flag words', () => {
  it('tests low bits even when high bits are set', () => {
    const flags = 2 ** 40 + BundleFlag.ADMIN_RECORD;
    expect(hasFlag(flags, BundleFlag.ADMIN_RECORD)).toBe(true);
    expect(hasFlag(flags, BundleFlag.IS_FRAGMENT)).toBe(false);
  });

  it('reports reserved and unassigned bits', () => {
    expect(unknownFlagBits(0x074047, KNOWN_BUNDLE_FLAGS)).toBe(0);
    expect(unknownFlagBits(0x8 | 0x1, KNOWN_BUNDLE_FLAGS)).toBe(0x8); // bit 3: BPv6 custody
    expect(unknownFlagBits(2 ** 40 + 1, KNOWN_BUNDLE_FLAGS)).toBe(2 ** 40);
    expect(unknownFlagBits(0x08, KNOWN_BLOCK_FLAGS)).toBe(0x08);
  });
});
