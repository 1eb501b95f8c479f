/**
 * TCPCLv3 (RFC 7242; uD3TN `tcpclv3`, protocols.md §6.4). A session carries bundles both ways (issue 3),
 * so sessions are kept by the peer's node ID from its contact header, whichever side opened them, and an
 * outgoing link to that peer reuses the open session. uD3TN does the same: sessions live in a table keyed
 * by peer EID (`param_htab`), incoming ones included, and the TX queue for a contact is looked up there
 * (`tcpclv3_get_tx_queue`); a newer session with the same peer takes over ("Taking over management of
 * connection", `handle_established_connection`). Whether uD3TN actually sends over an incoming session
 * was not observed (ud3tn-behaviour.md §3 "Direction").
 *
 * Link ownership: a link from connect() that opened its session owns it, and its close() shuts the
 * session down (SHUTDOWN, FIN). A link that reuses an open session (linkFor, or connect with the peer's
 * node ID) only borrows it: its close() leaves the session to its owner, the peer, or close().
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import { encodeTcpclv3ContactHeader } from '../../../shared/protocol/tcpclv3';
import type { Socket } from 'node:net';
import type { BundleSink, Cla, ClaLink, ClaListener, Clock, Log } from '../types';
import { startSession } from './tcpclv3-session';
import type { SessionConfig, Tcpclv3Session } from './tcpclv3-session';
import { ClaSockets } from './cla-sockets';
import { watchSocket } from './tcp-socket';

/** How long a peer may take to send its contact header before the connection is closed. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface Tcpclv3Limits {
  /** Largest single DATA_SEGMENT read or written; defaults to LIMITS.tcpclv3MaxSegmentBytes. */
  readonly tcpclv3MaxSegmentBytes?: number;
  /** Largest bundle assembled from several segments; defaults to LIMITS.bundleMaxBytes. */
  readonly bundleMaxBytes?: number;
}

export interface Tcpclv3ClaDeps {
  readonly sink: BundleSink;
  readonly log: Log;
  /** Our node ID for the contact header, e.g. "dtn://earth.dtn/" or "ipn:1.0". */
  readonly localNodeId: string;
  /** Keepalive interval we offer, seconds (RFC 7242 §4.1; uD3TN offers 0 = none). Default 0. */
  readonly keepaliveSeconds?: number;
  readonly limits?: Tcpclv3Limits;
  readonly connectTimeoutMs?: number;
  readonly handshakeTimeoutMs?: number;
  /** Time source for keepalive bookkeeping; default Date.now. */
  readonly clock?: Clock;
}

export interface Tcpclv3Cla extends Cla {
  readonly name: 'tcpclv3';
  /**
   * Open a link to "host:port". With `peerNodeId`, an open session with that peer (incoming or outgoing)
   * is reused instead of dialing.
   */
  connect(hostPort: string, peerNodeId?: string): Promise<Result<ClaLink>>;
  /** A link over the newest open session with `peerNodeId`, or undefined (never dials). */
  linkFor(peerNodeId: string): ClaLink | undefined;
  /** Node IDs of the peers with an open session. */
  peers(): string[];
}

