/**
 * The mail gateway as a running service (issue 4): the pieces of this folder composed around one AAP
 * client and one SQLite store.
 *
 *   site MTA ──SMTP──▶ outbound listener ──store──▶ mail sender ──AAP send──▶ BP node ──▶ remote gateway
 *   site MTA ◀──SMTP── inbound processor ◀─receive── inbound loop ◀──AAP bundles── BP node
 *                              └── DSNs ──store──▶ DSN sender ──AAP send──▶ BP node ──▶ source gateway
 *
 * - Registration: the mail agent (`dtn://<node>/email`, or `ipn:N.25` on an ipn node; config.ts) is
 *   registered as soon as the node answers and held for as long as the gateway runs: the AAP client
 *   reconnects and re-registers at once after any drop (uD3TN drops bundles for an agent that is not
 *   registered, ud3tn-behaviour.md §11). A node that is down at start is tried again with backoff.
 * - Inbound loop: every received bundle goes to the inbound processor, which commits it (exactly once,
 *   RFC 2442) before the loop takes the next. The de-duplication key is the bundle ID where the node
 *   gives one (AAP 2.0 BundleADU: source, creation time, sequence). AAP v1 RECVBUNDLE carries no ID, so
 *   the key is then the source EID with the SHA-256 of the payload: a sender that hands the same stored
 *   BSMTP object to its node again (after an unknown outcome) sends the same bytes, and the processor
 *   additionally drops (Message-ID, recipient) pairs it has already taken, which catches a message that
 *   comes back in a different object. The source is part of the key so that bytes first sent by an
 *   unauthorised node cannot make the same bytes from an authorised one look like a duplicate.
 * - Outbound loop: the listener commits each message before its 250 and kicks the mail sender, which
 *   hands queued bundles to the node in order and records the bundle ID (protocols.md §8.2 "handed to
 *   the local BP node"). DSNs the processor generates take the same path through its own sender.
 * - Node down: a send waits for the agent to be registered again instead of failing (no retry counts
 *   pile up while the node is away); a send that fails on a live connection (timeout, refusal, a drop
 *   mid-request) is retried with backoff (config retry.bp). Nothing leaves the store before the node
 *   confirmed it, so nothing is lost; a repeat after an unknown outcome is absorbed at the far end.
 * - Delivery evidence (NOTIFY=SUCCESS): the inbound processor passes NOTIFY to the MTA, which sends its
 *   own DSN to the envelope sender. That address is in a remote domain, so the MTA relays the DSN to this
 *   gateway's outbound listener (its transport map), and the DSN travels back over BP like any mail; the
 *   listener takes the null reverse-path. The site MTA's transport map must therefore list the routed
 *   domains (two-sites.int.test.ts shows the whole path with real Postfix).
 * - Status reports (config node.statusReports, AAP 2.0): every bundle handed to the node asks for
 *   reception, forwarding, delivery and deletion reports (RFC 9171 §6.1; docs/status-reports.md). They
 *   come back to the mail agent as administrative records, which the inbound loop never gives to the
 *   inbound processor: each is logged as one `report-received` line, linked to the message whose bundle
 *   it is about (report-intake.ts), and counted; a record that cannot be read is logged and dropped.
 * - Stop: no new mail is accepted, the senders finish the hand-over in progress, the node connection is
 *   closed and every bundle already read from it is still committed before the store closes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok } from '../../shared/errors';
import type { FarsideError, Result } from '../../shared/errors';
import { parseEid } from '../../shared/protocol/bpv7/eid';
import { backoffDelay } from '../services/aap-client/backoff';
import { createAapClient } from '../services/aap-client/client';
import type { AapClient, AapClientState, ReceivedBundle, SendOptions } from '../services/aap-client/types';
import { createBundleSender } from './bundle-sender';
import type { BundleSender } from './bundle-sender';
import { GATEWAY_DEFAULTS } from './config';
import type { GatewayConfig, HostPort } from './config';
import { createInboundProcessor } from './inbound-processor';
import type { InboundProcessor } from './inbound-processor';
import { createGatewayMetrics, startMetricsServer } from './metrics';
import type { GatewayMetrics, MetricsServer, MetricsSnapshot } from './metrics';
import { createOutboundListener } from './outbound-listener';
import type { OutboundListener } from './outbound-listener';
import { createRelayPolicy } from './relay-policy';
import { adminRecordEvent } from './report-intake';
import { createRouteTable } from './routes';
import { createGatewayStore } from './store/gateway-store';
import type { GatewayStore } from './store/gateway-store';
import { bundleIdText } from './types';
import type { GatewayLog, SendBundle } from './types';

export interface GatewayDeps {
  readonly config: GatewayConfig;
  /** One structured line per event (message events, node link, listener); never bodies or secrets. */
  readonly log: GatewayLog;
  /** Unix ms; default Date.now. */
  readonly clock?: () => number;
}

