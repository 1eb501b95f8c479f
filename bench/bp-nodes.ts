/**
 * The BP nodes the end-to-end benchmark drives, each in its own process so that its memory can be read
 * from /proc and it does not share the client's event loop: Farside's embedded BPA (`farside bpa`, as a
 * user runs it), when FARSIDE_UD3TN names a binary a uD3TN node (electron/bpa/test-support/ud3tn.ts), and
 * for pair-cpu.ts the floor node (floor-node.ts). All listen on loopback with ports chosen at run time and
 * are stopped by their pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startUd3tn } from '../electron/bpa/test-support/ud3tn';
import { parseAapAddress } from '../electron/services/aap-client';
import type { AapTransport } from '../electron/services/aap-client';

const FARSIDE = fileURLToPath(new URL('../bin/farside.js', import.meta.url));
const RUN_TS = fileURLToPath(new URL('../bin/run-ts.js', import.meta.url));
const FLOOR_NODE = fileURLToPath(new URL('./floor-node.ts', import.meta.url));
/**
 * Extra Node options for the `farside bpa` and floor children, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
 * to profile them (Node refuses --cpu-prof in NODE_OPTIONS). Whitespace-separated.
 */
const BPA_NODE_ARGS = (process.env['FARSIDE_BENCH_BPA_NODE_ARGS'] ?? '').split(/\s+/).filter((a) => a.length > 0);
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 10_000;

export interface BenchNode {
  /** `dtn://name/`, as WELCOME will name it. */
  readonly nodeId: string;
  readonly pid: number;
  /** AAP v1 over TCP. */
  readonly aap: AapTransport;
  /** Where a contact reaches this node's MTCP listener: `mtcp:127.0.0.1:PORT`. */
  readonly mtcp: string;
  /** SIGTERM (SIGKILL after a grace period), then remove the node's directory. */
  stop(): Promise<void>;
}

export type StartNode = (nodeId: string) => Promise<BenchNode>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function terminate(child: ChildProcess): Promise<void> {
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await done;
  clearTimeout(timer);
}

/** The `bpa.ready` line `farside bpa` (and the floor node) prints once every listener is bound (electron/cli/commands/bpa.ts). */
function readyLine(log: string): Record<string, unknown> | null {
  for (const text of log.split('\n')) {
    if (!text.includes('"bpa.ready"')) continue;
    const line: unknown = JSON.parse(text);
    if (typeof line === 'object' && line !== null) return line as Record<string, unknown>;
  }
  return null;
}

function firstString(value: unknown): string {
  if (!Array.isArray(value) || typeof value[0] !== 'string') throw new Error(`farside bpa: unexpected ready line field ${JSON.stringify(value)}`);
  return value[0];
}

/** Where a started node's log says it listens. */
type Listening = Pick<BenchNode, 'aap' | 'mtcp'>;

/**
 * A node process with its own fresh directory, its log (stdout and stderr) in a file there rather than
 * through a pipe into this process, so that the client's process does not pay for reading it. The log
 * is polled until `listening` finds the node's addresses in it.
 */
async function startNodeProcess(
  what: string,
  nodeId: string,
  dirPrefix: string,
  argsIn: (dir: string) => readonly string[],
  listening: (log: string) => Listening | null,
): Promise<BenchNode> {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const logPath = join(dir, 'node.log');
  const fd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...argsIn(dir)], { cwd: dir, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  child.on('error', () => undefined);
  const stop = async (): Promise<void> => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const log = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    const at = listening(log);
    if (at !== null && child.pid !== undefined) return { nodeId, pid: child.pid, ...at, stop };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${what} ${nodeId} did not start:\n${log.slice(-4000)}`);
    }
    await sleep(25);
  }
}

/** The addresses in a `bpa.ready` line (electron/cli/commands/bpa.ts), which the floor node prints too. */
function readyAddresses(log: string): Listening | null {
  const ready = readyLine(log);
  if (ready === null) return null;
  const aap = parseAapAddress(firstString(ready['aap']));
  if (!aap.ok) throw new Error(`bpa.ready: ${aap.error.message}`);
  return { aap: aap.value, mtcp: firstString(ready['cla']) };
}

/**
 * `farside bpa` with an AAP v1 and an MTCP listener on free loopback ports and its durable store in a
 * fresh directory; its event log is one JSON line per bundle event.
 */
export const startFarsideNode: StartNode = (nodeId) =>
  startNodeProcess(
    'farside bpa',
    nodeId,
    'farside-bench-bpa-',
    (dir) => [...BPA_NODE_ARGS, FARSIDE, 'bpa', '--node-id', nodeId, '--aap', 'tcp:127.0.0.1:0', '--cla', 'mtcp:127.0.0.1:0', '--store', join(dir, 'store')],
    readyAddresses,
  );

/** The floor node of floor-node.ts (not a BPA: the least Node.js does per bundle on the bench path), for pair-cpu.ts. */
export const startFloorNode: StartNode = (nodeId) =>
  startNodeProcess('floor node', nodeId, 'farside-bench-floor-', (dir) => [...BPA_NODE_ARGS, RUN_TS, FLOOR_NODE, nodeId, dir], readyAddresses);

/**
 * A uD3TN node with an MTCP listener, at log level 2 like the runs in ud3tn-behaviour.md §12 (level 3
 * writes a line per bundle). Only with FARSIDE_UD3TN set; the caller checks that first.
 */
export const startUd3tnNode: StartNode = async (nodeId) => {
  const node = await startUd3tn({ nodeId, clas: ['mtcp'], logLevel: 2 });
  if (node.aap1.kind !== 'tcp') throw new Error('uD3TN AAP v1 is expected on TCP');
  return { nodeId, pid: node.pid, aap: node.aap1, mtcp: node.claAddress('mtcp'), stop: () => node.stop() };
};

/** VmHWM (peak resident set size since the process started) in MiB, from /proc/<pid>/status; null without /proc. */
export function peakRssMiB(pid: number): number | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return m?.[1] === undefined ? null : Number(m[1]) / 1024;
}

/**
 * User and system CPU time the process has used, in seconds, from /proc/<pid>/stat fields 14 and 15
 * (utime, stime, in USER_HZ ticks, 100 per second in Linux's user ABI); null without /proc.
 */
export function cpuTimes(pid: number): { readonly user: number; readonly sys: number } | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? { user: utime / 100, sys: stime / 100 } : null;
}

/** User + system CPU time of the process in seconds (cpuTimes); null without /proc. */
export function cpuSeconds(pid: number): number | null {
  const t = cpuTimes(pid);
  return t === null ? null : t.user + t.sys;
}
