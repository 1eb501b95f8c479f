/**
 * Process and port helpers shared by the integration tiers' test support (the BPA and gateway child
 * processes, uD3TN nodes, the private mail stack): ports chosen at run time, readiness by connecting,
 * Farside children read line by line, and stop by pid.
 *
 * A child is signalled by its pid only while it has not exited: after the exit the pid may already be
 * another process's.
 */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createConnection, createServer, type NetConnectOpts } from 'node:net';
import { fileURLToPath } from 'node:url';

export const LOOPBACK = '127.0.0.1';

const FARSIDE = fileURLToPath(new URL('../../bin/farside.js', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port that was free a moment ago: listen on 0, read it, close (environment.md §7; callers retry on a bind race). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => {
      const a = s.address();
      const port = a !== null && typeof a === 'object' ? a.port : 0;
      s.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Whether a listener accepts a connection now: a port on `host`, or another socket address (a UNIX path). */
export function canConnect(target: number | NetConnectOpts, host = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(typeof target === 'number' ? { host, port: target } : target);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** process.kill without the throw for a process that is already gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Whether a process with this pid exists (`kill -0`; a zombie not yet reaped counts). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One event line of a Farside process's standard output (one JSON object per line). */
export type EventLine = Readonly<Record<string, unknown>>;

/** The line as an event, or null when it is not a JSON object (not an event line). */
export function parseEventLine(text: string): EventLine | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof parsed === 'object' && parsed !== null ? (parsed as EventLine) : null;
}

/** A `node bin/farside.js …` child with piped standard streams and its pid. */
export interface FarsideChild {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Resolves with the exit code once the child exited. */
  readonly exited: Promise<number | null>;
  /** Undefined while the child runs, then its exit code. */
  exitCode(): number | null | undefined;
  /** Send `sig` unless the child has exited; resolves with the exit code. */
  signal(sig: NodeJS.Signals): Promise<number | null>;
  /** SIGTERM (the clean stop) and await the exit code. Idempotent. */
  stop(): Promise<number | null>;
  /** SIGKILL and await the exit. */
  kill(): Promise<void>;
}

/**
 * Spawn `node [nodeFlags] bin/farside.js args` with standard input closed. `onExit` runs in the exit
 * event, before `exited` settles. Throws `<what>: spawn failed` when no process was created.
 */
export function spawnFarside(args: readonly string[], what: string, nodeFlags: readonly string[] = [], onExit?: () => void): FarsideChild {
  const proc: ChildProcessWithoutNullStreams = spawn(process.execPath, [...nodeFlags, FARSIDE, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`${what}: spawn failed`);
  proc.stdin.end();
  let code: number | null | undefined;
  const exitedPromise = new Promise<number | null>((resolve) =>
    proc.once('exit', (c) => {
      onExit?.();
      code = c;
      resolve(c);
    }),
  );
  const send = (sig: NodeJS.Signals): Promise<number | null> => {
    if (code === undefined) signal(pid, sig);
    return exitedPromise;
  };
  let stopping: Promise<number | null> | null = null;
  return {
    proc,
    pid,
    exited: exitedPromise,
    exitCode: () => code,
    signal: send,
    stop: () => (stopping ??= send('SIGTERM')),
    async kill() {
      await send('SIGKILL');
    },
  };
}
