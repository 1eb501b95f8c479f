/**
 * A whole embedded BPA from a checked configuration (config.ts): the durable store, the three CLAs
 * (every one can open links; listeners only where configured), the bundle processor, the echo and config
 * agents, and the AAP v1 and AAP 2.0 servers. Used by `farside bpa` and by tests that need real sockets. Anything that
 * fails to start undoes what was started before it.
 *
 * stop() is the clean shutdown (SIGTERM): the AAP servers stop taking requests, the agents deregister, the
 * processor stops its timers and links, the CLAs close their listeners and connections, and the store
 * closes. Bundles not yet sent or delivered stay in the store for the next start.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { err, ok, type Result } from '../../shared/errors';
import { createAapServer } from './aap/aap-server';
import { createAap2Server } from './aap/aap2-server';
import type { Listeners } from './aap/listeners';
import { startBuiltinAgents } from './agents';
import { createBpa, type Bpa } from './bpa';
import { createMtcpCla } from './cla/mtcp-cla';
import { createSmtcpCla } from './cla/smtcp-cla';
import { createTcpclv3Cla } from './cla/tcpclv3-cla';
import type { BpaConfig } from './config';
import { createBundleStore } from './store/bundle-store';
import type { BundleStore } from './store/types';
import type { BundleSink, Cla, Clock, Log } from './types';

export interface RunningBpa {
  readonly bpa: Bpa;
  readonly store: BundleStore;
  /** What was bound: AAP v1 and 2.0 as "tcp:HOST:PORT" / "unix:PATH", CLAs as "<cla>:HOST:PORT" (real ports). */
  readonly addresses: { readonly aap: readonly string[]; readonly aap2: readonly string[]; readonly cla: readonly string[] };
  stop(): Promise<void>;
}

export interface StartBpaDeps {
  readonly log: Log;
  readonly clock?: Clock;
}

/** The SQLite file inside the store directory. */
export const STORE_FILE = 'bundles.sqlite';

function tcpAddress(bound: string): string {
  return bound.startsWith('unix:') ? bound : `tcp:${bound}`;
}

export async function startBpa(config: BpaConfig, deps: StartBpaDeps): Promise<Result<RunningBpa>> {
  const { log } = deps;
  const clock = deps.clock ?? Date.now;
  const undo: (() => Promise<void> | void)[] = [];
  const fail = async <T>(r: Result<T> & { ok: false }): Promise<Result<never>> => {
    while (undo.length > 0) await undo.pop()?.();
    return r;
  };

  try {
    mkdirSync(config.store.dir, { recursive: true });
  } catch (e) {
    return err('IO_ERROR', `cannot create the store directory ${config.store.dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const storeR = createBundleStore({
    path: join(config.store.dir, STORE_FILE),
    maxBytes: config.store.maxBytes,
    maxBundles: config.store.maxBundles,
    durability: config.store.durability,
    clock,
  });
  if (!storeR.ok) return storeR;
  const store = storeR.value;
  undo.push(() => store.close());
  if (store.recovery.orphanFilesRemoved > 0 || store.recovery.rowsWithoutFile.length > 0) {
    log({ event: 'store.recovered', orphanFilesRemoved: store.recovery.orphanFilesRemoved, rowsWithoutFile: store.recovery.rowsWithoutFile.length });
  }

  // The CLAs need the sink at construction and the processor needs the CLAs: the sink forwards.
  let sink: BundleSink = () => undefined;
  const forward: BundleSink = (bytes, origin) => sink(bytes, origin);
  const clas: Cla[] = [
    createMtcpCla({ sink: forward, log }),
    createSmtcpCla({ sink: forward, log }),
    createTcpclv3Cla({ sink: forward, log, localNodeId: config.nodeId, clock }),
  ];
  undo.push(async () => {
    await Promise.all(clas.map((c) => c.close()));
  });

  const bpaR = createBpa({
    nodeId: config.nodeId,
    store,
    clas,
    clock,
    log,
    options: {
      lifetimeMs: config.lifetimeMs,
      ...(config.maxBundleSize === undefined ? {} : { maxBundleSize: config.maxBundleSize }),
      statusReports: config.statusReports,
      stateDir: config.store.dir,
      plan: config.plan,
    },
  });
  if (!bpaR.ok) return fail(bpaR);
  const bpa = bpaR.value;
  sink = bpa.sink;
  undo.push(() => bpa.stop());

  const agents = startBuiltinAgents({ host: bpa, log, allowRemoteConfig: config.allowRemoteConfig, configure: (commands, source) => bpa.configure(commands, source) });
  if (!agents.ok) return fail(agents);
  undo.push(() => agents.value.stop());

  const claAddresses: string[] = [];
  for (const l of config.cla) {
    const cla = clas.find((c) => c.name === l.cla);
    const r = cla === undefined ? err('UNSUPPORTED', `no ${l.cla} CLA`) : await cla.listen(l.host, l.port);
    if (!r.ok) return fail(err(r.error.code, `cla ${l.cla}:${l.host}:${l.port}: ${r.error.message}`));
    claAddresses.push(`${l.cla}:${r.value.address}`);
  }

  const servers: Listeners[] = [];
  const bind = async (listen: BpaConfig['aap'], make: () => Listeners): Promise<Result<string[]>> => {
    const bound: string[] = [];
    if (listen.length === 0) return ok(bound);
    const server = make();
    servers.push(server);
    undo.push(() => server.close());
    for (const l of listen) {
      const r = l.kind === 'tcp' ? await server.listenTcp(l.host, l.port) : await server.listenUnix(l.path);
      if (!r.ok) return r;
      bound.push(tcpAddress(r.value.address));
    }
    return ok(bound);
  };
  const aapAddresses = await bind(config.aap, () => createAapServer({ host: bpa, log }));
  if (!aapAddresses.ok) return fail(aapAddresses);
  const aap2Addresses = await bind(config.aap2, () => createAap2Server({ host: bpa, log }));
  if (!aap2Addresses.ok) return fail(aap2Addresses);

  let stopped = false;
  return ok({
    bpa,
    store,
    addresses: { aap: aapAddresses.value, aap2: aap2Addresses.value, cla: claAddresses },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(servers.map((s) => s.close()));
      agents.value.stop();
      await bpa.stop();
      await Promise.all(clas.map((c) => c.close()));
      try {
        store.close();
      } catch (e) {
        log({ event: 'store.close_failed', error: e instanceof Error ? e.message : String(e) });
      }
    },
  });
}