export interface GatewayAddresses {
  /** The outbound SMTP listener as bound (the real port when 0 was configured). */
  readonly smtp: HostPort;
  /** The metrics endpoint as bound, or null when none is configured. */
  readonly metrics: HostPort | null;
  /** The SQLite database. */
  readonly store: string;
}

export interface GatewayStatus {
  readonly node: AapClientState;
  readonly nodeId: string | null;
  /** The registered mail agent EID, or null while not registered. */
  readonly endpoint: string | null;
}

export interface Gateway {
  /**
   * Open the store, bind the SMTP listener and the metrics endpoint, and begin connecting to the node in
   * the background (the `gateway-registered` event tells when the agent is registered). Fails only for
   * what retrying cannot fix: the store, a port, the routes or the relay policy.
   */
  start(): Promise<Result<GatewayAddresses>>;
  /** The clean stop (SIGTERM); idempotent. */
  stop(): Promise<void>;
  status(): GatewayStatus;
  /** The counters and queue depths, between start() and stop() (what GET /metrics serves). */
  metrics(): MetricsSnapshot;
  /**
   * Resolves once nothing is due in either direction (deliveries, DSNs, queued mail all done or waiting
   * for a later retry). Mail waiting for the node to come back is not done: idle() waits for it too.
   */
  idle(): Promise<void>;
  /**
   * Resolves if the gateway hits a condition retrying cannot fix after start (the node speaks another
   * AAP version, or the configured agent cannot exist on the node); it then stops trying.
   */
  readonly failure: Promise<FarsideError>;
}

/** The name of the gateway's database inside store.dir. */
export const GATEWAY_STORE_FILE = 'gateway.sqlite';

/** The agent ID to register on `nodeId`: the configured one, or the default of the node's scheme. */
export function agentFor(nodeId: string, configured: string | null): string {
  if (configured !== null) return configured;
  const eid = parseEid(nodeId);
  return eid.ok && eid.value.scheme === 'ipn' ? GATEWAY_DEFAULTS.ipnAgent : GATEWAY_DEFAULTS.dtnAgent;
}

