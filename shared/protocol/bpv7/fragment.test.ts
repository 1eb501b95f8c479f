import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { primaryArb } from '../../test-support/bpv7-arbitraries';
import { hex, ud3tnVector } from '../../test-support/vectors';
import { decodeBundle, encodeBundle, encodedBundleSize } from './bundle';
import { BlockFlag, BundleFlag, hasFlag } from './flags';
import { fragmentBundle, fragmentHeaderSizes, fragmentPayloadCapacity, fragmentsNeeded, planFragments } from './fragment';
import { createReassembler } from './reassemble';
import type { Bundle, CanonicalBlock, CrcType, PrimaryBlock } from './types';

function decoded(bytes: Uint8Array): Bundle {
  const r = decodeBundle(bytes);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value.bundle;
}

function value<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function withoutFragment(p: PrimaryBlock): PrimaryBlock {
  const { fragment: _f, ...rest } = p;
  return { ...rest, flags: p.flags - BundleFlag.IS_FRAGMENT };
}

const payloadBlock = (data: Uint8Array, crcType: CrcType = 0): CanonicalBlock => ({ type: 1, number: 1, flags: 0, crcType, data });

/**
 * The bundle earth's uD3TN fragmented (ud3tn-behaviour.md §9): the primary block of fragment_01 without
 * the fragment fields (same EIDs, creation timestamp, lifetime, CRC-16) and the 3113-byte ADU.
 */
function ud3tnOriginal(): { bundle: Bundle; adu: Uint8Array } {
  const adu = ud3tnVector('fragments/bsmtp_long_payload.bin');
  const first = decoded(ud3tnVector('fragments/fragment_01.bundle.bin'));
  return { bundle: { primary: withoutFragment(first.primary), blocks: [payloadBlock(adu)] }, adu };
}

