import { describe, expect, it } from 'vitest';
import { bundleKey } from './bundle-key';
import { expiresAtOf } from './expiry';

describe('bundleKey', () => {
  it('source, creation time and sequence; plus offset and payload length for fragments', () => {
    expect(bundleKey({ source: 'dtn://earth.dtn/smtp', creationTime: 848946031000, sequence: 1 })).toBe('dtn://earth.dtn/smtp 848946031000 1');
    // The second fragment of ud3tn-behaviour.md §9: 945 payload bytes at offset 945.
    expect(bundleKey({ source: 'dtn://earth.dtn/smtp', creationTime: 848946031000, sequence: 0, fragment: { offset: 945, payloadLength: 945 } })).toBe(
      'dtn://earth.dtn/smtp 848946031000 0 945 945',
    );
  });
});

describe('expiresAtOf (RFC 9171 §4.3.1, §4.4.2)', () => {
  it('creation time + lifetime, in Unix ms', () => {
    // DTN time 0 is 2000-01-01T00:00:00Z; one day of lifetime.
    expect(expiresAtOf({ creationTime: 1000, lifetimeMs: 86_400_000, receivedAt: 0 })).toBe(Date.UTC(2000, 0, 2) + 1000);
  });

  it('without a clock (creation time 0): arrival + lifetime − bundle age', () => {
    expect(expiresAtOf({ creationTime: 0, lifetimeMs: 60_000, receivedAt: 1_800_000_000_000, bundleAgeMs: 15_000 })).toBe(1_800_000_045_000);
    expect(expiresAtOf({ creationTime: 0, lifetimeMs: 60_000, receivedAt: 1_800_000_000_000 })).toBe(1_800_000_060_000);
  });
});
