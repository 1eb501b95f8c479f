import { describe, expect, it } from 'vitest';
import { hex, ud3tnVector } from '../../test-support/vectors';
import { decodeBundle } from './bundle';
import { BlockFlag, BundleFlag } from './flags';
import { createReassembler } from './reassemble';
import type { PendingAdu, ReassemblyResult } from './reassemble';
import type { Bundle, CanonicalBlock, PrimaryBlock } from './types';

const NOW = 800_000_000_000; // DTN ms, 2025-05-08
const SOURCE = { scheme: 'dtn', ssp: '//earth.dtn/smtp' } as const;

const basePrimary: PrimaryBlock = {
  version: 7,
  flags: BundleFlag.REPORT_DELIVERY,
  crcType: 1,
  destination: { scheme: 'dtn', ssp: '//mars.dtn/smtp' },
  source: SOURCE,
  reportTo: { scheme: 'dtn', ssp: 'none' },
  creation: { time: NOW - 1000, sequence: 7 },
  lifetime: 86_400_000,
};

const HOP: CanonicalBlock = { type: 10, number: 2, flags: 0, crcType: 0, data: Uint8Array.of(0x82, 0x18, 0x1e, 0x00) };
const AGE: CanonicalBlock = { type: 7, number: 3, flags: BlockFlag.REPLICATE_IN_EVERY_FRAGMENT, crcType: 0, data: Uint8Array.of(0x19, 0x03, 0xe8) };

function adu(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
}

/** A fragment made by hand (RFC 9171 §5.8): offset, total ADU length, blocks, payload slice. */
function frag(whole: Uint8Array, offset: number, length: number, over: Partial<PrimaryBlock> = {}, total = whole.length): Bundle {
  const extensions = offset === 0 ? [HOP, AGE] : [AGE];
  return {
    primary: { ...basePrimary, ...over, flags: basePrimary.flags + BundleFlag.IS_FRAGMENT, fragment: { offset, totalAduLength: total } },
    blocks: [...extensions, { type: 1, number: 1, flags: 0, crcType: 2, data: whole.slice(offset, offset + length) }],
  };
}

function complete(r: ReassemblyResult): Bundle {
  if (r.kind !== 'complete') throw new Error(`expected complete, got ${JSON.stringify(r)}`);
  return r.bundle;
}

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]));
}

describe('uD3TN v0.13 fragments (fragments/fragment_01..04)', () => {
  const fragments = [1, 2, 3, 4].map((n) => {
    const r = decodeBundle(ud3tnVector(`fragments/fragment_0${n}.bundle.bin`));
    if (!r.ok) throw new Error(r.error.message);
    return r.value.bundle;
  });
  const adu = ud3tnVector('fragments/bsmtp_long_payload.bin');
  const created = 848946038379; // their creation time (README); lifetime 86 400 000 ms

  it('reassemble in every order to exactly bsmtp_long_payload.bin', () => {
    for (const order of permutations(fragments)) {
      const r = createReassembler({ now: () => created + 1000 });
      const results = order.map((f) => r.add(f));
      expect(results.slice(0, 3).map((x) => x.kind)).toEqual(['incomplete', 'incomplete', 'incomplete']);
      const b = complete(results[3] as ReassemblyResult);
      expect(b.blocks).toHaveLength(1);
      expect(hex((b.blocks[0] as CanonicalBlock).data)).toBe(hex(adu));
      expect(b.primary).toMatchObject({ flags: 0, creation: { time: created, sequence: 1 }, lifetime: 86_400_000 });
      expect(b.primary.fragment).toBeUndefined();
    }
  });

  it('shows progress while incomplete', () => {
    const r = createReassembler({ now: () => created + 1000 });
    r.add(fragments[3] as Bundle);
    r.add(fragments[1] as Bundle);
    expect(r.pending()).toEqual([
      {
        source: { scheme: 'dtn', ssp: '//earth.dtn/smtp' },
        creation: { time: created, sequence: 1 },
        totalAduLength: 3113,
        receivedBytes: 945 + 278,
        fragments: 2,
        ranges: [[945, 1890], [2835, 3113]],
        firstReceivedAt: created + 1000,
        expiresAt: created + 86_400_000,
      },
    ]);
    expect(r.bufferedBytes()).toBe(3113);
  });
});

