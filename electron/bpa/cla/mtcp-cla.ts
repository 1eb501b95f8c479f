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
import { ClaSockets } from './cla-sockets';
import { receiveMtcp } from './mtcp-receiver';
import { startMtcpConnection } from './mtcp-link';
import { closeSocket, watchSocket } from './tcp-socket';

interface MtcpLimits {
  /** Largest frame sent or accepted; defaults to LIMITS.mtcpMaxFrameBytes. */
  readonly mtcpMaxFrameBytes?: number;
}

/** What MTCP and SMTCP are built from. */
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
  const sockets = new ClaSockets('mtcp', log, deps.connectTimeoutMs);
  let closed = false;

  const claClosed = (): Result<never> => err('CONNECTION_CLOSED', 'the MTCP CLA is closed');

  return {
    name: 'mtcp',

    async listen(host, port): Promise<Result<ClaListener>> {
      if (closed) return claClosed();
      // The listener only reads: MTCP is unidirectional, the node with the contact connects and writes.
      return sockets.listen(host, port, (socket) => {
        const remote = watchSocket(socket, 'mtcp', 'in', log);
        receiveMtcp(socket, { origin: { cla: 'mtcp', remote }, sink, log, maxFrameBytes });
      });
    },

    async connect(hostPort): Promise<Result<ClaLink>> {
      if (closed) return claClosed();
      const dialed = await sockets.dial(hostPort);
      if (!dialed.ok) return dialed;
      const socket = dialed.value;
      if (closed) {
        socket.destroy();
        return claClosed();
      }
      const remote = watchSocket(socket, 'mtcp', 'out', log);
      const conn = startMtcpConnection(socket, { origin: { cla: 'mtcp', remote }, sink, log, maxFrameBytes });
      return ok({
        cla: 'mtcp',
        address: `mtcp:${hostPort}`,
        send: conn.send,
        close: () => closeSocket(socket),
        closed: conn.closed,
      });
    },

    async close() {
      closed = true;
      await sockets.closeAll();
    },
  };
}
