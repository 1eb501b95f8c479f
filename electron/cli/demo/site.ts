/**
 * One site of the two-site demo (issue 4, "Operations"): an embedded BPA, a private mail stack (Dovecot +
 * Postfix, electron/gateway/test-support/mailstack) and the mail gateway between them, all in the demo's
 * temporary directory on loopback ports chosen at run time.
 *
 * The pieces refer to each other, so a site starts in three steps that the caller interleaves for both
 * sites: the node (its CLA address goes into the other node's contact plan), then the mail stack (its
 * Postfix relays the other site's domain to this site's gateway, whose port is chosen first), then the
 * gateway (it replays received mail into this Postfix). The BPA and the gateway run in this process, so
 * their `log` callbacks are what the demo narrates; Dovecot and Postfix are child processes, stopped by pid.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { err, ok, toLogFormat } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { resolveBpaConfig } from '../../bpa/config';
import { startBpa } from '../../bpa/start-bpa';
import type { RunningBpa } from '../../bpa/start-bpa';
import type { LogEvent } from '../../bpa/types';
import { parseGatewayConfig } from '../../gateway/config';
import { createGateway } from '../../gateway/gateway';
import type { Gateway } from '../../gateway/gateway';
import type { GatewayLogEvent } from '../../gateway/types';
import { startMailStack } from '../../gateway/test-support/mailstack/mailstack';
import type { MailStack } from '../../gateway/test-support/mailstack/mailstack';
import { LOOPBACK, descendantsOf } from '../../gateway/test-support/mailstack/processes';

export type SiteKey = 'earth' | 'mars';

export interface SiteSpec {
  readonly key: SiteKey;
  /** "Earth", for the narration. */
  readonly name: string;
  /** The site's mail domain, e.g. earth.example. */
  readonly domain: string;
  /** The site's BP node, e.g. dtn://earth.dtn/. */
  readonly nodeId: string;
  /** Mailbox users (postmaster is always there). */
  readonly users: readonly string[];
}

/** The link between the two nodes, the same in both directions. */
export interface LinkSpec {
  readonly owltMs: number;
  readonly rateBytesPerSec: number;
  /** How long the contacts last from the start of the demo. */
  readonly durationMs: number;
  /** The nodes fragment bundles larger than this (proactive fragmentation, uD3TN -m). */
  readonly maxBundleSize: number;
}

export type SiteLog = (component: 'bpa' | 'gateway', e: LogEvent | GatewayLogEvent) => void;

/** The agent the gateway registers on a dtn node (gateway/config.ts default). */
export const MAIL_AGENT = 'email';

export function gatewayEid(spec: SiteSpec): string {
  return `${spec.nodeId}${MAIL_AGENT}`;
}

