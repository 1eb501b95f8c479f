/**
 * The two-site demo for real (issue 4, `npm run demo`): two private Dovecot + Postfix stacks, two
 * gateways and two embedded BPAs, with a short one-way light time. In process: every key step appears, in
 * the order a mail takes them, for Alice's fragmented mail, Bob's reply and both DSNs; the light time shows
 * between hand-over and arrival; the BPv7 status reports about each mail's bundle reach the gateway that
 * sent it (one per fragment forwarded and received, one delivered) and are counted in the summary; and
 * after the stop no process of the stacks runs and the directory is gone. As a child (`farside demo --quiet`): exit status 0, only the summary printed, and the process ends
 * by itself (nothing left holding it open).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isRunning } from '../../gateway/test-support/mailstack/processes';
import type { Step, StepKind } from './narrate';
import { runDemo } from './run-demo';
import type { DemoReport } from './run-demo';

const OWLT_MS = 600;
const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The first step of `kind` for `message` (its index in the run), failing the test when there is none. */
function indexOf(steps: readonly Step[], kind: StepKind, message: string): number {
  const i = steps.findIndex((s) => s.kind === kind && s.message === message);
  expect(i, `${kind} of <${message}>`).toBeGreaterThanOrEqual(0);
  return i;
}

function expectInOrder(steps: readonly Step[], message: string, kinds: readonly StepKind[]): void {
  const at = kinds.map((k) => indexOf(steps, k, message));
  expect(at, kinds.join(' < ')).toEqual([...at].sort((a, b) => a - b));
}

