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
import type { BundleSink, Cla, ClaLink, ClaListener, Log } from '../types';
import { receiveMtcp } from './mtcp-receiver';
import { sendMtcpFrame } from './mtcp-link';
import { createSocketWriter } from './socket-writer';
import type { SocketWriter } from './socket-writer';
import { DEFAULT_CONNECT_TIMEOUT_MS, SocketSet, closeSocket, dialTcp, listenTcp, watchSocket } from './tcp-socket';
import type { TcpServer } from './tcp-socket';
import type { MtcpLimits } from './mtcp-cla';

export interface SmtcpClaDeps {
  readonly sink: BundleSink;
  readonly log: Log;
  readonly limits?: MtcpLimits;
  readonly connectTimeoutMs?: number;
}

export interface SmtcpCla extends Cla {
  readonly name: 'smtcp';
  /** A link over the open connection, or undefined when there is none (never dials). */
  currentLink(): ClaLink | undefined;
}

interface Connection {
  readonly socket: Socket;
  readonly writer: SocketWriter;
  readonly remote: string;
  /** Resolves when the socket closed. */
  readonly closed: Promise<void>;
}

export function createSmtcpCla(deps: SmtcpClaDeps): SmtcpCla {
  const { sink, log } = deps;
  const maxFrameBytes = deps.limits?.mtcpMaxFrameBytes ?? LIMITS.mtcpMaxFrameBytes;
  const connectTimeoutMs = deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const servers = new Set<TcpServer>();
  const sockets = new SocketSet();
  const waiting: Socket[] = [];
  let current: Connection | null = null;
  let dialing: Promise<Result<Connection>> | null = null;
  const queuedRemotes = new WeakMap<Socket, string>();
  let closed = false;

  const claClosed = (): Result<never> => err('CONNECTION_CLOSED', 'the SMTCP CLA is closed');

  const adopt = (socket: Socket, remote: string): Connection => {
    const conn: Connection = {
      socket,
      writer: createSocketWriter(socket),
      remote,
      closed: new Promise<void>((resolve) => socket.once('close', () => resolve())),
    };
    current = conn;
    receiveMtcp(socket, { origin: { cla: 'smtcp', remote }, sink, log, maxFrameBytes });
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
    send: (parts) => sendMtcpFrame(conn.writer, parts, maxFrameBytes),
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
    const dialed = await dialTcp(hostPort, connectTimeoutMs);
    if (!dialed.ok) {
      log({ event: 'cla.connect_failed', cla: 'smtcp', remote: hostPort, error: dialed.error.code });
      return dialed;
    }
    const socket = dialed.value;
    if (closed) {
      socket.destroy();
      return claClosed();
    }
    sockets.add(socket);
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
      const r = await listenTcp('smtcp', host, port, log, onIncoming);
      if (!r.ok) return r;
      const server = r.value;
      servers.add(server);
      return ok({
        cla: 'smtcp',
        address: server.address,
        close: async () => {
          servers.delete(server);
          await server.close();
        },
      });
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
      await Promise.all([...[...servers].map((s) => s.close()), sockets.closeAll(), ...queued.map((s) => closeSocket(s, 0))]);
      servers.clear();
    },
  };
}
