/**
 * The gateway's counters and its local metrics endpoint (issue 4: "counters and queue depth on a local
 * HTTP metrics endpoint").
 *
 * Counters are derived from the gateway's log events, the one record of what happened to each message
 * (types.ts GatewayLogEvent): counting where the lines are written keeps the numbers and the log in
 * agreement, and no component needs a second reporting path. They start at 0 with each process (the
 * Prometheus convention for counters: a scraper sees the reset). Queue depths and the node link are read
 * when scraped.
 *
 * The endpoint listens on loopback only (config.ts refuses anything else) and answers GET /metrics with
 * the Prometheus text format (version 0.0.4) and GET /metrics.json with the same figures as JSON. A peer
 * that is not on loopback is refused all the same, in case the host is reached through a forwarded port.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { err, ok } from '../../shared/errors';
import type { Result } from '../../shared/errors';
import type { GatewayLogEvent } from './types';

/** What each counter counts; the Prometheus name is farside_gateway_<name>_total. */
export const COUNTERS = {
  received: 'bundles received for the mail agent, whatever became of them (administrative records are counted apart)',
  delivered: 'recipients the site MTA accepted a received message for',
  delivery_failed: 'recipients the site MTA refused for good (a DSN goes back where NOTIFY asks)',
  postmaster_notices: 'invalid objects handed to the local postmaster',
  dsn_sent: 'DSN bundles the gateway generated and handed to the BP node',
  refused: 'bundles refused (unauthorised source, invalid object, not mail) and recipients refused by the relay policy or the outbound listener',
  duplicates: 'bundles dropped as already processed (same bundle ID or payload) and recipients of a message already delivered (same Message-ID)',
  queued: 'outbound BSMTP bundles queued from mail the site MTA relayed',
  handed_over: 'bundles handed to the BP node (mail and DSNs)',
  retries: 'failed attempts that will be repeated: hand-overs to the node and deliveries into the MTA',
  status_reports: 'BPv7 status reports received for the mail agent (RFC 9171 §6.1), one per report',
  status_reports_linked: 'status reports about a bundle this gateway handed to the node',
  admin_records_dropped: 'administrative records received that were not readable status reports',
} as const;

export type CounterName = keyof typeof COUNTERS;

/** How many of `e`'s comma-separated recipients there are (the refusal lines list them in one field). */
function listed(e: GatewayLogEvent, field: string): number {
  const v = e[field];
  return typeof v === 'string' && v !== '' ? v.split(',').length : 1;
}

/** The counters one log event adds to, and by how much (most events add to none). */
function countersOf(e: GatewayLogEvent): readonly (readonly [CounterName, number])[] {
  switch (e.event) {
    case 'inbound-accepted':
      return [['received', 1]];
    case 'inbound-duplicate-bundle':
      return [['received', 1], ['duplicates', 1]];
    case 'inbound-duplicate-message':
      return [['duplicates', listed(e, 'recipients')]];
    case 'inbound-refused-source':
    case 'inbound-invalid-object':
    case 'inbound-not-mail':
      return [['received', 1], ['refused', 1]];
    case 'inbound-refused-recipients':
      return [['refused', listed(e, 'recipients')]];
    case 'outbound-refused':
    case 'outbound-peer-refused':
      return [['refused', 1]];
    case 'inbound-delivered':
      return [[e['kind'] === 'notice' ? 'postmaster_notices' : 'delivered', 1]];
    case 'inbound-failed':
      return e['kind'] === 'notice' ? [] : [['delivery_failed', 1]];
    case 'outbound-queued':
      return [['queued', 1]];
    case 'bundle-handed-over':
      return e['origin'] === 'dsn' ? [['handed_over', 1], ['dsn_sent', 1]] : [['handed_over', 1]];
    case 'bundle-send-failed':
    case 'inbound-deferred':
      return [['retries', 1]];
    case 'report-received':
      return e['queueId'] === null || e['queueId'] === undefined ? [['status_reports', 1]] : [['status_reports', 1], ['status_reports_linked', 1]];
    case 'admin-record-dropped':
      return [['admin_records_dropped', 1]];
    default:
      return [];
  }
}