describe('farside demo', () => {
  it('shows a fragmented mail, a reply and both DSNs step by step, then leaves nothing behind', async () => {
    const lines: string[] = [];
    const report: DemoReport = await runDemo({ owltMs: OWLT_MS, keep: false, quiet: false, colour: false, write: (l) => lines.push(l), signal: new AbortController().signal });
    const text = lines.join('\n');
    expect(report.error, text).toBeUndefined();
    const { steps } = report;

    const mails = steps.filter((s) => s.kind === 'submitted').map((s) => s.message ?? '');
    expect(mails).toHaveLength(2);
    const [alice = '', bob = ''] = mails;

    // Alice's mail, Earth → Mars, fragmented
    expectInOrder(steps, alice, ['submitted', 'queued', 'node-accepted', 'fragmented', 'forwarded', 'received', 'reassembled', 'gateway-accepted', 'mailbox', 'inbox', 'dsn-in-inbox']);
    // the gateway logs Postfix's 250 after its commit, while Postfix may already have delivered: no order between the two
    expectInOrder(steps, alice, ['handed-over', 'forwarded']);
    expectInOrder(steps, alice, ['gateway-accepted', 'mta-accepted', 'dsn-in-inbox']);
    const fragments = steps.filter((s) => s.kind === 'fragmented' && s.message === alice);
    expect(fragments.length).toBeGreaterThan(1);
    expect(steps.filter((s) => s.kind === 'received' && s.message === alice)).toHaveLength(fragments.length);
    // nothing reaches Mars before the light time (and the first fragment's second on the link) has passed
    const accepted = steps[indexOf(steps, 'node-accepted', alice)];
    const firstArrival = steps[indexOf(steps, 'received', alice)];
    expect((firstArrival?.at ?? 0) - (accepted?.at ?? 0)).toBeGreaterThanOrEqual(OWLT_MS + 900);
    expect(steps[indexOf(steps, 'inbox', alice)]?.tone).toBe('good');

    // Bob's reply, Mars → Earth, one bundle
    expectInOrder(steps, bob, ['submitted', 'queued', 'node-accepted', 'handed-over', 'forwarded', 'received', 'gateway-accepted', 'mailbox', 'inbox', 'dsn-in-inbox']);
    expectInOrder(steps, bob, ['gateway-accepted', 'mta-accepted', 'dsn-in-inbox']);
    expect(steps.some((s) => s.kind === 'fragmented' && s.message === bob)).toBe(false);
    expect(steps[indexOf(steps, 'inbox', bob)]?.tone).toBe('good');

    // each DSN: written by the far Postfix, carried back over BP as mail of its own
    for (const about of [alice, bob]) {
      const written = steps.find((s) => s.kind === 'dsn-written' && s.text.includes(about === alice ? "Alice's mail" : "Bob's reply"));
      const dsn = written?.message ?? '';
      expect(dsn).not.toBe('');
      expectInOrder(steps, dsn, ['dsn-written', 'queued', 'handed-over', 'forwarded', 'received', 'gateway-accepted', 'mailbox']);
      expectInOrder(steps, dsn, ['gateway-accepted', 'mta-accepted']);
      expect(indexOf(steps, 'mailbox', dsn)).toBeLessThan(indexOf(steps, 'dsn-in-inbox', about));
    }
    expect(steps.some((s) => s.tone === 'bad' || s.tone === 'fatal')).toBe(false);

    // BPv7 status reports, each told once where it arrives: at the sending site's gateway
    const reports = (message: string, status: 'forwarded' | 'received' | 'delivered' | 'deleted'): Step[] =>
      steps.filter((s) => s.kind === 'report-received' && s.message === message && s.statuses?.includes(status) === true);
    expect(reports(alice, 'forwarded')).toHaveLength(fragments.length);
    expect(reports(alice, 'received')).toHaveLength(fragments.length);
    expect(reports(alice, 'delivered')).toHaveLength(1);
    expect(reports(alice, 'deleted')).toHaveLength(0);
    expect(steps.filter((s) => s.kind === 'report-received' && s.message === alice).every((s) => s.site === 'earth')).toBe(true);
    // the delivery report comes back a light time after Mars's node delivered the mail to its gateway
    const deliveredAtMars = steps[indexOf(steps, 'delivered-to-agent', alice)];
    expect((reports(alice, 'delivered')[0]?.at ?? 0) - (deliveredAtMars?.at ?? 0)).toBeGreaterThanOrEqual(OWLT_MS);
    for (const status of ['forwarded', 'received', 'delivered'] as const) expect(reports(bob, status).map((s) => s.site)).toEqual(['mars']);
    expect(text).toMatch(/← status report from dtn:\/\/mars\.dtn\/: received fragment 1\/\d+ of Alice's mail at \+\d+\.\d\d s \(20\d\d-/);
    expect(text).toContain("delivered Alice's mail to dtn://mars.dtn/email");
    expect(text).toContain('not yet the mailbox: the DSN tells that');
    expect(text).toMatch(new RegExp(`BPv7 status reports received +${fragments.length} forwarded, ${fragments.length} received, 1 delivered \\(delivery report \\+\\d+\\.\\d\\d s\\) +1 forwarded, 1 received, 1 delivered`));
    expect(text).not.toContain('none were sent');

    // what a viewer reads
    expect(text).toContain('fragment 1 of ');
    expect(text).toContain('handed over, not delivered yet');
    expect(text).toMatch(/attachment habitat-survey\.bin 1,572,864 bytes, SHA-256 [0-9a-f]{8}…[0-9a-f]{8} = as sent/);
    expect(text).toMatch(/delivery status notification from mta\.mars\.example about </);
    expect(text).toContain("In the recipient's IMAP inbox");

    // nothing left behind
    const down = report.teardown;
    expect(down?.processes.length).toBeGreaterThanOrEqual(4);
    expect(down?.leftRunning).toEqual([]);
    for (const pid of down?.processes ?? []) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(report.dir).not.toBeNull();
    expect(existsSync(report.dir ?? '')).toBe(false);
    expect(report.durationMs).toBeLessThan(120_000);
  });

  it('interrupted halfway (Ctrl-C): says so, and still stops everything and removes its directory', async () => {
    const abort = new AbortController();
    const lines: string[] = [];
    const report = await runDemo({
      owltMs: OWLT_MS,
      keep: false,
      quiet: false,
      colour: false,
      write: (l) => {
        lines.push(l);
        if (l.includes('fragment 1 of ')) abort.abort();
      },
      signal: abort.signal,
    });
    expect(report.error).toEqual({ code: 'INTERNAL', message: 'interrupted' });
    expect(lines.at(-1)).toMatch(/^Demo failed after \d+\.\d s: INTERNAL: interrupted$/);
    expect(report.teardown?.processes.length).toBeGreaterThanOrEqual(4);
    expect(report.teardown?.leftRunning).toEqual([]);
    for (const pid of report.teardown?.processes ?? []) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(report.dir ?? '')).toBe(false);
  });

  it('as `farside demo --quiet`: exits 0 on its own and prints only the summary and the outcome', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'farside.js'), 'demo', '--quiet', '--owlt', '0.2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, `${out}\n${errText}`).toBe(0);
    expect(out).toContain('Summary (times since the start of the demo)');
    expect(out).toMatch(/none left running/);
    expect(out).toMatch(/^Done in \d+\.\d s\.$/m);
    // --quiet: no step lines
    expect(out).not.toContain('node forwarded');
    expect(errText).toBe('');
  });
});
