import { describe, expect, it } from 'vitest';
import { fromHex, fuzzRuns, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { concat, createRng, fuzzSeed, mutate, randomChunks } from '../../test-support/fuzz';
import { createMtcpDecoder } from './decoder';
import type { MtcpRecovery } from './decoder';

const MAX_FRAME = 2048;

function run(rng: ReturnType<typeof createRng>, input: Uint8Array, recovery: MtcpRecovery): void {
  const decoder = createMtcpDecoder({ maxFrame: MAX_FRAME, recovery });
  let steps = 0;
  let consumed = 0;
  for (const chunk of randomChunks(rng, input, 1 + rng.int(128))) {
    decoder.push(chunk);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      if (++steps > input.length + 1) throw new Error('no progress');
      if (step.kind === 'bundle') {
        if (step.bundle.length > MAX_FRAME) throw new Error('bundle above maxFrame');
        consumed += step.bundle.length;
      } else {
        if (step.error.code !== 'MALFORMED' && step.error.code !== 'LIMIT_EXCEEDED') throw new Error(step.error.code);
        if (recovery === 'stop') {
          if (decoder.next() !== step) throw new Error("'stop' error is not sticky");
          return;
        }
      }
    }
  }
  if (consumed + decoder.buffered > input.length) throw new Error('more bytes out than in');
}

const seeds = ['cla-mtcp', 'fragments', 'status-reports'].flatMap((folder) =>
  ud3tnVectorNames(folder)
    .filter((n) => n.endsWith('.mtcp.bin'))
    .map((n) => ud3tnVector(`${folder}/${n}`)),
);

describe('MTCP decoder fuzz', () => {
  it(`random bytes (${Math.ceil(fuzzRuns / 2)} inputs)`, () => {
    const rng = createRng(fuzzSeed);
    for (let i = 0; i < Math.ceil(fuzzRuns / 2); i++) {
      const input = rng.bytes(rng.int(300));
      if (input.length > 0 && rng.int(2) === 0) input[0] = 0x40 | rng.int(32);
      try {
        run(rng, input, i % 2 === 0 ? 'resync' : 'stop');
      } catch (e) {
        throw new Error(`seed ${fuzzSeed} run ${i}: ${String(e)}`);
      }
    }
  });

  it(`mutated uD3TN frames, one to three per stream (${Math.floor(fuzzRuns / 2)} inputs)`, () => {
    const rng = createRng(fuzzSeed + 1);
    for (let i = 0; i < Math.floor(fuzzRuns / 2); i++) {
      const frames = Array.from({ length: 1 + rng.int(3) }, () => seeds[rng.int(seeds.length)] as Uint8Array);
      const input = mutate(rng, concat(frames));
      try {
        run(rng, input, i % 2 === 0 ? 'resync' : 'stop');
      } catch (e) {
        throw new Error(`seed ${fuzzSeed + 1} run ${i}: ${String(e)}`);
      }
    }
  });

  it('a huge announced frame allocates nothing (under the limit: waits; over: discards)', () => {
    const before = process.memoryUsage().arrayBuffers;
    const held = [];
    for (let i = 0; i < 64; i++) {
      const waiting = createMtcpDecoder(); // default max 1 GiB
      waiting.push(fromHex('5a 3fffffff 9f89'));
      expect(waiting.next()).toEqual({ kind: 'need-more' });
      const over = createMtcpDecoder({ maxFrame: 1024 });
      over.push(fromHex('5b 0000000100000000 9f89'));
      expect(over.next()).toMatchObject({ kind: 'error', error: { code: 'LIMIT_EXCEEDED' } });
      expect(over.next()).toEqual({ kind: 'need-more' });
      held.push(waiting, over);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(held.every((d) => d.buffered <= 2)).toBe(true);
  });
});
