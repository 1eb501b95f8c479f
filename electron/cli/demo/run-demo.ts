/**
 * The two-site demo (issue 4, "Operations": `npm run demo`): Earth and Mars, each a private Dovecot and
 * Postfix, a mail gateway and an embedded BPA, linked over MTCP with a contact plan and a one-way light
 * time. Alice at Earth sends Bob at Mars a mail with an attachment big enough to be fragmented, asking
 * for DSNs; Bob replies. Every step is printed as it happens, driven by the components' own events: the
 * BPAs' and gateways' log callbacks, the Postfix mail logs, and IMAP IDLE on both inboxes. Then a summary
 * table, and everything is stopped and checked gone.
 *
 * Nothing is installed here (build/scripts/install-deps.sh runs first in `npm run demo`); the demo only
 * checks that Dovecot and Postfix are there and that it may start Postfix (root).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { err, ok, toLogFormat } from '../../../shared/errors';
import type { FarsideError, Result } from '../../../shared/errors';
import { DOVECOT_BINARY, SIEVEC_BINARY } from '../../gateway/test-support/mailstack/dovecot';
import { POSTFIX_MASTER } from '../../gateway/test-support/mailstack/postfix';
import { watchInbox } from './inbox-watch';
import { createJournal } from './journal';
import type { Journal } from './journal';
import { createJourneys } from './journeys';
import type { Journey, Journeys } from './journeys';
import { NOTIFY, aliceMail, bobReply, submit } from './mails';
import type { OutgoingMail } from './mails';
import { createNarrator } from './narrate';
import type { Step } from './narrate';
import { followLog, parsePostfixLine } from './postfix-log';
import { gatewayEid } from './site';
import type { LinkSpec, SiteKey, SiteSpec } from './site';
import { createStyle } from './style';
import type { Style } from './style';
import { renderSummary } from './summary';
import { teardown } from './teardown';
import type { TeardownReport } from './teardown';
import { nothingRunning, startTwoSites } from './two-sites';
import type { Running, TwoSites } from './two-sites';
import { binarySize, duration, relativeTime } from './wording';

export const DEMO_DEFAULTS = {
  owltMs: 3000,
  /** 2 Mbit/s: a 256 KiB fragment takes a second on the link, so the airtime shows. */
  rateBytesPerSec: 256 * 1024,
  maxBundleSize: 256 * 1024,
  contactMs: 60 * 60 * 1000,
  /** 1.5 MiB: about 2 MiB of Batch SMTP once base64-encoded, nine fragments. */
  attachmentBytes: 1.5 * 1024 * 1024,
  /** The reply fits in one bundle. */
  replyAttachmentBytes: 96 * 1024,
} as const;

export const DEMO_SITES: Readonly<Record<SiteKey, SiteSpec>> = {
  earth: { key: 'earth', name: 'Earth', domain: 'earth.example', nodeId: 'dtn://earth.dtn/', users: ['alice'] },
  mars: { key: 'mars', name: 'Mars', domain: 'mars.example', nodeId: 'dtn://mars.dtn/', users: ['bob'] },
};

export interface DemoOptions {
  readonly owltMs: number;
  /** Keep the temporary directory (logs, stores, mailboxes) and say where it is. */
  readonly keep: boolean;
  /** Only the summary and the outcome. */
  readonly quiet: boolean;
  readonly colour: boolean;
  /** Writes one line of output. */
  write(line: string): void;
  readonly signal: AbortSignal;
  /** Where the temporary directory is made; default the OS temp directory. */
  readonly parentDir?: string;
}

export interface DemoReport {
  /** Undefined when every step happened. */
  readonly error?: FarsideError;
  readonly steps: readonly Step[];
  readonly dir: string | null;
  readonly teardown: TeardownReport | null;
  readonly durationMs: number;
}

/** What the demo needs that `npm run demo` installs, and the right to start Postfix. */
export function checkPrerequisites(): Result<void> {
  // sievec comes with Pigeonhole Sieve, which the mailboxes need to drop a repeated gateway transaction
  const missing = [DOVECOT_BINARY, SIEVEC_BINARY, POSTFIX_MASTER].filter((p) => !existsSync(p));
  if (missing.length > 0) return err('NOT_FOUND', `${missing.join(', ')} not found: run \`npm run demo\`, which installs Dovecot, Pigeonhole Sieve and Postfix first (build/scripts/install-deps.sh)`);
  if (process.getuid?.() !== 0) return err('UNAUTHORIZED', "the demo starts a private Postfix, whose master must run as root: run it as root (e.g. in the project's container)");
  return ok(undefined);
}

