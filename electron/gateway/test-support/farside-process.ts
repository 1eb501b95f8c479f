/**
 * A `farside <command>` child process for the crash and multi-process tests (issue 4: "kill -9 at any
 * point"): `node bin/farside.js gateway --config FILE` or `… bpa --config FILE`. Each event line of its
 * standard output (one JSON object per line) is kept; start resolves on the command's ready line
 * (`gateway.ready`, `bpa.ready`). kill() is a real SIGKILL; restart() runs the same command line again,
 * so the process comes back on the same store, configuration and ports (a configuration that names its
 * ports, not 0, is what makes the restart land on the same addresses).
 *
 * A process-exit hook SIGKILLs whatever a failed test left running; the caller owns the directories.
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseEventLine, signal, spawnFarside, type EventLine } from '../../test-support/processes';

/** One event line of the child's standard output. */
export type FarsideLine = EventLine;

export interface FarsideProcessOptions {
  /** The command line after `farside`, e.g. ['gateway', '--config', FILE]. */
  readonly args: readonly string[];
  /** The event that says the process is ready, e.g. 'gateway.ready'. */
  readonly readyEvent: string;
  /** Called with every event line as it is read (before it is stored). */
  readonly onLine?: (line: FarsideLine) => void;
  /** Append every standard output and error line to this file too (kept across restarts, for post-mortems). */
  readonly logFile?: string;
  /** How long the process may take to print its ready line; default 30 s (tsx compiles the CLI at start). */
  readonly startTimeoutMs?: number;
}

export interface FarsideProcess {
  readonly pid: number;
  /** The ready line. */
  readonly ready: FarsideLine;
  /** Every event line read so far. */
  readonly lines: readonly FarsideLine[];
  /** Lines named `event` that match, read so far. */
  count(event: string, match?: (l: FarsideLine) => boolean): number;
  /** SIGTERM (the clean stop) and await the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** SIGKILL and await the exit. */
  kill(): Promise<void>;
  /** The same command line in a new process, once this one has exited. */
  restart(): Promise<FarsideProcess>;
  stderr(): string;
}

const live = new Set<number>();
let hookInstalled = false;

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  // the worker is exiting, perhaps after a failed test: only synchronous work is possible here
  process.on('exit', () => {
    for (const pid of live) signal(pid, 'SIGKILL');
  });
}

export async function startFarsideProcess(o: FarsideProcessOptions): Promise<FarsideProcess> {
  installExitHook();
  const child = spawnFarside(o.args, `farside ${o.args.join(' ')}`, [], () => live.delete(child.pid));
  const { proc, pid, exited } = child;
  live.add(pid);
  const lines: FarsideLine[] = [];
  let stderr = '';
  let onReady: ((l: FarsideLine) => void) | null = null;
  const keep = (text: string): void => {
    if (o.logFile !== undefined) appendFileSync(o.logFile, `${pid} ${text}\n`);
  };
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    keep(`stderr: ${d.toString().trimEnd()}`);
  });
  createInterface({ input: proc.stdout }).on('line', (text) => {
    keep(text);
    const line = parseEventLine(text);
    if (line === null) return;
    o.onLine?.(line);
    lines.push(line);
    if (line['event'] === o.readyEvent) onReady?.(line);
  });
  const timeoutMs = o.startTimeoutMs ?? 30_000;
  const ready = await new Promise<FarsideLine | string>((resolve) => {
    const timer = setTimeout(() => resolve(`no ${o.readyEvent} within ${timeoutMs} ms`), timeoutMs);
    onReady = (l) => {
      clearTimeout(timer);
      resolve(l);
    };
    // lines already read are parsed before 'exit' settles, so a ready line printed just before exiting counts
    void exited.then((code) =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve(`exited (code ${String(code)}) before ${o.readyEvent}`);
      }, 50),
    );
  });
  onReady = null;
  if (typeof ready === 'string') {
    await child.signal('SIGKILL');
    throw new Error(`farside ${o.args.join(' ')} (pid ${pid}): ${ready}; stderr: ${stderr.slice(-2000)}`);
  }

  return {
    pid,
    ready,
    lines,
    count: (event, match = () => true) => lines.filter((l) => l['event'] === event && match(l)).length,
    stop: child.stop,
    kill: child.kill,
    async restart() {
      if (child.exitCode() === undefined) throw new Error(`farside ${o.args.join(' ')} (pid ${pid}) is still running`);
      return startFarsideProcess(o);
    },
    stderr: () => stderr,
  };
}
