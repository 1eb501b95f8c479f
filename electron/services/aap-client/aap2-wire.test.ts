/**
 * The client's AAP 2.0 wire for status reports, against the byte examples of docs/status-reports.md
 * (§1: a send asking for all four reports; §2: a report pushed to a subscriber), and the uD3TN v0.13
 * bytes of a send without reports (../shared/vectors/ud3tn/aap2).
 */
import { describe, expect, it } from 'vitest';
import { ascii, fromHex, hex, ud3tnVector } from '../../../shared/test-support/vectors';
import { createAap2Reader, encodeAdu } from './aap2-wire';
import { reportRequestFlags } from './status-reports';

const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));

/** A reader past the node's version indicator and Welcome (mars-subscriber_01, _02), as on a live connection. */
function welcomedReader() {
  const reader = createAap2Reader(1 << 20);
  reader.push(cat(ud3tnVector('aap2/mars-subscriber_01_n2c_VERSION_INDICATOR.bin'), ud3tnVector('aap2/mars-subscriber_02_n2c_AAPMessage-welcome.bin')));
  expect(reader.next('message')).toEqual({ kind: 'message', message: { kind: 'welcome', nodeId: 'dtn://mars.dtn/' } });
  return reader;
}

describe('encodeAdu', () => {
  it('writes adu_flags 0x074000 (varint 80 80 1d) for all four reports: docs/status-reports.md §1', () => {
    const payload = new Uint8Array(370);
    const flags = reportRequestFlags({ reception: true, forwarding: true, delivery: true, deletion: true });
    const parts = encodeAdu('dtn://mars.dtn/smtp', payload, flags);
    if (!parts.ok) throw new Error(parts.error.message);
    const expected = cat(fromHex('1e1a1c1213'), ascii('dtn://mars.dtn/smtp'), fromHex('28f202308080 1d'.replace(/ /g, '')));
    expect(hex(parts.value[0] ?? new Uint8Array(0))).toBe(hex(expected));
    expect(parts.value[1]).toBe(payload);
  });

  it('without reports writes no adu_flags: the exact bytes uD3TN v0.13 received from its own client (earth-sender_05)', () => {
    const payload = ud3tnVector('aap2/earth-sender_06_c2n_ADU-payload.bin');
    const parts = encodeAdu('dtn://mars.dtn/smtp', payload, reportRequestFlags(undefined));
    if (!parts.ok) throw new Error(parts.error.message);
    expect(hex(parts.value[0] ?? new Uint8Array(0))).toBe(hex(ud3tnVector('aap2/earth-sender_05_c2n_AAPMessage-adu.bin')));
  });
});

describe('createAap2Reader', () => {
  it('reads a pushed ADU with adu_flags 2 as an administrative record, not a BIBE PDU: docs/status-reports.md §2', () => {
    const reader = welcomedReader();
    reader.push(cat(fromHex('311a2f0a0f'), ascii('dtn://mars.dtn/'), fromHex('1214'), ascii('dtn://earth.dtn/smtp'), fromHex('1805 2001 2803 3002'.replace(/ /g, '')), fromHex('820184')));
    const step = reader.next('message');
    expect(step).toMatchObject({
      kind: 'message',
      message: { kind: 'adu', source: 'dtn://mars.dtn/', destination: 'dtn://earth.dtn/smtp', creationTime: 5, sequence: 1, isAdminRecord: true, isBpdu: false },
    });
    if (step.kind !== 'message' || step.message.kind !== 'adu') throw new Error('no ADU');
    expect(hex(step.message.payload)).toBe('820184');
  });

  it('reads an ordinary ADU pushed by uD3TN v0.13 (mars-subscriber_05, no adu_flags) as neither', () => {
    const reader = welcomedReader();
    reader.push(cat(ud3tnVector('aap2/mars-subscriber_05_n2c_AAPMessage-adu.bin'), ud3tnVector('aap2/mars-subscriber_06_n2c_ADU-payload.bin')));
    expect(reader.next('message')).toMatchObject({ kind: 'message', message: { kind: 'adu', isAdminRecord: false, isBpdu: false } });
  });
});
