import { describe, expect, it } from 'vitest';
import { createRelayPolicy } from './relay-policy';
import type { RelayPolicyConfig } from './relay-policy';

function policy(c: RelayPolicyConfig) {
  const p = createRelayPolicy(c);
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
}

describe('relay policy', () => {
  const p = policy({ sources: ['dtn://earth.dtn/', 'dtn://moon.dtn/email', 'ipn:7.0'], localDomains: ['Mars.Example', 'base.mars.example'] });

  it('authorises every endpoint of a configured node ID, only the named endpoint otherwise', () => {
    expect(p.isAuthorisedSource('dtn://earth.dtn/email')).toBe(true);
    expect(p.isAuthorisedSource('dtn://earth.dtn/anything')).toBe(true);
    expect(p.isAuthorisedSource('dtn://moon.dtn/email')).toBe(true);
    expect(p.isAuthorisedSource('dtn://moon.dtn/other')).toBe(false);
    expect(p.isAuthorisedSource('ipn:7.25')).toBe(true);
    expect(p.isAuthorisedSource('ipn:8.25')).toBe(false);
  });

  it('never authorises a look-alike, an unparsable source or dtn:none', () => {
    expect(p.isAuthorisedSource('dtn://earth.dtn.evil/email')).toBe(false);
    expect(p.isAuthorisedSource('dtn://earth/email')).toBe(false);
    expect(p.isAuthorisedSource('earth.dtn/email')).toBe(false);
    expect(p.isAuthorisedSource('dtn:none')).toBe(false);
    expect(p.isAuthorisedSource('')).toBe(false);
  });

  it('accepts only recipients in the local domains', () => {
    expect(p.isLocalAddress('bob@mars.example')).toBe(true);
    expect(p.isLocalAddress('bob@MARS.EXAMPLE')).toBe(true);
    expect(p.isLocalAddress('bob@base.mars.example')).toBe(true);
    expect(p.isLocalAddress('bob@venus.example')).toBe(false);
    expect(p.isLocalAddress('bob@evil.mars.example')).toBe(false);
    expect(p.isLocalAddress('bob')).toBe(false);
  });

  it('names the postmaster of the first local domain and keeps the -00 form off by default', () => {
    expect(p.postmaster).toBe('postmaster@mars.example');
    expect(p.acceptPlainRfc5322).toBe(false);
  });

  it('authorises nobody when no source is configured', () => {
    expect(policy({ sources: [], localDomains: ['mars.example'] }).isAuthorisedSource('dtn://earth.dtn/email')).toBe(false);
  });

  it.each([
    ['no local domain', { sources: [], localDomains: [] }],
    ['a bad domain', { sources: [], localDomains: ['mars..example'] }],
    ['a bad source', { sources: ['earth'], localDomains: ['mars.example'] }],
    ['dtn:none as a source', { sources: ['dtn:none'], localDomains: ['mars.example'] }],
  ])('refuses %s with CONFIG_INVALID', (_name, c) => {
    const r = createRelayPolicy(c);
    expect(r.ok ? 'ok' : r.error.code).toBe('CONFIG_INVALID');
  });
});
