/**
 * Building the bundle that carries a bundle status report (RFC 9171 §6.1, §6.1.1).
 *
 * RFC 9171 §6.1: the report's source is the reporting node's node ID, its destination the subject's
 * report-to EID, and its ADU an administrative record (bundle flag 0x02). An administrative-record
 * bundle must not request status reports itself (§4.2.3), so the flags are exactly 0x02; the report's
 * own report-to is dtn:none.
 *
 * What uD3TN v0.13 does differently (ud3tn-behaviour.md §8, components/bundle7/reports.c), so callers
 * can reproduce it when needed but Farside does not by default:
 * - every assertion carries time 0 even when the subject requested status times — Farside stamps the
 *   real time (statusAssertionFor);
 * - the sequence number is always 1, so two reports made in the same millisecond share one bundle ID —
 *   Farside passes a unique sequence number per creation time;
 * - the lifetime is the subject's remaining lifetime — Farside's caller chooses the lifetime.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { isUint } from '../cbor/writer';
import { encodeAdminRecord } from './admin-record';
import { DTN_NONE, eidProblem, formatEid, isNodeId, isNullEid } from './eid';
import { BundleFlag, hasFlag } from './flags';
import { STATUS_ITEMS, isAsserted } from './status-report';
import type { StatusAssertion, StatusInformation, StatusReport } from './status-report';
import type { Bundle, CrcType, Eid, PrimaryBlock } from './types';
import { PAYLOAD_BLOCK_NUMBER, PAYLOAD_BLOCK_TYPE } from './types';

export interface StatusReportBundleRequest {
  /** Primary block of the bundle the report is about. */
  readonly subject: PrimaryBlock;
  /** Payload length of the subject: required when it is a fragment (report items 5–6, §6.1.1). */
  readonly subjectPayloadLength?: number;
  /** Node ID of the node that makes the report (the report bundle's source). */
  readonly reportingNode: Eid;
  /** The statuses asserted; omitted ones are "not asserted". See statusAssertionFor for the time rule. */
  readonly assertions: Partial<StatusInformation>;
  /** Reason code (report-reasons.ts). */
  readonly reason: number;
  /** Creation time of the report bundle, DTN ms. */
  readonly now: number;
  /** Sequence number of the report bundle; unique per creation time (unlike uD3TN, which always uses 1). */
  readonly sequence: number;
  /** Lifetime of the report bundle, ms. */
  readonly lifetime: number;
  /** CRC type of the report's primary block; default CRC-16, as uD3TN. */
  readonly crcType?: CrcType;
}

/**
 * The assertion a node makes at `now` for `subject` (RFC 9171 §6.1.1): with the time when the subject
 * requested status times (bundle flag 0x40), else without one.
 */
export function statusAssertionFor(subject: PrimaryBlock, now: number): StatusAssertion {
  return hasFlag(subject.flags, BundleFlag.STATUS_TIME_REQUESTED) ? now : true;
}

/**
 * A bundle carrying one status report about `subject`, addressed to its report-to EID.
 * INVALID_ARGUMENT when the subject's report-to is dtn:none (there is nobody to report to), when no
 * status is asserted, when a fragment subject comes without its payload length, or when a number
 * cannot be encoded or the reporting node is not a node ID; INVALID_EID for an invalid reporting node.
 */
export function buildStatusReportBundle(req: StatusReportBundleRequest): Result<Bundle> {
  const { subject } = req;
  if (isNullEid(subject.reportTo)) return err('INVALID_ARGUMENT', 'the subject bundle reports to dtn:none: nowhere to send a status report');
  const reporterProblem = eidProblem(req.reportingNode);
  if (reporterProblem !== undefined) return err('INVALID_EID', `reporting node: ${reporterProblem}`);
  if (!isNodeId(req.reportingNode)) return err('INVALID_ARGUMENT', `the reporting node must be given by its node ID (RFC 9171 §6.1), not ${formatEid(req.reportingNode)}`);
  for (const [name, v] of [['now', req.now], ['sequence', req.sequence], ['lifetime', req.lifetime]] as const) {
    if (!isUint(v)) return err('INVALID_ARGUMENT', `status report ${name} must be a uint, got ${String(v)}`);
  }
  const status = {
    received: req.assertions.received ?? false,
    forwarded: req.assertions.forwarded ?? false,
    delivered: req.assertions.delivered ?? false,
    deleted: req.assertions.deleted ?? false,
  };
  if (!STATUS_ITEMS.some((k) => isAsserted(status[k]))) return err('INVALID_ARGUMENT', 'a status report must assert at least one status');
  let report: StatusReport = { ...status, reason: req.reason, subjectSource: subject.source, subjectCreation: subject.creation };
  if (subject.fragment !== undefined) {
    if (req.subjectPayloadLength === undefined) {
      return err('INVALID_ARGUMENT', 'the subject is a fragment: its payload length is part of the report (RFC 9171 §6.1.1)');
    }
    report = { ...report, subjectFragment: { offset: subject.fragment.offset, length: req.subjectPayloadLength } };
  }
  const payload = encodeAdminRecord({ kind: 'status-report', type: 1, report });
  if (!payload.ok) return payload;
  return ok({
    primary: {
      version: 7,
      flags: BundleFlag.ADMIN_RECORD,
      crcType: req.crcType ?? 1,
      destination: subject.reportTo,
      source: req.reportingNode,
      reportTo: DTN_NONE,
      creation: { time: req.now, sequence: req.sequence },
      lifetime: req.lifetime,
    },
    blocks: [{ type: PAYLOAD_BLOCK_TYPE, number: PAYLOAD_BLOCK_NUMBER, flags: 0, crcType: 0, data: payload.value }],
  });
}