const SECTION_WIDTH = 100;

/** A fresh directory with one subdirectory per site. */
function makeDemoDir(parent: string): Result<string> {
  let dir: string | null = null;
  try {
    dir = mkdtempSync(join(parent, 'farside-demo-'));
    // mkdtemp makes it 0700; Postfix's and Dovecot's unprivileged users must traverse it (environment.md §2.4)
    chmodSync(dir, 0o755);
    for (const k of ['earth', 'mars'] as const) mkdirSync(join(dir, k), { mode: 0o755 });
    return ok(dir);
  } catch (e) {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    return err('IO_ERROR', `cannot make the demo's directory in ${parent}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const t0 = Date.now();
  const at = (): number => Date.now() - t0;
  const style = createStyle(opts.colour);
  const show = (line: string): void => {
    if (!opts.quiet) opts.write(line);
  };
  const finish = (error: FarsideError | undefined, steps: readonly Step[], dir: string | null, down: TeardownReport | null): DemoReport => ({
    ...(error === undefined ? {} : { error }),
    steps,
    dir,
    teardown: down,
    durationMs: at(),
  });

  const pre = checkPrerequisites();
  if (!pre.ok) return finish(pre.error, [], null, null);

  const link: LinkSpec = { owltMs: opts.owltMs, rateBytesPerSec: DEMO_DEFAULTS.rateBytesPerSec, durationMs: DEMO_DEFAULTS.contactMs, maxBundleSize: DEMO_DEFAULTS.maxBundleSize };
  const made = makeDemoDir(opts.parentDir ?? tmpdir());
  if (!made.ok) return finish(made.error, [], null, null);
  const dir = made.value;

  show(style.bold('Farside demo: mail between two sites over the Bundle Protocol (BPv7, RFC 9171)'));
  for (const s of [DEMO_SITES.earth, DEMO_SITES.mars]) {
    show(`  ${style.site(s.key, s.name.padEnd(6))} ${s.users.map((u) => `${u}@${s.domain}`).join(', ')}, node ${s.nodeId}, mail agent ${gatewayEid(s)}`);
  }
  show(`  Link   MTCP both ways, one-way light time ${duration(link.owltMs)}, ${binarySize(link.rateBytesPerSec)}/s; bundles over ${binarySize(link.maxBundleSize)} are fragmented`);
  show(`  Files  ${dir}${opts.keep ? ' (kept: --keep)' : ' (removed at the end)'}`);
  show('');

  const print = (s: Pick<Step, 'at' | 'site' | 'text' | 'tone'>): void => {
    const text = s.tone === 'good' ? `${s.text} ${style.good('✓')}` : s.tone === 'plain' ? s.text : style.bad(s.text);
    show(`  ${style.dim(relativeTime(s.at).padStart(9))}  ${style.site(s.site, DEMO_SITES[s.site].name.padEnd(5))}  ${text}`);
  };
  const announce = (site: SiteKey, text: string): void => print({ at: at(), site, text, tone: 'plain' });

  const journeys = createJourneys();
  const registrations: Record<SiteKey, (() => void)[]> = { earth: [], mars: [] };
  const registered: Record<SiteKey, boolean> = { earth: false, mars: false };
  let sites: TwoSites | null = null;
  const narrator = createNarrator({
    journeys,
    sites: {
      earth: { name: DEMO_SITES.earth.name, nodeId: DEMO_SITES.earth.nodeId, gatewayEid: gatewayEid(DEMO_SITES.earth) },
      mars: { name: DEMO_SITES.mars.name, nodeId: DEMO_SITES.mars.nodeId, gatewayEid: gatewayEid(DEMO_SITES.mars) },
    },
    link,
    startedAt: t0,
    estimateArrival(site, destination, bytes) {
      const eta = sites?.node[site].bpa.bpa.router.estimateArrival(destination, bytes, Date.now());
      return eta === undefined ? undefined : eta - t0;
    },
  });
  const journal = createJournal(narrator, print, opts.signal);
  const running = nothingRunning();

  const log =
    (site: SiteKey) =>
    (component: 'bpa' | 'gateway', e: { readonly event: string }): void => {
      if (component === 'gateway' && e.event === 'gateway-registered') {
        registered[site] = true;
        for (const f of registrations[site].splice(0)) f();
      }
      journal.observe(component === 'bpa' ? { kind: 'node', at: at(), site, e } : { kind: 'gateway', at: at(), site, e });
    };

  const started = await startTwoSites({
    dir,
    specs: DEMO_SITES,
    link,
    keep: opts.keep,
    running,
    log,
    registered: (site, timeoutMs) =>
      registered[site]
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            registrations[site].push(() => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
    announce,
  });
  let outcome: Result<void> = started.ok ? ok(undefined) : started;
  if (started.ok) {
    sites = started.value;
    outcome = await play({ sites: started.value, journal, journeys, at, opts, style, show }, running);
  }

  show('');
  show(style.bold(`Stopping: gateways and nodes in this process, then Dovecot and Postfix by pid`));
  const down = await teardown(running, dir, opts.keep);
  const leftover = down.leftRunning.length > 0 ? style.bad(`still running: ${down.leftRunning.join(' ')}`) : 'none left running';
  opts.write(`  ${down.processes.length} Dovecot and Postfix processes were running (pids ${down.processes.join(' ')}): ${leftover}`);
  opts.write(opts.keep ? `  Kept ${dir} (logs, bundle stores, mailboxes)` : `  ${dir} ${down.dirRemoved ? 'removed' : style.bad('could not be removed')}`);
  for (const p of down.problems) opts.write(`  ${style.bad(p)}`);
  if (outcome.ok && (down.leftRunning.length > 0 || (!opts.keep && !down.dirRemoved))) outcome = err('INTERNAL', `the stop left something behind: ${down.problems.join('; ')}`);
  const report = finish(outcome.ok ? undefined : outcome.error, journal.steps(), dir, down);
  opts.write(outcome.ok ? style.good(`Done in ${duration(report.durationMs)}.`) : style.bad(`Demo failed after ${duration(report.durationMs)}: ${toLogFormat(outcome.error)}`));
  return report;
}

/** What playing the demo's mails needs: the started sites, the journal and journeys, the clock and the terminal. */
interface Stage {
  readonly sites: TwoSites;
  readonly journal: Journal;
  readonly journeys: Journeys;
  readonly at: () => number;
  readonly opts: DemoOptions;
  readonly style: Style;
  readonly show: (line: string) => void;
}

/** The two mails, each followed to the recipient's inbox and its DSN back to the sender's. */
async function play(stage: Stage, running: Running): Promise<Result<void>> {
  const { sites, journal, journeys, at, opts, style } = stage;
  for (const k of ['earth', 'mars'] as const) {
    const { stack } = sites.mail[k];
    try {
      running.followers.push(
        followLog(
          stack.logs.postfix,
          (line) => {
            const e = parsePostfixLine(line);
            if (e !== null) journal.observe({ kind: 'postfix', at: at(), site: k, e });
          },
          (e) => journal.fail(`reading ${stack.logs.postfix}: ${e.message}`),
        ),
      );
    } catch (e) {
      return err('IO_ERROR', `cannot follow ${stack.logs.postfix}: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const user of DEMO_SITES[k].users) {
      const u = stack.user(user);
      const w = await watchInbox({
        port: stack.imapPort,
        user: u.name,
        password: u.password,
        onMessage: (uid, facts) => journal.observe({ kind: 'inbox', at: at(), site: k, user: u.address, uid, facts }),
        onError: (message) => journal.fail(message),
      });
      if (!w.ok) return w;
      running.watchers.push(w.value);
    }
  }

  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const first = aliceMail(runId, DEMO_DEFAULTS.attachmentBytes);
  const sent = await send(stage, first, 1);
  if (!sent.ok) return sent;
  const reply = bobReply(runId, first, DEMO_DEFAULTS.replyAttachmentBytes);
  const replied = await send(stage, reply, 2);
  if (!replied.ok) return replied;
  // the DSNs' own bundles are reported too; the last of those reports is a light time behind the DSN
  for (const m of [first, reply]) {
    const dsn = journeys.of(m.expected.messageId).dsn;
    if (dsn === undefined) continue;
    const reported = await allReported(journal, journeys.of(dsn.messageId), opts.owltMs);
    if (!reported.ok) return reported;
  }

  const columns = [first, reply].map((m) => ({
    journey: journeys.of(m.expected.messageId),
    route: `${DEMO_SITES[m.expected.from].name} → ${DEMO_SITES[m.expected.to].name}`,
  }));
  opts.write('');
  opts.write(style.bold('Summary (times since the start of the demo)'));
  for (const line of renderSummary(columns, DEMO_DEFAULTS.maxBundleSize, style)) opts.write(line);
  for (const m of [first, reply]) {
    const j = journeys.of(m.expected.messageId);
    const dsn = j.dsn === undefined ? undefined : journeys.find(j.dsn.messageId);
    opts.write(`  ${j.label}: Message-ID <${j.messageId}>, bundle ${j.bundleId ?? '—'}; its DSN: bundle ${dsn?.bundleId ?? '—'}`);
  }
  const totals = journeys.reportTotals();
  const reports = journal.steps().filter((s) => s.kind === 'report-received').length;
  const kinds = (['forwarded', 'received', 'delivered', 'deleted'] as const).filter((k) => totals[k] > 0).map((k) => `${totals[k]} ${k}`);
  opts.write(
    reports > 0
      ? `  BPv7 status reports: ${reports} reached the sending gateways (${kinds.join(', ')})${opts.quiet ? '' : ', each shown above as it came'}. "Delivered" means a bundle reached the far mail gateway; only the DSN confirms the mailbox.`
      : `  BPv7 status reports: none arrived${opts.quiet ? '.' : "; the node lines above are the nodes' own logs."}`,
  );
  return ok(undefined);
}