/** The inbound processor's de-duplication key for a received bundle (see the file comment). */
export function receivedKey(b: Pick<ReceivedBundle, 'source' | 'payload' | 'bundleId'>): string {
  if (b.bundleId !== null) return bundleIdText(b.bundleId);
  return `${b.source} sha256:${createHash('sha256').update(b.payload).digest('hex')}`;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What every bundle the gateway sends asks for when node.statusReports is on: all four reports. */
export const ALL_REPORTS: SendOptions = { reports: { reception: true, forwarding: true, delivery: true, deletion: true } };

export function createGateway(deps: GatewayDeps): Gateway {
  const { config } = deps;
  const clock = deps.clock ?? Date.now;
  let metrics: GatewayMetrics | null = null;
  const log: GatewayLog = (e) => {
    metrics?.count(e);
    deps.log(e);
  };

  let store: GatewayStore | null = null;
  let client: AapClient | null = null;
  /** The mail agent's EID as last registered: the outbound Received field names it while the node is away too. */
  let ownEndpoint: string | null = null;
  let processor: InboundProcessor | null = null;
  let mailSender: BundleSender | null = null;
  let listener: OutboundListener | null = null;
  let metricsServer: MetricsServer | null = null;
  let loops: Promise<void>[] = [];
  let started = false;
  let stopping = false;
  let stopped: Promise<void> | null = null;

  let reportFailure: (e: FarsideError) => void = () => undefined;
  const failure = new Promise<FarsideError>((resolve) => {
    reportFailure = (e) => {
      log({ event: 'gateway-failed', code: e.code, error: e.message });
      resolve(e);
    };
  });

  // ---- waiting for the node, and for stop ----

  let nodeWaiters: (() => void)[] = [];
  const nodeReady = (): boolean => client !== null && client.state === 'connected' && client.endpoint !== null;
  const wakeNodeWaiters = (): void => {
    if (!nodeReady() && !stopping) return;
    const w = nodeWaiters;
    nodeWaiters = [];
    for (const f of w) f();
  };
  const untilNodeReady = (): Promise<void> => (nodeReady() || stopping ? Promise.resolve() : new Promise((r) => nodeWaiters.push(r)));

  let stopWaiters: (() => void)[] = [];
  /** Sleep, cut short by stop(). */
  const pause = (ms: number): Promise<void> =>
    stopping
      ? Promise.resolve()
      : new Promise((resolve) => {
          const done = (): void => {
            clearTimeout(t);
            resolve();
          };
          const t = setTimeout(() => {
            stopWaiters = stopWaiters.filter((f) => f !== done);
            resolve();
          }, ms);
          stopWaiters.push(done);
        });

  const sendOptions: SendOptions = config.node.statusReports ? ALL_REPORTS : {};
  /** What the senders call: waits while the agent is not registered, then hands the ADU to the node. */
  const sendBundle: SendBundle = async (destination, payload) => {
    for (;;) {
      if (stopping || client === null) return err('CONNECTION_CLOSED', 'the gateway is stopping');
      if (nodeReady()) return client.send(destination, payload, sendOptions);
      await untilNodeReady();
    }
  };

  // ---- the node: connect, register, keep registered ----

  /** While establish() runs it reports its own failures, with the node's reason. */
  let establishing = true;

  const establish = async (c: AapClient): Promise<void> => {
    try {
      await establishOnce(c);
    } finally {
      establishing = false;
    }
  };

  const establishOnce = async (c: AapClient): Promise<void> => {
    let attempt = 0;
    let reportedDown = false;
    while (!stopping) {
      const connected = await c.connect();
      if (stopping) return;
      if (connected.ok) {
        if (c.endpoint !== null) break;
        const agent = agentFor(connected.value.nodeId, config.node.agent);
        const registered = await c.register(agent);
        if (registered.ok) {
          ownEndpoint = registered.value.endpoint;
          log({ event: 'gateway-registered', nodeId: connected.value.nodeId, endpoint: registered.value.endpoint });
          break;
        }
        if (registered.error.code === 'INVALID_EID' || registered.error.code === 'INVALID_ARGUMENT') {
          reportFailure(err('CONFIG_INVALID', `node.agent: ${JSON.stringify(agent)} cannot be registered on ${connected.value.nodeId}: ${registered.error.message}`).error);
          return;
        }
        log({ event: 'gateway-register-failed', nodeId: connected.value.nodeId, agent, code: registered.error.code, error: registered.error.message });
      } else if (connected.error.code === 'AAP_VERSION_MISMATCH') {
        reportFailure(err('AAP_VERSION_MISMATCH', `node.protocol: ${connected.error.message}`).error);
        return;
      } else if (!reportedDown) {
        reportedDown = true;
        log({ event: 'node-unavailable', code: connected.error.code, error: connected.error.message });
      }
      await pause(backoffDelay(attempt++, config.node.reconnect));
    }
    wakeNodeWaiters();
  };

  // ---- inbound loop ----

  const take = async (b: ReceivedBundle): Promise<void> => {
    if (b.isBibe) {
      // a BIBE PDU is a bundle for a BIBE CLA, never mail: nothing to deliver, nobody to notify
      log({ event: 'inbound-not-mail', source: b.source, size: b.payload.length, reason: 'BIBE protocol data unit' });
      return;
    }
    if (b.isAdminRecord) {
      // a status report (or another administrative record) is never mail, nor a postmaster matter
      const s = store;
      log(adminRecordEvent(b, (id) => s?.handedOverBundle(id)));
      return;
    }
    const adu = { source: b.source, bundleId: receivedKey(b), payload: b.payload, destination: b.destination };
    for (let attempt = 0; ; attempt++) {
      const received = processor?.receive(adu);
      // the loop asks for the next bundle only once this one would survive power loss too
      const r = received === undefined || !received.ok ? received : await processor?.durable();
      if (r === undefined || r.ok) return;
      // The node already counts the bundle as delivered: it exists only here now. Keep trying (the
      // loop holds the next bundles meanwhile, and the client stops reading when its buffer is full);
      // a repeat after a failed fsync finds the bundle recorded and only syncs again.
      if (stopping && attempt > 0) {
        log({ event: 'inbound-lost', source: b.source, bundle: adu.bundleId, error: r.error.message });
        return;
      }
      await pause(backoffDelay(attempt, config.retry.bp));
    }
  };

  const inboundLoop = async (c: AapClient): Promise<void> => {
    try {
      for await (const b of c.bundles()) await take(b);
    } catch (e) {
      log({ event: 'gateway-internal-error', where: 'inbound loop', error: errorText(e) });
    }
  };

  // ---- start / stop ----

  const shutdown = async (): Promise<void> => {
    stopping = true;
    for (const f of stopWaiters.splice(0)) f();
    wakeNodeWaiters();
    await listener?.close();
    await mailSender?.stop();
    await processor?.stop();
    // closing the client ends its buffer: the inbound loop commits what was already read, then ends
    await client?.close();
    await Promise.all(loops);
    await metricsServer?.close();
    store?.close();
    listener = null;
    metricsServer = null;
    loops = [];
  };

  const start = async (): Promise<Result<GatewayAddresses>> => {
    if (started) return err('CONFLICT', 'the gateway was already started');
    started = true;
    const routes = createRouteTable(config.routes);
    if (!routes.ok) return err('CONFIG_INVALID', `routes: ${routes.error.message}`);
    const policy = createRelayPolicy({ sources: config.authorisedSources, localDomains: config.localDomains, acceptPlainRfc5322: config.acceptPlainRfc5322 });
    if (!policy.ok) return err('CONFIG_INVALID', `relay policy: ${policy.error.message}`);
    try {
      mkdirSync(config.store.dir, { recursive: true });
    } catch (e) {
      return err('IO_ERROR', `cannot create the store directory ${config.store.dir}: ${errorText(e)}`);
    }
    const opened = createGatewayStore({ path: join(config.store.dir, GATEWAY_STORE_FILE) });
    if (!opened.ok) return opened;
    const s = opened.value;
    store = s;

    const c = createAapClient({
      transport: config.node.transport,
      protocol: config.node.protocol,
      ...(config.node.secret === undefined ? {} : { secret: config.node.secret }),
      receive: true,
      keepaliveSeconds: config.node.keepaliveSeconds,
      ...(config.node.protocol === 'aap2' && config.node.subscriberConfirmDeadlineMs !== null ? { subscriberConfirmDeadlineMs: config.node.subscriberConfirmDeadlineMs } : {}),
      requestTimeoutMs: config.node.requestTimeoutMs,
      reconnect: config.node.reconnect,
      log,
      clock,
    });
    client = c;
    c.onStateChange((state) => {
      if (c.endpoint !== null) ownEndpoint = c.endpoint;
      log({ event: 'node-link', state, endpoint: c.endpoint });
      // a link that fails later, while repairing a drop, has met a node it cannot speak to (another AAP version)
      if (state === 'failed' && !establishing) reportFailure(err('AAP_VERSION_MISMATCH', 'the node no longer speaks the configured AAP version (see the aap-connect-failed line)').error);
      wakeNodeWaiters();
    });

    metrics = createGatewayMetrics(() => {
      const depth = s.queueDepth();
      return { outboundQueue: depth.queued, inboundQueue: s.pendingDeliveries(), node: { state: c.state, endpoint: c.endpoint } };
    });
    processor = createInboundProcessor({
      mta: config.mta,
      store: s,
      policy: policy.value,
      log,
      sendBundle,
      hostname: config.hostname,
      retry: config.retry.mta,
      replyTimeoutMs: config.limits.replyTimeoutMs,
      clock,
    });
    const sender = createBundleSender({ store: s, origin: 'mail', sendBundle, log, retry: config.retry.bp, clock });
    mailSender = sender;

    const l = await createOutboundListener({
      store: s,
      routes: routes.value,
      limits: config.limits,
      log,
      onQueued: () => sender.kick(),
      hostname: config.hostname,
      endpoint: () => c.endpoint ?? ownEndpoint,
      host: config.listen.host,
      port: config.listen.port,
      allowedPeers: config.listen.allowedPeers,
      clock,
    });
    if (!l.ok) {
      stopped = shutdown();
      await stopped;
      return l;
    }
    listener = l.value;
    if (config.metrics !== null) {
      const m = await startMetricsServer({ host: config.metrics.host, port: config.metrics.port, metrics });
      if (!m.ok) {
        stopped = shutdown();
        await stopped;
        return m;
      }
      metricsServer = m.value;
    }
    loops = [establish(c), inboundLoop(c)];
    const pending = s.queueDepth().queued;
    log({ event: 'gateway-started', smtp: `${l.value.host}:${l.value.port}`, store: s.path, queued: pending, pendingDeliveries: s.pendingDeliveries() });
    return ok({
      smtp: { host: l.value.host, port: l.value.port },
      metrics: metricsServer === null ? null : { host: metricsServer.host, port: metricsServer.port },
      store: s.path,
    });
  };

  return {
    start,
    stop() {
      if (!started) return Promise.resolve();
      stopped ??= shutdown();
      return stopped;
    },
    status: () => ({ node: client?.state ?? 'idle', nodeId: client?.nodeId ?? null, endpoint: client?.endpoint ?? null }),
    metrics() {
      if (metrics === null) throw new Error('gateway.metrics() before start()');
      return metrics.snapshot();
    },
    async idle() {
      await Promise.all([processor?.idle(), mailSender?.idle()]);
    },
    failure,
  };
}
