/**
 * Process and port helpers for the private mail stack (environment.md §2.3, §4.3, §7, §13): ports chosen
 * at run time, readiness by polling the TCP port, and stop by pid with zombie awareness.
 *
 * Why zombies matter here: a daemon's children are re-parented when the daemon exits, and until the new
 * parent reaps them `kill -0 PID` still succeeds on the zombie. A zombie runs nothing and holds no port, so
 * "gone" below means "no /proc entry, or state Z" (environment.md §2.3).
 *
 * Ports, connecting and signalling are electron/test-support/processes.ts's, re-exported for the stack.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { canConnect, signal, sleep } from '../../../test-support/processes';

export { LOOPBACK, canConnect, exited, freePort, signal, sleep } from '../../../test-support/processes';

/**
 * Poll until the port accepts connections (true) or `timeoutMs` passed or `stillRunning()` turned false
 * (false). 20 ms steps, as in environment.md §2.3.
 */
export async function waitForPort(port: number, timeoutMs: number, stillRunning: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(port)) return true;
    if (!stillRunning()) return false;
    await sleep(20);
  }
  return false;
}

interface ProcStat {
  readonly pid: number;
  readonly state: string;
  readonly ppid: number;
}

/** /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so split at the last ")". */
function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return { pid, state: fields[0] ?? '', ppid: Number(fields[1]) };
}

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== null && stat.state !== 'Z';
}

/** Every live (non-zombie) descendant of `root`, found by walking parent links in /proc. */
export function descendantsOf(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat === null || stat.state === 'Z') continue;
    const list = children.get(stat.ppid);
    if (list === undefined) children.set(stat.ppid, [stat.pid]);
    else list.push(stat.pid);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop() as number;
    for (const child of children.get(pid) ?? []) {
      out.push(child);
      todo.push(child);
    }
  }
  return out;
}

/** Resolves true when every pid is gone (or a zombie), false after `timeoutMs`. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids.every((p) => !isRunning(p))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

/** The pid a daemon wrote into its pid file (Postfix pads it with spaces, environment.md §4.3), or null. */
export function readPidFile(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** The masters still running, for the exit hook: if a test worker dies, nothing may be left behind. */
const live = new Set<number>();
let hookInstalled = false;

export function trackLive(pid: number): void {
  live.add(pid);
  if (hookInstalled) return;
  hookInstalled = true;
  // Runs when the worker exits for any reason; only synchronous work is possible here. Both masters
  // run in their own process group (spawned detached), so the group signal reaches their children too.
  process.on('exit', () => {
    for (const p of live) {
      signal(-p, 'SIGKILL');
      signal(p, 'SIGKILL');
    }
  });
}

export function untrackLive(pid: number): void {
  live.delete(pid);
}
