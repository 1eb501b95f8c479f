/**
 * One site's private mail stack for tests and the demo: a Dovecot (IMAP + LMTP) and a Postfix (SMTP →
 * LMTP into that Dovecot, remote domains relayed to the gateway) in a fresh temporary directory, on
 * loopback ports chosen at run time (environment.md §7, §13). Nothing outside that directory is used or
 * changed, and stop() leaves no process behind: each master is stopped by its pid, and every process the
 * masters had started must be gone before stop() resolves.
 *
 * A site is one mail domain (earth.example); its users are reachable as user@domain and user@localhost,
 * and `postmaster` always exists (RFC 5321 §4.5.1).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDovecot, writeDovecotConfig } from './dovecot';
import type { DovecotConfig, RunningDovecot } from './dovecot';
import { startPostfix, writePostfixConfig } from './postfix';
import type { PostfixConfig, RelayRoute, RunningPostfix } from './postfix';
import { descendantsOf, freePort, waitGone } from './processes';

export type { RelayRoute } from './postfix';

export interface MailStackOptions {
  /** The site's mail domain, e.g. earth.example. */
  readonly domain: string;
  /** Mailbox users besides postmaster; default alice, bob, carol. Password: name + "pw". */
  readonly users?: readonly string[];
  /** Remote domains Postfix relays to a gateway's SMTP listener (transport map). */
  readonly relay?: readonly RelayRoute[];
  /** Postfix message_size_limit; default 64 MiB (enough for the 20 MiB attachment of issue 4). */
  readonly messageSizeLimit?: number;
  /** Postfix retries deferred mail every second (default true; false keeps Postfix's 300 s). */
  readonly fastRetry?: boolean;
  /** Where the stack's directory is made; default the OS temp directory. */
  readonly parentDir?: string;
  /** Keep the directory after stop() (to read the logs). */
  readonly keepDir?: boolean;
  /** Per-daemon readiness timeout; default 10 s. */
  readonly startTimeoutMs?: number;
}

export interface StackUser {
  readonly name: string;
  readonly password: string;
  /** name@domain */
  readonly address: string;
}

export interface MailStack {
  readonly dir: string;
  readonly domain: string;
  readonly imapPort: number;
  readonly smtpPort: number;
  readonly lmtpPort: number;
  /** Every mailbox user, postmaster included. */
  readonly users: readonly StackUser[];
  user(name: string): StackUser;
  readonly postfixConfigDir: string;
  readonly logs: { readonly dovecot: string; readonly postfix: string };
  /** The masters' pids (null while stopped); each equals the pid in its master.pid. */
  pids(): { readonly dovecot: number | null; readonly postfix: number | null };
  /** Stop only Postfix (an MTA outage); startPostfix() brings it back with the same config and ports. */
  stopPostfix(): Promise<void>;
  startPostfix(): Promise<void>;
  /** Stop both, wait until every process of the stack is gone, remove the directory (unless keepDir). */
  stop(): Promise<void>;
}

const START_ATTEMPTS = 3;
const DEFAULT_USERS = ['alice', 'bob', 'carol'];

async function dovecotWithRetry(dir: string, users: StackUser[], postmaster: string, timeoutMs: number): Promise<{ d: RunningDovecot; c: DovecotConfig }> {
  for (let attempt = 1; ; attempt++) {
    const c: DovecotConfig = { dir, imapPort: await freePort(), lmtpPort: await freePort(), users, postmasterAddress: postmaster };
    const d = await startDovecot(c, writeDovecotConfig(c), timeoutMs);
    if (d !== null) return { d, c };
    // most likely a port taken between freePort() and bind: new ports
    if (attempt === START_ATTEMPTS) throw new Error(`dovecot did not start; see ${join(dir, 'log')}`);
  }
}

