/**
 * The prebuilt bundle `farside bpa` runs from (bin/prebuilt.js): built when missing, reused while no
 * source file is newer, built again when one is; null (so bin/farside.js falls back to tsx) when it
 * cannot be built. And `farside bpa` really runs without the TypeScript loader: an idle node stays far
 * below the ~147 MiB it took through tsx.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { prebuiltBpa } from '../../bin/prebuilt.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FARSIDE = join(ROOT, 'bin', 'farside.js');
const dir = mkdtempSync(join(tmpdir(), 'farside-prebuilt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bin/prebuilt.js', () => {
  it('builds the bundle once, reuses it, and builds it again when a source file is newer', async () => {
    const outDir = join(dir, 'out');
    const url = await prebuiltBpa({ outDir });
    const bundle = join(outDir, 'farside-bpa.mjs');
    expect(url).toBe(`file://${bundle}`);
    const inputs: unknown = JSON.parse(readFileSync(join(outDir, 'farside-bpa.inputs.json'), 'utf8'));
    expect(inputs).toEqual(expect.arrayContaining(['electron/cli/bpa-main.ts', 'electron/bpa/bpa.ts', 'electron/bpa/store/bundle-store.ts']));
    const mod: unknown = await import(bundle);
    expect(typeof (mod as { main?: unknown }).main).toBe('function');

    // Made "an hour ago": older than every source file, so the next call must build it again.
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(bundle, past, past);
    const before = statSync(bundle).mtimeMs;
    expect(await prebuiltBpa({ outDir })).toBe(url);
    const rebuilt = statSync(bundle).mtimeMs;
    expect(rebuilt).toBeGreaterThan(before);
    expect(await prebuiltBpa({ outDir })).toBe(url);
    expect(statSync(bundle).mtimeMs).toBe(rebuilt);
  });

  it('answers null when the bundle cannot be built (here: no sources)', async () => {
    const root = join(dir, 'empty');
    expect(await prebuiltBpa({ root, outDir: join(root, 'out') })).toBeNull();
    expect(existsSync(join(root, 'out', 'farside-bpa.mjs'))).toBe(false);
  });

  it('farside bpa runs from the bundle: an idle node is well below the memory the TypeScript loader takes', async () => {
    const child = spawn(process.execPath, [FARSIDE, 'bpa', '--node-id', 'dtn://prebuilt.dtn/', '--aap', 'tcp:127.0.0.1:0', '--store', join(dir, 'store')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no bpa.ready: ${out}`)), 30_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"bpa.ready"')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const status = readFileSync(`/proc/${String(child.pid)}/status`, 'utf8');
      const rssKiB = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
      // Measured on this project's machine: 76 MiB from the bundle, 147 MiB through tsx.
      expect(rssKiB / 1024).toBeLessThan(115);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
