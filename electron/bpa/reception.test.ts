/**
 * What the processor makes of received bytes (RFC 9171 §5.6): CRCs and validation, unknown blocks by
 * their block processing control flags (§4.2.4: 0x04 delete, 0x10 discard, 0x02 report), hop count.
 * uD3TN's observed behaviour for the same inputs is in ud3tn-behaviour.md §4.
 */
import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../shared/protocol/bpv7/bundle';
import { encodeHopCount } from '../../shared/protocol/bpv7/extension-blocks';
import { BundleFlag } from '../../shared/protocol/bpv7/flags';
import type { Bundle, CanonicalBlock } from '../../shared/protocol/bpv7/types';
import { haveVectors, ud3tnVector } from '../../shared/test-support/vectors';
import { examineReceived } from './reception';

const codec = {};

function bundleWith(blocks: CanonicalBlock[], flags = 0): Bundle {
  return {
    primary: {
      version: 7,
      flags,
      crcType: 1,
      destination: { scheme: 'dtn', ssp: '//mars.dtn/smtp' },
      source: { scheme: 'dtn', ssp: '//earth.dtn/smtp' },
      reportTo: { scheme: 'dtn', ssp: '//earth.dtn/reports' },
      creation: { time: 800_000_000_000, sequence: 1 },
      lifetime: 60_000,
    },
    blocks: [...blocks, { type: 1, number: 1, flags: 0, crcType: 0, data: new TextEncoder().encode('payload') }],
  };
}

const unknown = (flags: number, number = 2, type = 192): CanonicalBlock => ({ type, number, flags, crcType: 0, data: Uint8Array.of(0x01) });

describe('examineReceived', () => {
  it.runIf(haveVectors)('accepts a uD3TN bundle unchanged (the very bytes are stored)', () => {
    const bytes = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin');
    const r = examineReceived(bytes, codec);
    expect(r.ok && r.value.kind === 'accept' && r.value.bytes).toBe(bytes);
  });

  it('an unknown block without flags travels unchanged', () => {
    const bytes = encodeBundle(bundleWith([unknown(0)]));
    const r = examineReceived(bytes, codec);
    expect(r.ok && r.value.kind === 'accept' && r.value.bytes).toBe(bytes);
  });

  it('0x04 "delete bundle if block can\'t be processed": deleted with reason 8 (uD3TN: "Block Unintelligible")', () => {
    const r = examineReceived(encodeBundle(bundleWith([unknown(0x04)])), codec);
    expect(r.ok && r.value).toMatchObject({ kind: 'delete', reason: 8, blockReport: false });
  });

  it('0x10 "discard block": the bundle is re-encoded without it; other blocks stay', () => {
    const keep = unknown(0, 3, 193);
    const r = examineReceived(encodeBundle(bundleWith([unknown(0x10), keep])), codec);
    if (!r.ok || r.value.kind !== 'accept') throw new Error('expected accept');
    expect(r.value.discardedBlocks).toEqual([192]);
    const stored = decodeBundle(r.value.bytes);
    expect(stored.ok && stored.value.bundle.blocks.map((b) => b.type)).toEqual([193, 1]);
  });

  it('0x02 "report if block can\'t be processed": a reception report with reason 8 is due, with 0x04 too', () => {
    const kept = examineReceived(encodeBundle(bundleWith([unknown(0x02)])), codec);
    expect(kept.ok && kept.value).toMatchObject({ kind: 'accept', blockReport: true });
    const deleted = examineReceived(encodeBundle(bundleWith([unknown(0x02 | 0x04)])), codec);
    expect(deleted.ok && deleted.value).toMatchObject({ kind: 'delete', reason: 8, blockReport: true });
  });

  it('BPSec blocks are not processed here: their flags decide like an unknown block\'s', () => {
    const r = examineReceived(encodeBundle(bundleWith([unknown(0x04, 2, 12)])), codec);
    expect(r.ok && r.value).toMatchObject({ kind: 'delete', reason: 8 });
  });

  it('a hop count already above its limit: deleted with reason 9; at the limit it is accepted (forwarding would exceed it)', () => {
    const hop = (limit: number, count: number): CanonicalBlock => {
      const d = encodeHopCount({ limit, count });
      if (!d.ok) throw new Error('hop');
      return { type: 10, number: 2, flags: 0, crcType: 0, data: d.value };
    };
    const over = examineReceived(encodeBundle(bundleWith([hop(3, 4)])), codec);
    expect(over.ok && over.value).toMatchObject({ kind: 'delete', reason: 9 });
    const at = examineReceived(encodeBundle(bundleWith([hop(3, 3)])), codec);
    expect(at.ok && at.value.kind).toBe('accept');
  });

  it('refuses what cannot be trusted: bad CRC, definite-length array, garbage, and validation errors', () => {
    const good = encodeBundle(bundleWith([]));
    const flipped = good.slice();
    flipped[12] = (flipped[12] as number) ^ 0x20;
    const definite = good.slice();
    definite[0] = 0x82;
    const adminAsksReports = encodeBundle(bundleWith([], BundleFlag.ADMIN_RECORD | BundleFlag.REPORT_DELIVERY));
    const codes = [flipped, definite, Uint8Array.of(0xff, 0x00), adminAsksReports].map((b) => {
      const r = examineReceived(b, codec);
      return r.ok ? 'ok' : r.error.code;
    });
    expect(codes).toEqual(['CRC_MISMATCH', 'MALFORMED', 'MALFORMED', 'BUNDLE_INVALID']);
  });
});
