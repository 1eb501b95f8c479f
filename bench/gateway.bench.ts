/**
 * The gateway's inbound path into a real Postfix (issue 4, "Must show": "`npm run bench`:
 * `gateway.msgs_per_s` into Postfix and `gateway.p99_added_ms`, against direct SMTP into the same Postfix
 * in the same run. Goal ≥ 200 messages/s and ≤ 50 ms added at p99").
 *
 * One private mail stack (mailstack: Postfix → LMTP → Dovecot; root only, the Postfix master needs it).
 * The gateway side is the inbound processor with its SQLite store, fed BSMTP bundles the way the BP node
 * delivers them: one ADU at a time (an AAP 2.0 node pushes the next after the answer to the last), each
 * recorded by receive() and made durable (durable(): the WAL fsync) before the next, as the gateway's
 * inbound loop does before it takes the next bundle. It replays them into Postfix over SMTP. The
 * baseline is the same messages sent straight into the same Postfix by the same strict SMTP client
 * (services/smtp), over as many sessions as the gateway opens, in the same run.
 *
 * - gateway.msgs_per_s: N messages fed as fast as the processor takes them, timed from the first
 *   receive() to the last MTA 250 the gateway recorded. Baseline: N direct sends, back to back.
 * - gateway.p99_added_ms: messages offered at a steady RATE per second; a message's latency is from its
 *   arrival (receive()) to the MTA's 250 recorded by the gateway, and for the baseline from the start of the
 *   direct send to its 250 (waiting for a free session counts in both). The figure is the gateway's p99
 *   minus the direct p99; the baseline is the direct p99. p50s are in the note.
 * Every measurement runs ROUNDS times per path, direct and gateway in turn, each starting with Postfix idle
 * (what earlier runs queued has reached Dovecot: a backlog being delivered halves what Postfix takes in);
 * the best round of each path counts, as a shared 2-core machine disturbs single runs.
 *
 * Each message: one recipient (three users in turn), a unique Message-ID, about 1 KiB of text.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err } from '../shared/errors';
import { encodeBsmtpMessage } from '../shared/protocol/bsmtp';
import { createInboundProcessor } from '../electron/gateway/inbound-processor';
import { createRelayPolicy } from '../electron/gateway/relay-policy';
import { createGatewayStore } from '../electron/gateway/store/gateway-store';
import type { GatewayStore } from '../electron/gateway/store/gateway-store';
import { startMailStack } from '../electron/gateway/test-support/mailstack/mailstack';
import type { MailStack } from '../electron/gateway/test-support/mailstack/mailstack';
import { inboxCount } from '../electron/gateway/test-support/mailstack/imap';
import { LOOPBACK } from '../electron/gateway/test-support/mailstack/processes';
import { openSmtpSession } from '../electron/services/smtp/smtp-client';
import type { SmtpSession } from '../electron/services/smtp/smtp-client';
import type { Suite } from './suites';

const DOMAIN = 'mars.example';
const USERS = ['alice', 'bob', 'carol'] as const;
const SOURCE = 'dtn://earth.dtn/email';
/** Messages per throughput run, and rounds per path and measurement (the best counts: the machine may be busy). */
const N = 1_000;
const ROUNDS = 2;
const WARMUP = 200;
/** Offered load for the latency runs, messages per second, and their length. */
const RATE = 100;
const LATENCY_MESSAGES = 600;
const GOAL = { msgsPerS: 200, p99AddedMs: 50 } as const;
/** SMTP sessions the gateway's processor keeps to the MTA (inbound-processor.ts); the baseline uses as many. */
const SESSIONS = 1;

const encoder = new TextEncoder();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function log(text: string): void {
  process.stderr.write(`bench: gateway: ${text}\n`);
}

interface TestMessage {
  readonly mailFrom: string;
  readonly to: string;
  readonly message: Uint8Array;
}

const FILLER = `${'Crew status: nominal. '.repeat(44)}\r\n`;

function testMessage(run: string, i: number): TestMessage {
  const to = `${USERS[i % USERS.length] ?? 'alice'}@${DOMAIN}`;
  const text =
    `From: Alice <alice@earth.example>\r\nTo: <${to}>\r\nSubject: bench ${run} ${i}\r\n` +
    `Message-ID: <bench-${run}-${i}@earth.example>\r\nDate: Wed, 25 Nov 2026 12:00:00 +0000\r\n\r\n${FILLER}`;
  return { mailFrom: 'alice@earth.example', to, message: encoder.encode(text) };
}

