/**
 * `farside gateway` as a child process, the way the demo and an operator run it: config errors name their
 * JSON path; the gateway.ready line gives the bound ports; one JSON line per message event; metrics on
 * loopback; SIGTERM stops it cleanly (exit 0). The node is an embedded BPA in the test process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ascii } from '../../../shared/test-support/vectors';
import { startFarsideBpa } from '../../bpa/test-support/farside-bpa';
import { createAapClient } from '../../services/aap-client/client';
import { openSmtpSession } from '../../services/smtp/smtp-client';
import { spawnFarsideChild, type FarsideChild } from '../../test-support/farside-child';

const FARSIDE = fileURLToPath(new URL('../../../bin/farside.js', import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'farside-cli-gw-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function configFile(dir: string, config: unknown): string {
  const path = join(dir, 'gateway.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function baseConfig(aap: string, mtaPort: number) {
  return {
    node: { aap, protocol: 'aap1', reconnect: { initialMs: 50, maxMs: 300 } },
    mta: { host: '127.0.0.1', port: mtaPort },
    listen: { host: '127.0.0.1', port: 0 },
    routes: [{ domain: 'mars.example', eid: 'dtn://earth.dtn/sink' }],
    localDomains: ['earth.example'],
    authorisedSources: ['dtn://mars.dtn/email'],
    store: { dir: 'state' },
    metrics: { host: '127.0.0.1', port: 0 },
  };
}

function httpGet(address: string, path: string): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    request({ host, port: Number(port), path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

/** `farside gateway ARGS`, killed after the test unless it stopped by then. */
function farsideGateway(args: readonly string[]): FarsideChild {
  const child = spawnFarsideChild({ args: ['gateway', ...args] });
  cleanups.push(() => child.kill());
  return child;
}

describe('farside gateway', () => {
  it('refuses a missing --config (usage, 2) and an invalid file naming the JSON path (1)', () => {
    const usage = spawnSync(process.execPath, [FARSIDE, 'gateway'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--config FILE is required/);
    const dir = tempDir();
    const bad = configFile(dir, { ...baseConfig('tcp:127.0.0.1:4242', 25), routes: [{ domain: 'mars.example', eid: 'mars' }] });
    const r = spawnSync(process.execPath, [FARSIDE, 'gateway', '--config', bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/CONFIG_INVALID: gateway config: routes\[0\]\.eid: /);
  });

  it('prints a ready line with its ports, one line per message event, serves metrics, and stops on SIGTERM', async () => {
    const node = await startFarsideBpa('dtn://earth.dtn/');
    cleanups.push(() => node.stop());
    if (node.aap1.kind !== 'tcp') throw new Error('expected a TCP AAP listener');
    const sink = createAapClient({ transport: node.aap1, protocol: 'aap1', agentId: 'sink', receive: true, requestTimeoutMs: 5000, reconnect: { initialMs: 50, maxMs: 300 }, log: () => undefined });
    cleanups.push(() => sink.close());
    expect((await sink.connect()).ok).toBe(true);

    const dir = tempDir();
    const child = farsideGateway(['--config', configFile(dir, baseConfig(`tcp:${node.aap1.host}:${node.aap1.port}`, 9))]);
    const ready = await child.waitFor('gateway.ready');
    expect(ready).toMatchObject({ smtp: expect.stringMatching(/^127\.0\.0\.1:\d+$/), metrics: expect.stringMatching(/^127\.0\.0\.1:\d+$/), store: join(dir, 'state', 'gateway.sqlite') });
    await child.waitFor('gateway-registered', (l) => l['endpoint'] === 'dtn://earth.dtn/email');

    const [host, port] = String(ready['smtp']).split(':') as [string, string];
    const s = await openSmtpSession({ host, port: Number(port), ehloName: 'mta.earth.example', replyTimeoutMs: 5000 });
    if (!s.ok) throw new Error(s.error.message);
    const sent = await s.value.send({ mailFrom: 'alice@earth.example', mailParams: {}, rcptTo: [{ address: 'bob@mars.example', params: {} }] }, ascii('Subject: cli\r\nMessage-ID: <cli@earth.example>\r\n\r\nx\r\n'));
    await s.value.quit();
    expect(sent.ok && sent.value.data?.code).toBe(250);
    await child.waitFor('outbound-queued', (l) => l['messageId'] === 'cli@earth.example');
    const handed = await child.waitFor('bundle-handed-over', (l) => l['messageId'] === 'cli@earth.example');
    expect(handed['bundleId']).toMatch(/^dtn:\/\/earth\.dtn\/email \d+ \d+$/);
    const got = await sink.bundles().next();
    expect(got.done !== true && got.value.source).toBe('dtn://earth.dtn/email');
    for (const l of child.lines) expect(typeof l['time']).toBe('string');
    expect(child.otherLines).toEqual([]);

    const metrics = await httpGet(String(ready['metrics']), '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('farside_gateway_handed_over_total 1\n');
    expect(metrics.body).toContain('farside_gateway_queue_depth{queue="outbound"} 0\n');

    expect(await child.stop()).toBe(0);
    expect(child.lines.at(-1)).toMatchObject({ event: 'gateway.exit' });
  });
});
