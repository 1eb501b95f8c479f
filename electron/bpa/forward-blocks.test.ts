/**
 * The extension blocks a forwarding node updates (RFC 9171 §4.4.1 previous node, §4.4.2 bundle age,
 * §4.4.3 hop count). Block data bytes are the CBOR of protocols.md §3.9 (hop count [30,0] = 82 18 1e 00).
 */
import { describe, expect, it } from 'vitest';
import { encodeBundle } from '../../shared/protocol/bpv7/bundle';
import type { Bundle, CanonicalBlock } from '../../shared/protocol/bpv7/types';
import { fromHex } from '../../shared/test-support/vectors';
import { prepareForForwarding } from './forward-blocks';

const EARTH = { scheme: 'dtn', ssp: '//earth.dtn/' } as const;
const payload: CanonicalBlock = { type: 1, number: 1, flags: 0, crcType: 0, data: fromHex('48454c4f') };

function bundle(blocks: CanonicalBlock[], time = 800_000_000_000): Bundle {
  return {
    primary: {
      version: 7,
      flags: 0,
      crcType: 1,
      destination: { scheme: 'dtn', ssp: '//mars.dtn/smtp' },
      source: { scheme: 'dtn', ssp: '//earth.dtn/smtp' },
      reportTo: { scheme: 'dtn', ssp: 'none' },
      creation: { time, sequence: 1 },
      lifetime: 60_000,
    },
    blocks: [...blocks, payload],
  };
}

function prepared(b: Bundle, elapsedMs = 0): Bundle {
  const r = prepareForForwarding(b, { nodeId: EARTH, elapsedMs });
  if (!r.ok || r.value.kind !== 'ok') throw new Error('not prepared');
  return r.value.bundle;
}

describe('prepareForForwarding', () => {
  it('adds a previous node block (the node ID as CBOR EID) before the payload, with the next free block number', () => {
    const out = prepared(bundle([]));
    // [1, "//earth.dtn/"] = 82 01 6c 2f2f65617274682e64746e2f
    expect(out.blocks).toEqual([{ type: 6, number: 2, flags: 0, crcType: 0, data: fromHex('82016c2f2f65617274682e64746e2f') }, payload]);
  });

  it('replaces an existing previous node in place, keeping its number, flags and CRC type', () => {
    const old: CanonicalBlock = { type: 6, number: 5, flags: 0x01, crcType: 2, data: fromHex('82016b2f2f6d6172732e64746e2f') };
    const out = prepared(bundle([old]));
    expect(out.blocks[0]).toEqual({ ...old, data: fromHex('82016c2f2f65617274682e64746e2f') });
    expect(out.blocks).toHaveLength(2);
  });

  it('counts the hop: [30, 0] becomes [30, 1]; a count that would pass the limit is reported', () => {
    const hop = (hex: string): CanonicalBlock => ({ type: 10, number: 3, flags: 0, crcType: 0, data: fromHex(hex) });
    const out = prepared(bundle([hop('82181e00')]));
    expect(out.blocks[0]?.data).toEqual(fromHex('82181e01'));
    const over = prepareForForwarding(bundle([hop('820101')]), { nodeId: EARTH, elapsedMs: 0 });
    expect(over.ok && over.value).toEqual({ kind: 'hop-limit-exceeded', limit: 1, count: 2 });
  });

  it('adds the time spent here to the bundle age; creation time 0 without an age block gets one (§4.2.7)', () => {
    const age: CanonicalBlock = { type: 7, number: 4, flags: 0, crcType: 0, data: fromHex('1903e8') }; // 1000 ms
    expect(prepared(bundle([age]), 234).blocks[0]?.data).toEqual(fromHex('1904d2')); // 1234
    const noClock = prepared(bundle([], 0), 42);
    expect(noClock.blocks.map((b) => [b.type, b.number])).toEqual([[6, 2], [7, 3], [1, 1]]);
    expect(noClock.blocks[1]?.data).toEqual(fromHex('182a'));
  });

  it('leaves the input alone and shares the payload and unknown blocks', () => {
    const unknown: CanonicalBlock = { type: 200, number: 2, flags: 0, crcType: 0, data: fromHex('01') };
    const input = bundle([unknown]);
    const before = encodeBundle(input);
    const out = prepared(input, 5);
    expect(encodeBundle(input)).toEqual(before);
    expect(out.blocks[0]).toBe(unknown);
    expect(out.blocks[out.blocks.length - 1]?.data).toBe(payload.data);
  });
});
