/**
 * Process and port helpers shared by the integration tiers' test support (Farside child processes,
 * uD3TN nodes, the private mail stack): ports chosen at run time, whether a listener accepts connections,
 * a child's exit, and signals and liveness by pid.
 */
import type { ChildProcess } from 'node:child_process';
import { createConnection, createServer, type NetConnectOpts } from 'node:net';

export const LOOPBACK = '127.0.0.1';

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

/**
 * Whether the child has not exited yet (no exit code, no signal). Named apart from the mail stack's
 * isRunning(pid), which asks /proc about a pid.
 */
export function childRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

export function exited(child: ChildProcess): Promise<void> {
  if (!childRunning(child)) return Promise.resolve();
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