/**
 * Waits until the status reports both nodes send (site.ts: statusReports) about a message's bundle have
 * reached the gateway that sent it: forwarded by the sending node and received by the other, once per
 * fragment, and delivered once. The forwarding report comes when the sending node counts the bundle as
 * sent, the others a light time after the event, so they can come after the DSN.
 */
function allReported(journal: Journal, j: Journey, owltMs: number): Promise<Result<Step>> {
  const pieces = Math.max(1, j.fragments);
  const complete = (): boolean => j.reports.forwarded >= pieces && j.reports.received >= pieces && j.reports.delivered >= 1;
  return journal.waitFor((s) => s.kind === 'report-received' && s.message === j.messageId && complete(), {
    timeoutMs: owltMs + 15_000,
    what: `the status reports about ${j.label} (forwarded and received${pieces > 1 ? ` for each of ${pieces} fragments` : ''}, delivered) to reach the gateway that sent it`,
  });
}

async function send(stage: Stage, mail: OutgoingMail, n: number): Promise<Result<void>> {
  const { sites, journal, journeys, at, opts, style, show } = stage;
  const m = mail.expected;
  const j = journeys.expect(m);
  const from = DEMO_SITES[m.from];
  const to = DEMO_SITES[m.to];
  const attachment = m.attachments[0];
  const title = `${n}. ${j.label}: ${mail.from} → ${mail.to}, "${m.subject}"${attachment === undefined ? '' : `, with ${attachment.filename} (${binarySize(attachment.size)})`} `;
  show('');
  show(style.bold(`${title}${'─'.repeat(Math.max(3, SECTION_WIDTH - title.length))}`));

  const reply = await submit(mail, sites.mail[m.from].stack.smtpPort);
  if (!reply.ok) return reply;
  journal.observe({ kind: 'submitted', at: at(), site: m.from, messageId: m.messageId, reply: reply.value, notify: NOTIFY });

  // The link's airtime and light time, with room for a slow machine; a failure ends the wait at once.
  const airtimeMs = ((attachment?.size ?? 0) * 1.4 * 1000) / DEMO_DEFAULTS.rateBytesPerSec;
  const there = await journal.waitFor((s) => s.kind === 'inbox' && s.message === m.messageId, {
    timeoutMs: opts.owltMs + airtimeMs + 30_000,
    what: `${j.label} to reach ${to.users.map((u) => `${u}@${to.domain}`).join(', ')}'s IMAP inbox at ${to.name}`,
  });
  if (!there.ok) return there;
  const back = await journal.waitFor((s) => s.kind === 'dsn-in-inbox' && s.message === m.messageId, {
    timeoutMs: opts.owltMs + 30_000,
    what: `the DSN for ${j.label} to come back to ${mail.from}'s IMAP inbox at ${from.name}`,
  });
  if (!back.ok) return back;
  const reported = await allReported(journal, j, opts.owltMs);
  return reported.ok ? ok(undefined) : reported;
}
