/**
 * The TCP plumbing every CLA shares: dialing, listening, tracking open sockets so close() can end them
 * all, and the one log line per connection event. Protocol logic stays in the CLA files.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import type { ClaName, Log } from '../types';
import { formatHostPort, parseHostPort } from './tcp-address';

/** How long connect() waits for the TCP handshake before it gives up. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How long a graceful close waits for the peer's FIN before the socket is destroyed. */
export const CLOSE_GRACE_MS = 2_000;

/** "host:port" of the peer, for logs and ClaOrigin.remote. */
export function remoteOf(socket: Socket): string {
  const host = socket.remoteAddress;
  const port = socket.remotePort;
  return host === undefined || port === undefined ? 'unknown' : formatHostPort(host, port);
}

/** The set of a CLA's open sockets: close() ends them all (types.ts, Cla.close: "Close every listener and link"). */
export class SocketSet {
  private readonly sockets = new Set<Socket>();

  add(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  get size(): number {
    return this.sockets.size;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.sockets].map((s) => closeSocket(s, 0)));
  }
}

/**
 * End the socket (FIN after queued writes) and resolve on 'close'; destroy it if the peer has not
 * closed within `graceMs` (0: destroy at once).
 */
export function closeSocket(socket: Socket, graceMs: number = CLOSE_GRACE_MS): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = graceMs > 0 ? setTimeout(() => socket.destroy(), graceMs) : undefined;
    socket.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    });
    if (graceMs > 0) socket.end();
    else socket.destroy();
  });
}

/**
 * Attach the handlers every CLA socket needs: Nagle off (uD3TN sets TCP_NODELAY on accepted sockets,
 * `cla_tcp_accept_from_socket`), an 'error' listener so a reset never becomes an uncaught exception,
 * and the connected/disconnected log lines.
 */
export function watchSocket(socket: Socket, cla: ClaName, direction: 'in' | 'out', log: Log): string {
  const remote = remoteOf(socket);
  socket.setNoDelay(true);
  let lastError: string | undefined;
  socket.on('error', (e: Error) => {
    lastError = errorCodeOf(e);
  });
  socket.once('close', () => {
    log({ event: 'cla.disconnected', cla, remote, direction, error: lastError });
  });
  log({ event: 'cla.connected', cla, remote, direction });
  return remote;
}

/** Open a TCP connection to "host:port" (the part of a CLA address after "<cla>:"). */
export function dialTcp(hostPort: string, timeoutMs: number = DEFAULT_CONNECT_TIMEOUT_MS): Promise<Result<Socket>> {
  const target = parseHostPort(hostPort);
  if (!target.ok) return Promise.resolve(target);
  return new Promise((resolve) => {
    const socket = createConnection({ host: target.value.host, port: target.value.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(err('TIMEOUT', `connecting to ${hostPort} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      resolve(err('CONNECTION_FAILED', `connecting to ${hostPort} failed: ${errorCodeOf(e)}`));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(ok(socket));
    });
  });
}

export interface TcpServer {
  /** "host:port" actually bound. */
  readonly address: string;
  /** Stop accepting and end every socket this server accepted. */
  close(): Promise<void>;
}

/**
 * Listen on host:port and hand each accepted socket (already tracked in `sockets`) to `onConnection`.
 * A throwing handler destroys that socket only: the listener keeps serving.
 */
export function listenTcp(
  cla: ClaName,
  host: string,
  port: number,
  log: Log,
  onConnection: (socket: Socket) => void,
): Promise<Result<TcpServer>> {
  const sockets = new SocketSet();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    try {
      onConnection(socket);
    } catch (e) {
      log({ event: 'cla.handler_failed', cla, remote: remoteOf(socket), error: errorCodeOf(e) });
      socket.destroy();
    }
  });
  return new Promise((resolve) => {
    const onError = (e: Error): void => {
      resolve(err('IO_ERROR', `cannot listen on ${formatHostPort(host, port)}: ${errorCodeOf(e)}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      // Errors after bind (e.g. EMFILE on accept) are logged; Node keeps the server listening.
      server.on('error', (e: Error) => log({ event: 'cla.listener_error', cla, error: errorCodeOf(e) }));
      const bound = server.address();
      const address = bound !== null && typeof bound === 'object' ? formatHostPort(bound.address, bound.port) : formatHostPort(host, port);
      log({ event: 'cla.listening', cla, address });
      let closing: Promise<void> | null = null;
      resolve(
        ok({
          address,
          close() {
            closing ??= new Promise<void>((done) => {
              server.close(() => done());
              void sockets.closeAll();
            }).then(() => log({ event: 'cla.listener_closed', cla, address }));
            return closing;
          },
        }),
      );
    });
  });
}

/** A short, payload-free description of a thrown value for logs (the errno code when there is one). */
export function errorCodeOf(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as Error & { code?: unknown }).code;
    return typeof code === 'string' ? code : e.message;
  }
  return String(e);
}
