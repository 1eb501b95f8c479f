import { describe, expect, it } from 'vitest';
import { haveVectors, ud3tnVector } from '../../test-support/vectors';
import { configAgentEid, contactAddPayload } from './contact-add';
import { dtnSecondsFromUnixMs, unixMsFromDtnSeconds } from './dtn-seconds';

describe('contactAddPayload', () => {
  it.runIf(haveVectors)('builds the config payload of aap1/earth-config_04 byte for byte', () => {
    const message = ud3tnVector('aap1/earth-config_04_c2n_SENDBUNDLE.bin');
    const payload = message.subarray(1 + 2 + 'dtn://earth.dtn/config'.length + 8);
    const r = contactAddPayload({ nodeId: 'dtn://mars.dtn/', claAddress: 'mtcp:127.0.0.1:15225', start: 848946030, end: 849032430, rate: 1000000000 });
    expect(r.ok && r.value).toEqual(new Uint8Array(payload));
  });

  it('adds contact-level EIDs', () => {
    const r = contactAddPayload({ nodeId: 'ipn:2.0', claAddress: 'tcpclv3:10.0.0.2:4556', start: 10, end: 20, rate: 300, reachableEids: ['ipn:7.0'] });
    expect(r.ok && new TextDecoder().decode(r.value)).toBe('1(ipn:2.0):(tcpclv3:10.0.0.2:4556)::[{10,20,300,[(ipn:7.0)]}];');
  });

  it('refuses a contact without CLA address or with end ≤ start', () => {
    const a = contactAddPayload({ nodeId: 'dtn://m/', claAddress: '', start: 1, end: 2, rate: 1 });
    const b = contactAddPayload({ nodeId: 'dtn://m/', claAddress: 'mtcp:h:1', start: 2, end: 2, rate: 1 });
    expect([a.ok || a.error.code, b.ok || b.error.code]).toEqual(['INVALID_ARGUMENT', 'INVALID_ARGUMENT']);
  });
});

describe('configAgentEid (protocols.md §7.1)', () => {
  it('dtn and ipn nodes', () => {
    expect(configAgentEid('dtn://earth.dtn/')).toEqual({ ok: true, value: 'dtn://earth.dtn/config' });
    expect(configAgentEid('dtn://earth.dtn')).toEqual({ ok: true, value: 'dtn://earth.dtn/config' });
    expect(configAgentEid('ipn:1.0')).toEqual({ ok: true, value: 'ipn:1.9000' });
    expect(configAgentEid('ipn:977.1.0')).toEqual({ ok: true, value: 'ipn:977.1.9000' });
  });

  it('refuses EIDs that are not node IDs', () => {
    for (const eid of ['dtn://earth.dtn/smtp', 'ipn:1.5', 'dtn:none', 'mailto:a@b', 'dtn://~x/']) {
      const r = configAgentEid(eid);
      expect(r.ok || r.error.code).toBe('INVALID_EID');
    }
  });
});

describe('DTN seconds', () => {
  it('count from 2000-01-01T00:00:00Z (RFC 9171 §4.2.6)', () => {
    expect(unixMsFromDtnSeconds(0)).toBe(Date.UTC(2000, 0, 1));
    expect(unixMsFromDtnSeconds(86400)).toBe(Date.UTC(2000, 0, 2));
    expect(dtnSecondsFromUnixMs(Date.UTC(2000, 0, 2) + 999)).toBe(86400);
    // The real contact of aap1/earth-config_04 was configured on 2026-11-25 (vectors README: the recording clock).
    expect(new Date(unixMsFromDtnSeconds(848946030)).toISOString().slice(0, 10)).toBe('2026-11-25');
  });
});
