/**
 * The mail gateway's configuration (`farside gateway --config FILE`): a JSON file, validated with zod for
 * its shape and then for its meaning (EIDs, domains, loopback-only metrics), every problem named by its
 * JSON path, e.g. `routes[1].eid: "dtn:mars" is not an EID`.
 *
 *   {
 *     "hostname": "gw.earth.example",
 *     "node": { "aap": "tcp:127.0.0.1:4242", "protocol": "aap1", "agent": "email" },
 *     "mta": { "host": "127.0.0.1", "port": 25 },
 *     "listen": { "host": "127.0.0.1", "port": 2525 },
 *     "routes": [{ "domain": "mars.example", "eid": "dtn://mars.dtn/email", "maxMessageBytes": 67108864 }],
 *     "localDomains": ["earth.example"],
 *     "authorisedSources": ["dtn://mars.dtn/email"],
 *     "acceptPlainRfc5322": false,
 *     "store": { "dir": "/var/lib/farside/gateway" },
 *     "metrics": { "host": "127.0.0.1", "port": 9464 }
 *   }
 *
 * - hostname: EHLO name towards the MTA, Reporting-MTA of DSNs, domain of generated Message-IDs; default
 *   `gw.<first local domain>`.
 * - node: the BP node's AAP endpoint (`tcp:HOST:PORT` or `unix:PATH`) and protocol (`aap1`, `aap2`).
 *   agent: the last part of the gateway's EID; default `email` on a dtn node (`dtn://<node>/email`,
 *   protocols.md §1.4) and `25` on an ipn node (`ipn:N.25`: IANA has no e-mail ipn service, so this is a
 *   local agreement; 25 is the SMTP port and ION's bpmail topic). Optional: secret (AAP 2.0),
 *   keepaliveSeconds, requestTimeoutMs, reconnect {initialMs, maxMs}, subscriberConfirmDeadlineMs (AAP 2.0;
 *   default 800: uD3TN v0.13 waits 1 s for the subscriber's answer and then closes the connection, see
 *   AapClientOptions; null = answer only once the gateway has stored the bundle durably, which is what
 *   to use with Farside's embedded BPA: it waits 10 s and keeps an unanswered bundle for the next
 *   registration, so a gateway killed in between loses nothing). statusReports: every bundle the gateway sends asks for
 *   reception, forwarding, delivery and deletion reports (RFC 9171 §6.1), which come back to the mail
 *   agent and are logged, linked to the message (docs/status-reports.md: AAP 2.0 adu_flags; a uD3TN v0.13
 *   node ignores the request); default true with aap2, and refused with aap1, which cannot ask for them.
 * - mta: the site MTA's SMTP listener, where received mail is replayed.
 * - listen: the outbound SMTP listener the MTA relays remote domains to (port 0 = any free port; the
 *   ready line shows the real one); allowedPeers: client addresses, default loopback.
 * - routes: remote mail domain → the EID of the gateway that serves it, with the largest message the route
 *   carries (default LIMITS.gatewayDefaultMaxMessageBytes), counting the Received field the gateway adds:
 *   the listener accepts up to a few kilobytes less from the MTA (outbound-listener.ts).
 * - localDomains: the domains delivered at this site; mail for any other domain is refused (never an
 *   open relay). authorisedSources: node IDs (every endpoint of that node) or EIDs (exactly that endpoint)
 *   that may send mail to this gateway (RFC 2442 security considerations, protocols.md §2.8).
 * - acceptPlainRfc5322: also take the plain RFC 5322 form of draft -00 (recipients from the headers).
 * - store.dir: the gateway's SQLite database lives there; a relative path is taken from the config
 *   file's directory.
 * - metrics: the loopback HTTP endpoint for GET /metrics; absent or null = none.
 * - limits: maxMessageBytes, maxRecipients, maxConnections, socketTimeoutMs (outbound listener),
 *   replyTimeoutMs (each reply of the MTA).
 * - retry: bp {initialMs, maxMs} (failed hand-overs to the node); mta {initialMs, maxMs,
 *   delayNoticeAfterMs, giveUpAfterMs, dedupeWindowMs} (the inbound processor, InboundRetry).
 */
import { isIP } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import { isNullEid, parseEid } from '../../shared/protocol/bpv7/eid';
import { LIMITS } from '../../shared/protocol/limits';
import { parseAapAddress } from '../services/aap-client/transport';
import type { AapProtocol, AapTransport } from '../services/aap-client/types';
import type { InboundRetry } from './inbound-processor';
import type { OutboundLimits } from './outbound-listener';
import { isDomainName } from './routes';
import type { RouteEntry } from './routes';

