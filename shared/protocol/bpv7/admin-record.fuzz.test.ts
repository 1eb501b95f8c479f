import { describe, it } from 'vitest';
import { isErrorCode } from '../../errors';
import { createRng, fuzzSeed, mutate } from '../../test-support/fuzz';
import { fromHex, fuzzRuns, ud3tnVector } from '../../test-support/vectors';
import { decodeAdminRecord, encodeAdminRecord } from './admin-record';
import type { AdminRecord } from './admin-record';
import { decodeBundle, payloadBlockOf } from './bundle';

/** Seeds: the eight uD3TN reports, a fragment-subject report, a BIBE PDU record, an unknown type. */
function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const n of ['01', '02', '03', '04', '05', '07', '08', '09']) {
    const r = decodeBundle(ud3tnVector(`status-reports/mars-to-earth_${n}.bundle.bin`));
    const p = r.ok ? payloadBlockOf(r.value.bundle) : undefined;
    if (p === undefined) throw new Error(`vector ${n} does not decode`);
    out.push(p.data.slice());
  }
  out.push(fromHex('8201868481f581f481f481f4008202820102820000' + '1903b11903b1'));
  out.push(fromHex('8203830000429fff'));
  out.push(fromHex('8218c8a16161f6'));
  return out;
}

function same(a: AdminRecord, b: AdminRecord): boolean {
  return JSON.stringify(a, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v)) === JSON.stringify(b, (_k, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
}

/**
 * Every input: no exception, a Result with a known code and an in-range offset; an accepted record
 * re-encodes, and the re-encoding decodes to the same record and encodes to the same bytes.
 */
function check(input: Uint8Array): void {
  const r = decodeAdminRecord(input);
  if (!r.ok) {
    if (!isErrorCode(r.error.code)) throw new Error(`unknown error code ${String(r.error.code)}`);
    const at = r.error.offset;
    if (at !== undefined && !(at >= 0 && at <= input.length)) throw new Error(`offset ${at} outside the input`);
    return;
  }
  const again = encodeAdminRecord(r.value);
  if (!again.ok) throw new Error(`accepted record does not re-encode: ${again.error.message}`);
  if (again.value.length > input.length) throw new Error('re-encoding is longer than the input (shortest forms only shrink)');
  const back = decodeAdminRecord(again.value);
  if (!back.ok || !same(back.value, r.value)) throw new Error('re-encoded record decodes differently');
  const third = encodeAdminRecord(back.value);
  if (!third.ok || third.value.length !== again.value.length || third.value.some((b, i) => b !== again.value[i])) {
    throw new Error('encoding is not stable');
  }
}

function run(name: string, make: (rng: ReturnType<typeof createRng>, i: number) => Uint8Array): void {
  it(`${name} (${fuzzRuns} inputs)`, () => {
    const rng = createRng(fuzzSeed ^ name.length);
    for (let i = 0; i < fuzzRuns; i++) {
      const input = make(rng, i);
      try {
        check(input);
      } catch (e) {
        throw new Error(`run ${i} (seed ${fuzzSeed}): ${(e as Error).message}; input ${Array.from(input, (b) => b.toString(16).padStart(2, '0')).join('')}`);
      }
    }
  });
}

describe('administrative record decoder fuzz', () => {
  const vectors = seeds();
  run('random bytes', (rng) => rng.bytes(rng.int(64)));
  // A valid record head in front of random bytes reaches the status report and assertion parsers.
  run('random status report bodies', (rng) => {
    const head = [Uint8Array.of(0x82, 0x01), Uint8Array.of(0x82, 0x01, 0x84), Uint8Array.of(0x82, 0x01, 0x86, 0x84)][rng.int(3)] as Uint8Array;
    const tail = rng.bytes(rng.int(48));
    const out = new Uint8Array(head.length + tail.length);
    out.set(head);
    out.set(tail, head.length);
    return out;
  });
  run('mutated real and crafted records', (rng) => mutate(rng, vectors[rng.int(vectors.length)] as Uint8Array));
});
