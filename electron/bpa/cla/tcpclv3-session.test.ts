import { describe, expect, it } from 'vitest';
import { negotiateKeepalive } from './tcpclv3-session';

describe('negotiateKeepalive (RFC 7242 §4.3)', () => {
  it('takes the minimum of both intervals', () => {
    expect(negotiateKeepalive(1, 5)).toBe(1);
    expect(negotiateKeepalive(30, 15)).toBe(15);
    expect(negotiateKeepalive(0xffff, 0xffff)).toBe(0xffff);
  });

  it('is disabled when either side offers 0 (uD3TN always offers 0)', () => {
    expect(negotiateKeepalive(0, 15)).toBe(0);
    expect(negotiateKeepalive(15, 0)).toBe(0);
    expect(negotiateKeepalive(0, 0)).toBe(0);
  });
});
