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
 * over IMAP (imapflow): no loss, no duplicate, no tolerance; nothing bounced to Earth, nothing to Mars's
 * postmaster, every queue empty.
 *
 * The one repeat no SMTP client can prevent (RFC 1047; RFC 5321 §4.1.1.4 asks the server to keep the
 * window short, it cannot close it): the MTA has queued the message and sent its 250, and gateway B dies
 * before its commit records that 250 (inbound-processor.ts, attempt(): `await s.send(…)` → settle()). On
 * restart the delivery is still pending, so it is replayed, and Postfix delivers a second copy to LMTP.
 * It carries the same X-Farside-Transaction field (trace-fields.ts), and Dovecot's Sieve `duplicate`
 * test discards it (mailbox-dedupe.ts), so the inbox holds one. Such repeats are counted from Mars's
 * Postfix log and printed with Dovecot's discards, and each must be the hand-off window, not a gateway
 * fault the mailbox happens to hide: its extra copy must be one gateway B never recorded (no
 * `inbound-delivered` line names its queue ID), and the last message of an SMTP connection its client
 * dropped without QUIT, i.e. the gateway process died right after the MTA took it; at most one message
 * per gateway B kill (each kill drops one SMTP session). Gateway B's sessions only end without QUIT when
 * it dies.
 *
 * Why AAP 2.0 on both sides: AAP v1 has no acknowledgement of a delivered bundle (the BPA counts a bundle
 * as delivered once the kernel took the bytes, write-parts.ts), so a gateway killed with bundles in its
 * socket buffer loses them; only AAP 2.0's subscriber confirmation lets the node keep a bundle until the
 * gateway has it.
 */
import { execFileSync } from 'node:child_process';
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
import { readPostfixLedger, readSieveDiscards } from './test-support/mailstack/logs';
import { startMailStack } from './test-support/mailstack/mailstack';
import type { MailStack } from './test-support/mailstack/mailstack';
import { LOOPBACK, freePort, sleep } from './test-support/mailstack/processes';

const MESSAGES = 1_000;
const KILLS = 20;
const SEED = Number(process.env['FARSIDE_CRASH_SEED'] ?? 4_0404);
/** Submissions per second: the stream is spread over about MESSAGES / RATE seconds, so the kills hit traffic. */
const RATE = 20;
const USERS = ['alice', 'bob', 'carol'] as const;
/** How long a message may sit in a Postfix active or incoming queue before it counts as stranded (unstrand()). */
const STRANDED_MS = 15_000;
const POSTQUEUE = '/usr/sbin/postqueue';
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

/**
 * Postfix's queue manager can strand a message: with mailstack's 1 s retry a deferred message can be
 * scanned again while the delivery agent that deferred it still holds its lock (seen under load:
 * "skipped, still being delivered"). qmgr then either leaves it in the active queue, which it reads only
 * when it starts, or moves it back to the incoming queue with a time stamp 60 s ahead (qmgr_active.c,
 * QMGR_MESSAGE_LOCKED), which it scans only when new mail arrives — after the stream, none does. A file in
 * the active or incoming queue for STRANDED_MS is such a case (a delivery in progress takes well under a
 * second, a failed one goes to the deferred queue). For the active queue SIGHUP makes the master restart
 * qmgr, which takes it up again; for the incoming queue `postqueue -f` asks qmgr to scan every queue,
 * time stamps ignored (what `sendmail -q` does). Returns the stranded files (queue/ID) it acted on.
 */
