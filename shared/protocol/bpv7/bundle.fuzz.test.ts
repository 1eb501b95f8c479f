import { describe, expect, it } from 'vitest';
import { isErrorCode } from '../../errors';
import type { FarsideError } from '../../errors';
import { concat, createRng, fuzzSeed, mutate } from '../../test-support/fuzz';
import { ascii, fromHex, fuzzRuns, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { checkEncodable, decodeBundle, decodeBundlePrefix, encodeBundle, encodeBundleParts } from './bundle';
import { decodeCanonicalBlock } from './canonical';
import { decodeEid, eidEquals, encodeEid, formatEid, parseEid } from './eid';
import { decodeExtensionData } from './extension-blocks';
import { decodePrimaryBlock } from './primary';
import type { Bundle } from './types';
import { validateBundle } from './validate';

type Rng = ReturnType<typeof createRng>;

/** Every real bundle of the vectors plus the BPv6 one and worked example (c)'s hop-count bundle. */
function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const dir of ['cla-mtcp', 'cla-tcpclv3', 'fragments', 'status-reports']) {
    for (const f of ud3tnVectorNames(dir)) if (f.endsWith('.bundle.bin')) out.push(ud3tnVector(`${dir}/${f}`));
  }
  out.push(ud3tnVector('aap1-bibe/crafted-inner-bundle.bin'));
  out.push(
    concat([
      fromHex('9f890700028202820218198202820118198202820100821b000000ba43b74000001a05265c00445e449989850a0200004482181e0086010100025866'),
      ascii('EHLO gw.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\nSubject: hi\r\n\r\nhello\r\n.\r\nQUIT\r\n'),
      fromHex('44fbe511c9ff'),
    ]),
  );
  return out;
}

function checkError(error: FarsideError, input: Uint8Array): void {
  if (!isErrorCode(error.code)) throw new Error(`unknown error code ${String(error.code)}`);
  if (error.offset !== undefined && !(error.offset >= 0 && error.offset <= input.length)) throw new Error(`offset ${error.offset} outside the input`);
}

function viewsInto(b: Bundle, input: Uint8Array): boolean {
  return b.blocks.every((x) => x.data.buffer === input.buffer && x.data.byteOffset >= input.byteOffset && x.data.byteOffset + x.data.length <= input.byteOffset + input.length);
}

/**
 * Every input: no exception, a Result with a known code and an in-range offset. An accepted bundle
 * has its data as views into the input, validates without throwing, re-encodes (never longer: shortest
 * forms only shrink), and the re-encoding decodes to the same bundle with good CRCs. The strict,
 * lenient and prefix decoders agree.
 */
function check(input: Uint8Array): boolean {
  const lenient = decodeBundle(input, { requireValidCrc: false });
  const strict = decodeBundle(input);
  if (!lenient.ok) {
    checkError(lenient.error, input);
    if (strict.ok) throw new Error('strict decode accepted what the lenient one refused');
    return false;
  }
  const { bundle } = lenient.value;
  if (strict.ok !== lenient.value.crcOk) throw new Error('strict decode disagrees with crcOk');
  if (!strict.ok && strict.error.code !== 'CRC_MISMATCH') throw new Error(`strict decode failed with ${strict.error.code}`);
  if (!viewsInto(bundle, input)) throw new Error('block data is not a view into the input');
  const prefix = decodeBundlePrefix(concat([input, fromHex('ff00')]), { requireValidCrc: false });
  if (!prefix.ok || prefix.value.length !== input.length) throw new Error('prefix decode disagrees');
  validateBundle(bundle);
  for (const b of bundle.blocks) decodeExtensionData(b);
  const size = checkEncodable(bundle);
  if (!size.ok) throw new Error(`decoded bundle does not re-encode: ${size.error.message}`);
  if (size.value > input.length) throw new Error('re-encoding is longer than the input');
  const again = encodeBundle(bundle);
  const back = decodeBundle(again);
  if (!back.ok) throw new Error(`re-encoding does not decode: ${back.error.message}`);
  const third = encodeBundle(back.value.bundle);
  if (third.length !== again.length || third.some((x, i) => x !== again[i])) throw new Error('encoding is not stable');
  const parts = concat(encodeBundleParts(back.value.bundle));
  if (parts.length !== again.length || parts.some((x, i) => x !== again[i])) throw new Error('gather parts differ from the encoding');
  return true;
}

