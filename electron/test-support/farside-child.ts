/**
 * A `farside <command>` child process for the multi-process, crash and CLI tests: `node bin/farside.js …`
 * with standard input closed. Each event line of its standard output (one JSON object per line) is
 * recorded, so a test can wait for an event or count them; a line that is not a JSON object is no event
 * and is kept apart (otherLines). Standard error is kept for failure messages. startFarsideChild resolves on the command's
 * ready line (`bpa.ready`, `gateway.ready`).
 *
 * A child is signalled by its pid only while it has not exited: after the exit the pid may already be
 * another process's. A child whose test worker died without stopping it kills itself (EXIT_WITH_PARENT).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { signal } from './processes';
import { createEventRecorder } from './waiting';

const FARSIDE = fileURLToPath(new URL('../../bin/farside.js', import.meta.url));

/**
 * Loaded into the child before the CLI (`node --import`): when the test worker that started it dies
 * without stopping it (Vitest ends its workers with a signal, so no exit hook runs there), the child is
 * re-parented and kills itself the way a crash would, SIGKILL, leaving its store as kill -9 does. The
 * timer is unref'd: it never keeps the process alive or changes how it stops.
 */
const EXIT_WITH_PARENT =
  'data:text/javascript,const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,"SIGKILL")},250).unref();';

/** One event line of a Farside process's standard output. */
export type EventLine = Readonly<Record<string, unknown>>;

/** The line as an event, or null when it is not a JSON object (not an event line). */
export function parseEventLine(text: string): EventLine | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as EventLine) : null;
}

export interface FarsideChildOptions {
  /** The command line after `farside`, e.g. ['gateway', '--config', FILE]. */
  readonly args: readonly string[];
  /** Called with every event line as it is read (before it is recorded). */
  readonly onLine?: (line: EventLine) => void;
  /** Append every standard output and error line to this file too (kept across restarts, for post-mortems). */
  readonly logFile?: string;
  /** waitFor's timeout when the caller names none; default 20 s. */
  readonly waitTimeoutMs?: number;
}

export interface FarsideChild {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Every event line read so far. */
  readonly lines: readonly EventLine[];
  /** Standard output lines that were not event lines (a command that prints only events leaves none). */
  readonly otherLines: readonly string[];
  /** Resolves with the first line named `event` that `match` accepts, read before or after the call. */
  waitFor(event: string, match?: (l: EventLine) => boolean, timeoutMs?: number): Promise<EventLine>;
  /** Lines named `event` that `match` accepts, read so far. */
  count(event: string, match?: (l: EventLine) => boolean): number;
  /** Resolves with the exit code once the child exited and its output was read to the end. */
  readonly exited: Promise<number | null>;
  /** Undefined while the child runs (or its output is still being read), then its exit code. */
  exitCode(): number | null | undefined;
  /** SIGTERM (the clean stop) and await the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** SIGKILL and await the exit. */
  kill(): Promise<void>;
  /** What the child wrote to standard error. */
  stderr(): string;
}

/** Spawn `node bin/farside.js args`; throws when no process was created. */
export function spawnFarsideChild(o: FarsideChildOptions): FarsideChild {
  const what = `farside ${o.args.join(' ')}`;
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, FARSIDE, ...o.args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`${what}: spawn failed`);
  proc.stdin.end();

  let stderr = '';
  const otherLines: string[] = [];
  const recorder = createEventRecorder<EventLine>({
    timeoutMs: o.waitTimeoutMs ?? 20_000,
    describe: (why) => `${what} (pid ${pid}): ${why}; stderr: ${stderr.slice(-2000)}`,
  });
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
    if (line === null) {
      otherLines.push(text);
      return;
    }
    o.onLine?.(line);
    recorder.record(line);
  });

  // 'exit' ends the pid's use (no signal after it); 'close' comes once standard output was read to the
  // end too, so a line printed just before exiting is recorded before waits fail and `exited` settles.
  let gone = false;
  proc.once('exit', () => (gone = true));
  let code: number | null | undefined;
  const exitedPromise = new Promise<number | null>((resolve) =>
    proc.once('close', (c) => {
      code = c;
      recorder.end(`exited (code ${String(c)})`);
      resolve(c);
    }),
  );
  const send = (sig: NodeJS.Signals): Promise<number | null> => {
    if (!gone) signal(pid, sig);
    return exitedPromise;
  };
  let stopping: Promise<number | null> | null = null;
  return {
    proc,
    pid,
    lines: recorder.events,
    otherLines,
    waitFor: recorder.waitFor,
    count: recorder.count,
    exited: exitedPromise,
    exitCode: () => code,
    stop: () => (stopping ??= send('SIGTERM')),
    async kill() {
      await send('SIGKILL');
    },
    stderr: () => stderr,
  };
}

export interface StartFarsideChildOptions extends FarsideChildOptions {
  /** The event that says the process is ready, e.g. 'gateway.ready'. */
  readonly readyEvent: string;
  /** How long the process may take to print its ready line; default 30 s (tsx compiles the CLI at start). */
  readonly startTimeoutMs?: number;
}

export interface StartedFarsideChild extends FarsideChild {
  /** The ready line. */
  readonly ready: EventLine;
}

/** spawnFarsideChild, resolved once the ready line was read; a child that is not ready in time is killed. */
export async function startFarsideChild(o: StartFarsideChildOptions): Promise<StartedFarsideChild> {
  const child = spawnFarsideChild(o);
  try {
    const ready = await child.waitFor(o.readyEvent, undefined, o.startTimeoutMs ?? 30_000);
    return { ...child, ready };
  } catch (e) {
    await child.kill();
    throw e;
  }
}