function bsmtpOf(m: TestMessage): Uint8Array {
  const b = encodeBsmtpMessage({ ehlo: 'gw.earth.example', envelope: { mailFrom: m.mailFrom, rcptTo: [{ address: m.to }] }, message: m.message });
  if (!b.ok) throw new Error(b.error.message);
  return b.value;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

// ---- direct SMTP (the baseline) ----

async function openSessions(stack: MailStack): Promise<SmtpSession[]> {
  const out: SmtpSession[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = await openSmtpSession({ host: LOOPBACK, port: stack.smtpPort, ehloName: 'bench.earth.example', replyTimeoutMs: 60_000 });
    if (!s.ok) throw new Error(s.error.message);
    out.push(s.value);
  }
  return out;
}

/**
 * Send `messages` over SESSIONS sessions; message i may start at offered[i] (performance.now() ms) and
 * its latency runs from then to its 250. Returns the latencies and the time span of the run.
 */
async function direct(stack: MailStack, messages: readonly TestMessage[], offered: (i: number) => number): Promise<{ latencies: number[]; ms: number }> {
  const sessions = await openSessions(stack);
  const latencies: number[] = new Array<number>(messages.length);
  let next = 0;
  const t0 = performance.now();
  const worker = async (s: SmtpSession): Promise<void> => {
    for (;;) {
      const i = next++;
      const m = messages[i];
      if (m === undefined) return;
      const at = offered(i);
      if (at > performance.now()) await sleep(at - performance.now());
      const r = await s.send({ mailFrom: m.mailFrom, mailParams: {}, rcptTo: [{ address: m.to, params: {} }] }, m.message);
      if (!r.ok || r.value.data?.code !== 250) throw new Error(`direct send ${i} failed: ${r.ok ? JSON.stringify(r.value.data) : r.error.message}`);
      latencies[i] = performance.now() - Math.max(at, t0);
    }
  };
  await Promise.all(sessions.map(worker));
  const ms = performance.now() - t0;
  for (const s of sessions) await s.quit();
  return { latencies, ms };
}

// ---- through the gateway's inbound processor ----

interface GatewayRun {
  readonly latencies: number[];
  readonly ms: number;
}

async function throughGateway(stack: MailStack, run: string, messages: readonly TestMessage[], offered: (i: number) => number): Promise<GatewayRun> {
  const dir = mkdtempSync(join(tmpdir(), 'farside-bench-gw-'));
  let store: GatewayStore | null = null;
  try {
    const opened = createGatewayStore({ path: join(dir, 'gateway.sqlite') });
    if (!opened.ok) throw new Error(opened.error.message);
    store = opened.value;
    const policy = createRelayPolicy({ sources: [SOURCE], localDomains: [DOMAIN] });
    if (!policy.ok) throw new Error(policy.error.message);
    const bundles = messages.map(bsmtpOf);
    const arrived = new Map<string, number>();
    const latencies: number[] = [];
    let last = 0;
    let done: (() => void) | null = null;
    const problems: string[] = [];
    const processor = createInboundProcessor({
      mta: { host: LOOPBACK, port: stack.smtpPort },
      store,
      policy: policy.value,
      hostname: 'gw.mars.example',
      sendBundle: () => Promise.resolve(err('CONNECTION_CLOSED', 'no BP node in the benchmark')),
      retry: { initialMs: 100, maxMs: 1000 },
      log: (e) => {
        if (e.event === 'inbound-delivered') {
          const at = arrived.get(String(e['bundle']));
          if (at === undefined) return;
          const now = performance.now();
          latencies.push(now - at);
          last = now;
          if (latencies.length === messages.length) done?.();
        } else if (e.event === 'inbound-failed' || e.event === 'inbound-deferred' || e.event === 'dsn-queued' || e.event === 'inbound-worker-error') {
          problems.push(JSON.stringify(e));
        }
      },
    });
    const finished = new Promise<void>((resolve) => (done = resolve));
    const t0 = performance.now();
    for (const [i, payload] of bundles.entries()) {
      const at = offered(i);
      if (at > performance.now()) await sleep(at - performance.now());
      else await turn();
      const key = `${SOURCE} ${run} ${i}`;
      arrived.set(key, Math.max(at, performance.now()));
      const r = processor.receive({ source: SOURCE, bundleId: key, payload });
      if (!r.ok || r.value.outcome !== 'accepted') throw new Error(`receive ${i}: ${r.ok ? r.value.outcome : r.error.message}`);
      // what the gateway's inbound loop waits for before it asks the node for the next bundle
      const synced = await processor.durable();
      if (!synced.ok) throw new Error(`durable ${i}: ${synced.error.message}`);
    }
    const timeout = sleep(120_000).then(() => 'timeout' as const);
    if ((await Promise.race([finished.then(() => 'done' as const), timeout])) === 'timeout') {
      throw new Error(`gateway run ${run}: ${latencies.length} of ${messages.length} delivered after 120 s; ${problems.slice(0, 3).join(' ')}`);
    }
    await processor.stop();
    if (problems.length > 0) throw new Error(`gateway run ${run}: ${problems.length} problems, e.g. ${problems[0]}`);
    return { latencies, ms: last - t0 };
  } finally {
    store?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const asFastAsPossible = (): number => 0;

function steady(rate: number): (i: number) => number {
  const start = performance.now() + 20;
  return (i) => start + (i * 1000) / rate;
}

function stats(latencies: readonly number[]): { p50: number; p99: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function waitForInboxes(stack: MailStack, total: number): Promise<void> {
  const deadline = Date.now() + 300_000;
  for (;;) {
    let n = 0;
    for (const u of USERS) n += await inboxCount(stack, u);
    if (n >= total) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${total} messages reached the inboxes`);
    await sleep(200);
  }
}

export const gatewaySuite: Suite = {
  name: 'gateway',
  async run() {
    if (process.getuid?.() !== 0) {
      log('skipped: the private Postfix needs root (environment.md §4.5)');
      return [];
    }
    const stack = await startMailStack({ domain: DOMAIN, users: [...USERS] });
    try {
      let sent = 0;
      const batch = (run: string, n: number): TestMessage[] => {
        sent += n;
        return Array.from({ length: n }, (_, i) => testMessage(run, i));
      };
      // Each phase starts with Postfix idle: what the previous one queued has reached Dovecot (this also
      // checks that every message the MTA took was delivered, none lost or bounced).
      const drained = (): Promise<void> => waitForInboxes(stack, sent);
      // warm-up: Postfix's first smtpd/cleanup processes, SQLite, the JIT
      await direct(stack, batch('warm-direct', WARMUP), asFastAsPossible);
      await throughGateway(stack, 'warm-gateway', batch('warm-gateway', WARMUP), asFastAsPossible);
      await drained();

      let directMs = Infinity;
      let gatewayMs = Infinity;
      for (let r = 0; r < ROUNDS; r++) {
        const d = await direct(stack, batch(`direct-${r}`, N), asFastAsPossible);
        await drained();
        const g = await throughGateway(stack, `gateway-${r}`, batch(`gateway-${r}`, N), asFastAsPossible);
        await drained();
        log(`round ${r + 1}: direct ${N} messages in ${d.ms.toFixed(0)} ms (${(N / (d.ms / 1000)).toFixed(0)}/s), gateway in ${g.ms.toFixed(0)} ms (${(N / (g.ms / 1000)).toFixed(0)}/s)`);
        directMs = Math.min(directMs, d.ms);
        gatewayMs = Math.min(gatewayMs, g.ms);
      }
      const directRate = N / (directMs / 1000);
      const gatewayRate = N / (gatewayMs / 1000);

      let directLat = { p50: Infinity, p99: Infinity };
      let gatewayLat = { p50: Infinity, p99: Infinity };
      for (let r = 0; r < ROUNDS; r++) {
        const d = stats((await direct(stack, batch(`direct-paced-${r}`, LATENCY_MESSAGES), steady(RATE))).latencies);
        await drained();
        const g = stats((await throughGateway(stack, `gateway-paced-${r}`, batch(`gateway-paced-${r}`, LATENCY_MESSAGES), steady(RATE))).latencies);
        await drained();
        log(`round ${r + 1} at ${RATE}/s: direct p50 ${d.p50.toFixed(1)} ms p99 ${d.p99.toFixed(1)} ms; gateway p50 ${g.p50.toFixed(1)} ms p99 ${g.p99.toFixed(1)} ms`);
        if (d.p99 < directLat.p99) directLat = d;
        if (g.p99 < gatewayLat.p99) gatewayLat = g;
      }

      const runs = `N = ${N} (throughput, faster of ${ROUNDS} rounds), ${LATENCY_MESSAGES} at ${RATE}/s (latency, the round with the lower p99 of ${ROUNDS}), ~1 KiB messages, one recipient each, ${SESSIONS} SMTP session(s), Postfix idle at the start of each run`;
      return [
        {
          name: 'gateway.msgs_per_s',
          value: Math.round(gatewayRate),
          unit: 'messages/s',
          baseline: { name: 'direct SMTP into the same Postfix (strict SMTP client, same messages, same run)', value: Math.round(directRate), unit: 'messages/s' },
          note: `inbound processor fed BSMTP bundles one at a time, each durable (SQLite WAL fsynced) before the next, replay into a private Postfix 3.7 (→ LMTP → Dovecot); ${runs}; goal ≥ ${GOAL.msgsPerS} messages/s`,
        },
        {
          name: 'gateway.p99_added_ms',
          value: round1(gatewayLat.p99 - directLat.p99),
          unit: 'ms',
          baseline: { name: `direct SMTP p99 latency at ${RATE} messages/s`, value: round1(directLat.p99), unit: 'ms' },
          note: `gateway p99 ${round1(gatewayLat.p99)} ms (p50 ${round1(gatewayLat.p50)} ms), arrival → MTA 250 recorded; direct p99 ${round1(directLat.p99)} ms (p50 ${round1(directLat.p50)} ms), send → 250; ${runs}; goal ≤ ${GOAL.p99AddedMs} ms`,
        },
      ];
    } finally {
      await stack.stop();
    }
  },
};
