import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../errors';
import { createRng, fuzzSeed, mutate } from '../../test-support/fuzz';
import { fromHex, fuzzRuns } from '../../test-support/vectors';
import { CborReader } from './reader';
import { decodeCborValue, encodeCborValue } from './value';
import type { CborValue } from './value';

type Rng = ReturnType<typeof createRng>;

/** RFC 8949 Appendix A items and the shapes BPv7 administrative records use. */
const SEEDS = [
  '8301820203820405',
  '9f018202039f0405ffff',
  'bf61610161629f0203ffff',
  'a26161016162820203',
  'fb3ff199999999999a',
  '1bffffffffffffffff',
  '3bffffffffffffffff',
  '64f0908591',
  '82018484' + '82f500' + '81f4' + '81f4' + '81f4' + '00' + '8201712f2f73656e6465722e64746e2f736d7470' + '821b000000c5a920949001',
  '8203830000429fff',
].map(fromHex);

const HOT = [0x1b, 0x3b, 0x5b, 0x7b, 0x9b, 0xbb, 0x9f, 0xbf, 0x5f, 0xff, 0xc1, 0xd8, 0xf8, 0xf9, 0xfb, 0x18, 0x00, 0x80, 0xa0];

function hasMinus2To64(v: CborValue): boolean {
  if (v === -(2n ** 64n)) return true;
  if (Array.isArray(v)) return v.some(hasMinus2To64);
  if (v instanceof Map) return [...v].some(([k, x]) => hasMinus2To64(k) || hasMinus2To64(x));
  return false;
}

/** -0 is encoded as the integer 0 (documented at encodeCborValue). */
function withoutNegativeZero(v: CborValue): CborValue {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(withoutNegativeZero);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [withoutNegativeZero(k), withoutNegativeZero(x)]));
  return v;
}

/** No exception; errors carry known codes; accepted values re-encode and decode to themselves. */
function check(input: Uint8Array): boolean {
  const r = decodeCborValue(input);
  new CborReader(input).skip('x');
  if (!r.ok) {
    if (!isErrorCode(r.error.code)) throw new Error(`unknown error code ${r.error.code}`);
    return false;
  }
  const e = encodeCborValue(r.value);
  if (!e.ok) {
    if (!hasMinus2To64(r.value)) throw new Error(`accepted value does not re-encode: ${e.error.message}`);
    return true;
  }
  const back = decodeCborValue(e.value);
  expect(back).toEqual({ ok: true, value: withoutNegativeZero(r.value) });
  return true;
}

function run(name: string, make: (rng: Rng) => Uint8Array): void {
  it(`${name} (${fuzzRuns} inputs)`, () => {
    const rng = createRng(fuzzSeed ^ (name.length * 104729));
    let accepted = 0;
    for (let i = 0; i < fuzzRuns; i++) {
      const input = make(rng);
      try {
        if (check(input)) accepted++;
      } catch (e) {
        throw new Error(`run ${i} (seed ${fuzzSeed}): ${(e as Error).message}; input ${Array.from(input, (b) => b.toString(16).padStart(2, '0')).join('')}`);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
}

describe('generic CBOR values fuzz (reader pre-scan + cbor-x)', () => {
  run('mutated items', (rng) => mutate(rng, SEEDS[rng.int(SEEDS.length)] as Uint8Array));
  run('random bytes', (rng) => {
    const b = rng.bytes(1 + rng.int(24));
    for (let k = 0; k < b.length; k++) if (rng.int(3) === 0) b[k] = HOT[rng.int(HOT.length)] as number;
    return b;
  });
});
