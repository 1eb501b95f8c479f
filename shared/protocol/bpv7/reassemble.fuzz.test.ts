import { describe, it } from 'vitest';
import { isErrorCode } from '../../errors';
import { createRng, fuzzSeed, mutate } from '../../test-support/fuzz';
import { fuzzRuns, ud3tnVector } from '../../test-support/vectors';
import { decodeBundle } from './bundle';
import { BundleFlag } from './flags';
import { createReassembler } from './reassemble';
import type { ReassemblyLimits, ReassemblyResult } from './reassemble';
import type { Bundle, CanonicalBlock, Eid, PrimaryBlock } from './types';

type Rng = ReturnType<typeof createRng>;

const LIMITS: ReassemblyLimits = {
  reassemblyMaxAduBytes: 4096,
  reassemblyMaxFragmentsPerAdu: 24,
  reassemblyMaxPendingAdus: 6,
  reassemblyMaxBufferedBytes: 12_000,
};

const NOW = 800_000_000_000;
const SOURCES: Eid[] = [
  { scheme: 'dtn', ssp: '//a.dtn/x' },
  { scheme: 'dtn', ssp: '//b.dtn/x' },
  { scheme: 'ipn', allocator: 0, node: 1, service: 1 },
];

/** The true ADU bytes of each bundle ID, so fragments can agree (or, on purpose, disagree) with them. */
const TRUTH: Uint8Array[] = Array.from({ length: 8 }, (_, key) => Uint8Array.from({ length: 6000 }, (_v, i) => (i * 131 + key * 17) & 0xff));

/**
 * A hostile fragment: a few bundle IDs so fragments collide, totals that sometimes disagree or exceed the
 * limits, offsets and lengths that sometimes run past the ADU, data that usually agrees with the truth,
 * extension blocks of random size, and now and then something that is not a fragment at all.
 */
function hostileFragment(rng: Rng): Bundle {
  const id = rng.int(8);
  const source = SOURCES[id % SOURCES.length] as Eid;
  const totals = [0, 1, 100, 700, 4096, 4097, 1 << 30, Number.MAX_SAFE_INTEGER];
  const total = rng.int(10) === 0 ? (totals[rng.int(totals.length)] as number) : [100, 700, 3000][id % 3]!;
  // Mostly slices on a coarse grid that stay inside the ADU (so ADUs do complete), sometimes anything.
  const wild = rng.int(5) === 0;
  const grid = Math.max(1, Math.ceil(Math.min(total, 4200) / 6));
  const offset = wild ? rng.int(Math.min(total, 4200) + 50) : Math.min(total, grid * rng.int(7));
  const length = wild ? rng.int(900) : Math.min(Math.max(0, Math.min(total, 5000) - offset), grid * (1 + rng.int(2)) + rng.int(3) - 1);
  const real = TRUTH[id] as Uint8Array;
  let data = real.subarray(Math.min(offset, real.length), Math.min(offset + length, real.length));
  if (rng.int(25) === 0 && data.length > 0) {
    data = data.slice(); // a liar
    const at = rng.int(data.length);
    data[at] = (data[at] as number) ^ 0x5a;
  }
  if (rng.int(20) === 0) data = rng.bytes(length);
  const primary: PrimaryBlock = {
    version: 7,
    flags: rng.int(30) === 0 ? 0 : BundleFlag.IS_FRAGMENT,
    crcType: 0,
    destination: { scheme: 'dtn', ssp: '//z.dtn/x' },
    source,
    reportTo: { scheme: 'dtn', ssp: 'none' },
    creation: { time: rng.int(4) === 0 ? 0 : NOW - 1000, sequence: id },
    lifetime: [1, 1500, 60_000, 86_400_000, 86_400_000][rng.int(5)] as number,
    fragment: { offset, totalAduLength: total },
  };
  const blocks: CanonicalBlock[] = [];
  for (let n = rng.int(3); n > 0; n--) blocks.push({ type: 200 + n, number: n + 1, flags: rng.int(2), crcType: 0, data: rng.bytes(rng.int(1500)) });
  if (rng.int(40) !== 0) blocks.push({ type: 1, number: 1, flags: 0, crcType: 0, data });
  return { primary, blocks };
}

