/**
 * Input generators for the fuzz tier (*.fuzz.test.ts): a seeded PRNG, random bytes, mutations of real
 * vectors and random chunkings. Plain loops rather than fast-check, so 10^5..10^7 inputs per decoder stay
 * fast; a failure reports the seed and run index, which reproduce it exactly.
 */

/** FARSIDE_FUZZ_SEED overrides the seed of every fuzz test (default fixed, so runs are reproducible). */
export const fuzzSeed: number = Number(process.env['FARSIDE_FUZZ_SEED'] ?? 0x5eed);

/** xorshift32: small, fast, deterministic. */
export function createRng(seed: number): { int(maxExclusive: number): number; bytes(n: number): Uint8Array } {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return {
    int(maxExclusive: number): number {
      return maxExclusive <= 0 ? 0 : next() % maxExclusive;
    },
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = next() & 0xff;
      return out;
    },
  };
}

type Rng = ReturnType<typeof createRng>;

/**
 * A mutated copy of `input`: 1..4 edits among bit flips, byte overwrites (biased to 0x00/0xff/0x80),
 * insertions, deletions, truncation and duplication of a slice.
 */
export function mutate(rng: Rng, input: Uint8Array): Uint8Array {
  let bytes: Uint8Array = input.slice();
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(6)) {
      case 0:
        if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ (1 << rng.int(8));
        break;
      case 1: {
        const special = [0x00, 0xff, 0x80, 0x7f, 0x40, 0x5b][rng.int(6)] as number;
        if (at < bytes.length) bytes[at] = rng.int(2) === 0 ? special : rng.int(256);
        break;
      }
      case 2: {
        const extra = rng.bytes(1 + rng.int(8));
        bytes = concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
        break;
      }
      case 3:
        bytes = concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + rng.int(8)))]);
        break;
      case 4:
        bytes = bytes.subarray(0, at).slice();
        break;
      default: {
        const len = rng.int(Math.min(32, bytes.length - at) + 1);
        bytes = concat([bytes.subarray(0, at + len), bytes.subarray(at, at + len), bytes.subarray(at + len)]);
      }
    }
  }
  return bytes;
}

/** Split `bytes` at random points (1..maxChunk bytes per chunk). */
export function randomChunks(rng: Rng, bytes: Uint8Array, maxChunk: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + rng.int(maxChunk);
    out.push(bytes.subarray(i, Math.min(bytes.length, i + n)));
    i += n;
  }
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
