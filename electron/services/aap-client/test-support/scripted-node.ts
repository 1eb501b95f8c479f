/**
 * A scripted AAP node for the client's tests, on real sockets (TCP or UNIX). It writes the bytes a real
 * uD3TN v0.13 wrote (../shared/vectors/ud3tn, read by the tests and handed in) and reproduces the
 * quirks a client must survive (ud3tn-behaviour.md §0, §5, §6):
 *
 * - AAP v1: at most ONE message parsed per socket read; leftover bytes wait for the next read.
 * - AAP v1: no reply to SENDBUNDLE before REGISTER; no reply to garbage (one byte dropped, as uD3TN).
 * - RECVBUNDLE may be written at any moment (`push`), also right before a reply (`beforeReply`).
 * - the connection can be dropped at any point (`drop`), mid-message included.
 *
 * Protocol-specific behaviour is supplied by the test as a handler; this file only owns sockets, the
 * one-message-per-read pacing and the record of what the client wrote.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AapTransport } from '../types';

export interface NodeConnection {
  /** 0 for the first connection the node accepted, 1 for the next, … */
  readonly index: number;
  /** Every byte the client wrote on this connection, in order. */
  readonly received: () => Uint8Array;
  write(bytes: Uint8Array): void;
  /** Close the socket now (a crash, a restart, a dropped link). */
  drop(): void;
  readonly isOpen: () => boolean;
  /** Protocol state kept by the handler (registered agent, role, …). */
  state: Record<string, unknown>;
}

/** Called for each socket read; returns false to leave the bytes unparsed (waiting for more). */
export interface NodeBehaviour {
  /** Bytes the node writes on accept (WELCOME, or 0x2F + Welcome). */
  readonly greeting: Uint8Array;
  /** One socket read's worth of client bytes arrived (already appended to the connection's record). */
  onRead(conn: NodeConnection, chunk: Uint8Array): void;
}

export interface ScriptedNode {
  readonly transport: AapTransport;
  readonly connections: readonly NodeConnection[];
  /** Resolves when the node has accepted `count` connections in total. */
  waitForConnections(count: number, timeoutMs?: number): Promise<NodeConnection>;
  /** Stop listening and drop every connection; keepDir keeps a temp socket directory for a restart in place. */
  close(opts?: { keepDir?: boolean }): Promise<void>;
}

/** Listen on a fresh loopback port / temp socket path, or on `where` exactly (a node restarting in place). */
export async function startScriptedNode(where: 'tcp' | 'unix' | AapTransport, behaviour: NodeBehaviour): Promise<ScriptedNode> {
  const connections: NodeConnection[] = [];
  const sockets = new Set<Socket>();
  const waiters: { count: number; resolve: (c: NodeConnection) => void }[] = [];
  const dir = where === 'unix' ? mkdtempSync(join(tmpdir(), 'farside-aap-')) : null;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const parts: Uint8Array[] = [];
    let open = true;
    const conn: NodeConnection = {
      index: connections.length,
      received: () => Uint8Array.from(Buffer.concat(parts)),
      write: (bytes) => {
        if (open) socket.write(bytes);
      },
      drop: () => {
        open = false;
        socket.destroy();
      },
      isOpen: () => open,
      state: {},
    };
    connections.push(conn);
    socket.on('data', (chunk: Buffer) => {
      const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      parts.push(bytes);
      behaviour.onRead(conn, bytes);
    });
    socket.on('close', () => {
      open = false;
      sockets.delete(socket);
    });
    socket.on('error', () => undefined);
    socket.write(behaviour.greeting);
    for (const w of waiters.splice(0)) {
      if (connections.length >= w.count) w.resolve(connections[w.count - 1] as NodeConnection);
      else waiters.push(w);
    }
  });

  const transport: AapTransport = await new Promise((resolve, reject) => {
    server.once('error', reject);
    if (typeof where === 'object') {
      if (where.kind === 'unix') server.listen(where.path, () => resolve(where));
      else server.listen(where.port, where.host, () => resolve(where));
    } else if (dir) {
      const path = join(dir, 'aap.socket');
      server.listen(path, () => resolve({ kind: 'unix', path }));
    } else {
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        if (a && typeof a === 'object') resolve({ kind: 'tcp', host: '127.0.0.1', port: a.port });
        else reject(new Error('no TCP address'));
      });
    }
  });

  return {
    transport,
    connections,
    waitForConnections(count: number, timeoutMs = 5000): Promise<NodeConnection> {
      const have = connections[count - 1];
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`node saw ${connections.length} connections, wanted ${count}`)), timeoutMs);
        waiters.push({
          count,
          resolve: (c) => {
            clearTimeout(t);
            resolve(c);
          },
        });
      });
    },
    async close(opts?: { keepDir?: boolean }): Promise<void> {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir && !opts?.keepDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