describe('reassembly (RFC 9171 §5.9)', () => {
  const whole = adu(100);
  const parts = [frag(whole, 0, 30), frag(whole, 30, 30), frag(whole, 60, 25), frag(whole, 85, 15)];

  it('reassembles fragments in every order into the original bundle', () => {
    for (const order of permutations(parts)) {
      const r = createReassembler({ now: () => NOW });
      const results = order.map((f) => r.add(f));
      expect(results.slice(0, -1).every((x) => x.kind === 'incomplete')).toBe(true);
      const b = complete(results[results.length - 1] as ReassemblyResult);
      expect(b.primary).toEqual(basePrimary); // flag and fragment fields gone, everything else kept
      expect(b.primary.fragment).toBeUndefined();
      expect(b.blocks.slice(0, -1)).toEqual([HOP, AGE]); // the offset-0 fragment's extension blocks
      expect(b.blocks[2]).toEqual({ type: 1, number: 1, flags: 0, crcType: 2, data: whole });
      expect(r.pending()).toEqual([]);
      expect(r.bufferedBytes()).toBe(0);
    }
  });

  it('tolerates exact duplicates and agreeing overlaps', () => {
    const r = createReassembler({ now: () => NOW });
    expect(r.add(parts[1] as Bundle)).toEqual({ kind: 'incomplete', receivedBytes: 30, totalAduLength: 100 });
    expect(r.add(parts[1] as Bundle)).toEqual({ kind: 'incomplete', receivedBytes: 30, totalAduLength: 100 });
    expect(r.add(frag(whole, 20, 50))).toEqual({ kind: 'incomplete', receivedBytes: 50, totalAduLength: 100 });
    expect(r.add(frag(whole, 65, 35))).toEqual({ kind: 'incomplete', receivedBytes: 80, totalAduLength: 100 });
    expect(r.pending()[0]?.ranges).toEqual([[20, 100]]);
    expect(r.pending()[0]?.fragments).toBe(3); // the duplicate added nothing
    expect(complete(r.add(frag(whole, 0, 25))).blocks[2]?.data).toEqual(whole);
  });

  it('rejects an overlap that disagrees and keeps the bytes received first', () => {
    const r = createReassembler({ now: () => NOW });
    r.add(parts[0] as Bundle);
    const liar = frag(whole, 20, 20);
    const liarData = (liar.blocks[1] as CanonicalBlock).data;
    liarData[5] = (liarData[5] as number) ^ 0xff; // byte 25, already received from fragment [0, 30)
    const res = r.add(liar);
    expect(res).toMatchObject({ kind: 'rejected', error: { code: 'FRAGMENT_MISMATCH' } });
    expect(r.pending()[0]?.ranges).toEqual([[0, 30]]); // nothing of the liar was taken, not even [30, 40)
    r.add(parts[1] as Bundle);
    r.add(parts[2] as Bundle);
    expect(complete(r.add(parts[3] as Bundle)).blocks[2]?.data).toEqual(whole);
  });

  it('rejects a fragment whose total ADU length differs (FRAGMENT_MISMATCH)', () => {
    const r = createReassembler({ now: () => NOW });
    r.add(parts[0] as Bundle);
    expect(r.add(frag(whole, 30, 30, {}, 120))).toMatchObject({ kind: 'rejected', error: { code: 'FRAGMENT_MISMATCH' } });
    expect(r.pending()).toHaveLength(1);
  });

  it('keeps bundles with another source or creation timestamp apart', () => {
    const r = createReassembler({ now: () => NOW });
    r.add(frag(whole, 0, 50));
    r.add(frag(whole, 50, 50, { source: { scheme: 'dtn', ssp: '//venus.dtn/smtp' } }));
    r.add(frag(whole, 50, 50, { creation: { time: NOW - 1000, sequence: 8 } }));
    expect(r.pending()).toHaveLength(3);
    expect(complete(r.add(frag(whole, 50, 50))).blocks[2]?.data).toEqual(whole);
  });

  it('an ipn source in 2- and 3-element wire form is the same source', () => {
    const r = createReassembler({ now: () => NOW });
    r.add(frag(whole, 0, 50, { source: { scheme: 'ipn', allocator: 0, node: 1, service: 25, wireForm: 2 } }));
    expect(r.add(frag(whole, 50, 50, { source: { scheme: 'ipn', allocator: 0, node: 1, service: 25, wireForm: 3 } })).kind).toBe('complete');
  });

  it('completes an empty ADU at once', () => {
    const r = createReassembler({ now: () => NOW });
    const b = complete(r.add(frag(new Uint8Array(0), 0, 0)));
    expect(b.blocks[2]?.data.length).toBe(0);
    expect(r.pending()).toEqual([]);
  });

  it('copies what it keeps: the reassembled bundle does not alias the fragments', () => {
    const r = createReassembler({ now: () => NOW });
    const f = frag(whole, 0, 50);
    const hop = { ...HOP, data: HOP.data.slice() };
    const first: Bundle = { ...f, blocks: [hop, ...f.blocks.slice(1)] };
    r.add(first);
    hop.data[0] = 0;
    (first.blocks[2] as CanonicalBlock).data[0] = 0;
    const b = complete(r.add(frag(whole, 50, 50)));
    expect(b.blocks[0]).toEqual(HOP);
    expect(b.blocks[0]?.data[0]).toBe(0x82);
    expect(b.blocks[2]?.data).toEqual(whole);
  });
});

