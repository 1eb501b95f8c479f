/**
 * Contact times in uD3TN's configuration are DTN times in whole seconds: seconds since the DTN epoch
 * (RFC 9171 §4.2.6 counts milliseconds from it; uD3TN's parser multiplies the configured seconds by
 * 1000, config_parser.c RP_EXPECT_CONTACT_START_TIME).
 */
import { DTN_EPOCH_UNIX_MS } from '../bpv7/dtn-time';

/** Unix milliseconds → DTN seconds, rounded down (a contact given as "now" starts at most 1 s early). */
export function dtnSecondsFromUnixMs(unixMs: number): number {
  return Math.floor((unixMs - DTN_EPOCH_UNIX_MS) / 1000);
}

/** DTN seconds → Unix milliseconds. */
export function unixMsFromDtnSeconds(dtnSeconds: number): number {
  return DTN_EPOCH_UNIX_MS + dtnSeconds * 1000;
}