function unstrand(stack: MailStack, firstSeen: Map<string, number>): string[] {
  const now = Date.now();
  const files = ['active', 'incoming'].flatMap((q) => {
    try {
      return readdirSync(join(stack.dir, 'postfix', 'spool', q)).map((f) => `${q}/${f}`);
    } catch {
      return [];
    }
  });
  for (const f of firstSeen.keys()) if (!files.includes(f)) firstSeen.delete(f);
  for (const f of files) if (!firstSeen.has(f)) firstSeen.set(f, now);
  const stranded = files.filter((f) => now - (firstSeen.get(f) ?? now) > STRANDED_MS);
  const master = stack.pids().postfix;
  if (stranded.length === 0 || master === null) return [];
  if (stranded.some((f) => f.startsWith('active/'))) process.kill(master, 'SIGHUP');
  if (stranded.some((f) => f.startsWith('incoming/'))) execFileSync(POSTQUEUE, ['-c', stack.postfixConfigDir, '-f'], { stdio: 'ignore' });
  for (const f of stranded) firstSeen.set(f, now);
  return stranded;
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
        node: { aap: `tcp:${LOOPBACK}:${aap2}`, protocol: 'aap2', reconnect: { initialMs: 50, maxMs: 500 }, subscriberConfirmDeadlineMs: null },
        mta: { host: LOOPBACK, port: mta.smtpPort },
        listen: { host: LOOPBACK, port: listen },
        routes: [{ domain: remote.domain, eid: `${remote.node}email` }],
        localDomains: [site.domain],
        authorisedSources: [remote.node],
        store: { dir: `${name}-gateway` },
        metrics: { host: LOOPBACK, port: 0 },
        retry: { bp: { initialMs: 100, maxMs: 1000 }, mta: { initialMs: 100, maxMs: 1000 } },
      });

    /** Mars's gateway, across all of its processes: what it delivered (progress; IMAP is the proof) and the MTA queue IDs it recorded. */
    const deliveredAtMars = new Set<string>();
    const recordedQueueIds = new Set<string>();
    const onMarsLine = (l: FarsideLine): void => {
      if (l['event'] !== 'inbound-delivered') return;
      deliveredAtMars.add(`${String(l['to'])} ${String(l['messageId'])}`);
      const queued = /queued as ([0-9A-Z]+)/.exec(String(l['reply']));
      if (queued?.[1] !== undefined) recordedQueueIds.add(queued[1]);
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
    const strandedSince = [new Map<string, number>(), new Map<string, number>()] as const;
    await until(
      `${total} messages in the Mars inboxes`,
      async () => {
        for (const [k, stack] of [earthStack, marsStack].entries()) {
          const stranded = unstrand(stack, strandedSince[k] ?? new Map());
          if (stranded.length > 0) console.log(`crash test: ${stack.domain}'s Postfix stranded ${stranded.join(', ')}; took them up again (see unstrand())`);
        }
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
    const duplicated: { user: string; i: number; n: number }[] = [];
    const unexpected: string[] = [];
    for (const u of USERS) {
      const ids = await messageIds(marsStack, u);
      for (let i = 0; i < MESSAGES; i++) {
        if (!recipientsOf(i).includes(u)) continue;
        const n = ids.get(messageId(i)) ?? 0;
        if (n === 0) missing.push(`${u} ${i}`);
        if (n > 1) duplicated.push({ user: u, i, n });
        ids.delete(messageId(i));
      }
      for (const [id, n] of ids) unexpected.push(`${u} ${id} ×${n}`);
    }
    // every repeat Postfix delivered must be the MTA hand-off window (see the header), absorbed by Dovecot
    const ledger = readPostfixLedger(marsStack.logs.postfix);
    const discarded = readSieveDiscards(marsStack.logs.dovecot);
    const windowRepeats: string[] = [];
    /** The copies gateway B never recorded: one per dropped connection, so at most one per gateway B kill. */
    const unrecordedCopies = new Set<string>();
    const unexplained: string[] = [];
    const notAbsorbed: string[] = [];
    for (const [key, copies] of ledger.copies) {
      if (copies.length < 2) continue;
      const unrecorded = copies.filter((q) => !recordedQueueIds.has(q));
      const drops = discarded.get(key) ?? 0;
      const text = `${key}: ${copies.length} copies to LMTP (queue IDs ${copies.join(', ')}; not recorded by gateway B: ${unrecorded.join(', ') || 'none'}), ${drops} discarded by Dovecot`;
      const explained = copies.length - unrecorded.length <= 1 && unrecorded.every((q) => ledger.lastBeforeDrop.has(q));
      (explained ? windowRepeats : unexplained).push(text);
      if (explained) for (const q of unrecorded) unrecordedCopies.add(q);
      if (drops !== copies.length - 1) notAbsorbed.push(text);
    }
    const gatewayBKills = schedule.filter((k) => k.victim === 'gateway B').length;
    const bounced = (await Promise.all(USERS.map((u) => inboxCount(earthStack, u)))).reduce((a, b) => a + b, 0);
    const toPostmaster = await inboxCount(marsStack, 'postmaster');
    const discards = [...discarded.values()].reduce((a, b) => a + b, 0);
    console.log(
      `crash test: ${total} deliveries expected; missing ${missing.length}, duplicated in IMAP ${duplicated.length}, unexpected ${unexpected.length}; ` +
        `hand-off repeats at Postfix ${windowRepeats.length} (${unrecordedCopies.size} messages in ${gatewayBKills} gateway B kills; ${unexplained.length} otherwise), ` +
        `Sieve discards at Dovecot ${discards}; bounces at Earth ${bounced}, Mars postmaster ${toPostmaster}; ${Date.now() - t0} ms in all`,
    );
    for (const [what, list] of [
      ['missing', missing],
      ['duplicate in IMAP', duplicated.map((d) => `${d.user} ${d.i} ×${d.n}`)],
      ['repeat from the MTA hand-off window, absorbed at the mailbox', windowRepeats],
      ['repeat, unexplained', unexplained],
      ['repeat, not absorbed', notAbsorbed],
      ['unexpected', unexpected],
    ] as const) {
      if (list.length > 0) console.log(`crash test: ${what}: ${list.join('; ')}`);
    }
    expect(missing).toEqual([]);
    expect(duplicated).toEqual([]);
    expect(unexplained).toEqual([]);
    expect(notAbsorbed).toEqual([]);
    expect(unrecordedCopies.size).toBeLessThanOrEqual(gatewayBKills);
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