describe('bad input is rejected as data', () => {
  const whole = adu(10);
  it('a bundle that is not a fragment', () => {
    const r = createReassembler({ now: () => NOW });
    const { fragment: _f, ...plain } = frag(whole, 0, 10).primary;
    expect(r.add({ primary: plain, blocks: [] })).toMatchObject({ kind: 'rejected', error: { code: 'INVALID_ARGUMENT' } });
    const noFlag = frag(whole, 0, 10);
    expect(r.add({ ...noFlag, primary: { ...noFlag.primary, flags: 0 } })).toMatchObject({ kind: 'rejected', error: { code: 'INVALID_ARGUMENT' } });
  });
  it('a payload beyond the total ADU length, or no payload block', () => {
    const r = createReassembler({ now: () => NOW });
    expect(r.add(frag(adu(20), 5, 10, {}, 12))).toMatchObject({ kind: 'rejected', error: { code: 'BUNDLE_INVALID' } });
    const f = frag(whole, 0, 10);
    expect(r.add({ ...f, blocks: [HOP] })).toMatchObject({ kind: 'rejected', error: { code: 'BUNDLE_INVALID' } });
    expect(r.pending()).toEqual([]);
  });
});

describe('bounded memory (LIMITS.reassembly*)', () => {
  const whole = adu(100);

  it('rejects a total ADU length above the limit before allocating', () => {
    const r = createReassembler({ now: () => NOW, limits: { reassemblyMaxAduBytes: 99 } });
    expect(r.add(frag(whole, 0, 10))).toMatchObject({ kind: 'rejected', error: { code: 'LIMIT_EXCEEDED' } });
    expect(r.bufferedBytes()).toBe(0);
    // a hostile 2^53-1 total is refused the same way with the default limits
    const big = createReassembler({ now: () => NOW });
    expect(big.add(frag(whole, 0, 10, {}, Number.MAX_SAFE_INTEGER))).toMatchObject({ kind: 'rejected', error: { code: 'LIMIT_EXCEEDED' } });
  });

  it('evicts the oldest incomplete ADU when too many are pending', () => {
    const dropped: Array<[PendingAdu, string]> = [];
    const r = createReassembler({ now: () => NOW, limits: { reassemblyMaxPendingAdus: 2 }, onDrop: (a, why) => dropped.push([a, why]) });
    for (const seq of [1, 2, 3]) r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: seq } }));
    expect(r.pending().map((p) => p.creation.sequence)).toEqual([2, 3]);
    expect(dropped.map(([a, why]) => [a.creation.sequence, why])).toEqual([[1, 'evicted']]);
  });

  it('evicts to stay within the buffered bytes and refuses an ADU that can never fit', () => {
    const extBytes = HOP.data.length + AGE.data.length;
    const r = createReassembler({ now: () => NOW, limits: { reassemblyMaxBufferedBytes: 250 } });
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 1 } }));
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 2 } }));
    expect(r.bufferedBytes()).toBe(2 * (100 + extBytes));
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 3 } }));
    expect(r.pending().map((p) => p.creation.sequence)).toEqual([2, 3]);
    expect(r.bufferedBytes()).toBeLessThanOrEqual(250);
    const huge = adu(300);
    expect(r.add(frag(huge, 0, 10, { creation: { time: NOW - 1000, sequence: 4 } }))).toMatchObject({ kind: 'rejected', error: { code: 'LIMIT_EXCEEDED' } });
    expect(r.pending()).toHaveLength(2); // refusing it evicted nothing
  });

  it('drops an ADU that would need more fragments than allowed; duplicates do not count', () => {
    const dropped: string[] = [];
    const r = createReassembler({ now: () => NOW, limits: { reassemblyMaxFragmentsPerAdu: 3 }, onDrop: (_a, why) => dropped.push(why) });
    r.add(frag(whole, 0, 10));
    r.add(frag(whole, 0, 10));
    r.add(frag(whole, 10, 10));
    r.add(frag(whole, 20, 10));
    expect(r.pending()[0]?.fragments).toBe(3);
    expect(r.add(frag(whole, 30, 10))).toMatchObject({ kind: 'rejected', error: { code: 'LIMIT_EXCEEDED' } });
    expect(r.pending()).toEqual([]);
    expect(r.bufferedBytes()).toBe(0);
    expect(dropped).toEqual(['too-many-fragments']);
  });
});

