/**
 * Put+delete rate of the bundle store (not a test; numbers for blob-files.ts and the BPA's budget).
 * Run: node bin/run-ts.js electron/bpa/store/measure.ts [seconds per case, default 3] [process|power|all, default all]
 * Prints one JSON line per case: size, where the bytes go, durability, how many puts back the delete
 * comes, operations per second, CPU time per put+delete (steadier than the rate on a shared machine), MB/s.
 * The BPA's two patterns: a sender deletes 2 s after the write (contact-session.ts: thousands of bundles
 * back, batched); a receiver right after the agent took the bundle, committed with the next put
 * (`withNextWrite`, delivery.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundleStore } from './bundle-store';
import type { BundleStoreOptions } from './types';

const seconds = Number(process.argv[2] ?? 3);
const only = process.argv[3] ?? 'all';
const KiB = 1024;
const MiB = 1024 * KiB;

function measure(size: number, opts: Partial<BundleStoreOptions>, label: string, lag: number, withNextWrite = false): void {
  const dir = mkdtempSync(join(tmpdir(), 'farside-store-measure-'));
  const opened = createBundleStore({ path: join(dir, 'bundles.db'), maxBytes: 64 * 1024 * MiB, maxBundles: 1_000_000, clock: Date.now, ...opts });
  if (!opened.ok) throw new Error(opened.error.message);
  const store = opened.value;
  const bytes = new Uint8Array(size).fill(0x5a);
  const expiresAt = Date.now() + 86_400_000;
  const idOf = (n: number): string => `dtn://earth.dtn/smtp ${expiresAt} ${n}`;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const r = store.put({ id: idOf(n), destination: 'dtn://mars.dtn/smtp', source: 'dtn://earth.dtn/smtp', createdAt: 0, expiresAt, state: 'forward', reportFlags: 0, bytes });
    if (!r.ok) throw new Error(r.error.message);
    if (n >= lag) store.delete(idOf(n - lag), { withNextWrite });
    n++;
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const perSecond = n / s;
  console.log(JSON.stringify({ size, storage: label, durability: opts.durability ?? 'process', lag, withNextWrite, putDeletePerSecond: Math.round(perSecond), cpuUsPerPutDelete: Math.round((cpu.user + cpu.system) / n), MBps: Math.round((perSecond * size) / 1e6) }));
}

for (const durability of ['process', 'power'] as const) {
  if (only !== 'all' && only !== durability) continue;
  measure(KiB, { durability }, 'inline', 0, true);
  measure(KiB, { durability }, 'inline', 5000);
  measure(64 * KiB, { durability }, 'inline', 0);
  measure(64 * KiB + 1, { durability }, 'file', 0);
  measure(MiB, { durability }, 'file', 0, true);
  measure(MiB, { durability }, 'file', 20);
  measure(MiB, { durability, inlineMaxBytes: Number.POSITIVE_INFINITY }, 'inline', 0);
}