/** EID decoders and the text parser on the same input. */
function checkEid(input: Uint8Array, text: string): boolean {
  const r = decodeEid(input);
  if (r.ok) {
    const e = encodeEid(r.value);
    if (!e.ok || e.value.length > input.length) throw new Error('decoded EID does not re-encode');
    const t = parseEid(formatEid(r.value));
    if (!t.ok) throw new Error(`formatted EID does not parse: ${formatEid(r.value)}`);
  } else checkError(r.error, input);
  const p = parseEid(text);
  if (p.ok) {
    // Text may spell allocator 0 ("ipn:0.2.25"); the formatted form is canonical and round-trips.
    const canonical = formatEid(p.value);
    const q = parseEid(canonical);
    if (!q.ok || !eidEquals(q.value, p.value) || formatEid(q.value) !== canonical) throw new Error(`parse/format is not stable for ${JSON.stringify(text)}`);
  } else if (p.error.code !== 'INVALID_EID') throw new Error(`parseEid failed with ${p.error.code}`);
  for (const at of [0, 1]) {
    const pb = decodePrimaryBlock(input, at);
    if (!pb.ok) checkError(pb.error, input);
    const cb = decodeCanonicalBlock(input, at);
    if (!cb.ok) checkError(cb.error, input);
  }
  return r.ok;
}

/**
 * Runs fuzzRuns inputs. With `mustAccept`, some must be accepted, or the inputs never reach the checks
 * of accepted bundles.
 */
function run(name: string, make: (rng: Rng, i: number) => Uint8Array, test: (input: Uint8Array, rng: Rng) => boolean = check, mustAccept = true): void {
  it(`${name} (${fuzzRuns} inputs)`, () => {
    const rng = createRng(fuzzSeed ^ (name.length * 7919));
    let accepted = 0;
    for (let i = 0; i < fuzzRuns; i++) {
      const input = make(rng, i);
      try {
        if (test(input, rng)) accepted++;
      } catch (e) {
        throw new Error(`run ${i} (seed ${fuzzSeed}): ${(e as Error).message}; input ${Array.from(input, (b) => b.toString(16).padStart(2, '0')).join('')}`);
      }
    }
    if (mustAccept) expect(accepted).toBeGreaterThan(0);
  });
}

/** Bytes that steer a decoder into interesting places: heads with long or huge arguments, breaks, arrays. */
const HOT = [0x9f, 0xff, 0x82, 0x85, 0x86, 0x89, 0x8b, 0x1b, 0x5b, 0x7b, 0x9b, 0x5f, 0x42, 0x44, 0x01, 0x02, 0x00];

describe('decodeBundle fuzz', () => {
  const inputs = seeds();

  run('mutated uD3TN vectors', (rng) => mutate(rng, inputs[rng.int(inputs.length)] as Uint8Array));

  run('random bytes after 0x9f', (rng) => {
    const body = rng.bytes(rng.int(200));
    for (let k = 0; k < body.length; k++) if (rng.int(4) === 0) body[k] = HOT[rng.int(HOT.length)] as number;
    return concat([fromHex('9f'), body]);
  }, check, false);

  run('splices of real blocks', (rng) => {
    const a = inputs[rng.int(inputs.length)] as Uint8Array;
    const b = inputs[rng.int(inputs.length)] as Uint8Array;
    const cut = rng.int(a.length);
    return concat([a.subarray(0, cut), b.subarray(rng.int(b.length))]);
  });

  run(
    'EIDs, primary and canonical blocks on their own',
    (rng) => {
      const seed = inputs[rng.int(inputs.length)] as Uint8Array;
      const at = 2 + rng.int(Math.max(1, seed.length - 2));
      return mutate(rng, seed.subarray(at, at + 1 + rng.int(40)));
    },
    (input, rng) => {
      const text = rng.int(2) === 0 ? `dtn:${String.fromCharCode(...input.subarray(0, 30))}` : `ipn:${Array.from(input.subarray(0, 3), (x) => String(x * rng.int(3))).join('.')}`;
      return checkEid(input, text);
    },
  );

  it('announced lengths far beyond the input allocate nothing', () => {
    const prefix = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin').subarray(0, 64);
    const before = process.memoryUsage().arrayBuffers;
    for (const head of ['5b001fffffffffffff', '5bffffffffffffffff', '5a7fffffff', '9b001fffffffffffff', '7b001fffffffffffff']) {
      for (let i = 0; i < 2000; i++) {
        const r = decodeBundle(concat([prefix, fromHex(`8501010000${head}00`)]));
        expect(r.ok).toBe(false);
      }
    }
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });
});
