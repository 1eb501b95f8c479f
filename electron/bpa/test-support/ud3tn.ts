/**
 * Start and stop a real uD3TN node for the interop tier (design.md principle 11: `*.interop.test.ts`,
 * run only when FARSIDE_UD3TN names a uD3TN binary; v0.13.0 is what ud3tn-behaviour.md describes).
 *
 * Every node gets its own temporary directory (uD3TN resolves its default socket paths against the
 * working directory, ud3tn-behaviour.md §2), listens on loopback only, on ports chosen at run time, and is
 * stopped by its pid: SIGTERM (uD3TN's clean stop), then SIGKILL after a grace period. The directory is
 * removed afterwards, and a process-exit hook kills whatever a crashed test left running.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import type { NetConnectOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFailed } from 'vitest';
import type { AapTransport } from '../../services/aap-client/types';
import { LOOPBACK, alive, canConnect, childRunning, exited, freePort, signal, sleep } from '../../test-support/processes';

/** The binary under test, or undefined: interop suites use `describe.skipIf(!ud3tnBinary)`. */
export const ud3tnBinary: string | undefined = process.env['FARSIDE_UD3TN'] || undefined;

/** The CLAs uD3TN v0.13 offers that Farside speaks (protocols.md §6.1). */
export type Ud3tnCla = 'mtcp' | 'tcpclv3' | 'smtcp';

export interface Ud3tnOptions {
  /** `-e`: `dtn://name/` or `ipn:N.0`. */
  readonly nodeId: string;
  /** CLA listeners to open, each on a fresh loopback port (`-c`). Default mtcp and tcpclv3. */
  readonly clas?: readonly Ud3tnCla[];
  /** AAP v1 over TCP (`-a 127.0.0.1 -p PORT`, the default) or over a UNIX socket in the node's directory (`-s`). */
  readonly aap1?: 'tcp' | 'unix';
  /** `-m`: fragmentation threshold for the whole serialised bundle (ud3tn-behaviour.md §9). */
  readonly maxBundleSize?: number;
  /** `-r`: generate status reports where the subject bundle asks for them (§8). */
  readonly statusReports?: boolean;
  /** `-R`: accept config-agent bundles from other nodes (protocols.md §7.3). */
  readonly allowRemoteConfig?: boolean;
  /** `-l`: lifetime of AAP-created bundles, seconds. */
  readonly lifetimeSeconds?: number;
  /** `-L`: 1 error … 3 info (default here: waitForLog needs info lines) … 4 debug (debug builds only). */
  readonly logLevel?: 1 | 2 | 3 | 4;
  /** Default: FARSIDE_UD3TN. */
  readonly binary?: string;
  /** How long the node may take to open every listener. Default 10 s. */
  readonly startTimeoutMs?: number;
}