describe('uD3TN v0.13 fragments (fragments/, -m 1024)', () => {
  it('the 3113-byte ADU splits into 945/945/945/278 at offsets 0/945/1890/2835', () => {
    const { bundle } = ud3tnOriginal();
    expect(value(fragmentHeaderSizes(bundle))).toEqual({ first: 79, later: 79 });
    expect(value(fragmentPayloadCapacity(bundle, 1024))).toEqual({ first: 945, later: 945 });
    expect(value(planFragments(bundle, 1024))).toEqual([945, 945, 945, 278]);
    expect(value(fragmentsNeeded(bundle, 1024))).toBe(4);
    const fragments = value(fragmentBundle(bundle, 1024));
    expect(fragments.map((f) => f.primary.fragment)).toEqual([0, 945, 1890, 2835].map((offset) => ({ offset, totalAduLength: 3113 })));
  });

  it('encodes byte-identically to fragment_01..04.bundle.bin (1022/1024/1024/357 bytes)', () => {
    const { bundle } = ud3tnOriginal();
    const fragments = value(fragmentBundle(bundle, 1024));
    expect(fragments).toHaveLength(4);
    fragments.forEach((f, i) => {
      const golden = ud3tnVector(`fragments/fragment_0${i + 1}.bundle.bin`);
      expect(encodeBundle(f).length).toBe([1022, 1024, 1024, 357][i]);
      expect(hex(encodeBundle(f))).toBe(hex(golden));
    });
  });

  it('payload slices are views into the original payload', () => {
    const { bundle, adu } = ud3tnOriginal();
    for (const f of value(fragmentBundle(bundle, 1024))) {
      const data = (f.blocks[f.blocks.length - 1] as CanonicalBlock).data;
      expect(data.buffer).toBe(adu.buffer);
    }
  });

  it('with at most 10 fragments (uD3TN ROUTER_MAX_FRAGMENTS) a 20000-byte payload cannot go under -m 1024', () => {
    const { bundle } = ud3tnOriginal();
    const big: Bundle = { ...bundle, blocks: [payloadBlock(new Uint8Array(20000).fill(0x58))] };
    expect(fragmentBundle(big, 1024, { maxFragments: 10 })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(value(fragmentsNeeded(big, 1024))).toBeGreaterThan(10);
    expect(fragmentBundle(bundle, 1024, { maxFragments: 3 })).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    expect(value(fragmentBundle(bundle, 1024, { maxFragments: 4 }))).toHaveLength(4);
  });

  it('fragmenting a fragment keeps offsets relative to the original ADU', () => {
    const { adu } = ud3tnOriginal();
    const second = decoded(ud3tnVector('fragments/fragment_02.bundle.bin'));
    const pieces = value(fragmentBundle(second, 400));
    let at = 945;
    for (const p of pieces) {
      expect(p.primary.fragment).toEqual({ offset: at, totalAduLength: 3113 });
      expect(hasFlag(p.primary.flags, BundleFlag.IS_FRAGMENT)).toBe(true);
      const data = (p.blocks[p.blocks.length - 1] as CanonicalBlock).data;
      expect(hex(data)).toBe(hex(adu.subarray(at, at + data.length)));
      expect(encodedBundleSize(p)).toBeLessThanOrEqual(400);
      at += data.length;
    }
    expect(at).toBe(1890);
  });
});

describe('fragmentBundle rules (RFC 9171 §5.8)', () => {
  const primary: PrimaryBlock = {
    version: 7,
    flags: 0,
    crcType: 2,
    destination: { scheme: 'ipn', allocator: 0, node: 2, service: 25 },
    source: { scheme: 'ipn', allocator: 0, node: 1, service: 25 },
    reportTo: { scheme: 'ipn', allocator: 0, node: 1, service: 0 },
    creation: { time: 800_000_000_000, sequence: 0 },
    lifetime: 86_400_000,
  };
  const hop: CanonicalBlock = { type: 10, number: 2, flags: 0, crcType: 0, data: Uint8Array.of(0x82, 0x18, 0x1e, 0x00) };
  const age: CanonicalBlock = { type: 7, number: 3, flags: BlockFlag.REPLICATE_IN_EVERY_FRAGMENT, crcType: 1, data: Uint8Array.of(0x19, 0x03, 0xe8) };
  const secret: CanonicalBlock = { type: 200, number: 4, flags: BlockFlag.REPLICATE_IN_EVERY_FRAGMENT + 2 ** 40, crcType: 0, data: new Uint8Array(40) };
  const adu = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
  const bundle: Bundle = { primary, blocks: [hop, age, secret, payloadBlock(adu, 2)] };

  it('replicates exactly the 0x01-flagged blocks; the others go only into the first fragment', () => {
    const fragments = value(fragmentBundle(bundle, 700));
    expect(fragments.length).toBeGreaterThan(2);
    fragments.forEach((f, i) => {
      expect(f.blocks.slice(0, -1)).toEqual(i === 0 ? [hop, age, secret] : [age, secret]);
      expect(encodedBundleSize(f)).toBeLessThanOrEqual(700);
      expect(f.primary.flags).toBe(BundleFlag.IS_FRAGMENT);
      expect(f.blocks[f.blocks.length - 1]).toMatchObject({ type: 1, number: 1, crcType: 2 });
    });
  });

  it('returns a bundle that already fits unchanged', () => {
    const size = encodedBundleSize(bundle);
    const r = value(fragmentBundle(bundle, size));
    expect(r).toHaveLength(1);
    expect(r[0]).toBe(bundle);
    expect(value(fragmentsNeeded(bundle, size))).toBe(1);
    expect(value(fragmentsNeeded(bundle, size - 1))).toBe(2);
  });

  it('refuses a "must not be fragmented" bundle that does not fit, and sends it whole when it fits', () => {
    const mnf: Bundle = { ...bundle, primary: { ...primary, flags: BundleFlag.MUST_NOT_FRAGMENT } };
    expect(fragmentBundle(mnf, 1000)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(value(fragmentBundle(mnf, encodedBundleSize(mnf)))).toEqual([mnf]);
  });

  it('needs room for the headers plus 8 payload bytes (uD3TN FRAGMENT_MIN_PAYLOAD)', () => {
    const h = value(fragmentHeaderSizes(bundle));
    expect(h.first).toBeGreaterThan(h.later);
    const needed = Math.max(h.first, h.later) + 8;
    expect(fragmentBundle(bundle, needed - 1)).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    const fragments = value(fragmentBundle(bundle, needed, { maxFragments: 10_000 }));
    expect(fragments.every((f) => encodedBundleSize(f) <= needed)).toBe(true);
  });

  it('refuses bad arguments and unencodable bundles with errors, never exceptions', () => {
    for (const max of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(fragmentBundle(bundle, max)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    }
    expect(fragmentBundle(bundle, 1000, { maxFragments: 0 })).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    const badEid: Bundle = { ...bundle, primary: { ...primary, source: { scheme: 'dtn', ssp: 'nope' } } };
    expect(fragmentBundle(badEid, 1000)).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } });
    expect(fragmentBundle({ primary, blocks: [hop] }, 1000)).toMatchObject({ ok: false, error: { code: 'BUNDLE_INVALID' } });
    const emptyButBig: Bundle = { primary, blocks: [{ ...hop, data: new Uint8Array(2000) }, payloadBlock(new Uint8Array(0))] };
    expect(fragmentBundle(emptyButBig, 1000)).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
    const outside: Bundle = { primary: { ...primary, flags: 1, fragment: { offset: 4000, totalAduLength: 4100 } }, blocks: [payloadBlock(adu)] };
    expect(fragmentBundle(outside, 1000)).toMatchObject({ ok: false, error: { code: 'BUNDLE_INVALID' } });
  });

  it('does not build more fragments than a reassembler accepts by default', () => {
    const huge: Bundle = { primary, blocks: [payloadBlock(new Uint8Array(8 * 70_000))] };
    const h = value(fragmentHeaderSizes(huge));
    expect(fragmentBundle(huge, h.later + 8)).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });
});

