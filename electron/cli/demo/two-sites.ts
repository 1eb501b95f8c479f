/**
 * Starting Earth and Mars (site.ts) in the order their references need: both nodes, the contact plans
 * (each names the other node's MTCP address), both mail stacks (in parallel: a Dovecot and a Postfix
 * take a second or two each), both gateways, and then the wait until each gateway's mail agent is
 * registered on its node. Everything started is recorded in `running` at once, so that a failure
 * halfway leaves nothing for teardown.ts to miss.
 */
import { join } from 'node:path';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import type { Gateway } from '../../gateway/gateway';
import type { MailStack } from '../../gateway/test-support/mailstack/mailstack';
import type { InboxWatch } from './inbox-watch';
import type { LogFollower } from './postfix-log';
import { addContact, gatewayEid, startNode, startSiteGateway, startSiteMail } from './site';
import type { LinkSpec, SiteKey, SiteLog, SiteMail, SiteNode, SiteSpec } from './site';
import { binarySize, duration, span } from './wording';

/** Everything the demo started, for the stop. */
export interface Running {
  readonly nodes: SiteNode[];
  readonly stacks: MailStack[];
  readonly gateways: Gateway[];
  readonly followers: LogFollower[];
  readonly watchers: InboxWatch[];
  /** Reserved gateway ports not yet handed to their gateway. */
  readonly reservedPorts: (() => Promise<void>)[];
}

export function nothingRunning(): Running {
  return { nodes: [], stacks: [], gateways: [], followers: [], watchers: [], reservedPorts: [] };
}

export interface TwoSites {
  readonly node: Readonly<Record<SiteKey, SiteNode>>;
  readonly mail: Readonly<Record<SiteKey, SiteMail>>;
}

export interface StartDeps {
  readonly dir: string;
  readonly specs: Readonly<Record<SiteKey, SiteSpec>>;
  readonly link: LinkSpec;
  readonly keep: boolean;
  readonly running: Running;
  readonly log: (site: SiteKey) => SiteLog;
  /** Resolves true once the site's gateway logged its registration, false after timeoutMs. */
  registered(site: SiteKey, timeoutMs: number): Promise<boolean>;
  /** One setup line for the narration. */
  announce(site: SiteKey, text: string): void;
}

const KEYS: readonly SiteKey[] = ['earth', 'mars'];
const REGISTER_TIMEOUT_MS = 15_000;

const other = (k: SiteKey): SiteKey => (k === 'earth' ? 'mars' : 'earth');

export async function startTwoSites(d: StartDeps): Promise<Result<TwoSites>> {
  const { specs, link, running } = d;
  const siteDir = (k: SiteKey): string => join(d.dir, k);

  const node: Partial<Record<SiteKey, SiteNode>> = {};
  for (const k of KEYS) {
    const n = await startNode(specs[k], siteDir(k), link, d.log(k));
    if (!n.ok) return n;
    running.nodes.push(n.value);
    node[k] = n.value;
    d.announce(k, `node ${specs[k].nodeId} started (embedded BPA, in this process): MTCP on ${n.value.claAddress.replace(/^mtcp:/, '')}, AAP 2.0 on ${n.value.aap2Address.replace(/^tcp:/, '')}`);
  }
  const nodes = node as Record<SiteKey, SiteNode>;
  const now = Date.now();
  for (const k of KEYS) {
    const c = addContact(nodes[k], nodes[other(k)], link, now);
    if (!c.ok) return c;
    d.announce(
      k,
      `contact plan: ${specs[other(k)].nodeId} via ${nodes[other(k)].claAddress} from now for ${span(link.durationMs)}, ${binarySize(link.rateBytesPerSec)}/s, one-way light time ${duration(link.owltMs)}`,
    );
  }

  const stacks = await Promise.all(KEYS.map((k) => startSiteMail(specs[k], specs[other(k)], siteDir(k), d.keep)));
  for (const s of stacks) {
    if (!s.ok) continue;
    running.stacks.push(s.value.stack);
    running.reservedPorts.push(s.value.releaseGatewayPort);
  }
  const mail: Partial<Record<SiteKey, SiteMail>> = {};
  for (const [i, k] of KEYS.entries()) {
    const s = stacks[i];
    if (s === undefined || !s.ok) return s ?? err('INTERNAL', `${specs[k].name}: no mail stack`);
    mail[k] = s.value;
    const { dovecot, postfix } = s.value.stack.pids();
    d.announce(
      k,
      `mail stack started: Dovecot pid ${String(dovecot)} (IMAP port ${s.value.stack.imapPort}), Postfix pid ${String(postfix)} (SMTP port ${s.value.stack.smtpPort}); Postfix relays ${specs[other(k)].domain} to the gateway on port ${s.value.gatewayPort}`,
    );
  }
  const mails = mail as Record<SiteKey, SiteMail>;

  for (const k of KEYS) {
    const g = await startSiteGateway(nodes[k], mails[k], specs[other(k)], siteDir(k), d.log(k));
    if (!g.ok) return g;
    running.gateways.push(g.value);
  }
  for (const k of KEYS) {
    if (!(await d.registered(k, REGISTER_TIMEOUT_MS))) return err('TIMEOUT', `${specs[k].name} gateway: its mail agent was not registered on the node within ${REGISTER_TIMEOUT_MS / 1000} s`);
    d.announce(
      k,
      `gateway started (in this process): ${gatewayEid(specs[k])} registered over AAP 2.0; mail for ${specs[other(k)].domain} goes to ${gatewayEid(specs[other(k)])}, mail is taken only from ${specs[other(k)].nodeId}`,
    );
  }
  return ok({ node: nodes, mail: mails });
}
