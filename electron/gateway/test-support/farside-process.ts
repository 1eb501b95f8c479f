/**
 * A `farside <command>` child process for the crash and multi-process tests (issue 4: "kill -9 at any
 * point"): `node bin/farside.js gateway --config FILE` or `… bpa --config FILE`, started and read by
 * test-support/farside-child.ts; start resolves on the command's ready line (`gateway.ready`,
 * `bpa.ready`). kill() is a real SIGKILL; restart() runs the same command line again, so the process
 * comes back on the same store, configuration and ports (a configuration that names its ports, not 0, is
 * what makes the restart land on the same addresses).
 *
 * A child whose test worker died kills itself (farside-child.ts); the caller owns the directories.
 */
import { startFarsideChild, type EventLine, type StartFarsideChildOptions, type StartedFarsideChild } from '../../test-support/farside-child';

/** One event line of the child's standard output. */
export type FarsideLine = EventLine;

/** The command line after `farside`, its ready event, and optionally a log file and a line callback. */
export type FarsideProcessOptions = StartFarsideChildOptions;

export interface FarsideProcess extends StartedFarsideChild {
  /** The same command line in a new process, once this one has exited. */
  restart(): Promise<FarsideProcess>;
}

export async function startFarsideProcess(o: FarsideProcessOptions): Promise<FarsideProcess> {
  const child = await startFarsideChild(o);
  return {
    ...child,
    async restart() {
      if (child.exitCode() === undefined) throw new Error(`farside ${o.args.join(' ')} (pid ${child.pid}) is still running`);
      return startFarsideProcess(o);
    },
  };
}