// ---- properties ----------------------------------------------------------------------------------

/** A payload of `n` bytes from a seed (fast-check would generate 100 KB byte by byte, slowly). */
function payloadOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed | 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}

const crcArb = fc.constantFrom<CrcType>(0, 1, 2);
const extensionArb = fc.record({
  type: fc.oneof(fc.constantFrom(6, 7, 10, 11, 12), fc.integer({ min: 2, max: 255 })),
  replicate: fc.boolean(),
  otherFlags: fc.constantFrom(0, 0x02, 0x04, 0x10, 0x16),
  crcType: crcArb,
  data: fc.uint8Array({ maxLength: 48 }),
});

const scenarioArb = fc
  .record({
    primary: primaryArb.map((p): PrimaryBlock => {
      const { fragment: _f, ...rest } = p;
      // Not a fragment and not "must not be fragmented"; a lifetime ≥ 1 ms so the reassembler keeps it.
      let flags = p.flags;
      if (hasFlag(flags, BundleFlag.IS_FRAGMENT)) flags -= BundleFlag.IS_FRAGMENT;
      if (hasFlag(flags, BundleFlag.MUST_NOT_FRAGMENT)) flags -= BundleFlag.MUST_NOT_FRAGMENT;
      return { ...rest, flags, lifetime: Math.max(1, p.lifetime) };
    }),
    extensions: fc.array(extensionArb, { maxLength: 4 }),
    payloadLength: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100_000 })),
    payloadCrc: crcArb,
    seed: fc.integer(),
    maxRoom: fc.integer({ min: 0, max: 1 << 20 }),
    otherRoom: fc.integer({ min: 0, max: 1 << 20 }),
    prefragment: fc.boolean(),
    shuffle: fc.array(fc.nat(), { maxLength: 600 }),
    duplicates: fc.array(fc.nat(), { maxLength: 5 }),
  })
  .map((s) => {
    const blocks: CanonicalBlock[] = s.extensions.map((e, i) => ({
      type: e.type,
      number: i + 2,
      flags: e.otherFlags + (e.replicate ? BlockFlag.REPLICATE_IN_EVERY_FRAGMENT : 0),
      crcType: e.crcType,
      data: e.data,
    }));
    const adu = payloadOf(s.payloadLength, s.seed);
    const bundle: Bundle = { primary: s.primary, blocks: [...blocks, payloadBlock(adu, s.payloadCrc)] };
    return { ...s, bundle, adu };
  });

