/**
 * AAP 2.0 behind the client interface. In v0.13 one connection either sends (active) or receives
 * (subscriber), so the driver keeps two links for one endpoint (protocols.md §5.1): an active one for
 * send() and ping(), and, once the caller wants to receive, a subscriber one. Both present the same
 * secret, as uD3TN requires of the second registration of an agent ID. Each link repairs itself
 * independently and configures its endpoint again after a reconnect.
 */
import { err, ok, type Result } from '../../../shared/errors';
import { openAap2Connection, type Aap2Connection, type Aap2Role } from './aap2-connection';
import type { Aap2Config } from './aap2-wire';
import { isFatalLinkError, notConnected, welcomedNodeId, type DriverOptions, type ProtocolDriver, type Registration } from './driver';
import { agentIdOf, checkNodeId, endpointOf } from './endpoint';
import { CLIENT_CLOSED, createLink, type Link } from './link';
import { reportRequestFlags } from './status-reports';
import type { BundleId, SendOptions } from './types';

export function createAap2Driver(o: DriverOptions): ProtocolDriver {
  let nodeId: string | null = null;
  let registration: Registration | null = o.registration;
  /** The endpoint the current active connection is configured for; null while unconfigured. */
  let endpoint: string | null = null;
  let wantReceive = false;
  let paused = false;

  function endpointFor(node: string, r: Registration): Result<string> {
    if ('agentId' in r) return endpointOf(node, r.agentId);
    const agent = agentIdOf(node, r.endpoint);
    return agent.ok ? ok(r.endpoint) : agent;
  }

  function configFor(eid: string): Aap2Config {
    return { endpoint: eid, secret: o.secret, keepaliveSeconds: o.keepaliveSeconds };
  }

  async function openRole(role: Aap2Role, config: (node: string) => Result<Aap2Config | null>): Promise<Result<Aap2Connection>> {
    const opened = await openAap2Connection({
      transport: o.transport,
      role,
      config: null,
      connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      maxPayloadBytes: o.maxPayloadBytes,
      onBundle: (bundle, taken) => o.inbox.push(bundle, taken),
      confirmDeadlineMs: o.subscriberConfirmDeadlineMs,
      log: o.log,
    });
    if (!opened.ok) return opened;
    const conn = opened.value;
    const node = checkNodeId(conn.nodeId);
    const wanted = node.ok ? config(conn.nodeId) : node;
    if (!wanted.ok) {
      conn.close(wanted.error);
      return wanted;
    }
    nodeId = welcomedNodeId(o.log, nodeId, conn.nodeId);
    if (wanted.value) {
      const configured = await conn.configure(wanted.value);
      if (!configured.ok) {
        conn.close(configured.error);
        return configured;
      }
      o.log({ event: 'aap-registered', link: `aap2-${role}`, endpoint: wanted.value.endpoint });
    }
    return ok(conn);
  }

  const linkOptions = {
    backoff: o.reconnect,
    log: o.log,
    isFatal: isFatalLinkError,
  };

  const active: Link<Aap2Connection> = createLink<Aap2Connection>({
    ...linkOptions,
    name: 'aap2-active',
    onState: o.onLinkState,
    open: async () => {
      endpoint = null;
      const r = await openRole('active', (node) => {
        if (!registration) return ok(null);
        const eid = endpointFor(node, registration);
        return eid.ok ? ok(configFor(eid.value)) : eid;
      });
      if (r.ok && registration && nodeId !== null) {
        const eid = endpointFor(nodeId, registration);
        endpoint = eid.ok ? eid.value : null;
      }
      return r;
    },
  });

  const subscriber: Link<Aap2Connection> = createLink<Aap2Connection>({
    ...linkOptions,
    name: 'aap2-subscriber',
    onState: () => undefined,
    open: async () => {
      const r = await openRole('subscriber', (node) => {
        if (!registration) return err('INVALID_ARGUMENT', 'receiving over AAP 2.0 needs a registered endpoint');
        const eid = endpointFor(node, registration);
        return eid.ok ? ok(configFor(eid.value)) : eid;
      });
      if (r.ok) r.value.setPaused(paused);
      return r;
    },
  });

  /** Open the subscriber when it is wanted and possible; `retry` keeps trying in the background. */
  function startReceiving(retry: boolean): Promise<Result<unknown>> {
    if (!wantReceive || !registration || subscriber.current || subscriber.state === 'failed') return Promise.resolve(ok(null));
    return subscriber.open(retry);
  }

  return {
    get nodeId(): string | null {
      return nodeId;
    },
    get endpoint(): string | null {
      return endpoint;
    },
    async connect(): Promise<Result<{ nodeId: string }>> {
      const a = await active.open();
      if (!a.ok) return a;
      const s = await startReceiving(false);
      if (!s.ok) {
        // All or nothing on the first connect: the caller learns why it cannot receive.
        await active.reset(s.error);
        return s;
      }
      return ok({ nodeId: a.value.nodeId });
    },
    async register(agentId: string): Promise<Result<{ endpoint: string }>> {
      const conn = active.current;
      if (!conn || nodeId === null) return err('CONNECTION_CLOSED', 'not connected: register() needs the node ID from Welcome');
      const eid = endpointOf(nodeId, agentId);
      if (!eid.ok) return eid;
      // uD3TN drops the connection's previous registration before it checks a new ConnectionConfig
      // (v0.13 aap2_agent.c process_configure_msg), so the active connection is reconfigured in place;
      // a subscriber cannot be (the node is its Initiator) and is opened anew.
      endpoint = null;
      const r = await conn.configure(configFor(eid.value));
      if (!r.ok) {
        registration = null;
        return r;
      }
      registration = { agentId };
      endpoint = eid.value;
      if (subscriber.current) await subscriber.reset({ code: 'CONNECTION_CLOSED', message: `re-registering as ${eid.value}` });
      o.log({ event: 'aap-registered', link: 'aap2-active', endpoint: eid.value });
      const s = await startReceiving(false);
      return s.ok ? ok({ endpoint: eid.value }) : s;
    },
    async send(destination: string, payload: Uint8Array, options: SendOptions): Promise<Result<BundleId>> {
      const conn = active.current;
      if (!conn) return notConnected(active);
      if (endpoint === null) {
        return err('INVALID_ARGUMENT', 'send() needs a registered endpoint (uD3TN answers NOT_FOUND before ConnectionConfig)');
      }
      const r = await conn.sendAdu(destination, payload, reportRequestFlags(options.reports));
      if (!r.ok) return r;
      // bundle_headers carry the exact BPv7 bundle ID (protocols.md §5.1).
      return ok({ source: r.value.source, creationTime: r.value.creationTime, sequence: r.value.sequence });
    },
    async ping(): Promise<Result<void>> {
      const conn = active.current;
      if (!conn) return notConnected(active);
      return conn.keepalive();
    },
    receive(): void {
      wantReceive = true;
      if (active.current) void startReceiving(true);
    },
    setPaused(p: boolean): void {
      paused = p;
      subscriber.current?.setPaused(p);
    },
    async close(): Promise<void> {
      await Promise.all([active.close(CLIENT_CLOSED), subscriber.close(CLIENT_CLOSED)]);
    },
  };
}
