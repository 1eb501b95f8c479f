/**
 * AAP v1 behind the client interface: one connection both sends and receives (protocols.md §4.3). Its
 * link reconnects after a drop and registers the agent again before anything else, so that the gap in
 * which uD3TN drops our bundles (ud3tn-behaviour.md §11) stays as short as the backoff allows.
 */
import { err, ok, type Result } from '../../../shared/errors';
import { decodeAapBundleId } from '../../../shared/protocol/aap';
import { openAap1Connection, type Aap1Connection } from './aap1-connection';
import { isFatalLinkError, notConnected, welcomedNodeId, type DriverOptions, type ProtocolDriver, type Registration } from './driver';
import { agentIdOf, checkNodeId, endpointOf } from './endpoint';
import { CLIENT_CLOSED, createLink } from './link';
import { reportRequestFlags } from './status-reports';
import type { BundleId, SendOptions } from './types';

export function createAap1Driver(o: DriverOptions): ProtocolDriver {
  let nodeId: string | null = null;
  let registration: Registration | null = o.registration;
  /** The EID registered on the current connection; null while unregistered. */
  let endpoint: string | null = null;
  let paused = false;

  function agentFor(node: string, r: Registration): Result<string> {
    if ('agentId' in r) {
      const e = endpointOf(node, r.agentId);
      return e.ok ? ok(r.agentId) : e;
    }
    return agentIdOf(node, r.endpoint);
  }

  async function open(): Promise<Result<Aap1Connection>> {
    endpoint = null;
    const opened = await openAap1Connection({
      transport: o.transport,
      connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      maxPayloadBytes: o.maxPayloadBytes,
      keepaliveMs: o.keepaliveSeconds * 1000,
      log: o.log,
      onBundle: (source, payload, isBibe) => {
        // RECVBUNDLE has no flags: an administrative record cannot be told from an ADU (docs/status-reports.md §2)
        o.inbox.push({ source, destination: endpoint ?? nodeId ?? '', payload, bundleId: null, isBibe, isAdminRecord: false });
      },
    });
    if (!opened.ok) return opened;
    const conn = opened.value;
    const node = checkNodeId(conn.nodeId);
    if (!node.ok) {
      conn.close(node.error);
      return node;
    }
    nodeId = welcomedNodeId(o.log, nodeId, conn.nodeId);
    conn.setPaused(paused);
    if (registration) {
      const registered = await registerOn(conn, nodeId, registration);
      if (!registered.ok) {
        conn.close(registered.error);
        return registered;
      }
    }
    return ok(conn);
  }

  async function registerOn(conn: Aap1Connection, node: string, r: Registration): Promise<Result<string>> {
    const agent = agentFor(node, r);
    if (!agent.ok) return agent;
    const acked = await conn.register(agent.value);
    if (!acked.ok) {
      // uD3TN drops the connection's old registration before it checks the new ID.
      endpoint = null;
      return acked;
    }
    const eid = endpointOf(node, agent.value);
    if (eid.ok) endpoint = eid.value;
    o.log({ event: 'aap-registered', endpoint });
    return eid;
  }

  const link = createLink<Aap1Connection>({
    name: 'aap1',
    open,
    backoff: o.reconnect,
    log: o.log,
    isFatal: isFatalLinkError,
    onState: o.onLinkState,
  });

  return {
    get nodeId(): string | null {
      return nodeId;
    },
    get endpoint(): string | null {
      return endpoint;
    },
    async connect(): Promise<Result<{ nodeId: string }>> {
      const r = await link.open();
      if (!r.ok) return r;
      return ok({ nodeId: r.value.nodeId });
    },
    async register(agentId: string): Promise<Result<{ endpoint: string }>> {
      const conn = link.current;
      if (!conn || nodeId === null) return err('CONNECTION_CLOSED', 'not connected: register() needs the node ID from WELCOME');
      const wanted: Registration = { agentId };
      const r = await registerOn(conn, nodeId, wanted);
      registration = r.ok ? wanted : null;
      return r.ok ? ok({ endpoint: r.value }) : r;
    },
    async send(destination: string, payload: Uint8Array, options: SendOptions): Promise<Result<BundleId>> {
      // SENDBUNDLE has no field for it: bundles sent over AAP v1 never request reports (docs/status-reports.md §1).
      if (reportRequestFlags(options.reports) !== 0) return err('UNSUPPORTED', 'AAP v1 cannot request status reports (use AAP 2.0: docs/status-reports.md)');
      const conn = link.current;
      if (!conn) return notConnected(link);
      const source = endpoint;
      if (source === null) {
        // v0.13 answers nothing to SENDBUNDLE before REGISTER (ud3tn-behaviour.md §5.3): refuse here.
        return err('INVALID_ARGUMENT', 'send() needs a registered agent: uD3TN does not answer SENDBUNDLE before REGISTER');
      }
      const confirmed = await conn.sendBundle(destination, payload);
      if (!confirmed.ok) return confirmed;
      const id = decodeAapBundleId(confirmed.value);
      if (!id.ok) return id;
      if (id.value.form !== 'timestamp') {
        return err('UNSUPPORTED', 'SENDCONFIRM carries a sequence-form bundle ID (bit 62), which holds no creation time');
      }
      return ok({ source, creationTime: id.value.creationTime, sequence: id.value.sequence });
    },
    async ping(): Promise<Result<void>> {
      const conn = link.current;
      if (!conn) return notConnected(link);
      return conn.ping();
    },
    receive(): void {
      // AAP v1 delivers RECVBUNDLE on the registered connection; nothing to open.
    },
    setPaused(p: boolean): void {
      paused = p;
      link.current?.setPaused(p);
    },
    close: () => link.close(CLIENT_CLOSED),
  };
}
