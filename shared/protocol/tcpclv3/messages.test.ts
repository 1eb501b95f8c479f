import { describe, expect, it } from 'vitest';
import { hex, ud3tnVector } from '../../test-support/vectors';
import { concat } from '../../test-support/fuzz';
import {
  encodeTcpclv3BundleParts,
  encodeTcpclv3DataSegmentHeader,
  encodeTcpclv3Message,
  encodeTcpclv3MessageParts,
  TCPCLV3_REFUSE_REASON,
  TCPCLV3_SHUTDOWN_REASON,
} from './messages';
import type { Tcpclv3Message } from './messages';

function encoded(message: Tcpclv3Message): string {
  const r = encodeTcpclv3Message(message);
  if (!r.ok) throw new Error(r.error.message);
  return hex(r.value);
}

describe('TCPCLv3 messages (RFC 7242 §5, §6.1)', () => {
  const bundle = ud3tnVector('cla-tcpclv3/earth-to-mars_02.bundle.bin');
  const segment = ud3tnVector('cla-tcpclv3/earth-to-mars_02_DATA_SEGMENT.bin');

  it('DATA_SEGMENT with S and E: 13 833a + the 442-byte bundle, exactly as uD3TN sent it', () => {
    expect(hex(segment.subarray(0, 3))).toBe('13833a');
    const r = encodeTcpclv3Message({ type: 'DATA_SEGMENT', start: true, end: true, data: bundle });
    expect(r.ok && r.value).toEqual(segment);
    expect(hex(encodeTcpclv3DataSegmentHeader(442, true, true))).toBe('13833a');
  });

  it('gather parts keep the data as the caller gave it', () => {
    const parts = encodeTcpclv3MessageParts({ type: 'DATA_SEGMENT', start: true, end: true, data: bundle });
    expect(parts.ok && parts.value[1]).toBe(bundle);
  });

  it('a bundle in one segment (the default) is the uD3TN form; smaller segments carry S on the first, E on the last', () => {
    expect(concat(encodeTcpclv3BundleParts(bundle))).toEqual(segment);
    const parts = encodeTcpclv3BundleParts(bundle, 200);
    expect(parts.filter((_, i) => i % 2 === 0).map(hex)).toEqual(['12' + '8148', '10' + '8148', '11' + '2a']);
    expect(concat(parts.filter((_, i) => i % 2 === 1))).toEqual(bundle);
    expect(parts[1]?.buffer).toBe(bundle.buffer);
    expect(encodeTcpclv3BundleParts(new Uint8Array(0)).map(hex)).toEqual(['1300', '']);
  });

  it('DATA_SEGMENT flags: S = 0x2, E = 0x1, neither for a middle segment', () => {
    expect(hex(encodeTcpclv3DataSegmentHeader(1, true, false))).toBe('1201');
    expect(hex(encodeTcpclv3DataSegmentHeader(1, false, true))).toBe('1101');
    expect(hex(encodeTcpclv3DataSegmentHeader(1, false, false))).toBe('1001');
  });

  it('ACK_SEGMENT and LENGTH carry an SDNV; KEEPALIVE is one byte', () => {
    expect(encoded({ type: 'ACK_SEGMENT', length: 442 })).toBe('20833a');
    expect(encoded({ type: 'LENGTH', length: 442 })).toBe('60833a');
    expect(encoded({ type: 'KEEPALIVE' })).toBe('40');
  });

  it('REFUSE_BUNDLE puts its reason code in the flags nibble', () => {
    expect(encoded({ type: 'REFUSE_BUNDLE', reason: TCPCLV3_REFUSE_REASON.UNKNOWN })).toBe('30');
    expect(encoded({ type: 'REFUSE_BUNDLE', reason: TCPCLV3_REFUSE_REASON.COMPLETED })).toBe('31');
    expect(encoded({ type: 'REFUSE_BUNDLE', reason: TCPCLV3_REFUSE_REASON.RETRANSMIT })).toBe('33');
  });

  it('SHUTDOWN: R flag 0x2 adds a reason byte, D flag 0x1 an SDNV delay, reason first', () => {
    expect(encoded({ type: 'SHUTDOWN', reason: undefined, reconnectionDelay: undefined })).toBe('50');
    expect(encoded({ type: 'SHUTDOWN', reason: TCPCLV3_SHUTDOWN_REASON.VERSION_MISMATCH, reconnectionDelay: undefined })).toBe('5201');
    expect(encoded({ type: 'SHUTDOWN', reason: undefined, reconnectionDelay: 300 })).toBe('51822c');
    expect(encoded({ type: 'SHUTDOWN', reason: TCPCLV3_SHUTDOWN_REASON.BUSY, reconnectionDelay: 10 })).toBe('53020a');
  });

  it('refuses values the fields cannot carry', () => {
    const bad: Tcpclv3Message[] = [
      { type: 'REFUSE_BUNDLE', reason: 16 },
      { type: 'SHUTDOWN', reason: 256, reconnectionDelay: undefined },
      { type: 'SHUTDOWN', reason: undefined, reconnectionDelay: -1 },
      { type: 'ACK_SEGMENT', length: 1.5 },
      { type: 'LENGTH', length: 2 ** 53 },
    ];
    for (const m of bad) {
      const r = encodeTcpclv3Message(m);
      expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
    }
    expect(() => encodeTcpclv3BundleParts(bundle, 0)).toThrow(RangeError);
  });
});
