/**
 * What the demo knows about each message on its way (product.md: "a per-message timeline"), keyed by
 * Message-ID, and the links that tie the components' identifiers to it: Postfix queue IDs, the gateway's
 * queue rows, bundle IDs and fragment IDs. Every link is learnt from a log line; nothing is assumed.
 */
import type { ParsedDsn } from '../../../shared/mail/dsn';
import type { StatusItem } from '../../../shared/protocol/bpv7/status-report';
import type { AttachmentFacts, MessageFacts } from './mail-facts';
import type { SiteKey } from './site';

export interface ExpectedMessage {
  readonly messageId: string;
  /** "Alice's mail" */
  readonly label: string;
  readonly from: SiteKey;
  readonly to: SiteKey;
  readonly subject: string;
  /** What was attached when it was sent: the inbox copy is compared with it. */
  readonly attachments: readonly AttachmentFacts[];
}

/** Times are ms since the demo started. */
export interface Journey {
  readonly messageId: string;
  label: string;
  from: SiteKey | null;
  to: SiteKey | null;
  expected: ExpectedMessage | null;
  /** For a DSN: the Message-ID of the mail it reports on. */
  about: string | null;
  submittedAt?: number;
  queuedAt?: number;
  /** BSMTP object size at the gateway. */
  bsmtpBytes?: number;
  nodeAcceptedAt?: number;
  handedOverAt?: number;
  bundleId?: string;
  bundleBytes?: number;
  /** Earliest arrival at the far node by the contact plan, when the node could tell. */
  estimatedArrivalAt?: number;
  fragments: number;
  forwarded: number;
  arrived: number;
  firstArrivalAt?: number;
  reassembledAt?: number;
  deliveredToAgentAt?: number;
  mtaAcceptedAt?: number;
  mailboxAt?: number;
  inbox?: { readonly at: number; readonly uid: number; readonly facts: MessageFacts; readonly intact: boolean };
  /** The DSN that came back about this message. */
  dsn?: { readonly at: number; readonly messageId: string; readonly report: ParsedDsn };
  /** BPv7 status reports about its bundle (or its fragments) that reached the sending gateway, by status. */
  reports: Record<StatusItem, number>;
  /** When the report that its bundle was delivered to the destination agent reached the sending gateway. */
  deliveryReportAt?: number;
}

export interface Journeys {
  /** A message the demo sends: known before any component mentions it. */
  expect(m: ExpectedMessage): Journey;
  /** The journey of a Message-ID, created (unlabelled) when first seen. */
  of(messageId: string): Journey;
  find(messageId: string): Journey | undefined;
  all(): readonly Journey[];

  /** Postfix queue ID → Message-ID, per site (cleanup lines, and the queue ID in a 250 reply). */
  linkQueueId(site: SiteKey, qid: string, messageId: string): void;
  /** The Message-ID Postfix gave for a queue ID, or undefined when no line named it yet. */
  messageIdOfQueue(site: SiteKey, qid: string): string | undefined;
  byQueueId(site: SiteKey, qid: string): Journey | undefined;

  /** Outbound gateway rows not yet handed to the node, oldest first, per site. */
  queued(site: SiteKey, queueId: number, messageId: string, destination: string): void;
  handedOver(site: SiteKey, queueId: number): void;
  /** The oldest waiting row for `destination`: the bundle the node is storing now belongs to it. */
  nextToHandOver(site: SiteKey, destination: string): Journey | undefined;

  linkBundle(bundleId: string, messageId: string): void;
  byBundle(bundleId: string): Journey | undefined;
  fragment(fragmentId: string, n: number, of: number): void;
  /** n and of of a fragment, from the fragmenting node's log. */
  fragmentNumber(fragmentId: string): { readonly n: number; readonly of: number } | undefined;
  /** n and of of the fragment of `bundleId` whose payload starts at `offset` (what a status report names). */
  fragmentAt(bundleId: string, offset: number): { readonly n: number; readonly of: number } | undefined;

  /** Count a status report's statuses, for its journey when it has one and in the demo's total. */
  countReport(statuses: readonly StatusItem[], j: Journey | undefined): void;
  /** Every status report counted, by status. */
  reportTotals(): Readonly<Record<StatusItem, number>>;
}

const noReports = (): Record<StatusItem, number> => ({ received: 0, forwarded: 0, delivered: 0, deleted: 0 });

export function createJourneys(): Journeys {
  const journeys = new Map<string, Journey>();
  const qids = new Map<string, string>();
  const waiting: Record<SiteKey, { queueId: number; messageId: string; destination: string }[]> = { earth: [], mars: [] };
  const bundles = new Map<string, string>();
  const fragments = new Map<string, { n: number; of: number }>();
  const totals = noReports();

  const of = (messageId: string): Journey => {
    let j = journeys.get(messageId);
    if (j === undefined) {
      j = { messageId, label: `the mail <${messageId}>`, from: null, to: null, expected: null, about: null, fragments: 0, forwarded: 0, arrived: 0, reports: noReports() };
      journeys.set(messageId, j);
    }
    return j;
  };

  return {
    expect(m) {
      const j = of(m.messageId);
      j.label = m.label;
      j.from = m.from;
      j.to = m.to;
      j.expected = m;
      return j;
    },
    of,
    find: (messageId) => journeys.get(messageId),
    all: () => [...journeys.values()],
    linkQueueId(site, qid, messageId) {
      qids.set(`${site} ${qid}`, messageId);
    },
    messageIdOfQueue: (site, qid) => qids.get(`${site} ${qid}`),
    byQueueId(site, qid) {
      const id = qids.get(`${site} ${qid}`);
      return id === undefined ? undefined : journeys.get(id);
    },
    queued(site, queueId, messageId, destination) {
      waiting[site].push({ queueId, messageId, destination });
    },
    handedOver(site, queueId) {
      waiting[site] = waiting[site].filter((w) => w.queueId !== queueId);
    },
    nextToHandOver(site, destination) {
      const w = waiting[site].find((x) => x.destination === destination);
      return w === undefined ? undefined : journeys.get(w.messageId);
    },
    linkBundle(bundleId, messageId) {
      bundles.set(bundleId, messageId);
    },
    byBundle(bundleId) {
      const id = bundles.get(bundleId);
      return id === undefined ? undefined : journeys.get(id);
    },
    fragment(fragmentId, n, count) {
      fragments.set(fragmentId, { n, of: count });
    },
    fragmentNumber: (fragmentId) => fragments.get(fragmentId),
    fragmentAt(bundleId, offset) {
      // fragment IDs are "source time sequence offset adu-length" (wording.ts)
      for (const [id, f] of fragments) {
        const parts = id.split(' ');
        if (parts.length === 5 && parts.slice(0, 3).join(' ') === bundleId && Number(parts[3]) === offset) return f;
      }
      return undefined;
    },
    countReport(statuses, j) {
      for (const k of statuses) {
        totals[k]++;
        if (j !== undefined) j.reports[k]++;
      }
    },
    reportTotals: () => totals,
  };
}
