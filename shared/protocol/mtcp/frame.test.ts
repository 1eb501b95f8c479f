import { describe, expect, it } from 'vitest';
import { hex, ud3tnVector } from '../../test-support/vectors';
import { encodeMtcpFrame, encodeMtcpFrameParts, encodeMtcpHeader } from './frame';

describe('MTCP header (protocols.md §6.2)', () => {
  it('168-byte bundle → 58 a8; 442-byte bundle → 59 01ba; 116-byte status report → 58 74', () => {
    expect(hex(encodeMtcpHeader(168))).toBe('58a8');
    expect(hex(encodeMtcpHeader(442))).toBe('5901ba');
    expect(hex(encodeMtcpHeader(116))).toBe('5874');
  });

  it('uses the shortest head at every size boundary (RFC 8949 §4.2.1)', () => {
    const cases: [number, string][] = [
      [0, '40'],
      [23, '57'],
      [24, '5818'],
      [255, '58ff'],
      [256, '590100'],
      [65535, '59ffff'],
      [65536, '5a00010000'],
      [0xffffffff, '5affffffff'],
      [0x100000000, '5b0000000100000000'],
      [Number.MAX_SAFE_INTEGER, '5b001fffffffffffff'],
    ];
    for (const [length, head] of cases) expect(hex(encodeMtcpHeader(length))).toBe(head);
  });

  it('throws on lengths no array can have (programmer error)', () => {
    expect(() => encodeMtcpHeader(-1)).toThrow(RangeError);
    expect(() => encodeMtcpHeader(1.5)).toThrow(RangeError);
  });

  it('frames cla-mtcp/bsmtp-dtn.bundle.bin exactly as uD3TN did', () => {
    const bundle = ud3tnVector('cla-mtcp/bsmtp-dtn.bundle.bin');
    expect(encodeMtcpFrame(bundle)).toEqual(ud3tnVector('cla-mtcp/bsmtp-dtn.mtcp.bin'));
    const [head, body] = encodeMtcpFrameParts(bundle);
    expect(hex(head)).toBe('5901ba');
    expect(body).toBe(bundle);
  });
});
