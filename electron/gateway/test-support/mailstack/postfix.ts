/**
 * A private Postfix configured from code (environment.md §4.2): SMTP on a loopback port, local domains
 * delivered by LMTP into the private Dovecot, remote domains the gateway serves relayed to the gateway's
 * SMTP listener through a transport map, everything else refused. Root only: the Postfix master needs it
 * (environment.md §4.5).
 *
 * Start: the queue directories are made here with the owners and modes of /etc/postfix/postfix-files
 * (what `postfix check` / post-install create-missing would do in ~2.9 s), then the master runs in the
 * foreground (`master -d -c DIR`) as our child, detached into its own process group. That matters for the
 * stop: on SIGTERM the master signals its whole process group and exits (master_sigdeath in Postfix's
 * master_sig.c), so it must lead its own group, or the signal would fail (or hit the test runner).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { childRunning } from '../../../test-support/processes';
import { LOOPBACK, descendantsOf, exited, readPidFile, signal, trackLive, untrackLive, waitForPort, waitGone } from './processes';

export const POSTFIX_MASTER = '/usr/lib/postfix/sbin/master';

export interface RelayRoute {
  /** A remote mail domain, e.g. mars.example. */
  readonly domain: string;
  readonly host: string;
  readonly port: number;
}

export interface PostfixConfig {
  readonly dir: string;
  readonly smtpPort: number;
  readonly lmtpPort: number;
  /** The site's mail domain (mydestination), e.g. earth.example. */
  readonly domain: string;
  /** Local users (mail for user@domain and user@localhost goes to Dovecot). */
  readonly users: readonly string[];
  /** Remote domains sent to the gateway's SMTP listener. */
  readonly relay: readonly RelayRoute[];
  /** message_size_limit in bytes. */
  readonly messageSizeLimit: number;
  /** Retry deferred mail after 1 s instead of 300 s, so tests see recovery quickly. */
  readonly fastRetry: boolean;
}

function idOf(file: string, name: string): number {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`${name} not found in ${file}: is Postfix installed? (bash build/scripts/install-deps.sh)`);
}

/** The queue directories of /etc/postfix/postfix-files: [name, owner is postfix, setgid group postdrop, mode]. */
const QUEUE_DIRS: readonly (readonly [string, boolean, boolean, number])[] = [
  ['active', true, false, 0o700],
  ['bounce', true, false, 0o700],
  ['corrupt', true, false, 0o700],
  ['defer', true, false, 0o700],
  ['deferred', true, false, 0o700],
  ['flush', true, false, 0o700],
  ['hold', true, false, 0o700],
  ['incoming', true, false, 0o700],
  ['private', true, false, 0o700],
  ['maildrop', true, true, 0o730],
  ['public', true, true, 0o710],
  ['pid', false, false, 0o755],
  ['saved', true, false, 0o700],
  ['trace', true, false, 0o700],
];

function makeQueueDirs(spool: string, data: string): void {
  const postfix = idOf('/etc/passwd', 'postfix');
  const postfixGid = idOf('/etc/group', 'postfix');
  const postdrop = idOf('/etc/group', 'postdrop');
  mkdirSync(spool, { recursive: true, mode: 0o755 });
  mkdirSync(data, { recursive: true });
  chownSync(data, postfix, postfixGid);
  chmodSync(data, 0o700);
  for (const [name, byPostfix, setgid, mode] of QUEUE_DIRS) {
    const path = join(spool, name);
    if (existsSync(path)) continue;
    mkdirSync(path);
    chownSync(path, byPostfix ? postfix : 0, setgid ? postdrop : byPostfix ? postfixGid : 0);
    chmodSync(path, mode);
  }
}

