/**
 * The bundle this node creates for an ADU a local agent submits (AgentHost.submit), shaped like uD3TN
 * v0.13's (ud3tn-behaviour.md §7; protocols.md §3.12 (b)): primary block with CRC-16, source = the
 * agent's EID, report-to dtn:none, lifetime in ms, then only the payload block (number 1, flags 0, no
 * CRC). Where Farside adds to uD3TN:
 * - status reports asked for in SubmitRequest.reports (docs/status-reports.md) set the report request
 *   flags plus "status time requested" (0x40, so reports carry real times), and the report-to EID
 *   (default: the submitting agent). Administrative records never request reports (RFC 9171 §4.2.3);
 * - mustNotFragment sets flag 0x04 (AAP v1 cannot, protocols.md §3.10);
 * - a creation time of 0 (a clock before the DTN epoch) gets the Bundle Age block §4.2.7 requires.
 * A BIBE PDU (AAP v1 SENDBIBE) is wrapped as administrative record [3, PDU] with flag 0x02
 * (ud3tn-behaviour.md §10: payload prefix 82 03).
 */
import { err, ok, type Result } from '../../shared/errors';
import { DTN_NONE, formatEid, isNullEid, parseEid } from '../../shared/protocol/bpv7/eid';
import { encodeBundleAge } from '../../shared/protocol/bpv7/extension-blocks';
import { BlockType, BundleFlag, reportRequestFlags } from '../../shared/protocol/bpv7/flags';
import type { Bundle, CanonicalBlock, CreationTimestamp, Eid } from '../../shared/protocol/bpv7/types';
import { PAYLOAD_BLOCK_NUMBER, PAYLOAD_BLOCK_TYPE } from '../../shared/protocol/bpv7/types';
import type { SubmitRequest } from './types';

/** uD3TN's `-l` default: 86400 s (protocols.md §3.8). */
export const DEFAULT_LIFETIME_MS = 86_400_000;

/** The record header of a BIBE PDU: CBOR array of 2, record type 3 (protocols.md §6.5). */
const BIBE_RECORD_HEAD = Uint8Array.of(0x82, 0x03);

function parseEndpoint(text: string, what: string): Result<Eid> {
  const e = parseEid(text);
  if (!e.ok) return err('INVALID_EID', `${what}: ${e.error.message}`);
  return e;
}

export interface SubmitShape {
  readonly bundle: Bundle;
  /** Canonical text of source and destination. */
  readonly source: string;
  readonly destination: string;
}

/** The bundle for `req` created at `creation`; INVALID_EID / INVALID_ARGUMENT for a request that cannot be one. */
export function bundleForSubmit(req: SubmitRequest, creation: CreationTimestamp, defaultLifetimeMs: number): Result<SubmitShape> {
  const source = parseEndpoint(req.source, 'source');
  if (!source.ok) return source;
  const destination = parseEndpoint(req.destination, 'destination');
  if (!destination.ok) return destination;
  if (isNullEid(destination.value)) return err('INVALID_EID', 'dtn:none cannot be a destination (RFC 9171 §4.2.5.1.1)');
  const lifetime = req.lifetimeMs ?? defaultLifetimeMs;
  if (!Number.isSafeInteger(lifetime) || lifetime <= 0) return err('INVALID_ARGUMENT', `lifetime must be a positive integer of ms, got ${lifetime}`);

  const admin = req.bibe === true;
  const reports = admin ? 0 : reportRequestFlags(req.reports);
  let reportTo: Eid = DTN_NONE;
  if (reports !== 0) {
    const to = parseEndpoint(req.reports?.reportTo ?? req.source, 'report-to');
    if (!to.ok) return to;
    if (isNullEid(to.value)) return err('INVALID_EID', 'report-to dtn:none cannot receive the reports asked for');
    reportTo = to.value;
  }
  const flags =
    (admin ? BundleFlag.ADMIN_RECORD : 0) |
    (req.mustNotFragment === true ? BundleFlag.MUST_NOT_FRAGMENT : 0) |
    (reports !== 0 ? reports | BundleFlag.STATUS_TIME_REQUESTED : 0);

  let payload = req.payload;
  if (admin) {
    payload = new Uint8Array(BIBE_RECORD_HEAD.length + req.payload.length);
    payload.set(BIBE_RECORD_HEAD, 0);
    payload.set(req.payload, BIBE_RECORD_HEAD.length);
  }
  const blocks: CanonicalBlock[] = [];
  if (creation.time === 0) {
    const age = encodeBundleAge(0);
    if (!age.ok) return age;
    blocks.push({ type: BlockType.BUNDLE_AGE, number: 2, flags: 0, crcType: 0, data: age.value });
  }
  blocks.push({ type: PAYLOAD_BLOCK_TYPE, number: PAYLOAD_BLOCK_NUMBER, flags: 0, crcType: 0, data: payload });
  return ok({
    bundle: {
      primary: {
        version: 7,
        flags,
        crcType: 1,
        destination: destination.value,
        source: source.value,
        reportTo,
        creation,
        lifetime,
      },
      blocks,
    },
    source: formatEid(source.value),
    destination: formatEid(destination.value),
  });
}
