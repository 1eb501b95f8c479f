/**
 * fast-check generators for BPv7 values (EIDs, blocks, bundles), shared by the bpv7 property and fuzz
 * tests and by anyone testing code built on them (fragmentation, reassembly, the BPA).
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import type { Bundle, CanonicalBlock, CrcType, DtnEid, Eid, IpnEid, PrimaryBlock } from '../protocol/bpv7/types';

const NODE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._'.split('');
const VCHARS = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i));

export const dtnEidArb: Arbitrary<DtnEid> = fc.oneof(
  fc.constant<DtnEid>({ scheme: 'dtn', ssp: 'none' }),
  fc
    .tuple(fc.string({ unit: fc.constantFrom(...NODE_CHARS), minLength: 1, maxLength: 30 }), fc.string({ unit: fc.constantFrom(...VCHARS), maxLength: 40 }))
    .map(([node, demux]): DtnEid => ({ scheme: 'dtn', ssp: `//${node}/${demux}` })),
);

const u32 = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 0xffffffff }));
const service = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.maxSafeNat());

/** ipn EIDs in every RFC 9758 shape: allocator 0 or not, wire form unset, 2 or 3. */
export const ipnEidArb: Arbitrary<IpnEid> = fc
  .record({
    allocator: fc.oneof(fc.constant(0), u32),
    node: u32,
    service,
    wireForm: fc.constantFrom<2 | 3 | undefined>(undefined, 2, 3),
  })
  .map(({ allocator, node, service: s, wireForm }): IpnEid =>
    wireForm === undefined ? { scheme: 'ipn', allocator, node, service: s } : { scheme: 'ipn', allocator, node, service: s, wireForm },
  );

export const eidArb: Arbitrary<Eid> = fc.oneof(dtnEidArb, ipnEidArb);

export const crcTypeArb: Arbitrary<CrcType> = fc.constantFrom<CrcType>(0, 1, 2);

/** Any uint64-as-number flag word, biased towards the low assigned bits. */
const flagsArb = fc.oneof(fc.integer({ min: 0, max: 0x7ffff }), fc.maxSafeNat());

export const primaryArb: Arbitrary<PrimaryBlock> = fc
  .record({
    flags: flagsArb,
    crcType: crcTypeArb,
    destination: eidArb,
    source: eidArb,
    reportTo: eidArb,
    time: fc.oneof(fc.constant(0), fc.maxSafeNat()),
    sequence: fc.oneof(fc.nat(10), fc.maxSafeNat()),
    lifetime: fc.maxSafeNat(),
    fragment: fc.option(fc.record({ offset: fc.maxSafeNat(), totalAduLength: fc.maxSafeNat() }), { nil: undefined }),
  })
  .map((r): PrimaryBlock => {
    // The "is fragment" flag and the fragment fields go together (RFC 9171 §4.3.1).
    const flags = r.fragment ? r.flags - (r.flags % 2) + 1 : r.flags - (r.flags % 2);
    const base = {
      version: 7 as const,
      flags,
      crcType: r.crcType,
      destination: r.destination,
      source: r.source,
      reportTo: r.reportTo,
      creation: { time: r.time, sequence: r.sequence },
      lifetime: r.lifetime,
    };
    return r.fragment ? { ...base, fragment: r.fragment } : base;
  });

export const blockArb = (type: Arbitrary<number>, number: Arbitrary<number>, maxData = 64): Arbitrary<CanonicalBlock> =>
  fc.record({ type, number, flags: flagsArb, crcType: crcTypeArb, data: fc.uint8Array({ maxLength: maxData }) });

/** Bundles with unique block numbers ≥ 2 for extension blocks (known and unknown types) and the payload last. */
export const bundleArb: Arbitrary<Bundle> = fc
  .record({
    primary: primaryArb,
    extensions: fc.uniqueArray(blockArb(fc.oneof(fc.constantFrom(6, 7, 10, 11, 12), fc.integer({ min: 2, max: 300 }), fc.maxSafeNat()), fc.integer({ min: 2, max: 1000 })), {
      maxLength: 4,
      selector: (b) => b.number,
    }),
    payload: blockArb(fc.constant(1), fc.constant(1), 600),
  })
  .map(({ primary, extensions, payload }): Bundle => ({ primary, blocks: [...extensions, payload] }));
