/**
 * Stopping everything the demo started, in the reverse order of the start, and proving that nothing is
 * left behind (issue 4: "stops everything, leaving nothing behind"): every Dovecot and Postfix process
 * seen before the stop (the masters and their children) must be gone, checked by pid, and the temporary
 * directory removed unless --keep was given.
 */
import { existsSync, rmSync } from 'node:fs';
import { isRunning, waitGone } from '../../gateway/test-support/mailstack/processes';
import { stackProcesses } from './site';
import type { Running } from './two-sites';

export interface TeardownReport {
  /** Child processes (Dovecot, Postfix and their workers) that were running before the stop. */
  readonly processes: readonly number[];
  /** Those still running afterwards: empty unless something went wrong. */
  readonly leftRunning: readonly number[];
  readonly dirRemoved: boolean;
  /** What went wrong while stopping, in words. */
  readonly problems: readonly string[];
}

const GONE_TIMEOUT_MS = 10_000;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function teardown(running: Running, dir: string, keep: boolean): Promise<TeardownReport> {
  const problems: string[] = [];
  const attempt = async (what: string, f: () => Promise<void> | void): Promise<void> => {
    try {
      await f();
    } catch (e) {
      problems.push(`${what}: ${errorText(e)}`);
    }
  };
  for (const w of running.watchers.splice(0)) await attempt('IMAP watcher', () => w.stop());
  for (const f of running.followers.splice(0)) await attempt('mail log follower', () => f.stop());
  // gateways first: they finish the hand-over in progress while their node still answers
  for (const release of running.reservedPorts.splice(0)) await attempt('reserved port', release);
  for (const g of running.gateways.splice(0)) await attempt('gateway', () => g.stop());
  for (const n of running.nodes.splice(0)) await attempt(`${n.spec.name} node`, () => n.bpa.stop());
  const processes = running.stacks.flatMap(stackProcesses);
  await Promise.all(running.stacks.splice(0).map((s) => attempt(`${s.domain} mail stack`, () => s.stop())));
  await waitGone(processes, GONE_TIMEOUT_MS);
  const leftRunning = processes.filter(isRunning);
  if (leftRunning.length > 0) problems.push(`processes still running: ${leftRunning.join(' ')}`);
  if (!keep) await attempt(`removing ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return { processes, leftRunning, dirRemoved: !existsSync(dir), problems };
}
