import { describe, expect, it } from 'vitest';
import { DTN_EPOCH_UNIX_MS, dtnTimeFromUnixMs, dtnTimeToIso, expiryDtnTime, unixMsFromDtnTime } from './dtn-time';

describe('DTN time (RFC 9171 §4.2.6)', () => {
  it('the epoch is 2000-01-01T00:00:00Z, 946684800 s after the Unix epoch', () => {
    expect(DTN_EPOCH_UNIX_MS).toBe(Date.UTC(2000, 0, 1));
    expect(DTN_EPOCH_UNIX_MS).toBe(946684800 * 1000);
  });

  it.each([
    [710602658000, '2022-07-08T13:37:38.000Z'], // worked example (a)
    [848946032538, '2026-11-25T18:20:32.538Z'], // worked example (b)
    [800000000000, '2025-05-08T06:13:20.000Z'], // worked example (c)
  ])('%d ms is %s', (dtn, iso) => {
    expect(dtnTimeToIso(dtn)).toBe(iso);
    expect(dtnTimeFromUnixMs(Date.parse(iso))).toBe(dtn);
    expect(unixMsFromDtnTime(dtn)).toBe(Date.parse(iso));
  });

  it('has no DTN time before the epoch', () => {
    expect(dtnTimeFromUnixMs(DTN_EPOCH_UNIX_MS - 1)).toBe(-1);
    expect(dtnTimeFromUnixMs(DTN_EPOCH_UNIX_MS + 0.9)).toBe(0);
  });

  it('expiry is creation + lifetime, unknown for creation time 0', () => {
    expect(expiryDtnTime(848946032538, 86400000)).toBe(848946032538 + 86400000);
    expect(expiryDtnTime(0, 1000)).toBeUndefined();
  });
});
