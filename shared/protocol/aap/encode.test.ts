import { describe, expect, it } from 'vitest';
import { ascii, fromHex, hex, ud3tnVector } from '../../test-support/vectors';
import { encodeAapMessage, encodeAapMessageParts } from './encode';
import type { AapMessage } from './layout';

function encoded(message: AapMessage): string {
  const r = encodeAapMessage(message);
  if (!r.ok) throw new Error(r.error.message);
  return hex(r.value);
}

describe('AAP v1 encoder: protocols.md §4.2 byte examples', () => {
  it('REGISTER "email" = 12 0005 656d61696c', () => {
    expect(encoded({ type: 'REGISTER', eid: 'email' })).toBe('120005656d61696c');
  });

  it('WELCOME "ipn:1.0" = 17 0007 "ipn:1.0"', () => {
    expect(encoded({ type: 'WELCOME', eid: 'ipn:1.0' })).toBe('170007' + hex(ascii('ipn:1.0')));
  });

  it('upstream SENDBUNDLE sample: 13 0014 "dtn://ud3tn.dtn/test" 0000000000000024 "Hallo, das ist ein SENDBUNDLE Paket!"', () => {
    const payload = ascii('Hallo, das ist ein SENDBUNDLE Paket!');
    expect(encoded({ type: 'SENDBUNDLE', eid: 'dtn://ud3tn.dtn/test', payload })).toBe(
      '130014' + hex(ascii('dtn://ud3tn.dtn/test')) + '0000000000000024' + hex(payload),
    );
  });

  it('upstream SENDCONFIRM sample 15 0000000000000002, and 15 80c5a9206f9a0001', () => {
    expect(encoded({ type: 'SENDCONFIRM', bundleId: 2n })).toBe('150000000000000002');
    expect(encoded({ type: 'SENDCONFIRM', bundleId: 0x80c5a9206f9a0001n })).toBe('1580c5a9206f9a0001');
  });

  it('PING 18, ACK 10, NACK 11', () => {
    expect([{ type: 'PING' as const }, { type: 'ACK' as const }, { type: 'NACK' as const }].map(encoded)).toEqual(['18', '10', '11']);
  });

  it('a non-ASCII EID is written as UTF-8 and its byte length goes in the u16', () => {
    expect(encoded({ type: 'REGISTER', eid: 'é' })).toBe('120002c3a9');
  });
});

describe('AAP v1 encoder: gather parts', () => {
  it('returns [header, payload] with the caller payload itself (never copied)', () => {
    const payload = ud3tnVector('aap1/bsmtp_payload.bin');
    const parts = encodeAapMessageParts({ type: 'SENDBUNDLE', eid: 'dtn://mars.dtn/smtp', payload });
    expect(parts.ok).toBe(true);
    if (!parts.ok) return;
    expect(parts.value).toHaveLength(2);
    expect(parts.value[1]).toBe(payload);
    const file = ud3tnVector('aap1/earth-smtp_04_c2n_SENDBUNDLE.bin');
    expect(parts.value[0]).toEqual(file.subarray(0, 30));
  });

  it('returns only the header for a message without payload', () => {
    const parts = encodeAapMessageParts({ type: 'WELCOME', eid: 'dtn://earth.dtn/' });
    expect(parts.ok && parts.value).toEqual([ud3tnVector('aap1/earth-smtp_01_n2c_WELCOME.bin')]);
  });
});

describe('AAP v1 encoder: values the wire cannot carry', () => {
  it('rejects an EID longer than 65535 bytes with INVALID_ARGUMENT', () => {
    const r = encodeAapMessage({ type: 'REGISTER', eid: 'a'.repeat(0x10000) });
    expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
    const max = encodeAapMessage({ type: 'REGISTER', eid: 'a'.repeat(0xffff) });
    expect(max.ok && max.value.subarray(0, 3)).toEqual(fromHex('12ffff'));
  });

  it('rejects bundle IDs outside u64', () => {
    for (const bundleId of [-1n, 1n << 64n]) {
      const r = encodeAapMessage({ type: 'CANCELBUNDLE', bundleId });
      expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
    }
    expect(encoded({ type: 'CANCELBUNDLE', bundleId: (1n << 64n) - 1n })).toBe('16ffffffffffffffff');
  });
});