/** Writes DIR/etc/{main.cf,master.cf,recipients,transport} and the queue; returns the config directory. */
export function writePostfixConfig(c: PostfixConfig): string {
  const etc = join(c.dir, 'etc');
  const spool = join(c.dir, 'spool');
  const data = join(c.dir, 'data');
  const log = join(c.dir, 'log');
  mkdirSync(etc, { recursive: true });
  mkdirSync(log, { recursive: true });
  makeQueueDirs(spool, data);
  // local_recipient_maps: unknown local users are refused at RCPT with 550 5.1.1 (environment.md §4.4)
  const recipients = ['postmaster', ...c.users.filter((u) => u !== 'postmaster')]
    .flatMap((u) => [`${u}@${c.domain} x`, `${u}@localhost x`])
    .join('\n');
  writeFileSync(join(etc, 'recipients'), `${recipients}\n`);
  writeFileSync(join(etc, 'transport'), c.relay.map((r) => `${r.domain} smtp:[${r.host}]:${r.port}\n`).join(''));
  const retry = c.fastRetry
    ? 'queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 4s\n'
    : '';
  writeFileSync(
    join(etc, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${spool}
data_directory = ${data}
maillog_file_prefixes = ${log}
maillog_file = ${join(log, 'postfix.log')}
myhostname = mta.${c.domain}
mydomain = ${c.domain}
myorigin = $mydomain
inet_interfaces = ${LOOPBACK}
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination = ${c.domain}, localhost
local_transport = lmtp:inet:${LOOPBACK}:${c.lmtpPort}
local_recipient_maps = texthash:${join(etc, 'recipients')}
transport_maps = texthash:${join(etc, 'transport')}
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
default_transport = error:remote delivery disabled
message_size_limit = ${c.messageSizeLimit}
smtp_dns_support_level = disabled
smtpd_error_sleep_time = 0
in_flow_delay = 0
smtputf8_enable = no
biff = no
append_dot_mydomain = no
${retry}`,
  );
  // every service unchrooted: a private queue lacks the chroot's /etc files (environment.md §4.5 pitfall 2)
  writeFileSync(
    join(etc, 'master.cf'),
    `${LOOPBACK}:${c.smtpPort} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n -  0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n -  - trivial-rewrite
bounce    unix  - - n -  0 bounce
defer     unix  - - n -  0 bounce
trace     unix  - - n -  0 bounce
verify    unix  - - n -  1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -  - proxymap
showq     unix  n - n -  - showq
error     unix  - - n -  - error
retry     unix  - - n -  - error
discard   unix  - - n -  - discard
smtp      unix  - - n -  - smtp
lmtp      unix  - - n -  - lmtp
anvil     unix  - - n -  1 anvil
scache    unix  - - n -  1 scache
postlog   unix-dgram n - n - 1 postlogd
`,
  );
  // Postfix re-reads a table or main.cf every 300 ms until its mtime lies in the past (it will not load a
  // file that may still be being written; seen with strace: 1.5-1.8 s of a fresh start went there). Files
  // written by code are complete, so date them back.
  const past = new Date(Date.now() - 10_000);
  for (const name of readdirSync(etc)) utimesSync(join(etc, name), past, past);
  return etc;
}

export interface RunningPostfix {
  readonly pid: number;
  readonly pidFile: string;
  stop(): Promise<void>;
}

/**
 * Start the master and wait until SMTP accepts connections; null when it exited or did not become ready
 * (see the log: a start failure goes only to the maillog, environment.md §4.5 pitfall 1).
 */
export async function startPostfix(c: PostfixConfig, etc: string, timeoutMs: number): Promise<RunningPostfix | null> {
  if (process.getuid?.() !== 0) throw new Error('the Postfix master needs root (environment.md §4.5)');
  const out = openSync(join(c.dir, 'log', 'master.stderr'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(POSTFIX_MASTER, ['-d', '-c', etc], { stdio: ['ignore', out, out], detached: true });
  } finally {
    closeSync(out);
  }
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) return null;
  trackLive(pid);
  const running = (): boolean => childRunning(child);
  const stop = async (): Promise<void> => {
    const children = descendantsOf(pid);
    if (running()) signal(pid, 'SIGTERM');
    const killer = setTimeout(() => signal(-pid, 'SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(killer);
    // the master signalled its group and exited at once; its children end right after it
    if (!(await waitGone(children, 5_000))) for (const p of children) signal(p, 'SIGKILL');
    untrackLive(pid);
  };
  if (!(await waitForPort(c.smtpPort, timeoutMs, running))) {
    await stop();
    return null;
  }
  const pidFile = join(c.dir, 'spool', 'pid', 'master.pid');
  if (readPidFile(pidFile) !== pid) {
    await stop();
    throw new Error(`postfix master.pid (${String(readPidFile(pidFile))}) is not the started process ${pid}`);
  }
  return { pid, pidFile, stop };
}
