import { describe, expect, it } from 'vitest';
import { ascii, hex, ud3tnVector } from '../../test-support/vectors';
import { encodeTcpclv3ContactHeader, TCPCLV3_CONTACT_FLAGS } from './contact-header';

describe('TCPCLv3 contact header (RFC 7242 §4.1)', () => {
  it('encodes the contact headers uD3TN sent: earth (25 bytes) and mars (24 bytes)', () => {
    const earth = encodeTcpclv3ContactHeader({ flags: 0, keepaliveSeconds: 0, eid: 'dtn://earth.dtn/' });
    expect(earth.ok && earth.value).toEqual(ud3tnVector('cla-tcpclv3/earth-to-mars_01_CONTACT_HEADER.bin'));
    const mars = encodeTcpclv3ContactHeader({ flags: 0, keepaliveSeconds: 0, eid: 'dtn://mars.dtn/' });
    expect(mars.ok && mars.value).toEqual(ud3tnVector('cla-tcpclv3/mars-to-earth_01_CONTACT_HEADER.bin'));
  });

  it('protocols.md §6.4: 64746e21 03 00 0000 10 "dtn://earth.dtn/"', () => {
    const r = encodeTcpclv3ContactHeader({ flags: 0, keepaliveSeconds: 0, eid: 'dtn://earth.dtn/' });
    expect(r.ok && hex(r.value)).toBe('64746e21' + '03' + '00' + '0000' + '10' + hex(ascii('dtn://earth.dtn/')));
  });

  it('writes flags, a big-endian keepalive and a multi-byte SDNV EID length', () => {
    const flags = TCPCLV3_CONTACT_FLAGS.REQUEST_ACK | TCPCLV3_CONTACT_FLAGS.BUNDLE_REFUSAL | TCPCLV3_CONTACT_FLAGS.LENGTH_MESSAGES;
    const eid = `dtn://${'n'.repeat(200)}/`;
    const r = encodeTcpclv3ContactHeader({ flags, keepaliveSeconds: 0x0102, eid });
    // EID of 207 bytes: SDNV 81 4f.
    expect(r.ok && hex(r.value.subarray(0, 10))).toBe('64746e21' + '03' + '0d' + '0102' + '814f');
    expect(r.ok && r.value.length).toBe(10 + 207);
  });

  it('refuses values the fields cannot carry', () => {
    for (const bad of [
      { flags: 256, keepaliveSeconds: 0, eid: 'dtn://a/' },
      { flags: 0, keepaliveSeconds: 65536, eid: 'dtn://a/' },
      { flags: 0, keepaliveSeconds: -1, eid: 'dtn://a/' },
      { flags: 0, keepaliveSeconds: 0, eid: 'x'.repeat(1025) },
    ]) {
      const r = encodeTcpclv3ContactHeader(bad);
      expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT');
    }
  });
});
