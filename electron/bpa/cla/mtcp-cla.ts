/**
 * MTCP (draft-ietf-dtn-mtcpcl; uD3TN `mtcp`, protocols.md §6.2): plain TCP, no handshake, one CBOR byte
 * string per bundle. Unidirectional: the node with the contact connects and writes; the listener only
 * reads (ud3tn-behaviour.md §3 "Direction"). A link that breaks fails its sends with CONNECTION_CLOSED;
 * reconnecting is the processor's business (it opens a new link for the next contact).
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import { LIMITS } from '../../../shared/protocol/limits';
import type { BundleSink, Cla, ClaLink, ClaListener, Log } from '../types';
import { receiveMtcp } from './mtcp-receiver';
import { sendMtcpFrame } from './mtcp-link';
import { createSocketWriter } from './socket-writer';
import { DEFAULT_CONNECT_TIMEOUT_MS, SocketSet, closeSocket, dialTcp, listenTcp, watchSocket } from './tcp-socket';
import type { TcpServer } from './tcp-socket';

export interface MtcpLimits {
  /** Largest frame sent or accepted; defaults to LIMITS.mtcpMaxFrameBytes. */
  readonly mtcpMaxFrameBytes?: number;
}

export interface MtcpClaDeps {
  readonly sink: BundleSink;
  readonly log: Log;
  readonly limits?: MtcpLimits;
  /** How long connect() waits for TCP; default DEFAULT_CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
}

export function createMtcpCla(deps: MtcpClaDeps): Cla {
  const { sink, log } = deps;
  const maxFrameBytes = deps.limits?.mtcpMaxFrameBytes ?? LIMITS.mtcpMaxFrameBytes;
  const connectTimeoutMs = deps.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const servers = new Set<TcpServer>();
  const outgoing = new SocketSet();
  let closed = false;

  const claClosed = (): Result<never> => err('CONNECTION_CLOSED', 'the MTCP CLA is closed');

  return {
    name: 'mtcp',

    async listen(host, port): Promise<Result<ClaListener>> {
      if (closed) return claClosed();
      const r = await listenTcp('mtcp', host, port, log, (socket) => {
        const remote = watchSocket(socket, 'mtcp', 'in', log);
        receiveMtcp(socket, { origin: { cla: 'mtcp', remote }, sink, log, maxFrameBytes });
      });
      if (!r.ok) return r;
      const server = r.value;
      servers.add(server);
      return ok({
        cla: 'mtcp',
        address: server.address,
        close: async () => {
          servers.delete(server);
          await server.close();
        },
      });
    },

    async connect(hostPort): Promise<Result<ClaLink>> {
      if (closed) return claClosed();
      const dialed = await dialTcp(hostPort, connectTimeoutMs);
      if (!dialed.ok) {
        log({ event: 'cla.connect_failed', cla: 'mtcp', remote: hostPort, error: dialed.error.code });
        return dialed;
      }
      const socket = dialed.value;
      if (closed) {
        socket.destroy();
        return claClosed();
      }
      outgoing.add(socket);
      const remote = watchSocket(socket, 'mtcp', 'out', log);
      // uD3TN runs an RX task on every TCP link, outgoing ones included (`cla_tcp_link_init`: "A TCP link
      // _always_ needs an RX task"), so frames a peer writes back are read and delivered, not ignored.
      receiveMtcp(socket, { origin: { cla: 'mtcp', remote }, sink, log, maxFrameBytes });
      const writer = createSocketWriter(socket);
      const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      return ok({
        cla: 'mtcp',
        address: `mtcp:${hostPort}`,
        send: (parts) => sendMtcpFrame(writer, parts, maxFrameBytes),
        close: () => closeSocket(socket),
        closed: socketClosed,
      });
    },

    async close() {
      closed = true;
      await Promise.all([...[...servers].map((s) => s.close()), outgoing.closeAll()]);
      servers.clear();
    },
  };
}
