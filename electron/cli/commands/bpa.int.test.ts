/**
 * `farside bpa` as a child process, the way the multi-process tests and the demo run it: the bpa.ready
 * line gives the bound ports; the echo agent answers over AAP v1; a contact configured through the config
 * agent (uD3TN's text format) is still there after a restart; SIGTERM stops it cleanly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTestClient } from '../../bpa/test-support/agent';
import { spawnFarsideChild, type FarsideChild } from '../../test-support/farside-child';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** `farside bpa ARGS`, killed after the test unless it stopped by then. */
function farsideBpa(args: readonly string[]): FarsideChild {
  const child = spawnFarsideChild({ args: ['bpa', ...args] });
  cleanups.push(() => child.kill());
  return child;
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
    const ready = await first.waitFor('bpa.ready');
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

    expect(await first.stop()).toBe(0);
    expect(first.lines.map((l) => l['event'])).toContain('bpa.exit');
    expect(first.otherLines).toEqual([]);

    const second = farsideBpa(args);
    await second.waitFor('bpa.ready');
    expect(await second.waitFor('bpa.started')).toMatchObject({ contacts: 1 });
    expect(await second.stop()).toBe(0);
  }, 60_000);

  it('reads a config file, flags override it, and says clearly what is wrong', async () => {
    const dir = tempDir();
    const config = join(dir, 'bpa.json');
    writeFileSync(config, JSON.stringify({ nodeId: 'ipn:7.0', cla: ['mtcp:127.0.0.1:0'], store: { dir: join(dir, 'store') }, statusReports: true }));
    const ok = farsideBpa(['--config', config, '--node-id', 'ipn:8.0']);
    expect(await ok.waitFor('bpa.ready')).toMatchObject({ nodeId: 'ipn:8.0', aap: [] });
    expect(await ok.waitFor('bpa.started')).toMatchObject({ statusReports: true });
    expect(await ok.stop()).toBe(0);

    writeFileSync(config, JSON.stringify({ nodeId: 'ipn:7.0', nodes: [{ nodeId: 'ipn:9.0', claAddress: 'mtcp:h:1', contacts: [{ start: 5, end: 1, rateBytesPerSec: 1 }] }] }));
    const bad = farsideBpa(['--config', config]);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/nodes\[0\]\.contacts\[0\]\.end: must be after start/);
  }, 60_000);
});
