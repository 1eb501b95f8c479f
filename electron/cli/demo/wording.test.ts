import { describe, expect, it } from 'vitest';
import { binarySize, byteCount, describeBundleId, parseBundleId, relativeTime, shortDigest, span, wholeBundleId } from './wording';

describe('bundle IDs as the BPA and the gateway log them (bundle-key.ts)', () => {
  it('reads a whole bundle and a fragment', () => {
    expect(parseBundleId('dtn://earth.dtn/smtp 848946031000 1')).toEqual({ source: 'dtn://earth.dtn/smtp', creationTime: 848946031000, sequence: 1 });
    expect(parseBundleId('dtn://earth.dtn/smtp 848946031000 1 945 1890')).toEqual({
      source: 'dtn://earth.dtn/smtp',
      creationTime: 848946031000,
      sequence: 1,
      fragment: { offset: 945, aduLength: 1890 },
    });
  });

  it('refuses text that is not a bundle ID', () => {
    for (const t of ['', 'dtn://x/ 1', 'dtn://x/ 1 2 3', 'dtn://x/ a 1', 'dtn://x/ 1 -2', ' 1 2']) expect(parseBundleId(t)).toBeUndefined();
  });

  it('names the whole bundle of a fragment', () => {
    expect(wholeBundleId('ipn:1.25 5 0 262036 2153573')).toBe('ipn:1.25 5 0');
    expect(wholeBundleId('ipn:1.25 5 0')).toBe('ipn:1.25 5 0');
  });

  it('gives the creation time in DTN time and as a date (RFC 9171 §4.2.6: ms since 2000-01-01T00:00:00Z)', () => {
    expect(describeBundleId({ source: 'dtn://earth.dtn/email', creationTime: 0, sequence: 7 })).toBe(
      'source dtn://earth.dtn/email, creation time 2000-01-01T00:00:00.000Z = DTN 0 ms, sequence 7',
    );
    // one day and 1.5 s after the DTN epoch
    expect(describeBundleId({ source: 'ipn:1.25', creationTime: 86_401_500, sequence: 0 })).toContain('creation time 2000-01-02T00:00:01.500Z = DTN 86401500 ms');
  });
});

describe('numbers in words', () => {
  it('formats times, sizes and digests', () => {
    expect(relativeTime(12_204)).toBe('+12.20 s');
    expect(relativeTime(0)).toBe('+0.00 s');
    expect(byteCount(2_153_573)).toBe('2,153,573 bytes');
    expect(binarySize(1.5 * 1024 * 1024)).toBe('1.5 MiB');
    expect(binarySize(256 * 1024)).toBe('256 KiB');
    expect(binarySize(900)).toBe('900 bytes');
    expect(shortDigest('0123456789abcdef0123456789abcdef')).toBe('01234567…89abcdef');
    expect(shortDigest('abc')).toBe('abc');
    expect([span(3_600_000), span(1_200_000), span(3000)]).toEqual(['1 h', '20 min', '3.0 s']);
  });
});
