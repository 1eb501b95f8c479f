import { describe, expect, it } from 'vitest';
import { hex, ud3tnVector, ud3tnVectorNames } from '../../test-support/vectors';
import { decodeAap2Message, decodeAap2Response, encodeAap2AduParts, encodeAap2Message, encodeAap2Response } from './messages';
import type { Aap2Message, Aap2Response } from './messages';
import { readVarint } from './protobuf';

const bundleAdu = { srcEid: '', dstEid: '', creationTimestampMs: 0, sequenceNumber: 0, payloadLength: 0, aduFlags: 0 };
const config = { isSubscriber: false, authType: 0, secret: '', endpointId: '', keepaliveSeconds: 0 };
const status = (responseStatus: number): Aap2Response => ({ responseStatus, bundleHeaders: undefined });
const SUCCESS = status(1);

/** What the vectors README says each Protobuf file holds (proto3 defaults written out). */
const GOLDEN: Record<string, { message: Aap2Message } | { response: Aap2Response }> = {
  'earth-sender_02_n2c_AAPMessage-welcome.bin': { message: { kind: 'welcome', welcome: { nodeId: 'dtn://earth.dtn/' } } },
  'earth-sender_03_c2n_AAPMessage-config.bin': {
    message: { kind: 'config', config: { ...config, secret: 'earth-secret', endpointId: 'dtn://earth.dtn/smtp' } },
  },
  'earth-sender_04_n2c_AAPResponse-SUCCESS.bin': { response: SUCCESS },
  'earth-sender_05_c2n_AAPMessage-adu.bin': {
    message: { kind: 'adu', adu: { ...bundleAdu, dstEid: 'dtn://mars.dtn/smtp', payloadLength: 370 } },
  },
  'earth-sender_07_n2c_AAPResponse-SUCCESS.bin': {
    response: {
      responseStatus: 1,
      bundleHeaders: {
        srcEid: 'dtn://earth.dtn/smtp',
        dstEid: 'dtn://mars.dtn/smtp',
        creationTimestampMs: 848946050699,
        sequenceNumber: 1,
        payloadLength: 370,
        fragmentOffset: 0,
        totalAduLength: 0,
        lifetimeMs: 86400000,
      },
    },
  },
  'earth-sender_08_c2n_AAPMessage-keepalive.bin': { message: { kind: 'keepalive', keepalive: {} } },
  'earth-sender_09_n2c_AAPResponse-ACK.bin': { response: status(2) },
  'mars-subscriber_02_n2c_AAPMessage-welcome.bin': { message: { kind: 'welcome', welcome: { nodeId: 'dtn://mars.dtn/' } } },
  'mars-subscriber_03_c2n_AAPMessage-config.bin': {
    message: {
      kind: 'config',
      config: { ...config, isSubscriber: true, secret: 'mars-secret', endpointId: 'dtn://mars.dtn/smtp', keepaliveSeconds: 1 },
    },
  },
  'mars-subscriber_04_n2c_AAPResponse-SUCCESS.bin': { response: SUCCESS },
  'mars-subscriber_05_n2c_AAPMessage-adu.bin': {
    message: {
      kind: 'adu',
      adu: {
        ...bundleAdu,
        srcEid: 'dtn://earth.dtn/smtp',
        dstEid: 'dtn://mars.dtn/smtp',
        creationTimestampMs: 848946050699,
        sequenceNumber: 1,
        payloadLength: 370,
      },
    },
  },
  'mars-subscriber_07_c2n_AAPResponse-SUCCESS.bin': { response: SUCCESS },
  'mars-subscriber_08_n2c_AAPMessage-keepalive.bin': { message: { kind: 'keepalive', keepalive: {} } },
  'mars-subscriber_09_c2n_AAPResponse-ACK.bin': { response: status(2) },
  'earth-errors_02_n2c_AAPMessage-welcome.bin': { message: { kind: 'welcome', welcome: { nodeId: 'dtn://earth.dtn/' } } },
  'earth-errors_03_c2n_AAPMessage-adu.bin': {
    message: { kind: 'adu', adu: { ...bundleAdu, dstEid: 'dtn://mars.dtn/smtp', payloadLength: 4 } },
  },
  'earth-errors_05_n2c_AAPResponse-NOT_FOUND.bin': { response: status(11) },
  'earth-errors_06_c2n_AAPMessage-config.bin': {
    message: { kind: 'config', config: { ...config, secret: 'wrong', endpointId: 'dtn://earth.dtn/smtp' } },
  },
  'earth-errors_07_n2c_AAPResponse-UNAUTHORIZED.bin': { response: status(12) },
  'earth-errors_08_c2n_AAPMessage-config.bin': { message: { kind: 'config', config: { ...config, endpointId: 'not an eid' } } },
  'earth-errors_09_n2c_AAPResponse-INVALID_REQUEST.bin': { response: status(10) },
  'earth-errors_10_c2n_AAPMessage-config.bin': {
    message: { kind: 'config', config: { ...config, endpointId: 'dtn://earth.dtn/other' } },
  },
  'earth-errors_11_n2c_AAPResponse-SUCCESS.bin': { response: SUCCESS },
  'earth-errors_12_c2n_AAPMessage-adu.bin': {
    message: {
      kind: 'adu',
      adu: { ...bundleAdu, dstEid: 'dtn://mars.dtn/smtp', creationTimestampMs: 12345, payloadLength: 4 },
    },
  },
  'earth-errors_14_n2c_AAPResponse-INVALID_REQUEST.bin': { response: status(10) },
};