async function postfixWithRetry(base: Omit<PostfixConfig, 'smtpPort'>, timeoutMs: number): Promise<{ p: RunningPostfix; c: PostfixConfig; etc: string }> {
  for (let attempt = 1; ; attempt++) {
    const c: PostfixConfig = { ...base, smtpPort: await freePort() };
    const etc = writePostfixConfig(c);
    const p = await startPostfix(c, etc, timeoutMs);
    if (p !== null) return { p, c, etc };
    if (attempt === START_ATTEMPTS) throw new Error(`postfix did not start; see ${join(base.dir, 'log', 'postfix.log')}`);
  }
}

export async function startMailStack(opts: MailStackOptions): Promise<MailStack> {
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(opts.parentDir ?? tmpdir(), `farside-mail-${opts.domain}-`));
  // mkdtemp makes it 0700; the daemons' unprivileged users (postfix, nobody) must traverse it (environment.md §2.4)
  chmodSync(dir, 0o755);
  const names = ['postmaster', ...(opts.users ?? DEFAULT_USERS).filter((u) => u !== 'postmaster')];
  const users: StackUser[] = names.map((name) => ({ name, password: `${name}pw`, address: `${name}@${opts.domain}` }));
  const postmaster = `postmaster@${opts.domain}`;

  let dovecot: RunningDovecot | null = null;
  let postfix: RunningPostfix | null = null;
  try {
    const started = await dovecotWithRetry(join(dir, 'dovecot'), users, postmaster, timeoutMs);
    dovecot = started.d;
    const pf = await postfixWithRetry(
      {
        dir: join(dir, 'postfix'),
        lmtpPort: started.c.lmtpPort,
        domain: opts.domain,
        users: names,
        relay: opts.relay ?? [],
        messageSizeLimit: opts.messageSizeLimit ?? 64 * 1024 * 1024,
        fastRetry: opts.fastRetry ?? true,
      },
      timeoutMs,
    );
    postfix = pf.p;
    return makeStack(dir, opts, users, started.c, pf.c, pf.etc, dovecot, postfix, timeoutMs);
  } catch (e) {
    await postfix?.stop();
    await dovecot?.stop();
    if (opts.keepDir !== true) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function makeStack(
  dir: string,
  opts: MailStackOptions,
  users: readonly StackUser[],
  dc: DovecotConfig,
  pc: PostfixConfig,
  etc: string,
  dovecotStarted: RunningDovecot,
  postfixStarted: RunningPostfix,
  timeoutMs: number,
): MailStack {
  let dovecot: RunningDovecot | null = dovecotStarted;
  let postfix: RunningPostfix | null = postfixStarted;
  let stopped = false;
  const stopPostfix = async (): Promise<void> => {
    const p = postfix;
    postfix = null;
    await p?.stop();
  };
  return {
    dir,
    domain: opts.domain,
    imapPort: dc.imapPort,
    smtpPort: pc.smtpPort,
    lmtpPort: dc.lmtpPort,
    users,
    user(name) {
      const u = users.find((x) => x.name === name);
      if (u === undefined) throw new Error(`no user ${name} at ${opts.domain}`);
      return u;
    },
    postfixConfigDir: etc,
    logs: { dovecot: join(dc.dir, 'log', 'dovecot.log'), postfix: join(pc.dir, 'log', 'postfix.log') },
    pids: () => ({ dovecot: dovecot?.pid ?? null, postfix: postfix?.pid ?? null }),
    stopPostfix,
    async startPostfix() {
      if (stopped) throw new Error('the mail stack was stopped');
      if (postfix !== null) return;
      const p = await startPostfix(pc, etc, timeoutMs);
      if (p === null) throw new Error(`postfix did not restart on port ${pc.smtpPort}; see ${join(pc.dir, 'log', 'postfix.log')}`);
      postfix = p;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const tree = [postfix?.pid, dovecot?.pid].flatMap((p) => (p === undefined ? [] : [p, ...descendantsOf(p)]));
      await stopPostfix();
      const d = dovecot;
      dovecot = null;
      await d?.stop();
      if (!(await waitGone(tree, 10_000))) throw new Error(`mail stack processes still running after stop: ${tree.join(' ')}`);
      if (opts.keepDir !== true) rmSync(dir, { recursive: true, force: true });
    },
  };
}
