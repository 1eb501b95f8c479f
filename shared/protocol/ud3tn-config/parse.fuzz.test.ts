import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ascii, fuzzRuns, haveVectors, ud3tnVector } from '../../test-support/vectors';
import { encodeConfig } from './encode';
import { parseConfig } from './parse';

const PARSE_ERRORS = ['MALFORMED', 'TRUNCATED', 'CONFIG_INVALID', 'LIMIT_EXCEEDED'];

const seeds: Uint8Array[] = [
  ascii('1(dtn://b.dtn/):(mtcp:localhost:4225)::[{848946031,848949631,100000}];'),
  ascii('1(ipn:2.0):(mtcp:127.0.0.1:15225)::[{848946032,849032432,1000000000}];'),
  ascii('1(dtn://ud3tn-hotspot.dtn/):(tcpspp):[(dtn://ud3tn-coldspot.dtn/)]:[{710602659,710602669,1000}];'),
  ascii(
    '1(dtn://ud3tn2.dtn/):(mtcp:127.0.0.1:4223)::[{1401519306972,1401519316972,1200,[(dtn://89326/),(dtn://12349/)]},{1401519506972,1401519516972,1200,[(dtn://89326/),(dtn://12349/)]}];',
  ),
  ascii('2(dtn://ud3tn2.dtn/):(mtcp:127.0.0.1:4223):[(dtn://89326/),(dtn://12349/)];\n3(dtn://ud3tn2.dtn/);\r\n1(dtn://13714/),333;'),
];
if (haveVectors) seeds.push(ud3tnVector('aap1/earth-config_04_c2n_SENDBUNDLE.bin').subarray(1 + 2 + 22 + 8));

/** Edits applied to a seed: overwrite, insert, delete, truncate (positions taken modulo the length). */
type Edit = [kind: 0 | 1 | 2 | 3, at: number, byte: number];
const edit: fc.Arbitrary<Edit> = fc.tuple(fc.constantFrom<0 | 1 | 2 | 3>(0, 1, 2, 3), fc.nat(), fc.constantFrom(...ascii('()[]{},:;0123456789\n'), 0x00, 0x80, 0xff, 0x61));

function applyEdits(seed: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let bytes = seed.slice();
  for (const [kind, at0, byte] of edits) {
    const at = at0 % (bytes.length + 1);
    if (kind === 0 && at < bytes.length) bytes[at] = byte;
    else if (kind === 1) bytes = Uint8Array.from([...bytes.subarray(0, at), byte, ...bytes.subarray(at)]);
    else if (kind === 2) bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]);
    else if (kind === 3) bytes = bytes.slice(0, at);
  }
  return bytes;
}

let slowest = 0;

/** The parser's contract on any input: a Result, never an exception; errors typed with an offset inside the input; success re-encodes canonically. */
function checkParse(bytes: Uint8Array): void {
  const t0 = performance.now();
  const r = parseConfig(bytes);
  slowest = Math.max(slowest, performance.now() - t0);
  if (!r.ok) {
    expect(PARSE_ERRORS).toContain(r.error.code);
    expect(r.error.offset).toBeGreaterThanOrEqual(0);
    expect(r.error.offset).toBeLessThanOrEqual(bytes.length);
    return;
  }
  const enc = encodeConfig(r.value);
  expect(enc.ok).toBe(true);
  if (!enc.ok) return;
  const again = parseConfig(enc.value);
  expect(again.ok && again.value).toEqual(r.value);
}

describe('parseConfig fuzz', () => {
  it(`random bytes (${fuzzRuns} inputs)`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 96 }), checkParse), { numRuns: fuzzRuns });
  });

  it(`strings over the grammar's alphabet (${fuzzRuns} inputs)`, () => {
    const unit = fc.constantFrom(...'1234()[]{},:;0123456789dtn:/.ipmcl\n'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 96 }), (s) => checkParse(ascii(s))),
      { numRuns: fuzzRuns },
    );
  });

  it(`mutated real and documented payloads (${fuzzRuns} inputs)`, () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(edit, { minLength: 1, maxLength: 4 }), (seed, edits) => checkParse(applyEdits(seed, edits))),
      { numRuns: fuzzRuns },
    );
    // Bounded work: no input of these sizes takes more than a few milliseconds (generous for a loaded CI).
    expect(slowest).toBeLessThan(100);
  });
});
