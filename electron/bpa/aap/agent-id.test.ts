import { describe, expect, it } from 'vitest';
import { agentEid, isBuiltinAgentEid, isOnNode, localAgentId } from './agent-id';

// Golden cases: ud3tn-behaviour.md §5.2 (observed on uD3TN v0.13) and protocols.md §4.3.
describe('agentEid on a dtn node', () => {
  const node = 'dtn://earth.dtn/';
  it.each([
    ['smtp', 'dtn://earth.dtn/smtp'],
    ['mail/inbox', 'dtn://earth.dtn/mail/inbox'],
    ['config-client', 'dtn://earth.dtn/config-client'],
    ['', 'dtn://earth.dtn/'],
    ['~all', 'dtn://earth.dtn/~all'],
  ])('accepts %j as %s', (id, eid) => {
    expect(agentEid(node, id)).toEqual({ ok: true, value: eid });
  });

  it.each(['a b', 'tab\there', 'é', '\u0000', 'del\u007f'])('refuses %j (not VCHAR, validate_dtn_eid_demux)', (id) => {
    expect(agentEid(node, id)).toMatchObject({ ok: false, error: { code: 'INVALID_EID' } });
  });

  it('refuses an EID longer than LIMITS.eidMaxLength', () => {
    expect(agentEid(node, 'x'.repeat(2000))).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });
});

describe('agentEid on an ipn node', () => {
  const node = 'ipn:1.0';
  it('accepts a decimal service number: 25 → ipn:1.25', () => {
    expect(agentEid(node, '25')).toEqual({ ok: true, value: 'ipn:1.25' });
  });
  it('normalises leading zeros so one service has one registration', () => {
    expect(agentEid(node, '025')).toEqual({ ok: true, value: 'ipn:1.25' });
  });
  it.each(['smtp', '', '-1', '1.5', ' 25', '0x19'])('refuses %j (parse_ipn_ull)', (id) => {
    expect(agentEid(node, id).ok).toBe(false);
  });
  it('refuses a service number above 2^53-1', () => {
    expect(agentEid(node, '9007199254740993')).toMatchObject({ ok: false, error: { code: 'LIMIT_EXCEEDED' } });
  });
});

describe('built-in agents and node membership', () => {
  it('knows config/echo on dtn and 9000/9002 on ipn (config_agent.h, echo_agent.h)', () => {
    expect(isBuiltinAgentEid('dtn://earth.dtn/', 'dtn://earth.dtn/config')).toBe(true);
    expect(isBuiltinAgentEid('dtn://earth.dtn/', 'dtn://earth.dtn/echo')).toBe(true);
    expect(isBuiltinAgentEid('dtn://earth.dtn/', 'dtn://earth.dtn/echo2')).toBe(false);
    expect(isBuiltinAgentEid('ipn:1.0', 'ipn:1.9000')).toBe(true);
    expect(isBuiltinAgentEid('ipn:1.0', 'ipn:1.9002')).toBe(true);
    expect(isBuiltinAgentEid('ipn:1.0', 'ipn:1.9001')).toBe(false);
  });
  it('extracts the local agent ID, and null for other nodes or the node ID itself', () => {
    expect(localAgentId('dtn://earth.dtn/', 'dtn://earth.dtn/smtp')).toBe('smtp');
    expect(localAgentId('dtn://earth.dtn/', 'dtn://mars.dtn/smtp')).toBeNull();
    expect(localAgentId('dtn://earth.dtn/', 'dtn://earth.dtn/')).toBeNull();
    expect(localAgentId('ipn:1.0', 'ipn:1.25')).toBe('25');
    expect(localAgentId('ipn:1.0', 'ipn:12.25')).toBeNull();
  });
  it('tells whether an EID belongs to the node', () => {
    expect(isOnNode('dtn://earth.dtn/', 'dtn://earth.dtn/')).toBe(true);
    expect(isOnNode('dtn://earth.dtn/', 'dtn://earth.dtn/a/b')).toBe(true);
    expect(isOnNode('dtn://earth.dtn/', 'dtn://earth.dtnx/a')).toBe(false);
    expect(isOnNode('ipn:1.0', 'ipn:1.0')).toBe(true);
    expect(isOnNode('ipn:1.0', 'ipn:10.0')).toBe(false);
  });
});
