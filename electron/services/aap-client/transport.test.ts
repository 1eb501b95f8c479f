import { describe, expect, it } from 'vitest';
import { formatAapAddress, openSocket, parseAapAddress } from './transport';

describe('parseAapAddress', () => {
  it('reads tcp:HOST:PORT (IPv6 in brackets) and unix:PATH', () => {
    expect(parseAapAddress('tcp:127.0.0.1:4242')).toEqual({ ok: true, value: { kind: 'tcp', host: '127.0.0.1', port: 4242 } });
    expect(parseAapAddress('tcp:localhost:1')).toEqual({ ok: true, value: { kind: 'tcp', host: 'localhost', port: 1 } });
    expect(parseAapAddress('tcp:[::1]:4242')).toEqual({ ok: true, value: { kind: 'tcp', host: '::1', port: 4242 } });
    expect(parseAapAddress('unix:./ud3tn.socket')).toEqual({ ok: true, value: { kind: 'unix', path: './ud3tn.socket' } });
  });
  it('refuses everything else', () => {
    for (const bad of ['', '127.0.0.1:4242', 'tcp:127.0.0.1', 'tcp::4242', 'tcp:h:0', 'tcp:h:65536', 'tcp:h:42x', 'tcp:::1:4242', 'unix:', 'udp:h:1']) {
      const r = parseAapAddress(bad);
      expect(r.ok ? 'ok' : r.error.code, bad).toBe('INVALID_ARGUMENT');
    }
  });
  it('formats back to the same text', () => {
    for (const text of ['tcp:127.0.0.1:4242', 'tcp:[::1]:4242', 'unix:/run/ud3tn.socket']) {
      const r = parseAapAddress(text);
      expect(r.ok && formatAapAddress(r.value)).toBe(text);
    }
  });
});

describe('openSocket', () => {
  it('fails with CONNECTION_FAILED when nothing listens', async () => {
    const r = await openSocket({ kind: 'unix', path: '/nonexistent/farside/aap.socket' }, 1000);
    expect(r.ok ? 'ok' : r.error.code).toBe('CONNECTION_FAILED');
  });
});
