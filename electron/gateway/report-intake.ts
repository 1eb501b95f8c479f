/**
 * What the gateway makes of an administrative record delivered to its mail agent: BPv7 status reports
 * (RFC 9171 §6.1) about the bundles it sent, which asked for them (config node.statusReports;
 * docs/status-reports.md). Such a record is never mail: it does not go to the inbound processor, and one
 * that cannot be read is logged and dropped, never handed to the postmaster. Pure: no I/O, no clock.
 *
 * One `report-received` event per report, with what the report says and no more (protocols.md §8.2):
 * - the reporting node: the report bundle's source (§6.1: the report goes from the reporting node's ID);
 * - the subject bundle ID: source, creation time and sequence number (§6.1.1 items 3 and 4), plus the
 *   fragment offset and payload length when the subject was a fragment (items 5 and 6);
 * - each asserted status (received, forwarded, delivered, deleted) with its time, ISO 8601, or null when
 *   the report carries none (the subject did not ask for times, or the node wrote DTN time 0, as uD3TN
 *   does for every report, ud3tn-behaviour.md §8);
 * - the reason code with its registry name and plain text (report-reasons.ts);
 * - the message it is about, when the subject is a bundle this gateway handed over: found by the bundle
 *   ID recorded at hand-over. A fragment has the source and creation timestamp of the bundle it was cut
 *   from (RFC 9171 §5.8), so its report links to that bundle as well.
 *
 * "delivered" means the bundle reached the destination agent's node and was delivered to the agent there
 * (the remote gateway): it is not the mailbox. Only the DSN says that (protocols.md §8.2).
 */
import { toLogFormat } from '../../shared/errors';
import { decodeAdminRecord } from '../../shared/protocol/bpv7/admin-record';
import { DTN_TIME_UNKNOWN, dtnTimeToIso } from '../../shared/protocol/bpv7/dtn-time';
import { formatEid } from '../../shared/protocol/bpv7/eid';
import { describeStatusReason } from '../../shared/protocol/bpv7/report-reasons';
import { STATUS_ITEMS } from '../../shared/protocol/bpv7/status-report';
import type { StatusAssertion, StatusReport } from '../../shared/protocol/bpv7/status-report';
import type { ReceivedBundle } from '../services/aap-client/types';
import type { QueuedBundle } from './store/gateway-store';
import { bundleIdText } from './types';
import type { GatewayLogEvent } from './types';

/** The outbound bundle handed over as this bundle ID (GatewayStore.handedOverBundle). */
export type HandedOverLookup = (bundleId: string) => QueuedBundle | undefined;

/** The subject bundle ID in the gateway's text form (bundleIdText): what hand-over recorded. */
export function subjectBundleId(r: StatusReport): string {
  return bundleIdText({ source: formatEid(r.subjectSource), creationTime: r.subjectCreation.time, sequence: r.subjectCreation.sequence });
}

/** The time of an asserted status as ISO text; null when the report gives no time. */
function assertionTime(a: StatusAssertion): string | null {
  return typeof a === 'number' && a !== DTN_TIME_UNKNOWN ? dtnTimeToIso(a) : null;
}

function reportEvent(b: Pick<ReceivedBundle, 'source' | 'bundleId'>, r: StatusReport, lookup: HandedOverLookup): GatewayLogEvent {
  const subject = subjectBundleId(r);
  const reason = describeStatusReason(r.reason);
  const times: Record<string, string | null> = {};
  const asserted: string[] = [];
  for (const k of STATUS_ITEMS) {
    if (r[k] === false) continue;
    asserted.push(k);
    times[`${k}At`] = assertionTime(r[k]);
  }
  const linked = lookup(subject);
  return {
    event: 'report-received',
    reporter: b.source,
    report: b.bundleId === null ? null : bundleIdText(b.bundleId),
    subject,
    subjectSource: formatEid(r.subjectSource),
    subjectCreationTime: r.subjectCreation.time,
    subjectSequence: r.subjectCreation.sequence,
    ...(r.subjectFragment === undefined ? {} : { fragmentOffset: r.subjectFragment.offset, fragmentLength: r.subjectFragment.length }),
    assertions: asserted.join(','),
    ...times,
    reason: r.reason,
    reasonName: reason.name,
    reasonText: reason.text,
    queueId: linked?.id ?? null,
    origin: linked?.origin ?? null,
    messageId: linked?.messageId ?? null,
    destination: linked?.destination ?? null,
  };
}

/**
 * The one log event for an administrative record the node delivered to the mail agent: `report-received`
 * for a status report, `admin-record-dropped` for a record that cannot be read or is of another type.
 */
export function adminRecordEvent(b: Pick<ReceivedBundle, 'source' | 'bundleId' | 'payload'>, lookup: HandedOverLookup): GatewayLogEvent {
  const record = decodeAdminRecord(b.payload);
  const report = b.bundleId === null ? null : bundleIdText(b.bundleId);
  if (!record.ok) {
    return { event: 'admin-record-dropped', source: b.source, report, size: b.payload.length, reason: 'undecodable', error: toLogFormat(record.error) };
  }
  if (record.value.kind !== 'status-report') {
    return { event: 'admin-record-dropped', source: b.source, report, size: b.payload.length, reason: `administrative record type ${record.value.type} is not a status report` };
  }
  return reportEvent(b, record.value.report, lookup);
}
