/**
 * Transport for AAP: parse the `tcp:HOST:PORT` / `unix:PATH` address form used on the command line, and
 * open a socket with a deadline. Sockets only move bytes; framing lives in shared/protocol (design.md
 * principle 2).
 */
import { createConnection, type Socket } from 'node:net';
import { err, ok, type Result } from '../../../shared/errors';
import type { AapTransport } from './types';

/**
 * `tcp:HOST:PORT` (an IPv6 host in brackets: `tcp:[::1]:4242`) or `unix:PATH`. uD3TN's own defaults
 * (protocols.md §4.1) are not guessed: the caller names the socket it means.
 */
export function parseAapAddress(text: string): Result<AapTransport> {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path.length === 0) return err('INVALID_ARGUMENT', `'${text}': unix: needs a socket path`);
    return ok({ kind: 'unix', path });
  }
  if (text.startsWith('tcp:')) {
    const m = /^tcp:(\[[0-9A-Fa-f:.]+\]|[^:[\]\s]+):([0-9]{1,5})$/.exec(text);
    const port = m ? Number(m[2]) : NaN;
    if (!m || !m[1] || port < 1 || port > 65535) {
      return err('INVALID_ARGUMENT', `'${text}' is not tcp:HOST:PORT (port 1..65535)`);
    }
    const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
    return ok({ kind: 'tcp', host, port });
  }
  return err('INVALID_ARGUMENT', `'${text}' is not tcp:HOST:PORT or unix:PATH`);
}

export function formatAapAddress(t: AapTransport): string {
  return t.kind === 'unix' ? `unix:${t.path}` : `tcp:${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

/** Open a connected socket or fail with CONNECTION_FAILED / TIMEOUT; never throws. */
export function openSocket(t: AapTransport, timeoutMs: number): Promise<Result<Socket>> {
  return new Promise((resolve) => {
    const socket = t.kind === 'unix' ? createConnection({ path: t.path }) : createConnection({ host: t.host, port: t.port });
    const timer = setTimeout(() => {
      cleanup();
      socket.destroy();
      resolve(err('TIMEOUT', `no connection to ${formatAapAddress(t)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (e: Error): void => {
      cleanup();
      socket.destroy();
      resolve(err('CONNECTION_FAILED', `cannot connect to ${formatAapAddress(t)}: ${e.message}`));
    };
    const onConnect = (): void => {
      cleanup();
      // Requests are small and strictly alternating (one in flight), so Nagle would only add latency.
      socket.setNoDelay(true);
      resolve(ok(socket));
    };
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('connect', onConnect);
    }
    socket.once('error', onError);
    socket.once('connect', onConnect);
  });
}
