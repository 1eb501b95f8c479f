/**
 * `farside bpa` as a child process, the way the multi-process tests and the demo run it: the bpa.ready
 * line gives the bound ports; the echo agent answers over AAP v1; a contact configured through the config
 * agent (uD3TN's text format) is still there after a restart; SIGTERM stops it cleanly.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTestClient } from '../../bpa/test-support/agent';

const FARSIDE = fileURLToPath(new URL('../../../bin/farside.js', import.meta.url));

interface Child {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly lines: Record<string, unknown>[];
  readonly ready: Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
  waitFor(event: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function farsideBpa(args: string[]): Child {
  const proc = spawn(process.execPath, [FARSIDE, 'bpa', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  const waiters: { event: string; resolve: (l: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]?.event === line['event']) waiters.splice(i, 1)[0]?.resolve(line);
    }
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const waitFor = (event: string, timeoutMs = 20_000): Promise<Record<string, unknown>> => {
    const seen = lines.find((l) => l['event'] === event);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} from farside bpa; stderr: ${stderr}`)), timeoutMs);
      waiters.push({ event, resolve: (l) => (clearTimeout(timer), resolve(l)) });
      void exited.then(() => setTimeout(() => reject(new Error(`farside bpa exited before ${event}; stderr: ${stderr}`)), 50));
    });
  };
  cleanups.push(async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGKILL');
      await exited;
    }
  });
  const ready = waitFor('bpa.ready');
  // A child that is meant to fail (bad config) never becomes ready and nobody awaits `ready`: mark the
  // rejection handled here so it is not an unhandled rejection; awaiting it still rejects.
  ready.catch(() => undefined);
  return { proc, lines, ready, exited, waitFor };
}


function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'farside-cli-bpa-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('farside bpa (child process)', () => {
  it('prints its bound ports, answers over AAP v1 (echo agent), keeps a configured contact across a restart, stops on SIGTERM', async () => {
    const dir = tempDir();
    const args = ['--node-id', 'dtn://earth.dtn', '--aap', 'tcp:127.0.0.1:0', '--cla', 'mtcp:127.0.0.1:0', '--store', dir];
    const first = farsideBpa(args);
    const ready = await first.ready;
    expect(ready).toMatchObject({ event: 'bpa.ready', nodeId: 'dtn://earth.dtn/', store: dir });
    const [aap] = ready['aap'] as string[];
    expect(aap).toMatch(/^tcp:127\.0\.0\.1:[1-9][0-9]*$/);
    expect((ready['cla'] as string[])[0]).toMatch(/^mtcp:127\.0\.0\.1:[1-9][0-9]*$/);

    const c = await connectTestClient(aap as string, 'pipe', (f) => cleanups.push(f));
    const sent = await c.send('dtn://earth.dtn/echo', new TextEncoder().encode('ping'));
    expect(sent.ok).toBe(true);
    const echoed = await c.bundles().next();
    expect(echoed.done !== true && echoed.value).toMatchObject({ source: 'dtn://earth.dtn/echo' });
    await first.waitFor('bundle.delivered');

    const contact = await c.addContact({ node: 'dtn://mars.dtn/', cla: 'mtcp:127.0.0.1:9', start: Date.now(), end: Date.now() + 3_600_000, rateBytesPerSec: 1000 });
    expect(contact.ok).toBe(true);
    await first.waitFor('plan.changed');
    await c.close();

    first.proc.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.lines.map((l) => l['event'])).toContain('bpa.exit');

    const second = farsideBpa(args);
    await second.ready;
    expect(await second.waitFor('bpa.started')).toMatchObject({ contacts: 1 });
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 60_000);

  it('reads a config file, flags override it, and says clearly what is wrong', async () => {
    const dir = tempDir();
    const config = join(dir, 'bpa.json');
    writeFileSync(config, JSON.stringify({ nodeId: 'ipn:7.0', cla: ['mtcp:127.0.0.1:0'], store: { dir: join(dir, 'store') }, statusReports: true }));
    const ok = farsideBpa(['--config', config, '--node-id', 'ipn:8.0']);
    expect(await ok.ready).toMatchObject({ nodeId: 'ipn:8.0', aap: [] });
    expect(await ok.waitFor('bpa.started')).toMatchObject({ statusReports: true });
    ok.proc.kill('SIGTERM');
    expect(await ok.exited).toBe(0);

    writeFileSync(config, JSON.stringify({ nodeId: 'ipn:7.0', nodes: [{ nodeId: 'ipn:9.0', claAddress: 'mtcp:h:1', contacts: [{ start: 5, end: 1, rateBytesPerSec: 1 }] }] }));
    const bad = farsideBpa(['--config', config]);
    let stderr = '';
    bad.proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await bad.exited).toBe(2);
    expect(stderr).toMatch(/nodes\[0\]\.contacts\[0\]\.end: must be after start/);
  }, 60_000);
});
