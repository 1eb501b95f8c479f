/**
 * SMTCP ("single MTCP", uD3TN `smtcp`, protocols.md §6.3): MTCP framing over ONE TCP connection, opened
 * passively (listen) or actively (connect). What uD3TN v0.13 does (archipel-core 7b0fd79,
 * components/cla/posix/cla_smtcp.c and cla_tcp_common.c), and what this CLA therefore does:
 *
 * - One connection at a time (`cla_tcp_single_config.link`, asserted NULL before a new one). The passive
 *   side accepts one, serves it until it ends, then accepts the next; the listen backlog is 1
 *   (CLA_TCP_SINGLE_BACKLOG). Here a connection that arrives while one is open waits paused (unread) in a
 *   queue of LIMITS.smtcpBacklog and is served when the current one closes; beyond that it is closed.
 * - Every bundle uses that connection whatever its destination (`cla_tcp_single_get_tx_queue` ignores the
 *   EID and CLA address). So connect() returns a link over the open connection if there is one, and dials
 *   "host:port" only when there is none.
 * - Bundles flow both ways: the link is created with both an RX and a TX task (`cla_tcp_link_init(…,
 *   true)` in `handle_established_connection`), whichever side opened it; the RX side parses MTCP frames
 *   (`mtcp_forward_to_specific_parser`). Here every frame read on the connection goes to the sink.
 * - The connection outlives contacts (`cla_tcp_single_end_scheduled_contact` only stops reconnecting), so
 *   closing a link here detaches it; the connection ends when the peer closes it or on close().
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import type { Socket } from 'node:net';
import type { Cla, ClaLink, ClaListener } from '../types';
import { ClaSockets } from './cla-sockets';
import type { MtcpClaDeps } from './mtcp-cla';
import { startMtcpConnection } from './mtcp-link';
import type { MtcpConnection } from './mtcp-link';
import { closeSocket, watchSocket } from './tcp-socket';

/** The same as MTCP's: SMTCP is MTCP framing, only the connection handling differs. */
export type SmtcpClaDeps = MtcpClaDeps;

export interface SmtcpCla extends Cla {
  readonly name: 'smtcp';
  /** A link over the open connection, or undefined when there is none (never dials). */
  currentLink(): ClaLink | undefined;
}

interface Connection extends MtcpConnection {
  readonly remote: string;
}

export function createSmtcpCla(deps: SmtcpClaDeps): SmtcpCla {
  const { sink, log } = deps;
  const maxFrameBytes = deps.limits?.mtcpMaxFrameBytes ?? LIMITS.mtcpMaxFrameBytes;
  const sockets = new ClaSockets('smtcp', log, deps.connectTimeoutMs);
  const waiting: Socket[] = [];
  let current: Connection | null = null;
  let dialing: Promise<Result<Connection>> | null = null;
  const queuedRemotes = new WeakMap<Socket, string>();
  let closed = false;

  const claClosed = (): Result<never> => err('CONNECTION_CLOSED', 'the SMTCP CLA is closed');

  const adopt = (socket: Socket, remote: string): Connection => {
    const conn: Connection = { ...startMtcpConnection(socket, { origin: { cla: 'smtcp', remote }, sink, log, maxFrameBytes }), remote };
    current = conn;
    socket.resume();
    socket.once('close', () => {
      if (current !== conn) return;
      current = null;
      const next = waiting.shift();
      if (next !== undefined && !closed) {
        const nextRemote = queuedRemotes.get(next) ?? 'unknown';
        log({ event: 'cla.dequeued', cla: 'smtcp', remote: nextRemote });
        adopt(next, nextRemote);
      }
    });
    return conn;
  };

  const linkOver = (conn: Connection, address: string): ClaLink => ({
    cla: 'smtcp',
    address,
    // After the connection closed, the writer answers CONNECTION_CLOSED; connect() then gives the next one.
    send: conn.send,
    close: () => Promise.resolve(),
    closed: conn.closed,
  });

  const onIncoming = (socket: Socket): void => {
    const remote = watchSocket(socket, 'smtcp', 'in', log);
    if (current === null && !closed) {
      adopt(socket, remote);
      return;
    }
    if (waiting.length < LIMITS.smtcpBacklog) {
      socket.pause();
      queuedRemotes.set(socket, remote);
      waiting.push(socket);
      socket.once('close', () => {
        const i = waiting.indexOf(socket);
        if (i >= 0) waiting.splice(i, 1);
      });
      log({ event: 'cla.queued', cla: 'smtcp', remote });
      return;
    }
    log({ event: 'cla.refused', cla: 'smtcp', remote, reason: 'busy' });
    socket.destroy();
  };

  const dial = async (hostPort: string): Promise<Result<Connection>> => {
    const dialed = await sockets.dial(hostPort);
    if (!dialed.ok) return dialed;
    const socket = dialed.value;
    if (closed) {
      socket.destroy();
      return claClosed();
    }
    const remote = watchSocket(socket, 'smtcp', 'out', log);
    if (current !== null) {
      // A peer connected in while we dialed: uD3TN keeps one connection, so keep that one.
      socket.destroy();
      return ok(current);
    }
    return ok(adopt(socket, remote));
  };

  return {
    name: 'smtcp',

    async listen(host, port): Promise<Result<ClaListener>> {
      if (closed) return claClosed();
      return sockets.listen(host, port, onIncoming);
    },

    async connect(hostPort): Promise<Result<ClaLink>> {
      if (closed) return claClosed();
      if (current !== null) return ok(linkOver(current, `smtcp:${hostPort}`));
      dialing ??= dial(hostPort).finally(() => {
        dialing = null;
      });
      const conn = await dialing;
      return conn.ok ? ok(linkOver(conn.value, `smtcp:${hostPort}`)) : conn;
    },

    currentLink() {
      return current === null ? undefined : linkOver(current, `smtcp:${current.remote}`);
    },

    async close() {
      closed = true;
      const queued = waiting.splice(0);
      await Promise.all([sockets.closeAll(), ...queued.map((s) => closeSocket(s, 0))]);
    },
  };
}
