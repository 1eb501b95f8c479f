import { describe, expect, it } from 'vitest';
import { fromHex, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { fuzzRuns } from '../../test-support/vectors';
import { createRng, fuzzSeed, mutate, randomChunks } from '../../test-support/fuzz';
import { createAapDecoder } from './decoder';
import type { AapRecovery } from './decoder';

const MAX_PAYLOAD = 4096;
const CODES = new Set(['AAP_VERSION_MISMATCH', 'AAP_UNKNOWN_TYPE', 'MALFORMED', 'LIMIT_EXCEEDED']);

/** Decode `input` in random chunks; throws (failing the test) on any broken invariant. */
function run(rng: ReturnType<typeof createRng>, input: Uint8Array, recovery: AapRecovery): void {
  const decoder = createAapDecoder({ maxPayload: MAX_PAYLOAD, recovery });
  let steps = 0;
  for (const chunk of randomChunks(rng, input, 1 + rng.int(64))) {
    decoder.push(chunk);
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'need-more') break;
      steps++;
      if (steps > input.length + 1) throw new Error('more steps than input bytes: no progress');
      if (step.kind === 'error') {
        if (!CODES.has(step.error.code)) throw new Error(`unexpected code ${step.error.code}`);
        if (recovery === 'stop') {
          if (decoder.next() !== step) throw new Error("'stop' error is not sticky");
          return;
        }
      } else if ('payload' in step.message && step.message.payload.length > MAX_PAYLOAD) {
        throw new Error('payload above maxPayload');
      }
    }
  }
  if (decoder.buffered > input.length) throw new Error('buffered more than was pushed');
}

const seeds = ['aap1', 'aap1-bibe', 'aap1-errors', 'fragments', 'status-reports'].flatMap((folder) =>
  ud3tnVectorNames(folder)
    .filter((n) => /_(n2c|c2n)_|\.c2n\.bin$/.test(n))
    .map((n) => ud3tnVector(`${folder}/${n}`))
    .filter((b) => b.length <= 4096),
);

describe('AAP v1 decoder fuzz', () => {
  it(`random bytes (${Math.ceil(fuzzRuns / 2)} inputs) never throw and always progress`, () => {
    const rng = createRng(fuzzSeed);
    for (let i = 0; i < Math.ceil(fuzzRuns / 2); i++) {
      const input = rng.bytes(rng.int(200));
      // Bias towards version-1 header bytes so the decoder gets past the first byte often.
      if (input.length > 0 && rng.int(2) === 0) input[0] = 0x10 | rng.int(16);
      try {
        run(rng, input, i % 2 === 0 ? 'stop' : 'skip-byte');
      } catch (e) {
        throw new Error(`seed ${fuzzSeed} run ${i}: ${String(e)}`);
      }
    }
  });

  it(`mutated uD3TN vectors (${Math.floor(fuzzRuns / 2)} inputs) never throw and always progress`, () => {
    const rng = createRng(fuzzSeed + 1);
    for (let i = 0; i < Math.floor(fuzzRuns / 2); i++) {
      const input = mutate(rng, seeds[rng.int(seeds.length)] as Uint8Array);
      try {
        run(rng, input, i % 2 === 0 ? 'stop' : 'skip-byte');
      } catch (e) {
        throw new Error(`seed ${fuzzSeed + 1} run ${i}: ${String(e)}`);
      }
    }
  });

  it('a huge announced payload allocates nothing until its bytes arrive', () => {
    const before = process.memoryUsage().arrayBuffers;
    const decoders = [];
    for (let i = 0; i < 64; i++) {
      const d = createAapDecoder(); // default maxPayload: 1 GiB
      d.push(fromHex('13 0003 616263 000000003fffffff 0102030405'));
      expect(d.next()).toEqual({ kind: 'need-more' });
      decoders.push(d);
    }
    // 64 pending "1 GiB" payloads hold only the few bytes actually received.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(decoders.every((d) => d.buffered === 5)).toBe(true);
  });
});
