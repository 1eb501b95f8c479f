/**
 * The demo's running record: every input goes through the narrator, every step is kept and shown at once,
 * and the demo waits for the steps it needs (a message in an inbox, a DSN back) instead of sleeping. A wait
 * ends early when a fatal step arrives or the demo is interrupted, so a failure is reported when it
 * happens, not when a timeout runs out.
 */
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';
import type { DemoInput, Narrator, Step } from './narrate';

export interface WaitOptions {
  readonly timeoutMs: number;
  /** What is awaited, in words: "Alice's mail in Bob's IMAP inbox". */
  readonly what: string;
}

export interface Journal {
  observe(input: DemoInput): void;
  /** Something outside the narration went wrong (an IMAP watcher failed): ends every wait. */
  fail(message: string): void;
  steps(): readonly Step[];
  /** The first step, seen or to come, that matches: TIMEOUT after timeoutMs, INTERNAL on a fatal step. */
  waitFor(match: (s: Step) => boolean, opts: WaitOptions): Promise<Result<Step>>;
}

interface Waiter {
  readonly match: (s: Step) => boolean;
  readonly done: (r: Result<Step>) => void;
}

export function createJournal(narrate: Narrator, onStep: (s: Step) => void, signal: AbortSignal): Journal {
  const steps: Step[] = [];
  let waiters: Waiter[] = [];
  let failure: string | null = null;

  const failAll = (message: string): void => {
    failure ??= message;
    const w = waiters;
    waiters = [];
    for (const x of w) x.done(err('INTERNAL', message));
  };
  const onAbort = (): void => failAll('interrupted');
  signal.addEventListener('abort', onAbort, { once: true });

  const record = (s: Step): void => {
    steps.push(s);
    onStep(s);
    if (s.tone === 'fatal') {
      failAll(s.text);
      return;
    }
    const hit: Waiter[] = [];
    const rest: Waiter[] = [];
    for (const w of waiters) (w.match(s) ? hit : rest).push(w);
    waiters = rest;
    for (const w of hit) w.done(ok(s));
  };

  return {
    observe(input) {
      let steps: Step[];
      try {
        steps = narrate(input);
      } catch (e) {
        // called from inside the components' log callbacks: a narration bug must not break them
        failAll(`narrating ${input.kind === 'node' || input.kind === 'gateway' ? input.e.event : input.kind}: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      for (const s of steps) record(s);
    },
    fail: failAll,
    steps: () => steps,
    waitFor(match, opts) {
      const seen = steps.find(match);
      if (seen !== undefined) return Promise.resolve(ok(seen));
      if (signal.aborted) return Promise.resolve(err('INTERNAL', 'interrupted'));
      if (failure !== null) return Promise.resolve(err('INTERNAL', failure));
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          resolve(err('TIMEOUT', `timed out after ${Math.round(opts.timeoutMs / 1000)} s waiting for ${opts.what}`));
        }, opts.timeoutMs);
        const waiter: Waiter = {
          match,
          done: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        waiters.push(waiter);
      });
    },
  };
}
