/**
 * A `farside <command>` child process for the crash and multi-process tests (issue 4: "kill -9 at any
 * point"): `node bin/farside.js gateway --config FILE` or `… bpa --config FILE`, started and read by
 * test-support/farside-child.ts; start resolves on the command's ready line (`gateway.ready`,
 * `bpa.ready`). kill() is a real SIGKILL; restart() runs the same command line again, so the process
 * comes back on the same store, configuration and ports (a configuration that names its ports, not 0, is
 * what makes the restart land on the same addresses).
 *
 * A process-exit hook SIGKILLs whatever a failed test left running; the caller owns the directories.
 */
import { signal } from '../../test-support/processes';
import { startFarsideChild, type EventLine, type StartFarsideChildOptions, type StartedFarsideChild } from '../../test-support/farside-child';

/** One event line of the child's standard output. */
export type FarsideLine = EventLine;

/** The command line after `farside`, its ready event, and optionally a log file and a line callback. */
export type FarsideProcessOptions = StartFarsideChildOptions;

export interface FarsideProcess extends StartedFarsideChild {
  /** The same command line in a new process, once this one has exited. */
  restart(): Promise<FarsideProcess>;
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
  const child = await startFarsideChild(o);
  live.add(child.pid);
  void child.exited.then(() => live.delete(child.pid));
  return {
    ...child,
    async restart() {
      if (child.exitCode() === undefined) throw new Error(`farside ${o.args.join(' ')} (pid ${child.pid}) is still running`);
      return startFarsideProcess(o);
    },
  };
}
