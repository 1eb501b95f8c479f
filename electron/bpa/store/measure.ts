/**
 * Put+delete rate of the bundle store (not a test; numbers for blob-files.ts and the BPA's budget).
 * Run: node bin/run-ts.js electron/bpa/store/measure.ts [seconds per case, default 3]
 * Prints one JSON line per case: size, where the bytes go, durability, operations per second, MB/s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBundleStore } from './bundle-store';
import type { BundleStoreOptions } from './types';

const seconds = Number(process.argv[2] ?? 3);
const KiB = 1024;
const MiB = 1024 * KiB;

function measure(size: number, opts: Partial<BundleStoreOptions>, label: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'farside-store-measure-'));
  const opened = createBundleStore({ path: join(dir, 'bundles.db'), maxBytes: 4 * 1024 * MiB, maxBundles: 1_000_000, clock: Date.now, ...opts });
  if (!opened.ok) throw new Error(opened.error.message);
  const store = opened.value;
  const bytes = new Uint8Array(size).fill(0x5a);
  const expiresAt = Date.now() + 86_400_000;
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    const id = `dtn://earth.dtn/smtp 0 ${n}`;
    const r = store.put({ id, destination: 'dtn://mars.dtn/smtp', source: 'dtn://earth.dtn/smtp', createdAt: 0, expiresAt, state: 'forward', reportFlags: 0, bytes });
    if (!r.ok) throw new Error(r.error.message);
    store.delete(id);
    n++;
  }
  const s = (performance.now() - t0) / 1000;
  store.close();
  rmSync(dir, { recursive: true, force: true });
  const perSecond = n / s;
  console.log(JSON.stringify({ size, storage: label, durability: opts.durability ?? 'process', putDeletePerSecond: Math.round(perSecond), MBps: Math.round((perSecond * size) / 1e6) }));
}

for (const durability of ['process', 'power'] as const) {
  measure(KiB, { durability }, 'inline');
  measure(64 * KiB, { durability }, 'inline');
  measure(64 * KiB + 1, { durability }, 'file');
  measure(MiB, { durability }, 'file');
  measure(MiB, { durability, inlineMaxBytes: Number.POSITIVE_INFINITY }, 'inline');
}
