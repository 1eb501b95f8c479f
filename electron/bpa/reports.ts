/**
 * Bundle status reports this node sends (RFC 9171 §6.1; §5.6 reception, §5.4 forwarding, §5.7
 * delivery, §5.10 deletion). A report is due when status reporting is enabled on this node (uD3TN's
 * `-r`, `farside bpa --status-reports`), the subject bundle asked for that status (its §4.2.3 flag) —
 * or, for reception with reason 8, one of its blocks did (block flag 0x02, §5.6 step 4) — and its
 * report-to is not dtn:none. Administrative records never request reports (§4.2.3), so reports about
 * reports cannot happen.
 *
 * Where Farside differs from uD3TN v0.13 (ud3tn-behaviour.md §8): the assertion carries the real DTN
 * time when the subject requested status times (0x40), where uD3TN always writes 0; every report gets a
 * fresh creation timestamp from the node's creation clock, so two reports never share a bundle ID
 * (uD3TN uses sequence number 1 for all); a report addressed to a local endpoint is delivered to the
 * agent registered there (uD3TN discards it); and the lifetime is the node's default bundle lifetime
 * rather than the subject's remaining lifetime, so a deletion report for an expired bundle can still
 * travel.
 */
import { toLogFormat } from '../../shared/errors';
import { dtnTimeFromUnixMs } from '../../shared/protocol/bpv7/dtn-time';
import { formatEid, isNullEid } from '../../shared/protocol/bpv7/eid';
import { BundleFlag, hasFlag } from '../../shared/protocol/bpv7/flags';
import { buildStatusReportBundle, statusAssertionFor } from '../../shared/protocol/bpv7/report-bundle';
import type { StatusItem } from '../../shared/protocol/bpv7/status-report';
import type { Bundle, Eid } from '../../shared/protocol/bpv7/types';
import { payloadBlockOf } from '../../shared/protocol/bpv7/bundle';
import type { CreationClock } from './creation-clock';
import type { Clock, Log } from './types';

const FLAG_OF: Readonly<Record<StatusItem, number>> = {
  received: BundleFlag.REPORT_RECEPTION,
  forwarded: BundleFlag.REPORT_FORWARDING,
  delivered: BundleFlag.REPORT_DELIVERY,
  deleted: BundleFlag.REPORT_DELETION,
};

export interface ReporterDeps {
  readonly enabled: boolean;
  readonly nodeEid: Eid;
  readonly clock: Clock;
  readonly creationClock: CreationClock;
  readonly lifetimeMs: number;
  readonly log: Log;
  /** Store and route the report bundle like any bundle this node creates; returns its bundle ID key, or undefined when it could not be stored. */
  originate(report: Bundle, subjectId: string, status: StatusItem): string | undefined;
}

export interface Reporter {
  /**
   * Send a report about `subject` asserting `status` with `reason`, when one is due. `force` sends it even
   * when the subject did not request that status (the block flag 0x02 case of §5.6). `at` (Unix ms) is
   * when it happened, when that was earlier than now (a forwarding confirmed later).
   */
  report(subject: Bundle, subjectId: string, status: StatusItem, reason: number, force?: boolean, at?: number): void;
  /** True when a report of `status` would be sent for a bundle with these flags (saves decoding it). */
  wants(reportFlags: number, status: StatusItem): boolean;
}

export function createReporter(deps: ReporterDeps): Reporter {
  const { enabled, log } = deps;
  return {
    wants: (flags, status) => enabled && hasFlag(flags, FLAG_OF[status]),
    report(subject, subjectId, status, reason, force = false, at) {
      if (!enabled) return;
      const p = subject.primary;
      if (!force && !hasFlag(p.flags, FLAG_OF[status])) return;
      if (isNullEid(p.reportTo) || hasFlag(p.flags, BundleFlag.ADMIN_RECORD)) return;
      const now = dtnTimeFromUnixMs(at ?? deps.clock());
      const creation = deps.creationClock.next();
      const built = buildStatusReportBundle({
        subject: p,
        ...(p.fragment === undefined ? {} : { subjectPayloadLength: payloadBlockOf(subject)?.data.length ?? 0 }),
        reportingNode: deps.nodeEid,
        assertions: { [status]: statusAssertionFor(p, Math.max(0, now)) },
        reason,
        now: creation.time,
        sequence: creation.sequence,
        lifetime: deps.lifetimeMs,
      });
      if (!built.ok) {
        log({ event: 'report.failed', about: subjectId, status, error: toLogFormat(built.error) });
        return;
      }
      const id = deps.originate(built.value, subjectId, status);
      if (id !== undefined) log({ event: 'report.sent', id, about: subjectId, status, reason, to: formatEid(p.reportTo) });
    },
  };
}
