import { describe, expect, it } from 'vitest';
import { fromHex, fuzzRuns, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { concat, createRng, fuzzSeed, mutate, randomChunks } from '../../test-support/fuzz';
import { createAap2Decoder } from './decoder';
import type { Aap2Role } from './decoder';

const MAX_PAYLOAD = 4096;
const CODES = new Set(['AAP_VERSION_MISMATCH', 'PROTOBUF_MALFORMED', 'LIMIT_EXCEEDED', 'UNSUPPORTED']);

function run(rng: ReturnType<typeof createRng>, input: Uint8Array, role: Aap2Role): void {
  const decoder = createAap2Decoder({ role, maxPayload: MAX_PAYLOAD });
  let steps = 0;
  for (const chunk of randomChunks(rng, input, 1 + rng.int(64))) {
    decoder.push(chunk);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      if (++steps > input.length + 1) throw new Error('no progress');
      if (step.kind === 'error') {
        if (!CODES.has(step.error.code)) throw new Error(step.error.code);
        if (decoder.next() !== step) throw new Error('error is not final');
        return;
      }
      if (step.kind === 'payload' && step.payload.length > MAX_PAYLOAD) throw new Error('payload above maxPayload');
      // Flip the expected type now and then, as a subscriber conversation does.
      if (rng.int(4) === 0) decoder.expect(rng.int(2) === 0 ? 'message' : 'response');
    }
  }
}

const files = ud3tnVectorNames('aap2').map((n) => ({ name: n, bytes: ud3tnVector(`aap2/${n}`) }));
const streams = ['earth-sender', 'mars-subscriber', 'earth-errors'].flatMap((prefix) =>
  ['n2c', 'c2n'].map((dir) => ({
    role: (dir === 'n2c' ? 'client' : 'server') as Aap2Role,
    bytes: concat(files.filter((f) => f.name.startsWith(prefix) && f.name.includes(`_${dir}_`)).map((f) => f.bytes)),
  })),
);

describe('AAP 2.0 decoder fuzz', () => {
  it(`random bytes (${Math.ceil(fuzzRuns / 2)} inputs), both roles`, () => {
    const rng = createRng(fuzzSeed);
    for (let i = 0; i < Math.ceil(fuzzRuns / 2); i++) {
      const role: Aap2Role = i % 2 === 0 ? 'client' : 'server';
      const body = rng.bytes(rng.int(200));
      // Mostly a plausible length prefix, so the Protobuf decoder is reached.
      if (body.length > 1 && rng.int(4) !== 0) body[0] = rng.int(body.length);
      try {
        run(rng, role === 'client' ? concat([fromHex('2f'), body]) : body, role);
      } catch (e) {
        throw new Error(`seed ${fuzzSeed} run ${i}: ${String(e)}`);
      }
    }
  });

  it(`mutated uD3TN streams (${Math.floor(fuzzRuns / 2)} inputs)`, () => {
    const rng = createRng(fuzzSeed + 1);
    for (let i = 0; i < Math.floor(fuzzRuns / 2); i++) {
      const seed = streams[rng.int(streams.length)] as (typeof streams)[number];
      try {
        run(rng, mutate(rng, seed.bytes), seed.role);
      } catch (e) {
        throw new Error(`seed ${fuzzSeed + 1} run ${i}: ${String(e)}`);
      }
    }
  });

  it('a huge announced ADU payload allocates nothing until its bytes arrive', () => {
    const adu = fromHex('0d 1a0b 2880808080808001 0a0161'); // adu{payload_length: 2^42, src_eid: "a"}
    const before = process.memoryUsage().arrayBuffers;
    const held = [];
    for (let i = 0; i < 64; i++) {
      const d = createAap2Decoder({ role: 'server', maxPayload: 2 ** 50 });
      d.push(concat([adu, fromHex('0102')]));
      expect(d.next().kind).toBe('message');
      expect(d.next()).toEqual({ kind: 'need-more' });
      held.push(d);
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(held.every((d) => d.buffered === 2)).toBe(true);
  });
});
