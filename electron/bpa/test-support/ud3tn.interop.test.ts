/**
 * The uD3TN launcher itself: a node comes up on loopback with its listeners open, greets AAP v1 and
 * AAP 2.0 clients with the WELCOME bytes of protocols.md §4.2 / §5.1, and leaves no process and no
 * directory behind when stopped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import type { NetConnectOpts } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ascii, fromHex, hex } from '../../../shared/test-support/vectors';
import { startUd3tn, ud3tnBinary } from './ud3tn';
import type { Ud3tnNode } from './ud3tn';

/** The first `n` bytes a server sends after connect. */
function firstBytes(target: NetConnectOpts, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const s = createConnection(target);
    const got: Buffer[] = [];
    let len = 0;
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`only ${len} of ${n} bytes`));
    }, 5_000);
    s.on('data', (d: Buffer) => {
      got.push(d);
      len += d.length;
      if (len >= n) {
        clearTimeout(timer);
        s.destroy();
        resolve(new Uint8Array(Buffer.concat(got)));
      }
    });
    s.once('error', reject);
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

// The one allowed skip: without a uD3TN binary (FARSIDE_UD3TN) there is nothing to interoperate with.
describe.skipIf(!ud3tnBinary)('uD3TN launcher (FARSIDE_UD3TN)', () => {
  const started: Ud3tnNode[] = [];
  afterAll(async () => {
    await Promise.all(started.map((n) => n.stop()));
  });

  it('AAP v1 over TCP sends WELCOME 17 0010 "dtn://earth.dtn/"; AAP 2.0 sends 2f + Welcome; stop removes everything', async () => {
    const node = await startUd3tn({ nodeId: 'dtn://earth.dtn/' });
    started.push(node);
    expect(node.aap1.kind).toBe('tcp');
    if (node.aap1.kind !== 'tcp') return;
    const welcome = concat(fromHex('17 0010'), ascii('dtn://earth.dtn/'));
    expect(hex(await firstBytes({ host: node.aap1.host, port: node.aap1.port }, welcome.length))).toBe(hex(welcome));
    // protocols.md §5.1: 2f, then varint 0x14 + AAPMessage{welcome{node_id}}.
    const welcome2 = concat(fromHex('2f 14 0a12 0a10'), ascii('dtn://earth.dtn/'));
    if (node.aap2.kind !== 'unix') throw new Error('AAP 2.0 is a UNIX socket in v0.13');
    expect(hex(await firstBytes({ path: node.aap2.path }, welcome2.length))).toBe(hex(welcome2));
    expect(node.claAddress('mtcp')).toMatch(/^mtcp:127\.0\.0\.1:\d+$/);
    expect(node.claAddress('tcpclv3')).toMatch(/^tcpclv3:127\.0\.0\.1:\d+$/);

    await node.stop();
    expect(pidAlive(node.pid)).toBe(false);
    expect(existsSync(node.dir)).toBe(false);
    // SIGTERM is uD3TN's clean stop (ud3tn-behaviour.md §2).
    expect(node.exit()).toEqual({ code: 0, signal: null });
    expect(node.log()).toContain('SIGTERM detected, terminating');
  });

  it('an ipn node with AAP v1 on a UNIX socket sends WELCOME 17 0007 "ipn:1.0"', async () => {
    const node = await startUd3tn({ nodeId: 'ipn:1.0', aap1: 'unix', clas: ['mtcp'] });
    started.push(node);
    if (node.aap1.kind !== 'unix') throw new Error('expected a UNIX socket');
    const welcome = concat(fromHex('17 0007'), ascii('ipn:1.0'));
    expect(hex(await firstBytes({ path: node.aap1.path }, welcome.length))).toBe(hex(welcome));
    expect(() => node.claAddress('tcpclv3')).toThrow(/without a tcpclv3 CLA/);
    await node.stop();
    expect(pidAlive(node.pid)).toBe(false);
  });

  it('two nodes at once get distinct ports and directories', async () => {
    const [a, b] = await Promise.all([startUd3tn({ nodeId: 'dtn://a.dtn/' }), startUd3tn({ nodeId: 'dtn://b.dtn/' })]);
    started.push(a, b);
    expect(a.dir).not.toBe(b.dir);
    expect(a.claPorts.mtcp).not.toBe(b.claPorts.mtcp);
    expect(a.aap1).not.toEqual(b.aap1);
    await Promise.all([a.stop(), b.stop()]);
    expect([pidAlive(a.pid), pidAlive(b.pid), existsSync(a.dir), existsSync(b.dir)]).toEqual([false, false, false, false]);
  });

  it('a node whose test process died (no exit hook ran) is killed and its directory removed by the next start', async () => {
    const orphan = await startUd3tn({ nodeId: 'dtn://orphan.dtn/', clas: ['mtcp'] });
    started.push(orphan);
    // Pretend its owner was a process that no longer exists.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(orphan.dir, 'owner.json'), JSON.stringify({ owner: gone, pid: orphan.pid }));
    const next = await startUd3tn({ nodeId: 'dtn://next.dtn/', clas: ['mtcp'] });
    started.push(next);
    expect(existsSync(orphan.dir)).toBe(false);
    await orphan.stop();
    expect(orphan.exit()?.signal).toBe('SIGKILL');
    expect(pidAlive(next.pid)).toBe(true);
    await next.stop();
  });
});
