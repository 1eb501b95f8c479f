/**
 * Fuzz tier for what the processor receives from the network: random bytes, mutated real uD3TN bundles,
 * and structurally valid bundles with random flags and random extension blocks (so the CRCs hold and the
 * block rules of RFC 9171 §4.2.4 are reached). Nothing may throw; outcomes must keep the block rules; the
 * processor fed the same inputs through its sink stores only bundles that decode, and logs no internal error.
 */
import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from '../../shared/protocol/bpv7/bundle';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import { encodeBundleAge, encodeHopCount } from '../../shared/protocol/bpv7/extension-blocks';
import { BlockFlag, BlockType, hasFlag } from '../../shared/protocol/bpv7/flags';
import type { Bundle, CanonicalBlock } from '../../shared/protocol/bpv7/types';
import { createRng, fuzzSeed, mutate } from '../../shared/test-support/fuzz';
import { fuzzRuns, haveVectors, ud3tnVector } from '../../shared/test-support/vectors';
import { prepareForForwarding } from './forward-blocks';
import { examineReceived } from './reception';
import { createFakeNetwork } from './test-support/fake-network';
import { startTestNode } from './test-support/test-node';

type Rng = ReturnType<typeof createRng>;

const VECTORS = haveVectors
  ? [
      'cla-mtcp/bsmtp-dtn.bundle.bin',
      'cla-mtcp/bsmtp-ipn.bundle.bin',
      'cla-mtcp/bibe-encapsulating.bundle.bin',
      'fragments/fragment_02.bundle.bin',
      'status-reports/crafted-01_delivered.bundle.bin',
      'status-reports/mars-to-earth_09.bundle.bin',
    ].map((v) => ud3tnVector(v))
  : [];

const KNOWN_TYPES = [BlockType.PREVIOUS_NODE, BlockType.BUNDLE_AGE, BlockType.HOP_COUNT];

/** A bundle whose CRCs hold, with random bundle flags and random extension blocks. */
function structured(rng: Rng): Uint8Array {
  const blocks: CanonicalBlock[] = [];
  const n = rng.int(5);
  for (let i = 0; i < n; i++) {
    let type = 2 + rng.int(254);
    let data = rng.bytes(rng.int(12));
    const pick = rng.int(6);
    if (pick === 0) {
      type = BlockType.HOP_COUNT;
      const h = encodeHopCount({ limit: 1 + rng.int(255), count: rng.int(260) });
      if (h.ok) data = h.value;
    } else if (pick === 1) {
      type = BlockType.BUNDLE_AGE;
      const a = encodeBundleAge(rng.int(1_000_000));
      if (a.ok) data = a.value;
    } else if (pick === 2) {
      type = KNOWN_TYPES[rng.int(KNOWN_TYPES.length)] as number; // a known type with random data
    }
    blocks.push({ type, number: 2 + i, flags: rng.int(0x20), crcType: rng.int(3) as 0 | 1 | 2, data });
  }
  const payload = rng.bytes(rng.int(40));
  blocks.push({ type: 1, number: 1, flags: rng.int(0x20), crcType: rng.int(3) as 0 | 1 | 2, data: payload });
  const flags = rng.int(2) === 0 ? 0 : rng.int(0x80000);
  // The encoder needs the fragment fields exactly when the "is fragment" flag is set (RFC 9171 §4.3.1).
  const offset = rng.int(100);
  const fragment = (flags & 1) === 1 ? { fragment: { offset, totalAduLength: offset + payload.length + rng.int(3) } } : {};
  const bundle: Bundle = {
    primary: {
      version: 7,
      flags,
      ...fragment,
      crcType: (1 + rng.int(2)) as 1 | 2,
      destination: rng.int(2) === 0 ? { scheme: 'dtn', ssp: '//mars.dtn/smtp' } : { scheme: 'ipn', allocator: 0, node: 2, service: rng.int(100) },
      source: { scheme: 'dtn', ssp: '//earth.dtn/smtp' },
      reportTo: rng.int(2) === 0 ? { scheme: 'dtn', ssp: 'none' } : { scheme: 'dtn', ssp: '//earth.dtn/reports' },
      creation: { time: rng.int(4) === 0 ? 0 : Date.now() - DTN_EPOCH_UNIX_MS, sequence: rng.int(1000) },
      lifetime: 1 + rng.int(86_400_000),
    },
    blocks,
  };
  return encodeBundle(bundle);
}

