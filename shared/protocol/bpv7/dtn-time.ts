/**
 * DTN time (RFC 9171 §4.2.6): milliseconds since 2000-01-01T00:00:00Z, the "DTN epoch", which is
 * 946 684 800 s after the Unix epoch (UNIX_TO_DTN_OFFSET in uD3TN's python-ud3tn-utils, protocols.md §3.8).
 * Pure conversions: the current time is always an argument (design.md principle 1).
 */

/** The DTN epoch in Unix milliseconds. */
export const DTN_EPOCH_UNIX_MS = 946_684_800_000;

/** A creation time of 0 means "no accurate clock" (RFC 9171 §4.2.7); such bundles carry a Bundle Age block. */
export const DTN_TIME_UNKNOWN = 0;

/** DTN time (ms) of a Unix time in ms, floored to whole ms. Times before the DTN epoch have none: -1. */
export function dtnTimeFromUnixMs(unixMs: number): number {
  const t = Math.floor(unixMs) - DTN_EPOCH_UNIX_MS;
  return t >= 0 ? t : -1;
}

/** Unix time (ms) of a DTN time (ms). */
export function unixMsFromDtnTime(dtnMs: number): number {
  return dtnMs + DTN_EPOCH_UNIX_MS;
}

/** ISO 8601 text of a DTN time, for logs and the CLI ("2026-11-25T18:20:32.538Z"). */
export function dtnTimeToIso(dtnMs: number): string {
  return new Date(unixMsFromDtnTime(dtnMs)).toISOString();
}

/**
 * When a bundle expires (RFC 9171 §4.3.1: creation time + lifetime), in DTN ms; undefined when the
 * creation time is 0 (unknown), where expiry follows from the Bundle Age block instead (§4.4.2).
 */
export function expiryDtnTime(creationDtnMs: number, lifetimeMs: number): number | undefined {
  return creationDtnMs === DTN_TIME_UNKNOWN ? undefined : creationDtnMs + lifetimeMs;
}
