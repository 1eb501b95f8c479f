/**
 * kill -9 during a stream of mail (issue 4, "Must show": "1,000 messages through both gateways with 20
 * random kill -9 of gateways and BPAs; every message delivered exactly once").
 *
 * Two sites, Earth and Mars, each a private Postfix + Dovecot (mailstack), a `farside bpa` and a
 * `farside gateway` child process (so SIGKILL is a real crash), the BPAs linked over MTCP both ways by
 * their config files' contact plans, each gateway on AAP 2.0 to its own BPA. Mail is submitted to Earth's
 * Postfix with a nodemailer pool (Earth users → Mars users; every tenth message to two Mars users); the
 * path is Postfix(Earth) → gateway A's SMTP listener → BPA A → MTCP → BPA B → gateway B → Postfix(Mars)
 * → LMTP → Dovecot. While the stream runs, KILLS SIGKILLs hit the four processes in a schedule drawn from a
 * seeded generator (FARSIDE_CRASH_SEED overrides the seed; it is printed so a failure can be repeated):
 * each kill lands when a drawn share of the stream has been submitted, after a drawn delay, and the
 * victim is started again at once on the same store, configuration and ports.
 *
 * At the end, every message must be in its recipients' Mars inboxes exactly once, counted by Message-ID
 * over IMAP (imapflow): no loss, no duplicate; nothing bounced to Earth, nothing to Mars's postmaster,
 * every queue empty.
 *
 * Why AAP 2.0 on both sides: AAP v1 has no acknowledgement of a delivered bundle (the BPA counts a bundle
 * as delivered once the kernel took the bytes, write-parts.ts), so a gateway killed with bundles in its
 * socket buffer loses them; only AAP 2.0's subscriber confirmation lets the node keep a bundle until the
 * gateway has it.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { startFarsideProcess } from './test-support/farside-process';
import type { FarsideLine, FarsideProcess } from './test-support/farside-process';
import { inboxCount } from './test-support/mailstack/imap';
import { startMailStack } from './test-support/mailstack/mailstack';
import type { MailStack } from './test-support/mailstack/mailstack';
import { LOOPBACK, freePort, sleep } from './test-support/mailstack/processes';

const MESSAGES = 1_000;
const KILLS = 20;
const SEED = Number(process.env['FARSIDE_CRASH_SEED'] ?? 4_0404);
/** Submissions per second: the stream is spread over about MESSAGES / RATE seconds, so the kills hit traffic. */
const RATE = 20;
const USERS = ['alice', 'bob', 'carol'] as const;
const EARTH = { domain: 'earth.example', node: 'dtn://earth.dtn/' } as const;
const MARS = { domain: 'mars.example', node: 'dtn://mars.dtn/' } as const;

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** mulberry32: a small seeded generator, so the kill schedule repeats for a seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Victim = 'gateway A' | 'BPA A' | 'gateway B' | 'BPA B';
const VICTIMS: readonly Victim[] = ['gateway A', 'BPA A', 'gateway B', 'BPA B'];

interface Kill {
  /** Kill once this many messages were submitted … */
  readonly afterSubmitted: number;
  /** … and this many ms more have passed. */
  readonly delayMs: number;
  readonly victim: Victim;
}

/** KILLS kills spread over the stream: one in each of KILLS equal shares of it, at a drawn point. */
function killSchedule(seed: number): Kill[] {
  const random = generator(seed);
  const share = (MESSAGES * 0.95) / KILLS;
  return Array.from({ length: KILLS }, (_, k) => ({
    afterSubmitted: Math.floor(share * (k + random())),
    delayMs: Math.floor(random() * 400),
    victim: VICTIMS[Math.floor(random() * VICTIMS.length)] ?? 'gateway A',
  }));
}

/** The Mars users message `i` goes to: one, and a second one for every tenth message. */
function recipientsOf(i: number): string[] {
  const first = USERS[i % USERS.length] ?? 'alice';
  const second = USERS[(i + 1) % USERS.length] ?? 'bob';
  return i % 10 === 0 ? [first, second] : [first];
}

const messageId = (i: number): string => `<crash-${i}@earth.example>`;

interface Site {
  readonly stack: MailStack;
  readonly dir: string;
  bpa: FarsideProcess;
  gateway: FarsideProcess;
}