function describeResult(r: ReassemblyResult): string {
  return r.kind === 'rejected' ? `${r.kind} ${r.error.code}` : r.kind;
}

describe('reassembler fuzz: hostile fragment sequences stay within the limits', () => {
  it(`random fragments, collisions, liars, expiry (${fuzzRuns} fragments)`, () => {
    const rng = createRng(fuzzSeed);
    let now = NOW;
    let r = createReassembler({ limits: LIMITS, now: () => now });
    for (let i = 0; i < fuzzRuns; i++) {
      if (i % 500 === 0) r = createReassembler({ limits: LIMITS, now: () => now });
      if (rng.int(50) === 0) now += rng.int(2000);
      if (rng.int(200) === 0) r.expire(now);
      if (rng.int(5000) === 0) now = NOW;
      const f = hostileFragment(rng);
      let res: ReassemblyResult;
      try {
        res = r.add(f);
      } catch (e) {
        throw new Error(`run ${i} (seed ${fuzzSeed}): add threw ${(e as Error).message}`);
      }
      if (res.kind === 'rejected' && !isErrorCode(res.error.code)) throw new Error(`run ${i}: unknown code ${String(res.error.code)}`);
      const held = r.bufferedBytes();
      const pending = r.pending();
      if (held < 0 || held > LIMITS.reassemblyMaxBufferedBytes) throw new Error(`run ${i}: ${held} bytes buffered (${describeResult(res)})`);
      if (pending.length > LIMITS.reassemblyMaxPendingAdus) throw new Error(`run ${i}: ${pending.length} ADUs pending`);
      for (const p of pending) {
        if (p.totalAduLength > LIMITS.reassemblyMaxAduBytes) throw new Error(`run ${i}: ADU of ${p.totalAduLength} bytes accepted`);
        if (p.fragments > LIMITS.reassemblyMaxFragmentsPerAdu) throw new Error(`run ${i}: ${p.fragments} fragments kept`);
        if (p.receivedBytes > p.totalAduLength) throw new Error(`run ${i}: more bytes than the ADU has`);
      }
      if (res.kind === 'complete') {
        const payload = res.bundle.blocks[res.bundle.blocks.length - 1];
        const total = f.primary.fragment?.totalAduLength ?? -1;
        if (payload === undefined || payload.data.length !== total) throw new Error(`run ${i}: completed with a wrong payload length`);
        if (res.bundle.primary.fragment !== undefined || res.bundle.primary.flags !== 0) throw new Error(`run ${i}: completed bundle still a fragment`);
      }
    }
  });

  it(`mutated uD3TN fragments (${fuzzRuns} inputs) are rejected or reassembled, never thrown`, () => {
    const rng = createRng(fuzzSeed ^ 0x1234);
    const vectors = [1, 2, 3, 4].map((n) => ud3tnVector(`fragments/fragment_0${n}.bundle.bin`));
    const created = 848946038379;
    let r = createReassembler({ limits: LIMITS, now: () => created + 1000 });
    for (let i = 0; i < fuzzRuns; i++) {
      if (i % 64 === 0) r = createReassembler({ limits: LIMITS, now: () => created + 1000 });
      const bytes = rng.int(3) === 0 ? (vectors[rng.int(4)] as Uint8Array) : mutate(rng, vectors[rng.int(4)] as Uint8Array);
      const d = decodeBundle(bytes, { requireValidCrc: rng.int(2) === 0 });
      if (!d.ok) continue;
      const res = r.add(d.value.bundle);
      if (res.kind === 'rejected' && !isErrorCode(res.error.code)) throw new Error(`run ${i}: unknown code`);
      if (r.bufferedBytes() > LIMITS.reassemblyMaxBufferedBytes) throw new Error(`run ${i}: limits exceeded`);
    }
  });
});
