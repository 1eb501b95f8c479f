import { describe, expect, it } from 'vitest';
import { agentIdOf, checkDestination, checkNodeId, endpointOf } from './endpoint';

const code = (r: { ok: boolean; error?: { code: string } }): string => (r.ok ? 'ok' : (r.error?.code ?? '?'));

describe('checkDestination', () => {
  it('accepts the EIDs of the uD3TN vectors and protocols.md §3.7', () => {
    for (const eid of ['dtn://mars.dtn/smtp', 'dtn://earth.dtn/config', 'dtn://mars.dtn/', 'dtn://mars.dtn/mail/inbox', 'ipn:2.25', 'ipn:1.9000']) {
      expect(checkDestination(eid), eid).toEqual({ ok: true, value: eid });
    }
  });
  it('refuses what made a debug uD3TN abort, the null endpoint and the RFC 9758 allocator form', () => {
    for (const eid of ['not-an-eid', 'not an eid', '', 'dtn:none', 'dtn://mars.dtn', 'dtn://mars dtn/x', 'dtn://mars.dtn/a b', 'ipn:1', 'ipn:1.2.3', 'ipn:01.2', 'ipn:1.-2']) {
      expect(code(checkDestination(eid)), eid).toBe('INVALID_EID');
    }
  });
});

describe('endpointOf / agentIdOf', () => {
  it('appends the agent ID to a dtn node ID (any VCHAR string, "/" allowed; protocols.md §4.3)', () => {
    expect(endpointOf('dtn://earth.dtn/', 'smtp')).toEqual({ ok: true, value: 'dtn://earth.dtn/smtp' });
    expect(endpointOf('dtn://earth.dtn/', 'mail/inbox')).toEqual({ ok: true, value: 'dtn://earth.dtn/mail/inbox' });
    expect(code(endpointOf('dtn://earth.dtn/', 'a b'))).toBe('INVALID_EID');
    expect(code(endpointOf('dtn://earth.dtn/', 'caf\u00e9'))).toBe('INVALID_EID');
    expect(code(endpointOf('dtn://earth.dtn/', ''))).toBe('INVALID_ARGUMENT');
  });
  it('turns a decimal agent ID into the ipn service number (ud3tn-behaviour.md §5.2: 25 → ipn:1.25)', () => {
    expect(endpointOf('ipn:1.0', '25')).toEqual({ ok: true, value: 'ipn:1.25' });
    for (const bad of ['smtp', '025', '-1', '1.5', '0']) expect(code(endpointOf('ipn:1.0', bad)), bad).toBe('INVALID_EID');
  });
  it('refuses a node ID that is not one', () => {
    expect(code(checkNodeId('dtn://earth.dtn/smtp'))).toBe('MALFORMED');
    expect(code(checkNodeId('ipn:1.5'))).toBe('MALFORMED');
    expect(code(endpointOf('garbage', 'smtp'))).toBe('MALFORMED');
  });
  it('derives the agent ID of a full EID on the same node only', () => {
    expect(agentIdOf('dtn://earth.dtn/', 'dtn://earth.dtn/email')).toEqual({ ok: true, value: 'email' });
    expect(agentIdOf('ipn:2.0', 'ipn:2.25')).toEqual({ ok: true, value: '25' });
    expect(code(agentIdOf('dtn://earth.dtn/', 'dtn://mars.dtn/email'))).toBe('INVALID_EID');
    expect(code(agentIdOf('ipn:2.0', 'ipn:3.25'))).toBe('INVALID_EID');
    expect(code(agentIdOf('dtn://earth.dtn/', 'dtn://earth.dtn/'))).toBe('INVALID_ARGUMENT');
  });
});