export interface Ud3tnNode {
  readonly nodeId: string;
  readonly pid: number;
  /** The node's own temporary directory (its working directory, sockets and log). */
  readonly dir: string;
  /** The command line it was started with (for failure messages and reports). */
  readonly args: readonly string[];
  readonly aap1: AapTransport;
  /** AAP 2.0: a UNIX socket only in v0.13 (protocols.md §5.1). */
  readonly aap2: AapTransport;
  /** Listening port of each CLA started. */
  readonly claPorts: Readonly<Partial<Record<Ud3tnCla, number>>>;
  /** The CLA address a contact uses to reach this node, `<cla>:127.0.0.1:<port>` (note the colon, §7.2). */
  claAddress(cla: Ud3tnCla): string;
  /** Everything the node logged so far (uD3TN logs to stderr, one flushed line per event). */
  log(): string;
  /** Resolves once a log line matches `pattern` (counting from the start of the log). */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Null while running; the exit code or signal name once it stopped. */
  exit(): { readonly code: number | null; readonly signal: NodeJS.Signals | null } | null;
  /** SIGTERM, SIGKILL after `graceMs` (default 5 s), then remove the directory. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const DIR_PREFIX = 'farside-ud3tn-';
const LOG_FILE = 'ud3tn.log';
/** Who started the node in this directory: { owner: test process pid, pid: uD3TN's pid }. */
const OWNER_FILE = 'owner.json';
const START_ATTEMPTS = 4;

/** Children still running and directories still present, for the exit hook. */
const live = new Map<number, string>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // Runs when the test worker exits for any reason; only synchronous work is possible here.
  process.on('exit', () => {
    for (const [pid, dir] of live) {
      signal(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Remove what an earlier test process could not: one killed by a signal runs no exit hook, so its node
 * directories stay and, if the signal did not reach its process group, its nodes keep running. A node is
 * recognised by its working directory being that directory (Linux /proc), so nothing else is signalled.
 */
function sweepStale(): void {
  const root = tmpdir();
  for (const name of readdirSync(root)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(root, name);
    let owner: unknown;
    try {
      owner = JSON.parse(readFileSync(join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // not ours, or still being set up
    }
    if (typeof owner !== 'object' || owner === null || !('owner' in owner) || !('pid' in owner)) continue;
    const { owner: ownerPid, pid } = owner;
    if (typeof ownerPid !== 'number' || typeof pid !== 'number' || alive(ownerPid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) === dir) process.kill(pid, 'SIGKILL');
    } catch {
      // gone already, or no /proc
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

async function signalAndWait(child: ChildProcess, graceMs: number): Promise<void> {
  const done = exited(child);
  const pid = child.pid;
  if (pid === undefined) return;
  if (childRunning(child)) signal(pid, 'SIGTERM');
  const timer = setTimeout(() => signal(pid, 'SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

interface Attempt {
  readonly node: Ud3tnNode;
  readonly ready: boolean;
}

async function attempt(binary: string, opts: Ud3tnOptions, dir: string): Promise<Attempt> {
  const clas = opts.clas ?? ['mtcp', 'tcpclv3'];
  const claPorts: Partial<Record<Ud3tnCla, number>> = {};
  const claSpecs: string[] = [];
  for (const cla of clas) {
    const port = await freePort();
    claPorts[cla] = port;
    // `-c` uses host,port (a comma); smtcp needs its passive flag (protocols.md §6.3).
    claSpecs.push(cla === 'smtcp' ? `smtcp:${LOOPBACK},${port},false` : `${cla}:${LOOPBACK},${port}`);
  }
  const aap2: AapTransport = { kind: 'unix', path: join(dir, 'aap2.socket') };
  let aap1: AapTransport;
  const args = ['-e', opts.nodeId];
  if (opts.aap1 === 'unix') {
    aap1 = { kind: 'unix', path: join(dir, 'aap.socket') };
    args.push('-s', aap1.path);
  } else {
    aap1 = { kind: 'tcp', host: LOOPBACK, port: await freePort() };
    args.push('-a', LOOPBACK, '-p', String(aap1.port));
  }
  args.push('-S', aap2.path, '-c', claSpecs.join(';'), '-L', String(opts.logLevel ?? 3));
  if (opts.maxBundleSize !== undefined) args.push('-m', String(opts.maxBundleSize));
  if (opts.lifetimeSeconds !== undefined) args.push('-l', String(opts.lifetimeSeconds));
  if (opts.statusReports === true) args.push('-r');
  if (opts.allowRemoteConfig === true) args.push('-R');

  const logPath = join(dir, LOG_FILE);
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(binary, args, { cwd: dir, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    await exited(child).catch(() => undefined);
    throw new Error(`could not start ${binary}`);
  }
  child.on('error', () => undefined);
  live.set(pid, dir);
  writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ owner: process.pid, pid }));

  let logCache = '';
  const log = (): string => {
    if (existsSync(logPath)) logCache = readFileSync(logPath, 'utf8');
    return logCache;
  };
  let stopping: Promise<void> | null = null;

  const node: Ud3tnNode = {
    nodeId: opts.nodeId,
    pid,
    dir,
    args: [binary, ...args],
    aap1,
    aap2,
    claPorts,
    claAddress(cla) {
      const port = claPorts[cla];
      if (port === undefined) throw new Error(`${opts.nodeId} was started without a ${cla} CLA`);
      return `${cla}:${LOOPBACK}:${port}`;
    },
    log,
    async waitForLog(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(log());
        if (m !== null) return m[0];
        if (Date.now() > deadline) throw new Error(`uD3TN ${opts.nodeId} logged nothing matching ${String(pattern)} in ${timeoutMs} ms:\n${log().slice(-4000)}`);
        await sleep(25);
      }
    },
    exit() {
      if (childRunning(child)) return null;
      return { code: child.exitCode, signal: child.signalCode };
    },
    stop(graceMs = 5_000) {
      stopping ??= (async () => {
        await signalAndWait(child, graceMs);
        log();
        live.delete(pid);
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };

  // Ready once every listener accepts (uD3TN opens AAP, AAP 2.0, then the CLAs; a failed bind aborts it).
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  const targets: NetConnectOpts[] = [aap1.kind === 'tcp' ? { host: aap1.host, port: aap1.port } : { path: aap1.path }, { path: aap2.path }];
  for (const port of Object.values(claPorts)) targets.push({ host: LOOPBACK, port });
  for (;;) {
    if (node.exit() !== null) return { node, ready: false };
    const up = await Promise.all(targets.map((t) => canConnect(t)));
    if (up.every(Boolean)) return { node, ready: true };
    if (Date.now() > deadline) return { node, ready: false };
    await sleep(25);
  }
}

/**
 * Start a node and wait until all its listeners accept. A port taken between choosing and binding makes
 * uD3TN abort; the start is then retried with new ports.
 */
export async function startUd3tn(opts: Ud3tnOptions): Promise<Ud3tnNode> {
  const binary = opts.binary ?? ud3tnBinary;
  if (binary === undefined) throw new Error('startUd3tn: FARSIDE_UD3TN is not set');
  installExitHook();
  sweepStale();
  let lastLog = '';
  for (let i = 0; i < START_ATTEMPTS; i++) {
    const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    const { node, ready } = await attempt(binary, opts, dir);
    if (ready) {
      printLogIfTestFails(node);
      return node;
    }
    const bindFailed = /bind\(\): Address already in use/.test(node.log());
    lastLog = node.log();
    await node.stop(1_000);
    if (!bindFailed) break;
  }
  throw new Error(`uD3TN ${opts.nodeId} did not start:\n${lastLog.slice(-4000)}`);
}

/**
 * When the running test fails, print the node's log (kept after stop): what uD3TN did is usually the
 * explanation. Outside a test (beforeAll) there is no test to watch; such suites call it from beforeEach.
 */
export function printLogIfTestFails(node: Ud3tnNode): void {
  try {
    onTestFailed(() => {
      console.error(`--- uD3TN ${node.nodeId} (pid ${node.pid}): ${node.args.join(' ')}\n${node.log().slice(-8000)}`);
    });
  } catch {
    // not inside a test
  }
}

/** Stop several nodes at once (afterAll); tolerates nodes that never started. */
export async function stopAll(nodes: readonly (Ud3tnNode | undefined)[]): Promise<void> {
  await Promise.all(nodes.map((n) => n?.stop()));
}