export interface Gauges {
  /** Bundles queued and not yet handed to the node (mail and DSNs). */
  readonly outboundQueue: number;
  /** Received transactions still to be delivered into the MTA. */
  readonly inboundQueue: number;
  /** The AAP link state (AapClientState) and the registered endpoint, or null. */
  readonly node: { readonly state: string; readonly endpoint: string | null };
}

export interface MetricsSnapshot {
  readonly counters: Readonly<Record<CounterName, number>>;
  readonly queue: { readonly outbound: number; readonly inbound: number };
  readonly node: { readonly state: string; readonly endpoint: string | null; readonly connected: boolean };
}

export interface GatewayMetrics {
  /** Count one log event (call it for every event the gateway logs). */
  count(e: GatewayLogEvent): void;
  snapshot(): MetricsSnapshot;
}

export function createGatewayMetrics(gauges: () => Gauges): GatewayMetrics {
  const counters = Object.fromEntries(Object.keys(COUNTERS).map((k) => [k, 0])) as Record<CounterName, number>;
  return {
    count(e) {
      for (const [c, n] of countersOf(e)) counters[c] += n;
    },
    snapshot() {
      const g = gauges();
      return {
        counters: { ...counters },
        queue: { outbound: g.outboundQueue, inbound: g.inboundQueue },
        node: { state: g.node.state, endpoint: g.node.endpoint, connected: g.node.state === 'connected' && g.node.endpoint !== null },
      };
    },
  };
}

/** Label values are quoted strings in which backslash, double quote and newline are escaped. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The Prometheus text exposition format, version 0.0.4. */
export function formatPrometheus(s: MetricsSnapshot): string {
  const lines: string[] = [];
  for (const [name, help] of Object.entries(COUNTERS)) {
    const full = `farside_gateway_${name}_total`;
    lines.push(`# HELP ${full} ${help}`, `# TYPE ${full} counter`, `${full} ${s.counters[name as CounterName]}`);
  }
  lines.push(
    '# HELP farside_gateway_queue_depth messages waiting: outbound = bundles not yet handed to the node, inbound = transactions not yet delivered into the MTA',
    '# TYPE farside_gateway_queue_depth gauge',
    `farside_gateway_queue_depth{queue="outbound"} ${s.queue.outbound}`,
    `farside_gateway_queue_depth{queue="inbound"} ${s.queue.inbound}`,
    '# HELP farside_gateway_node_connected 1 when the mail agent is registered at the BP node',
    '# TYPE farside_gateway_node_connected gauge',
    `farside_gateway_node_connected{state="${labelValue(s.node.state)}",endpoint="${labelValue(s.node.endpoint ?? '')}"} ${s.node.connected ? 1 : 0}`,
  );
  return `${lines.join('\n')}\n`;
}

export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

function isLoopbackPeer(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || a.startsWith('127.');
}

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Serve GET /metrics (text) and GET /metrics.json on host:port (port 0: any free port). */
export function startMetricsServer(opts: { readonly host: string; readonly port: number; readonly metrics: GatewayMetrics }): Promise<Result<MetricsServer>> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (!isLoopbackPeer(req.socket.remoteAddress)) return answer(res, 403, 'text/plain', 'loopback only\n');
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' && path !== '/metrics.json') return answer(res, 404, 'text/plain', 'not found: GET /metrics or /metrics.json\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return answer(res, 405, 'text/plain', 'method not allowed\n');
    }
    const s = opts.metrics.snapshot();
    if (path === '/metrics.json') return answer(res, 200, 'application/json', `${JSON.stringify(s)}\n`);
    return answer(res, 200, 'text/plain; version=0.0.4; charset=utf-8', formatPrometheus(s));
  });
  return new Promise((resolve) => {
    const onError = (e: Error): void => resolve(err('CONNECTION_FAILED', `metrics: cannot listen on ${opts.host}:${opts.port}: ${e.message}`));
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      const a = server.address();
      if (a === null || typeof a !== 'object') {
        server.close();
        resolve(err('INTERNAL', 'metrics: no listening address'));
        return;
      }
      resolve(
        ok({
          host: opts.host,
          port: a.port,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              server.closeAllConnections();
            }),
        }),
      );
    });
  });
}
