/**
 * Turns what the components report into the demo's steps, in plain words with the real identifiers
 * (issue 4: "prints every step as it happens"). The inputs are the structured log events of the two BPAs
 * and the two gateways (their `log` callbacks), the lines of the two Postfix mail logs, what the IMAP
 * watchers find, and the demo's own submissions. Each input yields zero or more steps; the journeys
 * record what the summary needs.
 *
 * Honest states (product.md, protocols.md §8.2): "handed to the node" is said when the node confirmed the
 * bundle, and is not delivery; a node's own log is called the node's log, never a status report. A status
 * report is told when it reaches the gateway that sent the bundle (its `report-received` line), with what
 * it asserts and the time it gives: "delivered" means the bundle reached its destination agent, the far
 * mail gateway, not the mailbox (only the DSN says that). The nodes' own lines about report bundles
 * (made, forwarded, received, handed to the gateway) would tell each report four times and are left out.
 */
import { STATUS_ITEMS } from '../../../shared/protocol/bpv7/status-report';
import type { StatusItem } from '../../../shared/protocol/bpv7/status-report';
import type { LogEvent } from '../../bpa/types';
import type { GatewayLogEvent } from '../../gateway/types';
import type { Journey, Journeys } from './journeys';
import type { MessageFacts } from './mail-facts';
import type { PostfixLogEvent } from './postfix-log';
import type { LinkSpec, SiteKey } from './site';
import { binarySize, byteCount, describeBundleId, duration, parseBundleId, relativeTime, shortDigest, wholeBundleId } from './wording';

export type DemoInput =
  | { readonly kind: 'node'; readonly at: number; readonly site: SiteKey; readonly e: LogEvent }
  | { readonly kind: 'gateway'; readonly at: number; readonly site: SiteKey; readonly e: GatewayLogEvent }
  | { readonly kind: 'postfix'; readonly at: number; readonly site: SiteKey; readonly e: PostfixLogEvent }
  | { readonly kind: 'inbox'; readonly at: number; readonly site: SiteKey; readonly user: string; readonly uid: number; readonly facts: MessageFacts }
  | { readonly kind: 'submitted'; readonly at: number; readonly site: SiteKey; readonly messageId: string; readonly reply: string; readonly notify: string };

export type StepKind =
  | 'submitted'
  | 'queued'
  | 'node-accepted'
  | 'fragmented'
  | 'handed-over'
  | 'link'
  | 'forwarded'
  | 'received'
  | 'reassembled'
  | 'gateway-accepted'
  | 'delivered-to-agent'
  | 'mta-accepted'
  | 'mailbox'
  | 'dsn-written'
  | 'inbox'
  | 'dsn-in-inbox'
  | 'report-received'
  | 'problem';

export interface Step {
  /** ms since the demo started */
  readonly at: number;
  readonly site: SiteKey;
  readonly kind: StepKind;
  /** Message-ID of the message it belongs to, when known. */
  readonly message?: string;
  readonly text: string;
  /** good: an outcome the demo set out to show; bad: something failed; fatal: the demo cannot go on. */
  readonly tone: 'plain' | 'good' | 'bad' | 'fatal';
  /** A report-received step: the statuses the report asserts. */
  readonly statuses?: readonly StatusItem[];
}

export interface SiteWords {
  /** "Earth" */
  readonly name: string;
  readonly nodeId: string;
  readonly gatewayEid: string;
}

export interface NarratorContext {
  readonly journeys: Journeys;
  readonly sites: Readonly<Record<SiteKey, SiteWords>>;
  readonly link: LinkSpec;
  /** Unix ms at the demo's start (`at` 0): places the absolute times a status report gives. */
  readonly startedAt: number;
  /** Earliest arrival (ms since the demo started) of `bytes` from a site's node, by its contact plan. */
  estimateArrival(site: SiteKey, destination: string, bytes: number): number | undefined;
}

export type Narrator = (input: DemoInput) => Step[];

