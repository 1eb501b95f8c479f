/** Start an AAP server on a free TCP port or a fresh UNIX socket path, for the integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Listeners } from '../listeners';
import { connectRaw, type RawClient, type RawTarget } from './raw-client';

export type Transport = 'tcp' | 'unix';

export async function listenOn(server: Listeners, transport: Transport): Promise<{ target: RawTarget; cleanup(): Promise<void> }> {
  if (transport === 'tcp') {
    const r = await server.listenTcp('127.0.0.1', 0);
    if (!r.ok) throw new Error(r.error.message);
    const port = Number(r.value.address.slice(r.value.address.lastIndexOf(':') + 1));
    return { target: { host: '127.0.0.1', port }, cleanup: () => server.close() };
  }
  const dir = mkdtempSync(join(tmpdir(), 'farside-aap-'));
  const path = join(dir, 'aap.socket');
  const r = await server.listenUnix(path);
  if (!r.ok) throw new Error(r.error.message);
  return {
    target: { path },
    cleanup: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * listenOn, plus raw clients connected to it: the cleanup handed to `defer` (the test's cleanups) ends
 * every client connected so far, then closes the server.
 */
export async function serveRaw(
  server: Listeners,
  transport: Transport,
  defer: (cleanup: () => Promise<void>) => void,
): Promise<{ target: RawTarget; connect(): Promise<RawClient> }> {
  const { target, cleanup } = await listenOn(server, transport);
  const clients: RawClient[] = [];
  defer(async () => {
    clients.forEach((c) => c.end());
    await cleanup();
  });
  return {
    target,
    async connect() {
      const c = await connectRaw(target);
      clients.push(c);
      return c;
    },
  };
}
