/**
 * `farside bpa` as a child process, for the multi-process integration tests (issue 3, "two BPAs … as two
 * processes"; "kill -9 of either BPA"). The node is started with `node bin/farside.js bpa …` on ports
 * chosen at run time (port 0); its `bpa.ready` line says what was bound. Every JSON line it prints is kept,
 * so a test can wait for an event (`bundle.delivered`, `link.opened`, …) or count them.
 *
 * A node is stopped by its pid: stop() sends SIGTERM (the BPA's clean stop) and awaits the exit; kill()
 * sends SIGKILL, the crash the durable store must survive. restart() starts a new process with the same
 * store and, pinned, the addresses the first one bound, so clients and peers reconnect to the same ports.
 * A child whose test worker died kills itself (farside-child.ts); the caller owns the store directory.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFarsideChild, type EventLine, type StartedFarsideChild } from '../../test-support/farside-child';

/** One JSON line of the BPA's standard output (bpa.ts log events, bpa.ready, bpa.exit). */
export type BpaLine = EventLine;

export interface BpaProcessOptions {
  readonly nodeId: string;
  readonly storeDir: string;
  /** AAP v1 listeners; default one on a free loopback TCP port. */
  readonly aap?: readonly string[];
  /** AAP 2.0 listeners; default none. */
  readonly aap2?: readonly string[];
  /** CLA listeners; default MTCP on a free loopback port. */
  readonly cla?: readonly string[];
  /** `--config FILE`. */
  readonly config?: string;
  /** Further flags, e.g. `--status-reports`, `--max-bundle-size N`. */
  readonly flags?: readonly string[];
  /** How long the node may take to print bpa.ready. Default 20 s (tsx compiles the CLI at start). */
  readonly startTimeoutMs?: number;
}

/** The child (its lines, waitFor, count, stop, kill, stderr) with what its bpa.ready line said. */
export interface BpaProcess extends StartedFarsideChild {
  readonly nodeId: string;
  /** Bound addresses from bpa.ready: "tcp:HOST:PORT" / "unix:PATH" (AAP), "mtcp:HOST:PORT" (CLA). */
  readonly aap: readonly string[];
  readonly aap2: readonly string[];
  readonly cla: readonly string[];
  /** A new process on the same store directory and the addresses this one bound. */
  restart(): Promise<BpaProcess>;
}

function argsOf(o: BpaProcessOptions): string[] {
  const args = ['bpa', '--node-id', o.nodeId, '--store', o.storeDir];
  for (const a of o.aap ?? ['tcp:127.0.0.1:0']) args.push('--aap', a);
  for (const a of o.aap2 ?? []) args.push('--aap2', a);
  for (const c of o.cla ?? ['mtcp:127.0.0.1:0']) args.push('--cla', c);
  if (o.config !== undefined) args.push('--config', o.config);
  args.push(...(o.flags ?? []));
  return args;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

export async function startBpaProcess(o: BpaProcessOptions): Promise<BpaProcess> {
  const child = await startFarsideChild({ args: argsOf(o), readyEvent: 'bpa.ready', startTimeoutMs: o.startTimeoutMs ?? 20_000 });
  const { ready } = child;
  const node: BpaProcess = {
    ...child,
    nodeId: typeof ready['nodeId'] === 'string' ? ready['nodeId'] : o.nodeId,
    aap: strings(ready['aap']),
    aap2: strings(ready['aap2']),
    cla: strings(ready['cla']),
    async restart() {
      if (child.exitCode() === undefined) throw new Error(`farside bpa ${o.nodeId} (pid ${child.pid}) is still running`);
      return startBpaProcess({ ...o, aap: node.aap, aap2: node.aap2, cla: node.cla });
    },
  };
  return node;
}

/**
 * A `--config` file whose contact plan holds one contact to each peer, open from load time for a day
 * (config.ts, router/plan-file.ts), written into `dir`; returns its path.
 */
export function writeContactConfig(dir: string, name: string, peers: readonly { readonly nodeId: string; readonly cla: string }[]): string {
  const path = join(dir, name);
  const nodes = peers.map((p) => ({ nodeId: p.nodeId, claAddress: p.cla, contacts: [{ start: '+0s', end: '+1d', rateBytesPerSec: 1_000_000_000 }] }));
  writeFileSync(path, JSON.stringify({ nodes }));
  return path;
}