/** A maximum size from the smallest workable one (at most ~300 fragments) to just below the bundle's size. */
function maxSizeFor(bundle: Bundle, room: number): number {
  const h = value(fragmentHeaderSizes(bundle));
  const payload = (bundle.blocks[bundle.blocks.length - 1] as CanonicalBlock).data.length;
  const least = Math.max(h.first, h.later) + 8 + Math.ceil(payload / 300);
  return least + (room % Math.max(1, encodedBundleSize(bundle) - least));
}

function shuffled<T>(items: readonly T[], keys: readonly number[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = (keys[i % Math.max(1, keys.length)] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('properties: fragment → encode → decode → shuffle, duplicate, overlap → reassemble', () => {
  it('every fragment fits, and reassembly gives back the original bundle', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const max = maxSizeFor(s.bundle, s.maxRoom);
        // Optionally start from fragments already (a fragment of a fragment keeps original offsets).
        const sources = s.prefragment ? value(fragmentBundle(s.bundle, Math.max(max, maxSizeFor(s.bundle, s.otherRoom)))) : [s.bundle];
        const fragments: Bundle[] = [];
        for (const src of sources) fragments.push(...value(fragmentBundle(src, max)));
        // Overlapping extras: the same bundle fragmented at another maximum.
        const extras = value(fragmentBundle(s.bundle, maxSizeFor(s.bundle, s.otherRoom)));
        for (const f of fragments) expect(encodedBundleSize(f)).toBeLessThanOrEqual(max);

        const onWire = [...fragments, ...extras, ...s.duplicates.map((d) => fragments[d % fragments.length] as Bundle)]
          .filter((f) => f.primary.fragment !== undefined)
          .map((f) => decoded(encodeBundle(f)));
        if (onWire.length === 0) return; // it fit in one bundle: nothing to reassemble
        const r = createReassembler({ now: () => s.primary.creation.time });
        const results = shuffled(onWire, s.shuffle).map((f) => r.add(f));
        expect(results.filter((x) => x.kind === 'rejected')).toEqual([]);
        const done = results.find((x) => x.kind === 'complete');
        if (done?.kind !== 'complete') throw new Error('never completed');
        // Decoding records the ipn wire form; the encodings show everything else is the original's.
        expect(done.bundle.primary.fragment).toBeUndefined();
        expect(hex(encodeBundle({ ...done.bundle, blocks: [] }))).toBe(hex(encodeBundle({ ...s.bundle, blocks: [] })));
        expect(done.bundle.blocks.slice(0, -1)).toEqual(s.bundle.blocks.slice(0, -1));
        expect(Buffer.compare(encodeBundle(done.bundle), encodeBundle(s.bundle))).toBe(0);
        const payload = done.bundle.blocks[done.bundle.blocks.length - 1] as CanonicalBlock;
        expect(payload).toMatchObject({ type: 1, number: 1, flags: 0, crcType: s.payloadCrc });
        expect(payload.data.length).toBe(s.adu.length);
        expect(Buffer.compare(payload.data, s.adu)).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('the size helpers agree with what fragmentBundle builds', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const max = maxSizeFor(s.bundle, s.maxRoom);
        const fragments = value(fragmentBundle(s.bundle, max));
        const plan = value(planFragments(s.bundle, max));
        expect(value(fragmentsNeeded(s.bundle, max))).toBe(fragments.length);
        expect(fragments.map((f) => (f.blocks[f.blocks.length - 1] as CanonicalBlock).data.length)).toEqual(plan);
        if (fragments.length > 1) {
          const h = value(fragmentHeaderSizes(s.bundle));
          fragments.forEach((f, i) => {
            const data = (f.blocks[f.blocks.length - 1] as CanonicalBlock).data.length;
            // The estimate never undershoots: each fragment's real size is at most estimate + payload.
            expect(encodedBundleSize(f)).toBeLessThanOrEqual((i === 0 ? h.first : h.later) + data);
          });
        }
      }),
      { numRuns: 100 },
    );
  });
});