describe('AAP 2.0 messages: uD3TN v0.13 vectors', () => {
  it('covers every Protobuf file in aap2/', () => {
    expect(ud3tnVectorNames('aap2').filter((n) => /AAP(Message|Response)-/.test(n))).toEqual(Object.keys(GOLDEN).sort());
  });

  for (const [name, expected] of Object.entries(GOLDEN)) {
    it(`${name} decodes to the README's message and re-encodes byte-identically (nanopb order, defaults omitted)`, () => {
      const file = ud3tnVector(`aap2/${name}`);
      const prefix = readVarint(file, 0, file.length);
      if (typeof prefix === 'string') throw new Error('bad prefix');
      expect(prefix.end + prefix.value).toBe(file.length);
      const body = file.subarray(prefix.end);
      if ('message' in expected) {
        expect(decodeAap2Message(body)).toEqual({ ok: true, value: expected.message });
        const again = encodeAap2Message(expected.message);
        expect(again.ok && hex(again.value)).toBe(hex(file));
      } else {
        expect(decodeAap2Response(body)).toEqual({ ok: true, value: expected.response });
        const again = encodeAap2Response(expected.response);
        expect(again.ok && hex(again.value)).toBe(hex(file));
      }
    });
  }

  it('protocols.md §5.1 examples: Keepalive 02 3200, ACK 02 0802, subscriber config', () => {
    const k = encodeAap2Message({ kind: 'keepalive', keepalive: {} });
    expect(k.ok && hex(k.value)).toBe('023200');
    const a = encodeAap2Response({ responseStatus: 2 });
    expect(a.ok && hex(a.value)).toBe('020802');
    const c = encodeAap2Message({
      kind: 'config',
      config: { isSubscriber: true, secret: 'mars-secret', endpointId: 'dtn://mars.dtn/smtp', keepaliveSeconds: 1 },
    });
    expect(c.ok && c.value).toEqual(ud3tnVector('aap2/mars-subscriber_03_c2n_AAPMessage-config.bin'));
  });
});

describe('AAP 2.0 messages: encoders', () => {
  it('encodeAap2AduParts sets payload_length from the payload and keeps the payload as given', () => {
    const payload = ud3tnVector('aap2/earth-sender_06_c2n_ADU-payload.bin');
    const parts = encodeAap2AduParts({ dstEid: 'dtn://mars.dtn/smtp' }, payload);
    expect(parts.ok && parts.value[0]).toEqual(ud3tnVector('aap2/earth-sender_05_c2n_AAPMessage-adu.bin'));
    expect(parts.ok && parts.value[1]).toBe(payload);
    const wrong = encodeAap2AduParts({ dstEid: 'x', payloadLength: 1 }, payload);
    expect(!wrong.ok && wrong.error.code).toBe('INVALID_ARGUMENT');
  });

  it('refuses values outside a field and messages above LIMITS.aap2MaxMessageBytes', () => {
    const bad: Parameters<typeof encodeAap2Message>[0][] = [
      { kind: 'adu', adu: { creationTimestampMs: -1 } },
      { kind: 'adu', adu: { sequenceNumber: 1.5 } },
      { kind: 'adu', adu: { payloadLength: 2 ** 53 } },
      { kind: 'config', config: { keepaliveSeconds: 2 ** 32 } },
      { kind: 'welcome', welcome: { nodeId: 'x'.repeat(70_000) } },
    ];
    for (const m of bad) {
      const r = encodeAap2Message(m);
      expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
    }
    const r = encodeAap2Response({ responseStatus: -1 });
    expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
  });

  it('an empty AAPMessage, or one with only members of a later uD3TN, is UNSUPPORTED', () => {
    const empty = decodeAap2Message(new Uint8Array(0));
    expect(!empty.ok && empty.error.code).toBe('UNSUPPORTED');
    const later = decodeAap2Message(Uint8Array.of(0x22, 0x00)); // field 4 (post-0.13 `link`), empty
    expect(!later.ok && later.error.code).toBe('UNSUPPORTED');
  });
});
