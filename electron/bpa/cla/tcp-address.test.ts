import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from './tcp-address';

describe('parseHostPort', () => {
  it('reads the host:port of a uD3TN contact address (protocols.md §6.1)', () => {
    // "mtcp:127.0.0.1:15225" from the vectors README contact; the CLA gets the part after "mtcp:".
    expect(parseHostPort('127.0.0.1:15225')).toEqual({ ok: true, value: { host: '127.0.0.1', port: 15225 } });
    expect(parseHostPort('mars.example:4556')).toEqual({ ok: true, value: { host: 'mars.example', port: 4556 } });
  });

  it('reads bracketed IPv6 (uD3TN writes "[addr]:port")', () => {
    expect(parseHostPort('[::1]:4224')).toEqual({ ok: true, value: { host: '::1', port: 4224 } });
  });

  it.each(['127.0.0.1', ':4224', '127.0.0.1:', 'h:0', 'h:65536', 'h:12ab', 'h:-1', '::1:4224', '[::1]4224', '[::1'])(
    'refuses %j',
    (text) => {
      const r = parseHostPort(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('INVALID_ARGUMENT');
    },
  );

  it('round-trips with formatHostPort', () => {
    for (const [host, port] of [
      ['10.0.0.1', 1],
      ['::ffff:127.0.0.1', 65535],
      ['fe80::1', 4556],
    ] as const) {
      expect(parseHostPort(formatHostPort(host, port))).toEqual({ ok: true, value: { host, port } });
    }
  });
});
