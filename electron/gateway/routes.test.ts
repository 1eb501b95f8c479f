import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/protocol/limits';
import { createRouteTable, domainOf } from './routes';

function table(entries: Parameters<typeof createRouteTable>[0]) {
  const t = createRouteTable(entries);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

describe('route table', () => {
  it('maps a domain to its gateway EID, case-insensitively (RFC 5321 §2.4)', () => {
    const t = table([
      { domain: 'mars.example', eid: 'dtn://mars.dtn/email', maxMessageBytes: 1_000_000 },
      { domain: 'Venus.Example', eid: 'ipn:3.25' },
    ]);
    expect(t.routeFor('bob@mars.example')).toEqual({ domain: 'mars.example', eid: 'dtn://mars.dtn/email', maxMessageBytes: 1_000_000 });
    expect(t.routeFor('Bob@MARS.Example')?.eid).toBe('dtn://mars.dtn/email');
    expect(t.routeFor('x@venus.example')).toEqual({ domain: 'venus.example', eid: 'ipn:3.25', maxMessageBytes: LIMITS.gatewayDefaultMaxMessageBytes });
    expect(t.largestMessageBytes).toBe(LIMITS.gatewayDefaultMaxMessageBytes);
  });

  it('routes nothing else: other domains, subdomains and addresses without a domain are unroutable', () => {
    const t = table([{ domain: 'mars.example', eid: 'dtn://mars.dtn/email' }]);
    expect(t.routeFor('bob@earth.example')).toBeUndefined();
    expect(t.routeFor('bob@base.mars.example')).toBeUndefined();
    expect(t.routeFor('postmaster')).toBeUndefined();
    expect(t.routeFor('bob@')).toBeUndefined();
  });

  it.each([
    ['a bad domain', [{ domain: 'mars_example', eid: 'dtn://mars.dtn/email' }]],
    ['a single-label domain', [{ domain: 'localhost', eid: 'dtn://mars.dtn/email' }]],
    ['a domain listed twice', [{ domain: 'mars.example', eid: 'dtn://a/email' }, { domain: 'MARS.example', eid: 'dtn://b/email' }]],
    ['a bad EID', [{ domain: 'mars.example', eid: 'mars.dtn/email' }]],
    ['the null endpoint', [{ domain: 'mars.example', eid: 'dtn:none' }]],
    ['a zero size limit', [{ domain: 'mars.example', eid: 'dtn://mars.dtn/email', maxMessageBytes: 0 }]],
  ])('refuses %s with CONFIG_INVALID', (_name, entries) => {
    const t = createRouteTable(entries);
    expect(t.ok ? 'ok' : t.error.code).toBe('CONFIG_INVALID');
  });

  it('domainOf takes what follows the last "@"', () => {
    expect(domainOf('"a@b"@Mars.Example')).toBe('mars.example');
    expect(domainOf('nobody')).toBeUndefined();
  });
});
