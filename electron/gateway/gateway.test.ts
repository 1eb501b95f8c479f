import { describe, expect, it } from 'vitest';
import { ascii } from '../../shared/test-support/vectors';
import { agentFor, receivedKey } from './gateway';

describe('agentFor', () => {
  it('defaults to email on a dtn node and 25 on an ipn node (protocols.md §1.4)', () => {
    expect(agentFor('dtn://earth.dtn/', null)).toBe('email');
    expect(agentFor('ipn:7.0', null)).toBe('25');
  });

  it('keeps a configured agent as it is', () => {
    expect(agentFor('dtn://earth.dtn/', 'mail/in')).toBe('mail/in');
    expect(agentFor('ipn:7.0', '2525')).toBe('2525');
  });
});

describe('receivedKey', () => {
  it('is the bundle ID text when the node gives one (AAP 2.0)', () => {
    const key = receivedKey({ source: 'dtn://mars.dtn/email', payload: ascii('abc'), bundleId: { source: 'dtn://mars.dtn/email', creationTime: 848_946_031_000, sequence: 3 } });
    expect(key).toBe('dtn://mars.dtn/email 848946031000 3');
  });

  it('is the source with the SHA-256 of the payload when it does not (AAP v1 RECVBUNDLE)', () => {
    // SHA-256("abc"), FIPS 180-2 appendix B.1
    expect(receivedKey({ source: 'dtn://mars.dtn/email', payload: ascii('abc'), bundleId: null })).toBe(
      'dtn://mars.dtn/email sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(receivedKey({ source: 'dtn://venus.dtn/email', payload: ascii('abc'), bundleId: null })).not.toBe(receivedKey({ source: 'dtn://mars.dtn/email', payload: ascii('abc'), bundleId: null }));
  });
});
