/**
 * End-to-end throughput of two embedded BPAs in one process (not a test; numbers for the issue's
 * bpa.aap_mtcp_* figures and the report): one AAP v1 client sends stop-and-wait on earth, another receives
 * on mars, bundles go over a real MTCP connection, both stores are real (durability 'process').
 * Run: node bin/run-ts.js electron/bpa/measure-throughput.ts [payload bytes, default 1024] [count, default 3000]
 * Prints one JSON line: bundles/s, payload MB/s (10^6 bytes), peak RSS of the process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAapClient } from '../services/aap-client/client';
import type { AapClient } from '../services/aap-client/types';
import { resolveBpaConfig } from './config';
import { startBpa, type RunningBpa } from './start-bpa';

const size = Number(process.argv[2] ?? 1024);
const count = Number(process.argv[3] ?? 3000);

async function node(nodeId: string): Promise<{ readonly bpa: RunningBpa; readonly dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'farside-bpa-measure-'));
  const config = resolveBpaConfig({}, { nodeId, aap: ['tcp:127.0.0.1:0'], cla: ['mtcp:127.0.0.1:0'], store: { dir } }, Date.now());
  if (!config.ok) throw new Error(config.error.message);
  const running = await startBpa(config.value, { log: () => undefined });
  if (!running.ok) throw new Error(running.error.message);
  return { bpa: running.value, dir };
}

async function client(address: string): Promise<AapClient> {
  const [, host, port] = address.split(':') as [string, string, string];
  const c = createAapClient({ transport: { kind: 'tcp', host, port: Number(port) }, protocol: 'aap1', agentId: 'smtp', requestTimeoutMs: 30_000, reconnect: { initialMs: 50, maxMs: 500 }, log: () => undefined });
  const r = await c.connect();
  if (!r.ok) throw new Error(r.error.message);
  return c;
}

const earth = await node('dtn://earth.dtn/');
const mars = await node('dtn://mars.dtn/');
const now = Date.now();
const planned = earth.bpa.bpa.applyPlan([
  { command: 'add', nodeId: 'dtn://mars.dtn/', claAddress: mars.bpa.addresses.cla[0] as string, reachableEids: [], contacts: [{ start: now - 1000, end: now + 86_400_000, rateBytesPerSec: 4_000_000_000, owltMs: 0, reachableEids: [] }] },
]);
if (!planned.ok) throw new Error(planned.error.message);
const receiver = await client(mars.bpa.addresses.aap[0] as string);
const sender = await client(earth.bpa.addresses.aap[0] as string);
const payload = new Uint8Array(size).fill(0x41);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
const t0 = performance.now();
const received = (async () => {
  let n = 0;
  for await (const _bundle of receiver.bundles()) if (++n === count) return;
})();
for (let i = 0; i < count; i++) {
  const r = await sender.send('dtn://mars.dtn/smtp', payload);
  if (!r.ok) throw new Error(r.error.message);
}
await received;
const seconds = (performance.now() - t0) / 1000;
clearInterval(sampler);
console.log(JSON.stringify({ payloadBytes: size, bundles: count, seconds: +seconds.toFixed(3), bundlesPerSecond: Math.round(count / seconds), payloadMBps: +((count * size) / seconds / 1e6).toFixed(1), peakRssMiB: Math.round(peakRss / 1048576) }));
await sender.close();
await receiver.close();
await earth.bpa.stop();
await mars.bpa.stop();
rmSync(earth.dir, { recursive: true, force: true });
rmSync(mars.dir, { recursive: true, force: true });
