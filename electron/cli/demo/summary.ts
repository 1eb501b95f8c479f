/**
 * The table printed at the end of the demo: one column per mail, one row per step of its timeline, times
 * since the start of the demo. A step that did not happen says so ("—"), it is never filled in.
 */
import type { Journey } from './journeys';
import type { Style } from './style';
import { binarySize, byteCount, duration, relativeTime } from './wording';

export interface SummaryColumn {
  readonly journey: Journey;
  /** "Earth → Mars" */
  readonly route: string;
}

const NONE = '—';
const at = (t: number | undefined): string => (t === undefined ? NONE : relativeTime(t));

/** The statuses in the order a bundle meets them on its way. */
const JOURNEY_ORDER = ['forwarded', 'received', 'delivered', 'deleted'] as const;

/** "9 forwarded, 9 received, 1 delivered (delivery report +15.21 s)": reports that reached the sending gateway. */
function reportsText(j: Journey): string {
  const counts = JOURNEY_ORDER.filter((k) => j.reports[k] > 0).map((k) => `${j.reports[k]} ${k}`);
  if (counts.length === 0) return NONE;
  return `${counts.join(', ')}${j.deliveryReportAt === undefined ? '' : ` (delivery report ${relativeTime(j.deliveryReportAt)})`}`;
}

function rows(c: SummaryColumn, maxBundleSize: number): [string, string][] {
  const j = c.journey;
  const sinceSubmit = (t: number | undefined): string => (t === undefined || j.submittedAt === undefined ? '' : ` (${duration(t - j.submittedAt)} after submission)`);
  const attachments = j.expected?.attachments ?? [];
  const intact = j.inbox === undefined ? NONE : j.inbox.intact ? `yes, ${attachments.map((a) => binarySize(a.size)).join(', ')}` : 'NO';
  const dsn = j.dsn?.report.recipients[0];
  return [
    ['Submitted to Postfix', at(j.submittedAt)],
    ['Queued at the gateway (Batch SMTP)', j.queuedAt === undefined ? NONE : `${at(j.queuedAt)}, ${byteCount(j.bsmtpBytes ?? 0)}`],
    ['Handed to the node (bundle ID)', at(j.handedOverAt)],
    ['Bundle(s) on the link', j.fragments > 0 ? `${j.fragments} fragments of ≤ ${binarySize(maxBundleSize)}` : j.forwarded > 0 ? '1 bundle, not fragmented' : NONE],
    ['Earliest arrival by the contact plan', at(j.estimatedArrivalAt)],
    ['First bytes at the far node', at(j.firstArrivalAt)],
    ['Reassembled at the far node', j.fragments > 0 ? at(j.reassembledAt) : 'not needed'],
    ['Replayed into the far Postfix', at(j.mtaAcceptedAt)],
    ["In the recipient's IMAP inbox", `${at(j.inbox?.at)}${sinceSubmit(j.inbox?.at)}`],
    ['Attachment size and SHA-256 as sent', intact],
    ['BPv7 status reports received', reportsText(j)],
    ["DSN back in the sender's inbox", j.dsn === undefined ? NONE : `${at(j.dsn.at)}${sinceSubmit(j.dsn.at)}, ${dsn === undefined ? '?' : `${dsn.action} ${dsn.status}`}`],
  ];
}

export function renderSummary(columns: readonly SummaryColumn[], maxBundleSize: number, style: Style): string[] {
  const table = columns.map((c) => rows(c, maxBundleSize));
  const labels = table[0]?.map(([label]) => label) ?? [];
  const labelWidth = Math.max(...labels.map((l) => l.length));
  const widths = columns.map((c, i) => Math.max(c.journey.label.length, c.route.length, ...(table[i] ?? []).map(([, v]) => v.length)));
  const line = (first: string, cells: readonly string[]): string => `  ${first.padEnd(labelWidth)}  ${cells.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  const out = [
    style.bold(line('', columns.map((c) => c.journey.label))),
    style.dim(line('', columns.map((c) => c.route))),
    `  ${'─'.repeat(labelWidth + widths.reduce((n, w) => n + w + 2, 0))}`,
  ];
  labels.forEach((label, r) => out.push(line(label, table.map((col) => col[r]?.[1] ?? NONE))));
  return out;
}