export interface GatewayNodeConfig {
  readonly transport: AapTransport;
  readonly protocol: AapProtocol;
  /** The agent ID, or null for the default of the node's scheme (`email` on dtn, `25` on ipn). */
  readonly agent: string | null;
  readonly secret?: string;
  readonly keepaliveSeconds: number;
  readonly requestTimeoutMs: number;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  /** AAP 2.0 only; null = SUCCESS only once the gateway took the bundle. */
  readonly subscriberConfirmDeadlineMs: number | null;
  /** AAP 2.0 only: sent bundles ask for all four status reports (docs/status-reports.md). */
  readonly statusReports: boolean;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface GatewayConfig {
  readonly hostname: string;
  readonly node: GatewayNodeConfig;
  readonly mta: HostPort;
  readonly listen: HostPort & { readonly allowedPeers: readonly string[] };
  readonly routes: readonly RouteEntry[];
  readonly localDomains: readonly string[];
  readonly authorisedSources: readonly string[];
  readonly acceptPlainRfc5322: boolean;
  readonly store: { readonly dir: string };
  readonly metrics: HostPort | null;
  readonly limits: OutboundLimits & { readonly replyTimeoutMs: number };
  readonly retry: { readonly bp: { readonly initialMs: number; readonly maxMs: number }; readonly mta: Partial<InboundRetry> };
}

/** The defaults a configuration does not have to state. */
export const GATEWAY_DEFAULTS = {
  dtnAgent: 'email',
  ipnAgent: '25',
  subscriberConfirmDeadlineMs: 800,
  requestTimeoutMs: 30_000,
  reconnect: { initialMs: 200, maxMs: 10_000 },
  replyTimeoutMs: 60_000,
  bpRetry: { initialMs: 500, maxMs: 30_000 },
} as const;

const port = (min: number) => z.number().int().min(min).max(65535);
const positive = z.number().int().positive();
const backoff = z.object({ initialMs: positive, maxMs: positive }).strict();
const text = z.string().min(1).max(LIMITS.eidMaxLength);

const fileSchema = z
  .object({
    hostname: text.optional(),
    node: z
      .object({
        aap: text,
        protocol: z.enum(['aap1', 'aap2']),
        agent: text.optional(),
        secret: z.string().min(1).max(1024).optional(),
        keepaliveSeconds: z.number().int().min(0).max(0xffff_ffff).optional(),
        requestTimeoutMs: positive.optional(),
        reconnect: backoff.optional(),
        subscriberConfirmDeadlineMs: positive.nullable().optional(),
        statusReports: z.boolean().optional(),
      })
      .strict(),
    mta: z.object({ host: text, port: port(1) }).strict(),
    listen: z.object({ host: text, port: port(0), allowedPeers: z.array(text).min(1).max(256).optional() }).strict(),
    routes: z
      .array(z.object({ domain: text, eid: text, maxMessageBytes: positive.max(LIMITS.bsmtpMaxBytes).optional() }).strict())
      .min(1)
      .max(4096),
    localDomains: z.array(text).min(1).max(256),
    authorisedSources: z.array(text).min(1).max(4096),
    acceptPlainRfc5322: z.boolean().optional(),
    store: z.object({ dir: text }).strict(),
    metrics: z.object({ host: text, port: port(0) }).strict().nullable().optional(),
    limits: z
      .object({
        maxMessageBytes: positive.max(LIMITS.bsmtpMaxBytes).optional(),
        maxRecipients: positive.max(LIMITS.smtpMaxRecipients).optional(),
        maxConnections: positive.max(10_000).optional(),
        socketTimeoutMs: positive.optional(),
        replyTimeoutMs: positive.optional(),
      })
      .strict()
      .optional(),
    retry: z
      .object({
        bp: backoff.optional(),
        mta: z
          .object({
            initialMs: positive.optional(),
            maxMs: positive.optional(),
            delayNoticeAfterMs: positive.optional(),
            giveUpAfterMs: positive.optional(),
            dedupeWindowMs: positive.optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

type FileConfig = z.infer<typeof fileSchema>;

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(top level)' : out;
}

const invalid = (path: string, message: string): Result<never> => err('CONFIG_INVALID', `gateway config: ${path}: ${message}`);

/** 127.0.0.0/8, ::1 or the name localhost: the metrics endpoint never listens beyond this host. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** The meaning checks zod cannot express, each naming its JSON path. */
function checkMeaning(c: FileConfig): Result<void> {
  const transport = parseAapAddress(c.node.aap);
  if (!transport.ok) return invalid('node.aap', transport.error.message);
  if (c.node.statusReports === true && c.node.protocol === 'aap1') {
    return invalid('node.statusReports', 'AAP v1 cannot request status reports (docs/status-reports.md): use "protocol": "aap2", or leave statusReports out');
  }
  const domains = new Set<string>();
  for (const [i, r] of c.routes.entries()) {
    const domain = r.domain.toLowerCase();
    if (!isDomainName(domain)) return invalid(`routes[${i}].domain`, `"${r.domain}" is not a domain name`);
    if (domains.has(domain)) return invalid(`routes[${i}].domain`, `${domain} is listed twice`);
    domains.add(domain);
    const eid = parseEid(r.eid);
    if (!eid.ok) return invalid(`routes[${i}].eid`, eid.error.message);
    if (isNullEid(eid.value)) return invalid(`routes[${i}].eid`, 'dtn:none cannot receive mail');
  }
  for (const [i, d] of c.localDomains.entries()) {
    if (!isDomainName(d.toLowerCase())) return invalid(`localDomains[${i}]`, `"${d}" is not a domain name`);
    // mail for a local domain must never be routed away over BP (a loop through the MTA's transport map)
    if (domains.has(d.toLowerCase())) return invalid(`localDomains[${i}]`, `${d} is also a route: a domain is either local or remote`);
  }
  for (const [i, s] of c.authorisedSources.entries()) {
    const eid = parseEid(s);
    if (!eid.ok) return invalid(`authorisedSources[${i}]`, eid.error.message);
    if (isNullEid(eid.value)) return invalid(`authorisedSources[${i}]`, 'dtn:none cannot be a source');
  }
  for (const [i, p] of (c.listen.allowedPeers ?? []).entries()) {
    if (isIP(p) === 0) return invalid(`listen.allowedPeers[${i}]`, `"${p}" is not an IP address`);
  }
  if (c.metrics !== undefined && c.metrics !== null && !isLoopbackHost(c.metrics.host)) {
    return invalid('metrics.host', `${c.metrics.host} is not a loopback address (127.0.0.0/8, ::1, localhost): the metrics endpoint is local only`);
  }
  if (c.hostname !== undefined && !isDomainName(c.hostname.toLowerCase())) return invalid('hostname', `"${c.hostname}" is not a host name`);
  return ok(undefined);
}

/**
 * Parse and check a configuration file's text. `baseDir` is the directory relative paths are taken from
 * (the file's own directory).
 */
export function parseGatewayConfig(textInput: string, baseDir: string): Result<GatewayConfig> {
  if (textInput.length > LIMITS.contactPlanMaxBytes) return err('LIMIT_EXCEEDED', `the gateway config is larger than ${LIMITS.contactPlanMaxBytes} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(textInput);
  } catch (e) {
    return err('CONFIG_INVALID', `the gateway config is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const more = issues.length > 10 ? `; and ${issues.length - 10} more` : '';
    return err('CONFIG_INVALID', `gateway config: ${issues.slice(0, 10).map((i) => `${pathText(i.path)}: ${i.message}`).join('; ')}${more}`);
  }
  const c = parsed.data;
  const meaning = checkMeaning(c);
  if (!meaning.ok) return meaning;
  const transport = parseAapAddress(c.node.aap);
  if (!transport.ok) return transport;
  const localDomains = c.localDomains.map((d) => d.toLowerCase());
  return ok({
    hostname: c.hostname ?? `gw.${localDomains[0] ?? 'localhost'}`,
    node: {
      transport: transport.value,
      protocol: c.node.protocol,
      agent: c.node.agent ?? null,
      ...(c.node.secret === undefined ? {} : { secret: c.node.secret }),
      keepaliveSeconds: c.node.keepaliveSeconds ?? 0,
      requestTimeoutMs: c.node.requestTimeoutMs ?? GATEWAY_DEFAULTS.requestTimeoutMs,
      reconnect: c.node.reconnect ?? GATEWAY_DEFAULTS.reconnect,
      subscriberConfirmDeadlineMs: c.node.subscriberConfirmDeadlineMs === undefined ? GATEWAY_DEFAULTS.subscriberConfirmDeadlineMs : c.node.subscriberConfirmDeadlineMs,
      statusReports: c.node.statusReports ?? c.node.protocol === 'aap2',
    },
    mta: c.mta,
    listen: { host: c.listen.host, port: c.listen.port, allowedPeers: c.listen.allowedPeers ?? ['127.0.0.1', '::1'] },
    routes: c.routes.map((r) => ({ domain: r.domain.toLowerCase(), eid: r.eid, ...(r.maxMessageBytes === undefined ? {} : { maxMessageBytes: r.maxMessageBytes }) })),
    localDomains,
    authorisedSources: c.authorisedSources,
    acceptPlainRfc5322: c.acceptPlainRfc5322 ?? false,
    store: { dir: isAbsolute(c.store.dir) ? c.store.dir : resolve(baseDir, c.store.dir) },
    metrics: c.metrics ?? null,
    limits: { ...c.limits, replyTimeoutMs: c.limits?.replyTimeoutMs ?? GATEWAY_DEFAULTS.replyTimeoutMs },
    retry: { bp: c.retry?.bp ?? GATEWAY_DEFAULTS.bpRetry, mta: c.retry?.mta ?? {} },
  });
}

/** The directory a config file's relative paths are taken from. */
export function configBaseDir(file: string): string {
  return dirname(resolve(file));
}
