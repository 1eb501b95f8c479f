/**
 * A private Dovecot (IMAP + LMTP) in its own directory, configured from code as in environment.md §2.2:
 * `dovecot -c FILE` reads only FILE, nothing under /etc/dovecot is used.
 *
 * LMTP runs the gateway's mailbox de-duplication (mailbox-dedupe.ts, docs/gateway-exactly-once.md): Pigeonhole
 * Sieve (Debian package dovecot-sieve) with a global sieve_before script that discards a second copy of a
 * gateway transaction. The script is compiled with sievec when the configuration is written: LMTP runs as
 * the mail user (nobody in root mode), which cannot write the compiled binary beside a root-owned script,
 * and would otherwise compile it again at every delivery and log an error each time.
 *
 * It runs in the foreground (`-F`) as a child of the test process, in its own process group: the pid we
 * hold is the master (the same one it writes to run/master.pid), and on SIGTERM the master waits for its
 * children before it exits (environment.md §2.3, ~1.1 s), so nothing outlives it.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAILBOX_DEDUPE_SIEVE, pigeonholeSettings } from '../../mailbox-dedupe';
import { childRunning } from '../../../test-support/processes';
import { LOOPBACK, exited, readPidFile, signal, sleep, trackLive, untrackLive, waitForPort } from './processes';

export const DOVECOT_BINARY = '/usr/sbin/dovecot';
/** Pigeonhole's Sieve compiler (dovecot-sieve): present means the LMTP sieve plugin is installed too. */
export const SIEVEC_BINARY = '/usr/bin/sievec';

export interface MailUser {
  /** Login name; with username_format=%n every domain maps to it (environment.md §2.2). */
  readonly name: string;
  readonly password: string;
}

export interface DovecotConfig {
  readonly dir: string;
  readonly imapPort: number;
  readonly lmtpPort: number;
  readonly users: readonly MailUser[];
  readonly postmasterAddress: string;
}

/** The uid/gid mail is stored under: Dovecot refuses uid 0 for mail, so root mode uses nobody (§2.2). */
function mailOwner(): { uid: number; gid: number; root: boolean } {
  const uid = process.getuid?.() ?? 0;
  return uid === 0 ? { uid: 65534, gid: 65534, root: true } : { uid, gid: process.getgid?.() ?? uid, root: false };
}

/** Writes DIR/dovecot.conf and DIR/users; returns the config path. */
export function writeDovecotConfig(c: DovecotConfig): string {
  const { dir } = c;
  for (const sub of ['run', 'state', 'mail', 'log', 'sieve']) mkdirSync(join(dir, sub), { recursive: true });
  const dedupe = join(dir, 'sieve', 'farside-dedupe.sieve');
  writeFileSync(dedupe, MAILBOX_DEDUPE_SIEVE);
  const plugin = Object.entries(pigeonholeSettings(dedupe))
    .map(([k, v]) => `  ${k} = ${v}\n`)
    .join('');
  const owner = mailOwner();
  if (owner.root) {
    // a mkdtemp directory is 0700 and nobody could not traverse it (environment.md §2.4)
    chmodSync(dir, 0o755);
    chownSync(join(dir, 'mail'), owner.uid, owner.gid);
  }
  const users = c.users
    .map((u) => `${u.name}:{PLAIN}${u.password}:${owner.uid}:${owner.gid}::${join(dir, 'mail', u.name)}::\n`)
    .join('');
  writeFileSync(join(dir, 'users'), users);
  let conf = `protocols = imap lmtp
listen = ${LOOPBACK}
base_dir = ${join(dir, 'run')}
state_dir = ${join(dir, 'state')}
log_path = ${join(dir, 'log', 'dovecot.log')}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = ${owner.uid}
first_valid_gid = ${owner.gid}
mail_location = maildir:~/Maildir
# test speed (about 2x APPEND rate, environment.md §3); a private test instance needs no durability
mail_fsync = never
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${join(dir, 'users')}
}
userdb {
  driver = passwd-file
  args = username_format=%n ${join(dir, 'users')}
}
service imap-login {
  inet_listener imap {
    address = ${LOOPBACK}
    port = ${c.imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = ${LOOPBACK}
    port = ${c.lmtpPort}
  }
}
protocol lmtp {
  postmaster_address = ${c.postmasterAddress}
  mail_plugins = $mail_plugins sieve
}
plugin {
${plugin}}
`;
  if (!owner.root) {
    // rootless mode needs these, or the master fails with fchown() EPERM (environment.md §2.4)
    const user = process.env['USER'] ?? String(owner.uid);
    conf += `default_internal_user = ${user}
default_internal_group = ${user}
default_login_user = ${user}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
`;
  }
  const path = join(dir, 'dovecot.conf');
  writeFileSync(path, conf);
  const compiled = spawnSync(SIEVEC_BINARY, ['-c', path, dedupe], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const said = `${compiled.stdout ?? ''}${compiled.stderr ?? ''}`.trim();
  if (compiled.error !== undefined || compiled.status !== 0) {
    throw new Error(`cannot compile ${dedupe} with ${SIEVEC_BINARY} (Debian package dovecot-sieve, build/scripts/install-deps.sh): ${compiled.error?.message ?? said}`);
  }
  // sievec exits 0 on warnings; one here (":seconds … over the maximum") would mean a shorter period than meant
  if (said !== '') throw new Error(`sievec warned about ${dedupe}: ${said}`);
  return path;
}

export interface RunningDovecot {
  readonly pid: number;
  readonly pidFile: string;
  stop(): Promise<void>;
}

/**
 * Start Dovecot and wait until IMAP and LMTP accept connections. Resolves null when it exited or did not
 * become ready (a port taken between freePort() and bind: the caller retries with new ports).
 */
export async function startDovecot(c: DovecotConfig, confPath: string, timeoutMs: number): Promise<RunningDovecot | null> {
  const out = openSync(join(c.dir, 'log', 'dovecot.stderr'), 'a');
  let child: ChildProcess;
  try {
    child = spawn(DOVECOT_BINARY, ['-F', '-c', confPath], { stdio: ['ignore', out, out], detached: true });
  } finally {
    closeSync(out);
  }
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) return null;
  trackLive(pid);
  const running = (): boolean => childRunning(child);
  const stop = async (): Promise<void> => {
    if (running()) signal(-pid, 'SIGTERM');
    const killer = setTimeout(() => signal(-pid, 'SIGKILL'), 10_000);
    await exited(child);
    clearTimeout(killer);
    untrackLive(pid);
  };
  const ready = (await waitForPort(c.imapPort, timeoutMs, running)) && (await waitForPort(c.lmtpPort, timeoutMs, running));
  if (!ready) {
    await stop();
    return null;
  }
  const pidFile = join(c.dir, 'run', 'master.pid');
  // -F writes the pid file too (sometimes just after the listeners open); it must name the process we
  // hold (stop by pid, environment.md §13)
  const deadline = Date.now() + timeoutMs;
  while (readPidFile(pidFile) === null && Date.now() < deadline) await sleep(10);
  if (readPidFile(pidFile) !== pid) {
    await stop();
    throw new Error(`dovecot master.pid (${String(readPidFile(pidFile))}) is not the started process ${pid}`);
  }
  return { pid, pidFile, stop };
}