export function createTcpclv3Cla(deps: Tcpclv3ClaDeps): Tcpclv3Cla {
  const { log } = deps;
  const keepaliveSeconds = deps.keepaliveSeconds ?? 0;
  // uD3TN's contact header: flags 0, our keepalive, our node ID (`cla_tcpclv3_generate_contact_header`).
  // Encoded once; a node ID or keepalive it cannot carry makes listen() and connect() fail.
  const contactHeader = encodeTcpclv3ContactHeader({ flags: 0, keepaliveSeconds, eid: deps.localNodeId });
  const config: Result<SessionConfig> = contactHeader.ok
    ? ok({
        contactHeader: contactHeader.value,
        keepaliveSeconds,
        sink: deps.sink,
        log,
        maxSegmentBytes: deps.limits?.tcpclv3MaxSegmentBytes ?? LIMITS.tcpclv3MaxSegmentBytes,
        maxBundleBytes: deps.limits?.bundleMaxBytes ?? LIMITS.bundleMaxBytes,
        handshakeTimeoutMs: deps.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
        clock: deps.clock ?? Date.now,
      })
    : contactHeader;
  const sockets = new ClaSockets('tcpclv3', log, deps.connectTimeoutMs);
  /** Newest open session per peer node ID. */
  const byPeer = new Map<string, Tcpclv3Session>();
  const all = new Set<Tcpclv3Session>();
  let closed = false;

  const claClosed = (): Result<never> => err('CONNECTION_CLOSED', 'the TCPCLv3 CLA is closed');

  const register = (session: Tcpclv3Session): void => {
    all.add(session);
    const previous = byPeer.get(session.peerNodeId);
    if (previous !== undefined) log({ event: 'cla.session_takeover', cla: 'tcpclv3', peer: session.peerNodeId, remote: session.remote, previous: previous.remote });
    byPeer.set(session.peerNodeId, session);
    void session.done.then(() => {
      all.delete(session);
      if (byPeer.get(session.peerNodeId) === session) byPeer.delete(session.peerNodeId);
    });
  };

  const linkOver = (session: Tcpclv3Session, address: string, owned: boolean): ClaLink => ({
    cla: 'tcpclv3',
    address,
    send: (parts) => session.send(parts),
    close: owned ? () => session.close() : () => Promise.resolve(),
    closed: session.done,
  });

  const open = async (socket: Socket, direction: 'in' | 'out', cfg: SessionConfig): Promise<Result<Tcpclv3Session>> => {
    const remote = watchSocket(socket, 'tcpclv3', direction, log);
    const s = await startSession(socket, direction, remote, cfg);
    if (s.ok) {
      if (closed) {
        await s.value.close();
        return claClosed();
      }
      register(s.value);
    }
    return s;
  };

  return {
    name: 'tcpclv3',

    async listen(host, port): Promise<Result<ClaListener>> {
      if (closed) return claClosed();
      if (!config.ok) return config;
      const cfg = config.value;
      return sockets.listen(host, port, (socket) => {
        // The outcome is logged by the session; a failed handshake only closes that connection.
        void open(socket, 'in', cfg);
      });
    },

    async connect(hostPort, peerNodeId): Promise<Result<ClaLink>> {
      if (closed) return claClosed();
      if (!config.ok) return config;
      const existing = peerNodeId === undefined ? undefined : byPeer.get(peerNodeId);
      if (existing !== undefined && existing.isOpen) return ok(linkOver(existing, `tcpclv3:${hostPort}`, false));
      const dialed = await sockets.dial(hostPort);
      if (!dialed.ok) return dialed;
      const s = await open(dialed.value, 'out', config.value);
      if (!s.ok) return s;
      if (peerNodeId !== undefined && s.value.peerNodeId !== peerNodeId) {
        // uD3TN warns and keeps its configuration ("EID … differs from configured EID"); we keep the
        // session under the node ID the peer reported, which is what ClaOrigin.peerNodeId says.
        log({ event: 'cla.peer_mismatch', cla: 'tcpclv3', remote: s.value.remote, expected: peerNodeId, peer: s.value.peerNodeId });
      }
      return ok(linkOver(s.value, `tcpclv3:${hostPort}`, true));
    },

    linkFor(peerNodeId) {
      const s = byPeer.get(peerNodeId);
      return s !== undefined && s.isOpen ? linkOver(s, `tcpclv3:${s.remote}`, false) : undefined;
    },

    peers() {
      const out: string[] = [];
      for (const [peer, s] of byPeer) if (s.isOpen) out.push(peer);
      return out;
    },

    async close() {
      closed = true;
      await Promise.all([...all].map((s) => s.close()));
      await sockets.closeAll();
    },
  };
}
