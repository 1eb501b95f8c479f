/**
 * Durability across kill -9 (issue 3: "a bundle confirmed by SENDCONFIRM or received on a CLA survives
 * kill -9"): a child process puts bundles in a loop and prints each id once put() returned; the test
 * kills it with SIGKILL mid-stream, three times into the same store, then reopens the store and checks
 * that every printed id is there with its bytes intact.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createBundleStore } from './bundle-store';
import { loopBundleBytes, loopBundleSize } from './test-support/loop-bundles';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..', '..');
const child = join(here, 'test-support', 'put-loop.ts');
const dir = mkdtempSync(join(tmpdir(), 'farside-store-kill-'));
const dbPath = join(dir, 'bundles.db');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the put loop until `printed` ids were confirmed, then SIGKILL it; resolves with the confirmed ids. */
function putUntilKilled(round: number, printed: number): Promise<string[]> {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx/esm', child, dbPath, String(round)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const ids: string[] = [];
    let partial = '';
    let stderr = '';
    let killed = false;
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      ids.push(...lines);
      if (!killed && ids.length >= printed) {
        killed = true;
        proc.kill('SIGKILL');
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise(ids);
      else reject(new Error(`put loop exited with ${code}: ${stderr}`));
    });
  });
}

describe('bundle store durability', () => {
  it('every bundle whose put() returned survives SIGKILL of the process', async () => {
    const confirmed: string[] = [];
    for (const [round, count] of [[0, 150], [1, 301], [2, 77]] as const) confirmed.push(...(await putUntilKilled(round, count)));
    expect(confirmed.length).toBeGreaterThanOrEqual(150 + 301 + 77);

    const opened = createBundleStore({ path: dbPath, maxBytes: 8 * 1024 ** 3, maxBundles: 1_000_000, clock: Date.now });
    if (!opened.ok) throw new Error(opened.error.message);
    const store = opened.value;
    try {
      expect(store.recovery.rowsWithoutFile).toEqual([]);
      for (const id of confirmed) {
        const index = Number(id.split(' ').pop());
        const got = store.get(id);
        expect(got.ok, id).toBe(true);
        if (!got.ok) continue;
        expect(got.value.size).toBe(loopBundleSize(index));
        expect(Buffer.compare(got.value.bytes, loopBundleBytes(id, loopBundleSize(index))), id).toBe(0);
      }
      // At most one bundle per round was stored but not yet confirmed when the kill came.
      expect(store.usage().bundles - confirmed.length).toBeGreaterThanOrEqual(0);
      expect(store.usage().bundles - confirmed.length).toBeLessThanOrEqual(3);
    } finally {
      store.close();
    }
  });
});
