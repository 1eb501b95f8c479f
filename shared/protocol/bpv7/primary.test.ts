import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { primaryArb } from '../../test-support/bpv7-arbitraries';
import { fromHex, hex, ud3tnVector } from '../../test-support/vectors';
import { CborReader } from '../cbor/reader';
import { parseEid } from './eid';
import { BundleFlag } from './flags';
import { PRIMARY_BLOCK_LAYOUT, decodePrimaryBlock, encodePrimaryBlock, primaryBlockSize, primaryItemCount, readPrimaryBlock } from './primary';
import type { Eid, PrimaryBlock } from './types';

const eid = (text: string): Eid => {
  const r = parseEid(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

// protocols.md §3.12 (d): flags delivery|deletion|status time, CRC-16, 98 bytes, CRC 0xA640.
const EXAMPLE_D =
  '89071a00060040018201742f2f6d6172732e6578616d706c652f656d61696c8201752f2f65617274682e6578616d706c652f656d61696c8201752f2f65617274682e6578616d706c652f656d61696c821b000000ba43b74000031a240c840042a640';
const EXAMPLE_D_BLOCK: PrimaryBlock = {
  version: 7,
  flags: BundleFlag.REPORT_DELIVERY | BundleFlag.REPORT_DELETION | BundleFlag.STATUS_TIME_REQUESTED,
  crcType: 1,
  destination: eid('dtn://mars.example/email'),
  source: eid('dtn://earth.example/email'),
  reportTo: eid('dtn://earth.example/email'),
  creation: { time: 800000000000, sequence: 3 },
  lifetime: 7 * 24 * 3600 * 1000,
};

describe('primary block (RFC 9171 §4.3.1)', () => {
  it('lays out 8 to 11 items: base 8, +2 fragment fields, +1 CRC', () => {
    expect(PRIMARY_BLOCK_LAYOUT).toHaveLength(11);
    expect(primaryItemCount(0, 0)).toBe(8);
    expect(primaryItemCount(0, 1)).toBe(9);
    expect(primaryItemCount(BundleFlag.IS_FRAGMENT, 0)).toBe(10);
    expect(primaryItemCount(BundleFlag.IS_FRAGMENT, 2)).toBe(11);
  });

  it('encodes worked example (d) byte for byte and decodes it back', () => {
    const bytes = encodePrimaryBlock(EXAMPLE_D_BLOCK);
    expect(bytes.ok && hex(bytes.value)).toBe(EXAMPLE_D);
    const d = decodePrimaryBlock(fromHex(EXAMPLE_D));
    expect(d).toEqual({ ok: true, value: { block: EXAMPLE_D_BLOCK, offset: 0, length: 98, crcOk: true } });
  });

  it('reports a wrong CRC without failing the block decode', () => {
    const bytes = fromHex(EXAMPLE_D);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
    const d = decodePrimaryBlock(bytes);
    expect(d.ok && d.value.crcOk).toBe(false);
  });

  it('decodes the fragment fields of uD3TN fragment 2 (protocols.md §3.10)', () => {
    // The 69-byte primary block: 8b 07 01 01 … 1a 05265c00 19 03b1 19 0c29 42 43b4
    const bundle = ud3tnVector('fragments/fragment_02.bundle.bin');
    const d = decodePrimaryBlock(bundle, 1);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const bytes = hex(bundle.subarray(1, 1 + d.value.length));
    expect(bytes.startsWith('8b070101')).toBe(true);
    expect(bytes.endsWith('1a05265c001903b1190c294243b4')).toBe(true);
    expect(d.value.length).toBe(69);
    expect(d.value.block.fragment).toEqual({ offset: 945, totalAduLength: 3113 });
    expect(d.value.crcOk).toBe(true);
  });

  it.each([
    ['87070000820100820100820100820000' + '00', 'MALFORMED'], // 7 items
    ['88060000820100820100820100820000' + '00', 'UNSUPPORTED'], // version 6
    ['88070003820100820100820100820000' + '00', 'MALFORMED'], // CRC type 3
    ['89070000820100820100820100820000' + '00' + '4100', 'MALFORMED'], // 9 items but CRC type 0
    ['88070100820100820100820100820000' + '00', 'MALFORMED'], // fragment flag, 8 items
    ['890700018201008201008201008200000041' + '00', 'MALFORMED'], // CRC-16 of 1 byte
    ['8807000082010082010082010082000020', 'CBOR_MALFORMED'], // lifetime -1
    ['880700008201008201008201008300000000', 'MALFORMED'], // timestamp of 3 items
    ['880700008201008201008201008200', 'TRUNCATED'],
  ])('refuses %s with %s', (h, code) => {
    const d = decodePrimaryBlock(fromHex(h));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.error.code).toBe(code);
  });

  it('refuses to encode what the wire cannot carry', () => {
    const bad: PrimaryBlock[] = [
      { ...EXAMPLE_D_BLOCK, flags: -1 },
      { ...EXAMPLE_D_BLOCK, lifetime: 1.5 },
      { ...EXAMPLE_D_BLOCK, crcType: 3 as 0 },
      { ...EXAMPLE_D_BLOCK, flags: BundleFlag.IS_FRAGMENT },
      { ...EXAMPLE_D_BLOCK, fragment: { offset: 0, totalAduLength: 1 } },
      { ...EXAMPLE_D_BLOCK, destination: { scheme: 'dtn', ssp: '//no slash' } },
      { ...EXAMPLE_D_BLOCK, creation: { time: 2 ** 53, sequence: 0 } },
    ];
    for (const p of bad) {
      const r = primaryBlockSize(p);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('round-trips any primary block, with the size known up front', () => {
    fc.assert(
      fc.property(primaryArb, (p) => {
        const size = primaryBlockSize(p);
        const bytes = encodePrimaryBlock(p);
        expect(bytes.ok && size.ok && bytes.value.length === size.value).toBe(true);
        if (!bytes.ok) return;
        const r = new CborReader(bytes.value);
        const back = readPrimaryBlock(r);
        expect(r.pos).toBe(bytes.value.length);
        expect(back && encodePrimaryBlock(back)).toEqual(bytes);
        const d = decodePrimaryBlock(bytes.value);
        expect(d.ok && d.value.crcOk).toBe(true);
      }),
    );
  });
});
