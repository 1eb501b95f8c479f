import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunks, fromHex, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { concat } from '../../test-support/fuzz';
import { createMtcpDecoder } from './decoder';
import type { MtcpDecodeStep, MtcpDecoderOptions } from './decoder';
import { encodeMtcpFrame } from './frame';

function decodeAll(parts: readonly Uint8Array[], options: MtcpDecoderOptions = {}): MtcpDecodeStep[] {
  const decoder = createMtcpDecoder(options);
  const steps: MtcpDecodeStep[] = [];
  for (const part of parts) {
    decoder.push(part);
    for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
      steps.push(step);
      if (step.kind === 'error' && options.recovery === 'stop') return steps;
    }
  }
  return steps;
}

function bundles(steps: readonly MtcpDecodeStep[]): Uint8Array[] {
  return steps.map((s) => {
    if (s.kind !== 'bundle') throw new Error(`expected a bundle, got ${JSON.stringify(s)}`);
    return s.bundle;
  });
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The vectors README "MTCP frames (all folders)" table: file → CBOR head. */
const FRAMES: Record<string, string> = {
  'cla-mtcp/bibe-encapsulating': '59020f',
  'cla-mtcp/bpv6-bsmtp': '5901c5',
  'cla-mtcp/bsmtp-aap2': '5901bb',
  'cla-mtcp/bsmtp-dtn': '5901ba',
  'cla-mtcp/bsmtp-ipn': '5901b5',
  'fragments/fragment_01': '5903fe',
  'fragments/fragment_02': '590400',
  'fragments/fragment_03': '590400',
  'fragments/fragment_04': '590165',
  'status-reports/mars-to-earth_01': '5874',
  'status-reports/mars-to-earth_02': '5874',
  'status-reports/mars-to-earth_03': '5874',
  'status-reports/mars-to-earth_04': '5874',
  'status-reports/mars-to-earth_05': '5874',
  'status-reports/mars-to-earth_06': '586d',
  'status-reports/mars-to-earth_07': '5874',
  'status-reports/mars-to-earth_08': '5874',
  'status-reports/mars-to-earth_09': '5874',
};

describe('MTCP decoder: uD3TN vectors', () => {
  it('the table covers every *.mtcp.bin file', () => {
    const files = ['cla-mtcp', 'fragments', 'status-reports'].flatMap((folder) =>
      ud3tnVectorNames(folder)
        .filter((n) => n.endsWith('.mtcp.bin'))
        .map((n) => `${folder}/${n.replace('.mtcp.bin', '')}`),
    );
    expect(files.sort()).toEqual(Object.keys(FRAMES).sort());
  });

  for (const [name, head] of Object.entries(FRAMES)) {
    it(`${name}.mtcp.bin = head ${head} + exactly ${name}.bundle.bin, and re-encodes identically`, () => {
      const frame = ud3tnVector(`${name}.mtcp.bin`);
      const bundle = ud3tnVector(`${name}.bundle.bin`);
      expect(frame.subarray(0, head.length / 2)).toEqual(fromHex(head));
      const got = bundles(decodeAll([frame]));
      expect(got).toEqual([bundle]);
      // One chunk in, a view out.
      expect(got[0]?.buffer).toBe(frame.buffer);
      expect(encodeMtcpFrame(bundle)).toEqual(frame);
    });
  }

  for (const folder of ['cla-mtcp', 'fragments', 'status-reports']) {
    it(`${folder}: all frames as one stream give the same bundles in every chunk size`, () => {
      const names = Object.keys(FRAMES).filter((n) => n.startsWith(`${folder}/`));
      const stream = concat(names.map((n) => ud3tnVector(`${n}.mtcp.bin`)));
      const expected = names.map((n) => ud3tnVector(`${n}.bundle.bin`));
      for (let size = 1; size <= stream.length; size++) {
        const got = bundles(decodeAll(chunks(stream, size)));
        if (got.length !== expected.length || !got.every((b, i) => equalBytes(b, expected[i] as Uint8Array))) {
          throw new Error(`chunk size ${size}: bundles differ`);
        }
      }
    });
  }
});

describe('MTCP decoder: resynchronisation (ud3tn-behaviour.md §4)', () => {
  const frame = ud3tnVector('status-reports/mars-to-earth_01.mtcp.bin');
  const bundle = ud3tnVector('status-reports/mars-to-earth_01.bundle.bin');

  it('3 garbage bytes before a valid frame: one error per skipped byte, then the bundle, in every chunk size', () => {
    const input = concat([fromHex('00 9f ff'), frame]);
    for (let size = 1; size <= input.length; size++) {
      const steps = decodeAll(chunks(input, size));
      expect(steps).toHaveLength(4);
      for (const offset of [0, 1, 2]) {
        expect(steps[offset]).toMatchObject({ kind: 'error', skipped: 1, error: { code: 'MALFORMED', offset } });
      }
      expect(steps[3]).toEqual({ kind: 'bundle', bundle });
    }
  });

  it('skips indefinite-length (5f), reserved (5c..5e) and oversized (5b > 2^53-1) heads byte by byte', () => {
    const garbage = fromHex('5f 5c 5d 5e 5b ff ff ff ff ff ff ff ff');
    const steps = decodeAll([concat([garbage, frame])]);
    expect(steps).toHaveLength(garbage.length + 1);
    expect(steps.slice(0, -1).every((s) => s.kind === 'error' && s.error.code === 'MALFORMED')).toBe(true);
    expect(steps.at(-1)).toEqual({ kind: 'bundle', bundle });
  });

  it("'stop' makes the first bad byte final", () => {
    const decoder = createMtcpDecoder({ recovery: 'stop' });
    decoder.push(concat([fromHex('00'), frame]));
    const first = decoder.next();
    expect(first).toMatchObject({ kind: 'error', skipped: 0, error: { code: 'MALFORMED', offset: 0 } });
    expect(decoder.next()).toBe(first);
  });

  it('an over-limit frame is refused from its head, discarded as it arrives, and the next frame decodes', () => {
    const big = ud3tnVector('fragments/fragment_02.mtcp.bin'); // 59 0400 + 1024 bytes
    const input = concat([big, frame]);
    for (const size of [1, 2, 3, 7, 100, 1027, input.length]) {
      const steps = decodeAll(chunks(input, size), { maxFrame: 1023 });
      expect(steps).toHaveLength(2);
      expect(steps[0]).toMatchObject({ kind: 'error', skipped: 3 + 1024, error: { code: 'LIMIT_EXCEEDED', offset: 0 } });
      expect(steps[1]).toEqual({ kind: 'bundle', bundle });
    }
    expect(bundles(decodeAll([input], { maxFrame: 1024 }))).toHaveLength(2);
  });

  it("an over-limit frame with 'stop' is final", () => {
    const steps = decodeAll([ud3tnVector('fragments/fragment_02.mtcp.bin')], { maxFrame: 1023, recovery: 'stop' });
    expect(steps).toEqual([
      { kind: 'error', skipped: 0, error: { code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/\S/), offset: 0 } },
    ]);
  });

  it('a truncated frame waits and reports what it holds', () => {
    const decoder = createMtcpDecoder();
    decoder.push(frame.subarray(0, 50));
    expect(decoder.next()).toEqual({ kind: 'need-more' });
    expect(decoder.buffered).toBe(48);
  });

  it('an empty byte string is an empty bundle (framing does not judge content)', () => {
    expect(bundles(decodeAll([fromHex('40')]))).toEqual([new Uint8Array(0)]);
  });
});

describe('MTCP: property round trip', () => {
  it('frames of random bundles, split at random, decode to the same bundles', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 700 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1 }),
        (input, sizes) => {
          const stream = concat(input.map(encodeMtcpFrame));
          const parts: Uint8Array[] = [];
          for (let i = 0, k = 0; i < stream.length; k++) {
            const n = sizes[k % sizes.length] as number;
            parts.push(stream.subarray(i, i + n));
            i += n;
          }
          expect(bundles(decodeAll(parts))).toEqual(input);
        },
      ),
      { numRuns: 300 },
    );
  });
});
