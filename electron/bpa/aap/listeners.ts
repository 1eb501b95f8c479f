/**
 * TCP and UNIX-socket listeners shared by the AAP v1 and AAP 2.0 servers. uD3TN serves both protocols on
 * either transport with the same framing (protocols.md §4.1, §5.1), so the servers only supply a
 * per-connection handler; this file owns binding, the set of live sockets and a clean close.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { lstat, unlink } from 'node:fs/promises';
import { err, ok, type Result } from '../../../shared/errors';
import type { Log } from '../types';

export interface AapListener {
  /** "host:port" actually bound (port 0 resolves to the real port), or "unix:PATH". */
  readonly address: string;
  close(): Promise<void>;
}

export interface Listeners {
  listenTcp(host: string, port: number): Promise<Result<AapListener>>;
  listenUnix(path: string): Promise<Result<AapListener>>;
  /** Stop every listener and destroy every live connection. */
  close(): Promise<void>;
}

export function createListeners(protocol: 'aap' | 'aap2', onConnection: (socket: Socket) => void, log: Log): Listeners {
  const servers = new Set<Server>();
  const sockets = new Set<Socket>();
  let closed = false;

  function accept(socket: Socket): void {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Small replies (ACK, SENDCONFIRM, AAPResponse) must leave at once: a client waits for each one.
    socket.setNoDelay(true);
    onConnection(socket);
  }

  function bind(target: { host: string; port: number } | { path: string }, label: string): Promise<Result<AapListener>> {
    if (closed) return Promise.resolve(err('CONNECTION_CLOSED', `${protocol} server is closed`));
    const server = createServer(accept);
    return new Promise((resolve) => {
      const onError = (e: Error): void => {
        resolve(err('IO_ERROR', `${protocol} cannot listen on ${label}: ${e.message}`));
      };
      server.once('error', onError);
      const onListening = (): void => {
        server.off('error', onError);
        server.on('error', (e) => log({ event: `${protocol}.listener_error`, address: label, message: e.message }));
        servers.add(server);
        const bound = server.address();
        const address = typeof bound === 'object' && bound !== null ? `${bound.address}:${bound.port}` : `unix:${label}`;
        log({ event: `${protocol}.listening`, address });
        resolve(
          ok({
            address,
            close: () => closeServer(server),
          }),
        );
      };
      if ('path' in target) server.listen(target.path, onListening);
      else server.listen(target.port, target.host, onListening);
    });
  }

  function closeServer(server: Server): Promise<void> {
    servers.delete(server);
    return new Promise((resolve) => server.close(() => resolve()));
  }

  return {
    listenTcp: (host, port) => bind({ host, port }, `${host}:${port}`),
    async listenUnix(path) {
      // A killed BPA leaves its socket file behind and bind() would fail with EADDRINUSE: replace a stale
      // socket file, never anything else.
      const stale = await lstat(path).then(
        (s) => s.isSocket(),
        () => false,
      );
      if (stale) await unlink(path).catch(() => undefined);
      return bind({ path }, path);
    },
    async close() {
      closed = true;
      const pending = [...servers].map(closeServer);
      for (const socket of sockets) socket.destroy();
      await Promise.all(pending);
    },
  };
}
