import { describe, expect, it } from 'vitest';
import { fromHex, fuzzRuns, ud3tnVector } from '../../test-support/vectors';
import { concat, createRng, fuzzSeed, mutate, randomChunks } from '../../test-support/fuzz';
import { createTcpclv3Decoder } from './decoder';
import { encodeTcpclv3BundleParts, encodeTcpclv3Message } from './messages';

const MAX_BUNDLE = 4096;
const MAX_SEGMENT = 1024;
const CODES = new Set(['MALFORMED', 'UNSUPPORTED', 'LIMIT_EXCEEDED']);

function run(rng: ReturnType<typeof createRng>, input: Uint8Array): void {
  const decoder = createTcpclv3Decoder({ maxBundle: MAX_BUNDLE, maxSegment: MAX_SEGMENT, reportSegments: rng.int(2) === 0 });
  let steps = 0;
  for (const chunk of randomChunks(rng, input, 1 + rng.int(64))) {
    decoder.push(chunk);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      if (++steps > 2 * input.length + 2) throw new Error('no progress');
      if (step.kind === 'error') {
        if (!CODES.has(step.error.code)) throw new Error(step.error.code);
        if (decoder.next() !== step) throw new Error('error is not final');
        return;
      }
      if (step.kind === 'bundle' && step.bundle.length > MAX_BUNDLE) throw new Error('bundle above maxBundle');
    }
  }
}

const header = ud3tnVector('cla-tcpclv3/earth-to-mars_01_CONTACT_HEADER.bin');
const bundle = ud3tnVector('cla-tcpclv3/earth-to-mars_02.bundle.bin');
const control = [
  { type: 'KEEPALIVE' as const },
  { type: 'ACK_SEGMENT' as const, length: 442 },
  { type: 'SHUTDOWN' as const, reason: 2, reconnectionDelay: 60 },
  { type: 'REFUSE_BUNDLE' as const, reason: 1 },
  { type: 'LENGTH' as const, length: 442 },
].map((m) => {
  const r = encodeTcpclv3Message(m);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
});
const seeds = [
  ud3tnVector('cla-tcpclv3/earth-to-mars.stream.bin'),
  ud3tnVector('cla-tcpclv3/mars-to-earth.stream.bin'),
  concat([header, ...encodeTcpclv3BundleParts(bundle, 150), ...control]),
  concat([header, ...control, ...encodeTcpclv3BundleParts(bundle.subarray(0, 40), 7)]),
];

describe('TCPCLv3 decoder fuzz', () => {
  it(`random bytes after a valid contact header (${Math.ceil(fuzzRuns / 2)} inputs)`, () => {
    const rng = createRng(fuzzSeed);
    for (let i = 0; i < Math.ceil(fuzzRuns / 2); i++) {
      const body = rng.bytes(rng.int(200));
      if (body.length > 0) body[0] = (rng.int(7) << 4) | rng.int(16);
      try {
        run(rng, rng.int(8) === 0 ? body : concat([header, body]));
      } catch (e) {
        throw new Error(`seed ${fuzzSeed} run ${i}: ${String(e)}`);
      }
    }
  });

  it(`mutated sessions (${Math.floor(fuzzRuns / 2)} inputs)`, () => {
    const rng = createRng(fuzzSeed + 1);
    for (let i = 0; i < Math.floor(fuzzRuns / 2); i++) {
      const input = mutate(rng, seeds[rng.int(seeds.length)] as Uint8Array);
      try {
        run(rng, input);
      } catch (e) {
        throw new Error(`seed ${fuzzSeed + 1} run ${i}: ${String(e)}`);
      }
    }
  });

  it('huge announced segments allocate nothing until their bytes arrive', () => {
    const before = process.memoryUsage().arrayBuffers;
    const held = [];
    for (let i = 0; i < 64; i++) {
      const d = createTcpclv3Decoder(); // default: 1 GiB segments and bundles
      d.push(concat([header, fromHex('13 83ffffff7f 9f89')]));
      expect(d.next().kind).toBe('contact-header');
      expect(d.next()).toEqual({ kind: 'need-more' });
      held.push(d);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(held.every((d) => d.buffered === 2)).toBe(true);
  });
});
