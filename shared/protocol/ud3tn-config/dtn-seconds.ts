/**
 * Contact times in uD3TN's configuration are DTN times in whole seconds: seconds since the DTN epoch
 * 2000-01-01T00:00:00Z (RFC 9171 §4.2.6 counts milliseconds from that epoch; uD3TN's parser multiplies
 * the configured seconds by 1000, config_parser.c RP_EXPECT_CONTACT_START_TIME).
 */

/** 2000-01-01T00:00:00Z in Unix milliseconds. */
export const DTN_EPOCH_UNIX_MS = 946_684_800_000;

/** Unix milliseconds → DTN seconds, rounded down (a contact given as "now" starts at most 1 s early). */
export function dtnSecondsFromUnixMs(unixMs: number): number {
  return Math.floor((unixMs - DTN_EPOCH_UNIX_MS) / 1000);
}

/** DTN seconds → Unix milliseconds. */
export function unixMsFromDtnSeconds(dtnSeconds: number): number {
  return DTN_EPOCH_UNIX_MS + dtnSeconds * 1000;
}