function writeJson(path: string, value: unknown): string {
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

function httpJson(address: string, path: string): Promise<unknown> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    request({ host, port: Number(port), path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    })
      .on('error', reject)
      .end();
  });
}

/** The gateway's queue depths from its metrics endpoint (the port is new after each restart). */
async function queues(gateway: FarsideProcess): Promise<{ outbound: number; inbound: number }> {
  const m = await httpJson(String(gateway.ready['metrics']), '/metrics.json');
  const q = typeof m === 'object' && m !== null && 'queue' in m ? m.queue : null;
  if (typeof q !== 'object' || q === null || !('outbound' in q) || !('inbound' in q)) throw new Error(`no queue depths in ${JSON.stringify(m)}`);
  return { outbound: Number(q.outbound), inbound: Number(q.inbound) };
}

/** Files in the Postfix queue directories that hold mail (mailstack layout: DIR/postfix/spool). */
function postfixQueued(stack: MailStack): number {
  let n = 0;
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name));
      else n++;
    }
  };
  for (const q of ['maildrop', 'incoming', 'active', 'deferred', 'hold']) walk(join(stack.dir, 'postfix', 'spool', q));
  return n;
}

/** Message-IDs in a user's INBOX, with how often each occurs. */
async function messageIds(stack: MailStack, user: string): Promise<Map<string, number>> {
  const u = stack.user(user);
  const client = new ImapFlow({ host: LOOPBACK, port: stack.imapPort, secure: false, auth: { user: u.name, pass: u.password }, logger: false });
  await client.connect();
  const out = new Map<string, number>();
  try {
    const lock = await client.getMailboxLock('INBOX');
    try {
      const status = await client.status('INBOX', { messages: true });
      if (status !== false && (status.messages ?? 0) > 0) {
        for await (const m of client.fetch('1:*', { envelope: true })) {
          const id = m.envelope?.messageId ?? '(none)';
          out.set(id, (out.get(id) ?? 0) + 1);
        }
      }
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
  return out;
}

async function until(what: string, f: () => boolean | Promise<boolean>, timeoutMs: number, stepMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

describe('kill -9 of gateways and BPAs during a stream of 1,000 messages (two sites, real Postfix and Dovecot)', () => {
  it('delivers every message exactly once', async () => {
    const schedule = killSchedule(SEED);
    const perVictim = VICTIMS.map((v) => `${v} ×${schedule.filter((k) => k.victim === v).length}`).join(', ');
    console.log(`crash test: seed ${SEED} (FARSIDE_CRASH_SEED=${SEED} repeats it); ${KILLS} kills: ${perVictim}`);
    const t0 = Date.now();

    const root = mkdtempSync(join(tmpdir(), 'farside-gw-crash-'));
    // kept when the test fails: the processes' event lines (logs/*.log) and the stores tell what happened
    let passed = false;
    cleanups.push(() => {
      if (passed) rmSync(root, { recursive: true, force: true });
      else console.log(`crash test: kept ${root} (event lines in ${join(root, 'logs')}, stores, configs)`);
    });
    mkdirSync(join(root, 'logs'));
    // the mail stacks live inside it: Postfix's and Dovecot's unprivileged users must traverse it (mkdtemp makes 0700)
    chmodSync(root, 0o755);
    const [aap2A, mtcpA, listenA, aap2B, mtcpB, listenB] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
    const [earthStack, marsStack] = await Promise.all([
      startMailStack({ domain: EARTH.domain, users: [...USERS], parentDir: root, keepDir: true, relay: [{ domain: MARS.domain, host: LOOPBACK, port: listenA ?? 0 }] }),
      startMailStack({ domain: MARS.domain, users: [...USERS], parentDir: root, keepDir: true, relay: [{ domain: EARTH.domain, host: LOOPBACK, port: listenB ?? 0 }] }),
    ]);
    cleanups.push(() => earthStack.stop(), () => marsStack.stop());

    const contact = { start: '+0s', end: '+1d', rateBytesPerSec: 1_000_000_000 };
    const bpaConfig = (name: string, node: string, aap2: number | undefined, mtcp: number | undefined, peer: string, peerMtcp: number | undefined): string =>
      writeJson(join(root, `${name}-bpa.json`), {
        nodeId: node,
        aap2: [`tcp:${LOOPBACK}:${aap2}`],
        cla: [`mtcp:${LOOPBACK}:${mtcp}`],
        store: { dir: join(root, `${name}-bpa`) },
        nodes: [{ nodeId: peer, claAddress: `mtcp:${LOOPBACK}:${peerMtcp}`, contacts: [contact] }],
      });
    const gatewayConfig = (name: string, site: { domain: string }, aap2: number | undefined, mta: MailStack, listen: number | undefined, remote: { domain: string; node: string }): string =>
      writeJson(join(root, `${name}-gateway.json`), {
        node: { aap: `tcp:${LOOPBACK}:${aap2}`, protocol: 'aap2', reconnect: { initialMs: 50, maxMs: 500 } },
        mta: { host: LOOPBACK, port: mta.smtpPort },
        listen: { host: LOOPBACK, port: listen },
        routes: [{ domain: remote.domain, eid: `${remote.node}email` }],
        localDomains: [site.domain],
        authorisedSources: [remote.node],
        store: { dir: `${name}-gateway` },
        metrics: { host: LOOPBACK, port: 0 },
        retry: { bp: { initialMs: 100, maxMs: 1000 }, mta: { initialMs: 100, maxMs: 1000 } },
      });

    /** Mars's gateway: every delivery line, across all of its processes (progress only; IMAP is the proof). */
    const deliveredAtMars = new Set<string>();
    const onMarsLine = (l: FarsideLine): void => {
      if (l['event'] === 'inbound-delivered') deliveredAtMars.add(`${String(l['to'])} ${String(l['messageId'])}`);
    };
    const logFile = (name: string): string => join(root, 'logs', `${name}.log`);
    const bpa = (name: string, config: string): Promise<FarsideProcess> => startFarsideProcess({ args: ['bpa', '--config', config], readyEvent: 'bpa.ready', logFile: logFile(`${name}-bpa`) });
    const gateway = (name: string, config: string, onLine?: (l: FarsideLine) => void): Promise<FarsideProcess> =>
      startFarsideProcess({ args: ['gateway', '--config', config], readyEvent: 'gateway.ready', logFile: logFile(`${name}-gateway`), ...(onLine === undefined ? {} : { onLine }) });

    const [bpaA, bpaB, gatewayA, gatewayB] = await Promise.all([
      bpa('earth', bpaConfig('earth', EARTH.node, aap2A, mtcpA, MARS.node, mtcpB)),
      bpa('mars', bpaConfig('mars', MARS.node, aap2B, mtcpB, EARTH.node, mtcpA)),
      gateway('earth', gatewayConfig('earth', EARTH, aap2A, earthStack, listenA, MARS)),
      gateway('mars', gatewayConfig('mars', MARS, aap2B, marsStack, listenB, EARTH), onMarsLine),
    ]);
    const earth: Site = { stack: earthStack, dir: root, bpa: bpaA, gateway: gatewayA };
    const mars: Site = { stack: marsStack, dir: root, bpa: bpaB, gateway: gatewayB };
    cleanups.push(async () => {
      for (const s of [earth, mars]) {
        await s.gateway.stop();
        await s.bpa.stop();
      }
    });
    for (const s of [earth, mars]) await until('the gateway registered at its node', () => s.gateway.count('gateway-registered') > 0, 20_000);
    console.log(`crash test: two sites up in ${Date.now() - t0} ms`);

    // ---- the stream, and the kills while it runs ----
    let submitted = 0;
    const refused: string[] = [];
    const pool = nodemailer.createTransport({ pool: true, maxConnections: 4, host: LOOPBACK, port: earthStack.smtpPort, secure: false, ignoreTLS: true });
    cleanups.push(() => pool.close());
    const submitting = (async () => {
      const start = Date.now();
      const inFlight = new Set<Promise<void>>();
      for (let i = 0; i < MESSAGES; i++) {
        const due = start + (i * 1000) / RATE;
        if (due > Date.now()) await sleep(due - Date.now());
        const from = USERS[i % USERS.length] ?? 'alice';
        const send = pool
          .sendMail({
            from: `${from}@${EARTH.domain}`,
            to: recipientsOf(i).map((u) => `${u}@${MARS.domain}`),
            subject: `crash ${i}`,
            messageId: messageId(i),
            text: `message ${i} of ${MESSAGES} (seed ${SEED})\n`,
          })
          .then(
            (info) => {
              if (info.rejected.length > 0) refused.push(`${i}: ${info.rejected.join(',')}`);
              submitted++;
            },
            (e: unknown) => {
              refused.push(`${i}: ${e instanceof Error ? e.message : String(e)}`);
            },
          );
        const tracked: Promise<void> = send.finally(() => inFlight.delete(tracked));
        inFlight.add(tracked);
      }
      await Promise.all(inFlight);
    })();

    const restartLog: string[] = [];
    for (const [k, kill] of schedule.entries()) {
      await until(`${kill.afterSubmitted} submissions`, () => submitted >= kill.afterSubmitted, 120_000, 20);
      await sleep(kill.delayMs);
      const site = kill.victim.endsWith('A') ? earth : mars;
      const t = Date.now();
      if (kill.victim.startsWith('gateway')) {
        await site.gateway.kill();
        site.gateway = await site.gateway.restart();
      } else {
        await site.bpa.kill();
        site.bpa = await site.bpa.restart();
      }
      restartLog.push(`#${k + 1} ${kill.victim} at ${submitted} submitted / ${deliveredAtMars.size} delivered, back in ${Date.now() - t} ms`);
    }
    await submitting;
    console.log(`crash test: ${submitted} submitted in ${Date.now() - t0} ms since start; kills:\n  ${restartLog.join('\n  ')}`);
    expect(refused).toEqual([]);

    // ---- everything arrives, and stays once ----
    const expected = new Map<string, number>(USERS.map((u) => [u, 0]));
    for (let i = 0; i < MESSAGES; i++) for (const u of recipientsOf(i)) expected.set(u, (expected.get(u) ?? 0) + 1);
    const total = [...expected.values()].reduce((a, b) => a + b, 0);
    const marsTotal = async (): Promise<number> => (await Promise.all(USERS.map((u) => inboxCount(marsStack, u)))).reduce((a, b) => a + b, 0);
    let last = 0;
    await until(
      `${total} messages in the Mars inboxes`,
      async () => {
        last = await marsTotal();
        return last >= total;
      },
      90_000,
      500,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)} (${last} there)`);
    });
    // quiet: every queue empty (a late repeat would still be on its way), then a grace period
    await until(
      'every queue empty',
      async () => {
        const [qa, qb] = await Promise.all([queues(earth.gateway), queues(mars.gateway)]);
        return qa.outbound + qa.inbound + qb.outbound + qb.inbound === 0 && postfixQueued(earthStack) + postfixQueued(marsStack) === 0;
      },
      30_000,
      250,
    );
    await sleep(2_000);
    console.log(`crash test: all there and quiet ${Date.now() - t0} ms after the start`);

    const missing: string[] = [];
    const duplicated: string[] = [];
    const unexpected: string[] = [];
    for (const u of USERS) {
      const ids = await messageIds(marsStack, u);
      for (let i = 0; i < MESSAGES; i++) {
        if (!recipientsOf(i).includes(u)) continue;
        const n = ids.get(messageId(i)) ?? 0;
        if (n === 0) missing.push(`${u} ${i}`);
        if (n > 1) duplicated.push(`${u} ${i} ×${n}`);
        ids.delete(messageId(i));
      }
      for (const [id, n] of ids) unexpected.push(`${u} ${id} ×${n}`);
    }
    const bounced = (await Promise.all(USERS.map((u) => inboxCount(earthStack, u)))).reduce((a, b) => a + b, 0);
    const toPostmaster = await inboxCount(marsStack, 'postmaster');
    console.log(
      `crash test: ${total} deliveries expected; missing ${missing.length}, duplicated ${duplicated.length}, unexpected ${unexpected.length}, ` +
        `bounces at Earth ${bounced}, Mars postmaster ${toPostmaster}; ${Date.now() - t0} ms in all`,
    );
    if (missing.length + duplicated.length + unexpected.length > 0) console.log(`crash test: missing ${missing.join('; ')}; duplicated ${duplicated.join('; ')}; unexpected ${unexpected.join('; ')}`);
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(unexpected).toEqual([]);
    expect(bounced).toBe(0);
    expect(toPostmaster).toBe(0);

    for (const s of [earth, mars]) {
      expect(await s.gateway.stop()).toBe(0);
      expect(await s.bpa.stop()).toBe(0);
    }
    passed = true;
  }, 300_000);
});
