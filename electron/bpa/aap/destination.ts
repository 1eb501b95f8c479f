/**
 * Checking a destination EID an application gives in SENDBUNDLE / SENDBIBE / BundleADU before the
 * processor sees it. uD3TN v0.13 does not: its debug build aborts on an invalid one and its release build
 * confirms and drops the bundle (ud3tn-behaviour.md §5.3, probe_sendbundle_bad_dest_eid). Here such a
 * request is refused (NACK / INVALID_REQUEST).
 */
import { err, ok, type Result } from '../../../shared/errors';
import { formatEid, isNullEid, parseEid } from '../../../shared/protocol/bpv7/eid';

/** The destination in canonical text form, or INVALID_EID (also for dtn:none, which no one can receive). */
export function checkDestination(text: string): Result<string> {
  const eid = parseEid(text);
  if (!eid.ok) return eid;
  if (isNullEid(eid.value)) return err('INVALID_EID', 'dtn:none cannot be a destination (RFC 9171 §4.2.5.1.1)');
  return ok(formatEid(eid.value));
}