function input(rng: Rng, i: number): Uint8Array {
  switch (i % 3) {
    case 0:
      return rng.bytes(rng.int(64));
    case 1:
      return VECTORS.length > 0 ? mutate(rng, VECTORS[rng.int(VECTORS.length)] as Uint8Array) : rng.bytes(rng.int(64));
    default:
      return rng.int(3) === 0 ? mutate(rng, structured(rng)) : structured(rng);
  }
}

const NODE = { scheme: 'dtn', ssp: '//relay.dtn/' } as const;

describe('reception fuzz', () => {
  it(`examineReceived on ${fuzzRuns} random, mutated and structured inputs: no throw, block rules kept`, () => {
    const rng = createRng(fuzzSeed);
    let accepted = 0;
    let deleted = 0;
    let discarded = 0;
    for (let i = 0; i < fuzzRuns; i++) {
      const bytes = input(rng, i);
      const r = examineReceived(bytes, {});
      if (!r.ok) {
        expect(typeof r.error.code).toBe('string');
        continue;
      }
      const o = r.value;
      if (o.kind === 'delete') {
        expect([8, 9]).toContain(o.reason);
        deleted++;
        continue;
      }
      accepted++;
      if (o.discardedBlocks.length > 0) discarded++;
      const again = decodeBundle(o.bytes);
      expect(again.ok, `run ${i} (seed ${fuzzSeed})`).toBe(true);
      for (const b of o.bundle.blocks) {
        if (b.type === 1 || KNOWN_TYPES.includes(b.type as (typeof KNOWN_TYPES)[number])) continue;
        expect(hasFlag(b.flags, BlockFlag.DELETE_BUNDLE_IF_UNPROCESSABLE) || hasFlag(b.flags, BlockFlag.DISCARD_BLOCK_IF_UNPROCESSABLE)).toBe(false);
      }
      const prep = prepareForForwarding(o.bundle, { nodeId: NODE, elapsedMs: rng.int(10_000) });
      const ready = prep.ok && prep.value.kind === 'ok' ? prep.value.bundle : undefined;
      if (ready !== undefined) expect(() => encodeBundle(ready)).not.toThrow();
    }
    // Every branch is reached, not only the decoder's refusals.
    expect(Math.min(accepted, deleted, discarded)).toBeGreaterThan(0);
  });

  it('the processor fed the same inputs through its sink stays consistent', async () => {
    const network = createFakeNetwork();
    const node = await startTestNode({ nodeId: 'dtn://mars.dtn/', network, address: 'mars:1' });
    try {
      const rng = createRng(fuzzSeed + 1);
      const runs = Math.min(3000, Math.max(300, Math.floor(fuzzRuns / 30)));
      for (let i = 0; i < runs; i++) node.bpa.sink(input(rng, i), { cla: 'mtcp', remote: 'fuzz' });
      await new Promise((r) => setTimeout(r, 100));
      expect(node.named('bpa.internal_error')).toEqual([]);
      expect(node.named('bundle.received').length).toBeGreaterThan(0);
      for (const state of ['forward', 'deliver', 'reassembly'] as const) {
        for (const m of node.store.listByState(state)) {
          const got = node.store.get(m.id);
          expect(got.ok && decodeBundle(got.value.bytes, { requireValidCrc: true }).ok).toBe(true);
        }
      }
    } finally {
      await node.destroy();
    }
  });
});