export interface SiteNode {
  readonly spec: SiteSpec;
  readonly bpa: RunningBpa;
  /** "mtcp:127.0.0.1:PORT" as bound. */
  readonly claAddress: string;
  /** "tcp:127.0.0.1:PORT", the AAP 2.0 listener the gateway uses. */
  readonly aap2Address: string;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Step 1: the node, with an MTCP listener and an AAP 2.0 listener on free loopback ports. */
export async function startNode(spec: SiteSpec, dir: string, link: LinkSpec, log: SiteLog): Promise<Result<SiteNode>> {
  const config = resolveBpaConfig(
    {},
    {
      nodeId: spec.nodeId,
      aap2: [`tcp:${LOOPBACK}:0`],
      cla: [`mtcp:${LOOPBACK}:0`],
      store: { dir: join(dir, 'bpa') },
      maxBundleSize: link.maxBundleSize,
      statusReports: true,
    },
    Date.now(),
  );
  if (!config.ok) return config;
  const running = await startBpa(config.value, { log: (e) => log('bpa', e) });
  if (!running.ok) return err(running.error.code, `${spec.name} node: ${running.error.message}`);
  const cla = running.value.addresses.cla[0];
  const aap2 = running.value.addresses.aap2[0];
  if (cla === undefined || aap2 === undefined) {
    await running.value.stop();
    return err('INTERNAL', `${spec.name} node bound no CLA or AAP 2.0 listener`);
  }
  return ok({ spec, bpa: running.value, claAddress: cla, aap2Address: aap2 });
}

/** Step 2: a contact from `from` to `to` for the whole demo, with the link's rate and one-way light time. */
export function addContact(from: SiteNode, to: SiteNode, link: LinkSpec, now: number): Result<void> {
  const applied = from.bpa.bpa.applyPlan(
    [
      {
        command: 'add',
        nodeId: to.spec.nodeId,
        claAddress: to.claAddress,
        reachableEids: [],
        contacts: [{ start: now, end: now + link.durationMs, rateBytesPerSec: link.rateBytesPerSec, owltMs: link.owltMs, reachableEids: [] }],
      },
    ],
    // the demo's contacts must not outlive it in a store that is removed anyway
    { persist: false },
  );
  return applied.ok ? ok(undefined) : err(applied.error.code, `${from.spec.name} contact plan: ${applied.error.message}`);
}

export interface SiteMail {
  readonly stack: MailStack;
  /** The port the gateway's SMTP listener will bind (Postfix relays the other domain there). */
  readonly gatewayPort: number;
  /** Frees the gateway's port just before the gateway binds it. */
  releaseGatewayPort(): Promise<void>;
}

/**
 * A loopback port held by a listener until release(). Postfix must know the gateway's port before the
 * gateway can start (the gateway needs Postfix's), and a port that is merely noted as free can be taken
 * meanwhile, e.g. as the source port of one of the connections made while the stacks start.
 */
async function reservePort(): Promise<Result<{ port: number; release(): Promise<void> }>> {
  const server = createServer();
  const bound = await new Promise<Result<number>>((resolve) => {
    server.once('error', (e) => resolve(err('CONNECTION_FAILED', `no free loopback port: ${e.message}`)));
    server.listen(0, LOOPBACK, () => {
      const a = server.address();
      resolve(a !== null && typeof a === 'object' ? ok(a.port) : err('INTERNAL', 'no port assigned'));
    });
  });
  if (!bound.ok) return bound;
  let released: Promise<void> | null = null;
  return ok({ port: bound.value, release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))) });
}

/** Step 3: the mail stack, relaying the other site's domain to this site's gateway. */
export async function startSiteMail(spec: SiteSpec, other: SiteSpec, dir: string, keep: boolean): Promise<Result<SiteMail>> {
  const reserved = await reservePort();
  if (!reserved.ok) return err(reserved.error.code, `${spec.name} gateway port: ${reserved.error.message}`);
  const { port, release } = reserved.value;
  try {
    const stack = await startMailStack({
      domain: spec.domain,
      users: spec.users,
      relay: [{ domain: other.domain, host: LOOPBACK, port }],
      parentDir: dir,
      keepDir: keep,
    });
    return ok({ stack, gatewayPort: port, releaseGatewayPort: release });
  } catch (e) {
    await release();
    return err('IO_ERROR', `${spec.name} mail stack: ${errorText(e)}`);
  }
}

/** Step 4: the gateway between the node and the mail stack. */
export async function startSiteGateway(node: SiteNode, mail: SiteMail, other: SiteSpec, dir: string, log: SiteLog): Promise<Result<Gateway>> {
  const { spec } = node;
  const config = parseGatewayConfig(
    JSON.stringify({
      hostname: `gw.${spec.domain}`,
      node: { aap: node.aap2Address, protocol: 'aap2', agent: MAIL_AGENT, reconnect: { initialMs: 100, maxMs: 1000 }, subscriberConfirmDeadlineMs: null },
      mta: { host: LOOPBACK, port: mail.stack.smtpPort },
      listen: { host: LOOPBACK, port: mail.gatewayPort },
      routes: [{ domain: other.domain, eid: gatewayEid(other) }],
      localDomains: [spec.domain],
      authorisedSources: [other.nodeId],
      store: { dir: join(dir, 'gateway') },
      // the demo's Postfix retries every second; so does the gateway, so nothing waits on a backoff
      retry: { bp: { initialMs: 200, maxMs: 1000 }, mta: { initialMs: 200, maxMs: 1000 } },
    }),
    dir,
  );
  if (!config.ok) return err(config.error.code, `${spec.name} gateway: ${config.error.message}`);
  await mail.releaseGatewayPort();
  const gateway = createGateway({ config: config.value, log: (e) => log('gateway', e) });
  const started = await gateway.start();
  if (!started.ok) return err(started.error.code, `${spec.name} gateway: ${toLogFormat(started.error)}`);
  return ok(gateway);
}

/** Every live process of a mail stack: the two masters and what they started. */
export function stackProcesses(stack: MailStack): number[] {
  const { dovecot, postfix } = stack.pids();
  return [dovecot, postfix].flatMap((p) => (p === null ? [] : [p, ...descendantsOf(p)]));
}