describe('expiry (RFC 9171 §4.3.1)', () => {
  const whole = adu(40);

  it('expire(now) drops ADUs whose lifetime ran out', () => {
    let now = NOW;
    const r = createReassembler({ now: () => now });
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 1 }, lifetime: 5000 })); // expires NOW + 4000
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 2 }, lifetime: 9000 })); // NOW + 8000
    expect(r.pending().map((p) => p.expiresAt)).toEqual([NOW + 4000, NOW + 8000]);
    expect(r.expire(NOW + 3999)).toEqual([]);
    expect(r.expire(NOW + 4000).map((p) => p.creation.sequence)).toEqual([1]);
    now = NOW + 8000;
    expect(r.expire().map((p) => p.creation.sequence)).toEqual([2]);
    expect(r.bufferedBytes()).toBe(0);
  });

  it('rejects fragments of an expired bundle and drops what it held', () => {
    let now = NOW;
    const r = createReassembler({ now: () => now });
    expect(r.add(frag(whole, 0, 10, { lifetime: 1000 }))).toMatchObject({ kind: 'rejected', error: { code: 'EXPIRED' } });
    r.add(frag(whole, 0, 10, { lifetime: 2000 }));
    now = NOW + 1000;
    expect(r.add(frag(whole, 10, 10, { lifetime: 2000 }))).toMatchObject({ kind: 'rejected', error: { code: 'EXPIRED' } });
    expect(r.pending()).toEqual([]);
  });

  it('without a creation time (0), counts the lifetime from the first fragment', () => {
    const r = createReassembler({ now: () => NOW });
    r.add(frag(whole, 0, 10, { creation: { time: 0, sequence: 1 }, lifetime: 60_000 }));
    expect(r.pending()[0]).toMatchObject({ firstReceivedAt: NOW, expiresAt: NOW + 60_000 });
  });

  it('makes room by dropping expired ADUs before evicting live ones', () => {
    let now = NOW;
    const dropped: Array<[number, string]> = [];
    const r = createReassembler({ now: () => now, limits: { reassemblyMaxPendingAdus: 2 }, onDrop: (a, why) => dropped.push([a.creation.sequence, why]) });
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 1 }, lifetime: 100_000 }));
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 2 }, lifetime: 5000 }));
    now = NOW + 4000;
    r.add(frag(whole, 0, 10, { creation: { time: NOW - 1000, sequence: 3 }, lifetime: 100_000 }));
    expect(dropped).toEqual([[2, 'expired']]);
    expect(r.pending().map((p) => p.creation.sequence)).toEqual([1, 3]);
  });
});