const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** "bob@mars.example" → "Bob" */
export function personOf(address: string): string {
  const local = address.split('@')[0] ?? address;
  return local === '' ? address : `${local[0]?.toUpperCase() ?? ''}${local.slice(1)}`;
}

function siteOfEid(ctx: NarratorContext, eid: string): SiteKey | undefined {
  for (const key of ['earth', 'mars'] as const) if (eid.startsWith(ctx.sites[key].nodeId)) return key;
  return undefined;
}

/**
 * A bundle a node made itself (source = its node ID): a status report (RFC 9171 §6.1), never mail. Its
 * logged ID starts with the source like any other, and may carry a suffix of the node's after the
 * creation timestamp ("dtn://mars.dtn/ 848955628477 1 #fc08ed1e").
 */
function isNodesOwn(ctx: NarratorContext, bundleId: string): boolean {
  const source = bundleId.split(' ', 1)[0];
  return source === ctx.sites.earth.nodeId || source === ctx.sites.mars.nodeId;
}

/** What a report says happened: "received", "delivered to dtn://mars.dtn/email". */
const REPORT_VERBS: Readonly<Record<StatusItem, string>> = { received: 'received', forwarded: 'forwarded', delivered: 'delivered', deleted: 'deleted' };

export function createNarrator(ctx: NarratorContext): Narrator {
  const { journeys, sites, link } = ctx;
  const step = (input: DemoInput, kind: StepKind, text: string, j?: Journey, tone: Step['tone'] = 'plain'): Step => ({
    at: input.at,
    site: input.site,
    kind,
    ...(j === undefined ? {} : { message: j.messageId }),
    text,
    tone,
  });
  const labelOf = (j: Journey | undefined, fallback: string): string => (j === undefined ? fallback : j.label);
  const peerName = (eid: string): string => {
    const s = siteOfEid(ctx, eid);
    return s === undefined ? eid : sites[s].name;
  };
  /** "fragment 3/9" or "the bundle" */
  const pieceOf = (id: string): string => {
    const f = journeys.fragmentNumber(id);
    if (f !== undefined) return `fragment ${f.n}/${f.of}`;
    return parseBundleId(id)?.fragment === undefined ? 'the bundle' : `a fragment`;
  };

  const node = (input: DemoInput & { kind: 'node' }): Step[] => {
    const { e, site } = input;
    const id = str(e['id']);
    const here = sites[site];
    switch (e.event) {
      case 'bundle.stored': {
        if (str(e['source']) !== here.gatewayEid) return [];
        const destination = str(e['destination']);
        const j = journeys.nextToHandOver(site, destination);
        const bytes = num(e['bytes']);
        if (j !== undefined) {
          journeys.linkBundle(id, j.messageId);
          j.nodeAcceptedAt = input.at;
          j.bundleBytes = bytes;
        }
        const eta = ctx.estimateArrival(site, destination, bytes);
        if (j !== undefined && eta !== undefined) j.estimatedArrivalAt = eta;
        const etaText = eta === undefined ? '' : `; by the contact plan it reaches ${peerName(destination)} at the earliest at ${relativeTime(eta)}`;
        return [step(input, 'node-accepted', `node took ${labelOf(j, 'a bundle')} from the gateway and stored it: bundle ${id}, ${byteCount(bytes)}${etaText}`, j)];
      }
      case 'bundle.fragmented': {
        const n = num(e['n']);
        const of = num(e['of']);
        journeys.fragment(id, n, of);
        const j = journeys.byBundle(str(e['from']));
        if (j !== undefined) j.fragments = of;
        const f = parseBundleId(id)?.fragment;
        const span = f === undefined ? '' : `, payload from offset ${f.offset.toLocaleString('en-US')}`;
        const lead = n === 1 ? `node fragmented ${labelOf(j, 'the bundle')} to bundles of at most ${binarySize(link.maxBundleSize)} (proactive fragmentation): ` : 'node: ';
        return [step(input, 'fragmented', `${lead}fragment ${n} of ${of}, ${byteCount(num(e['bytes']))}${span}`, j)];
      }
      case 'link.opened':
        return [
          step(
            input,
            'link',
            `node opened the link for its contact with ${peerName(str(e['peer']))}: MTCP to ${str(e['address']).replace(/^mtcp:/, '')}, ${binarySize(link.rateBytesPerSec)}/s, each byte arrives ${duration(link.owltMs)} after it left (one-way light time)`,
          ),
        ];
      case 'bundle.forwarded': {
        if (isNodesOwn(ctx, id)) return [];
        const j = journeys.byBundle(wholeBundleId(id));
        if (j !== undefined) j.forwarded++;
        const bytes = num(e['bytes']);
        const airtime = (bytes * 1000) / link.rateBytesPerSec;
        return [
          step(
            input,
            'forwarded',
            `node forwarded ${pieceOf(id)} of ${labelOf(j, `bundle ${wholeBundleId(id)}`)} to ${peerName(str(e['peer']))}: ${byteCount(bytes)}, ${duration(airtime)} on the link, then ${duration(link.owltMs)} light time`,
            j,
          ),
        ];
      }
      case 'bundle.received': {
        if (isNodesOwn(ctx, id)) return [];
        const j = journeys.byBundle(wholeBundleId(id));
        if (j !== undefined) {
          j.arrived++;
          j.firstArrivalAt ??= input.at;
        }
        return [step(input, 'received', `node received ${pieceOf(id)} of ${labelOf(j, `bundle ${wholeBundleId(id)}`)} over MTCP: ${byteCount(num(e['bytes']))}`, j)];
      }
      case 'bundle.reassembled': {
        const j = journeys.byBundle(id);
        if (j !== undefined) j.reassembledAt = input.at;
        return [step(input, 'reassembled', `node reassembled ${labelOf(j, `bundle ${id}`)} from ${num(e['fragments'])} fragments: ${byteCount(num(e['bytes']))} of payload, bundle ${id}`, j)];
      }
      case 'bundle.delivered': {
        if (e['admin'] === true) return [];
        const j = journeys.byBundle(id);
        if (j !== undefined) j.deliveredToAgentAt = input.at;
        return [step(input, 'delivered-to-agent', `node delivered ${labelOf(j, `bundle ${id}`)} to its mail agent ${str(e['agent'])}: the gateway confirmed it has it`, j)];
      }
      case 'bundle.waiting':
        return [step(input, 'problem', `node holds ${pieceOf(id)} ${id} for a later contact (until ${str(e['until'])})`, journeys.byBundle(wholeBundleId(id)), 'bad')];
      case 'bundle.no_route':
      case 'bundle.expired':
      case 'bundle.deleted':
      case 'bundle.dropped':
      case 'bundle.refused':
      case 'bundle.fragment_failed':
      case 'bundle.delivery_failed':
        return [step(input, 'problem', `node: ${e.event.slice('bundle.'.length).replace('_', ' ')} — ${id} ${str(e['reason'] ?? e['error'])}`.trim(), journeys.byBundle(wholeBundleId(id)), 'fatal')];
      case 'link.send_failed':
      case 'cla.connect_failed':
      case 'bpa.internal_error':
      case 'report.failed':
        return [step(input, 'problem', `node: ${e.event} ${str(e['error'] ?? e['message'] ?? e['reason'])}`.trim(), undefined, 'bad')];
      default:
        return [];
    }
  };

  /** "at +4.69 s (2026-11-25T20:47:51.690Z)" for a time a report gives (ISO text), or that it gives none. */
  const reportTime = (v: unknown): string => {
    const unix = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isNaN(unix) ? '(the report gives no time)' : `at ${relativeTime(unix - ctx.startedAt)} (${String(v)})`;
  };

  const report = (input: DemoInput & { kind: 'gateway' }): Step[] => {
    const { e } = input;
    const subject = str(e['subject']);
    const messageId = str(e['messageId']);
    const j = (messageId === '' ? undefined : journeys.find(messageId)) ?? journeys.byBundle(subject);
    const statuses = STATUS_ITEMS.filter((k) => str(e['assertions']).split(',').includes(k));
    journeys.countReport(statuses, j);
    if (j !== undefined && statuses.includes('delivered')) j.deliveryReportAt ??= input.at;
    const offset = e['fragmentOffset'];
    const f = typeof offset === 'number' ? journeys.fragmentAt(subject, offset) : undefined;
    const piece = typeof offset !== 'number' ? '' : f === undefined ? `the fragment at offset ${offset.toLocaleString('en-US')} of ` : `fragment ${f.n}/${f.of} of `;
    const what = `${piece}${labelOf(j, `bundle ${subject}`)}`;
    const destination = str(e['destination']);
    const said = statuses.map((k) => {
      const where = k === 'delivered' ? ` to ${destination === '' ? 'its destination agent' : destination}` : '';
      return `${REPORT_VERBS[k]} ${what}${where} ${reportTime(e[`${k}At`])}`;
    });
    const reason = num(e['reason']) === 0 ? '' : `; reason: ${str(e['reasonName'])} (${str(e['reasonText'])})`;
    // RFC 9171 §6.1.1 "delivered": the bundle reached the destination endpoint's agent, here the far mail gateway
    const gateway = destination === '' ? 'the mail gateway' : `${peerName(destination)}'s mail gateway`;
    // the mailbox is told by the mail's DSN (a DSN itself asks for none)
    const gloss = !statuses.includes('delivered') ? '' : j?.about === null ? ` — it reached ${gateway}, not yet the mailbox: the DSN tells that` : ` — it reached ${gateway}, not yet the mailbox`;
    const text = `← status report from ${str(e['reporter'])}: ${said.length === 0 ? `nothing asserted about ${what}` : said.join(', ')}${reason}${gloss}`;
    return [{ ...step(input, 'report-received', text, j, statuses.includes('deleted') ? 'bad' : 'plain'), statuses }];
  };

  const gateway = (input: DemoInput & { kind: 'gateway' }): Step[] => {
    const { e, site } = input;
    switch (e.event) {
      case 'report-received':
        return report(input);
      case 'admin-record-dropped':
        return [step(input, 'problem', `gateway dropped an administrative record from ${str(e['source'])} it could not read: ${str(e['error'] ?? e['reason'])}`, undefined, 'bad')];
      case 'outbound-queued': {
        const messageId = str(e['messageId']);
        const j = messageId === '' ? undefined : journeys.of(messageId);
        const queueId = num(e['queueId']);
        const destination = str(e['destination']);
        if (j !== undefined) {
          journeys.queued(site, queueId, j.messageId, destination);
          j.queuedAt = input.at;
          j.bsmtpBytes = num(e['size']);
          j.from ??= site;
          j.to ??= siteOfEid(ctx, destination) ?? null;
        }
        return [
          step(
            input,
            'queued',
            `gateway took ${labelOf(j, 'a mail')} from Postfix and queued it durably: Batch SMTP object #${queueId} for ${destination}, ${byteCount(num(e['size']))}, ${num(e['recipients'])} recipient(s), Message-ID <${messageId}>`,
            j,
          ),
        ];
      }
      case 'bundle-handed-over': {
        const bundleId = str(e['bundleId']);
        const messageId = str(e['messageId']);
        journeys.handedOver(site, num(e['queueId']));
        const j = messageId === '' ? journeys.byBundle(bundleId) : journeys.of(messageId);
        if (j !== undefined) {
          journeys.linkBundle(bundleId, j.messageId);
          j.handedOverAt = input.at;
          j.bundleId = bundleId;
        }
        const words = parseBundleId(bundleId);
        const idText = words === undefined ? bundleId : describeBundleId(words);
        return [step(input, 'handed-over', `gateway handed ${labelOf(j, 'the mail')} to the node, which confirmed it as bundle (${idText}): handed over, not delivered yet`, j)];
      }
      case 'inbound-accepted': {
        const j = journeys.byBundle(str(e['bundle']));
        return [step(input, 'gateway-accepted', `gateway took ${labelOf(j, `bundle ${str(e['bundle'])}`)} from its node (from ${str(e['source'])}): ${num(e['transactions'])} Batch SMTP transaction(s), stored before confirming`, j)];
      }
      case 'inbound-delivered': {
        const messageId = str(e['messageId']);
        const j = messageId === '' ? journeys.byBundle(str(e['bundle'])) : journeys.of(messageId);
        if (j !== undefined) j.mtaAcceptedAt = input.at;
        return [step(input, 'mta-accepted', `gateway replayed ${labelOf(j, 'the mail')} into ${sites[site].name}'s Postfix for ${str(e['to'])}: ${str(e['reply'])}`, j)];
      }
      case 'inbound-failed':
        return [step(input, 'problem', `gateway could not deliver to ${str(e['to'])}: ${str(e['reply'])}`, journeys.find(str(e['messageId'])), 'fatal')];
      case 'dsn-queued':
        return [step(input, 'problem', `gateway queued a ${str(e['action'])} DSN for ${str(e['to'])} about <${str(e['about'])}>`, journeys.find(str(e['about'])), 'bad')];
      case 'inbound-refused-source':
      case 'inbound-refused-recipients':
      case 'inbound-invalid-object':
      case 'outbound-refused':
      case 'gateway-failed':
        return [step(input, 'problem', `gateway: ${e.event} ${str(e['error'] ?? e['reason'] ?? e['recipients'] ?? e['source'])}`.trim(), undefined, 'fatal')];
      case 'inbound-deferred':
      case 'bundle-send-failed':
      case 'mta-unavailable':
      case 'node-unavailable':
        return [step(input, 'problem', `gateway: ${e.event} ${str(e['error'])} (it retries)`.trim(), undefined, 'bad')];
      default:
        return [];
    }
  };

  const postfix = (input: DemoInput & { kind: 'postfix' }): Step[] => {
    const { e, site } = input;
    switch (e.kind) {
      case 'message-id': {
        journeys.linkQueueId(site, e.qid, e.messageId);
        const pending = pendingNotices.get(`${site} ${e.qid}`);
        if (pending !== undefined) {
          pendingNotices.delete(`${site} ${e.qid}`);
          return [dsnWritten(input, pending, e.messageId)];
        }
        return [];
      }
      case 'notification': {
        const original = journeys.byQueueId(site, e.qid);
        if (original === undefined) return [];
        const dsnId = journeys.messageIdOfQueue(site, e.notificationQid);
        if (dsnId === undefined) {
          // the cleanup line with the DSN's Message-ID has not been read yet: the step waits for it
          pendingNotices.set(`${site} ${e.notificationQid}`, original);
          return [];
        }
        return [dsnWritten(input, original, dsnId)];
      }
      case 'delivery': {
        const j = journeys.byQueueId(site, e.qid);
        if (e.status !== 'sent') {
          return [step(input, 'problem', `Postfix: ${e.status} for ${e.to} (${e.dsn}): ${e.reply}`, j, e.status === 'deferred' ? 'bad' : 'fatal')];
        }
        // A relay to the gateway is told by the gateway's own "queued" step, which comes first.
        if (e.service !== 'lmtp') return [];
        if (j !== undefined) j.mailboxAt = input.at;
        return [step(input, 'mailbox', `Postfix delivered ${labelOf(j, 'a mail')} into ${personOf(e.to)}'s mailbox (LMTP to Dovecot): ${e.reply}`, j)];
      }
      default:
        return [];
    }
  };
  const pendingNotices = new Map<string, Journey>();
  const dsnWritten = (input: DemoInput, original: Journey, dsnMessageId: string): Step => {
    const dsn = journeys.of(dsnMessageId);
    dsn.label = `the DSN for ${original.label}`;
    dsn.about = original.messageId;
    dsn.from = input.site;
    dsn.to = original.from;
    return step(input, 'dsn-written', `Postfix wrote a delivery status notification for ${original.label} to its sender (NOTIFY=SUCCESS): Message-ID <${dsnMessageId}>`, dsn);
  };

  const inbox = (input: DemoInput & { kind: 'inbox' }): Step[] => {
    const { facts, uid, user } = input;
    const where = `in ${personOf(user)}'s IMAP inbox (UID ${uid})`;
    if (facts.dsn !== null) {
      const dsn = journeys.of(facts.messageId);
      const aboutId = facts.dsn.returnedMessageId ?? dsn.about ?? '';
      const original = aboutId === '' ? undefined : journeys.find(aboutId);
      if (original !== undefined) {
        original.dsn = { at: input.at, messageId: facts.messageId, report: facts.dsn };
        dsn.label = `the DSN for ${original.label}`;
        dsn.about = original.messageId;
      }
      dsn.inbox = { at: input.at, uid, facts, intact: true };
      const r = facts.dsn.recipients[0];
      // Postfix says "relayed" when its last hop announced no DSN support (RFC 3461 §5.2.2), as
      // Dovecot's LMTP server does not: the mail is in the mailbox, and no further report will come.
      const gloss = r?.action === 'relayed' ? ' (handed to the mailbox server, which sends no DSNs of its own)' : '';
      const outcome = r === undefined ? 'no recipient fields' : `${r.finalRecipient.value}: Action ${r.action}, Status ${r.status}${gloss}`;
      const good = r !== undefined && (r.action === 'delivered' || r.action === 'relayed');
      return [
        step(
          input,
          'dsn-in-inbox',
          `${where}: delivery status notification from ${facts.dsn.reportingMta.value} about <${aboutId}>${facts.dsn.originalEnvelopeId === undefined ? '' : ` (ENVID ${facts.dsn.originalEnvelopeId})`} — ${outcome}`,
          original ?? dsn,
          good ? 'good' : 'fatal',
        ),
      ];
    }
    const j = journeys.of(facts.messageId);
    const expected = j.expected?.attachments ?? [];
    const checks = expected.map((x) => {
      const got = facts.attachments.find((a) => a.filename === x.filename);
      const same = got !== undefined && got.size === x.size && got.sha256 === x.sha256;
      return { same, text: got === undefined ? `${x.filename} missing` : `${got.filename} ${byteCount(got.size)}, SHA-256 ${shortDigest(got.sha256)} ${same ? '= as sent' : `≠ sent ${shortDigest(x.sha256)}`}` };
    });
    const intact = checks.every((c) => c.same) && (j.expected === null || facts.subject === j.expected.subject);
    j.inbox = { at: input.at, uid, facts, intact };
    const attached = checks.length === 0 ? '' : `; attachment ${checks.map((c) => c.text).join(', ')}`;
    return [step(input, 'inbox', `${where}: "${facts.subject}" from ${facts.from}, ${byteCount(facts.size)}${attached}`, j, intact ? 'good' : 'fatal')];
  };

  const submitted = (input: DemoInput & { kind: 'submitted' }): Step[] => {
    const j = journeys.of(input.messageId);
    j.submittedAt = input.at;
    const qid = /queued as ([0-9A-F]+)/.exec(input.reply)?.[1];
    if (qid !== undefined) journeys.linkQueueId(input.site, qid, input.messageId);
    const who = j.expected === null ? 'the mail' : `${j.label} "${j.expected.subject}"`;
    return [step(input, 'submitted', `${who} submitted to ${sites[input.site].name}'s Postfix over SMTP (NOTIFY=${input.notify}): ${input.reply}`, j)];
  };

  return (input) => {
    switch (input.kind) {
      case 'node':
        return node(input);
      case 'gateway':
        return gateway(input);
      case 'postfix':
        return postfix(input);
      case 'inbox':
        return inbox(input);
      case 'submitted':
        return submitted(input);
    }
  };
}
