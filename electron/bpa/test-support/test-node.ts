/**
 * A bundle processor with a real store in a temporary directory and a fake CLA (fake-network.ts), for
 * the processor's unit tests; plus a recording agent and helpers that wait for log events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBpa, type Bpa, type BpaOptions } from '../bpa';
import { createBundleStore } from '../store/bundle-store';
import type { BundleStore } from '../store/types';
import type { AgentSink, BundleSink, ClaName, Clock, DeliveredAdu, LogEvent } from '../types';
import { createEventRecorder, type EventRecorder } from '../../test-support/waiting';

/** The processor's unit tests wait with it for state the log does not announce. */
export { until } from '../../test-support/waiting';
import type { FakeCla, FakeNetwork } from './fake-network';

export interface TestNode {
  readonly bpa: Bpa;
  readonly store: BundleStore;
  readonly cla: FakeCla;
  readonly events: readonly LogEvent[];
  readonly dir: string;
  /** Resolves with the first event named `event` (logged before or after the call) that matches. */
  waitFor(event: string, match?: (e: LogEvent) => boolean, timeoutMs?: number): Promise<LogEvent>;
  named(event: string): LogEvent[];
  /** Stop the processor and close the store (the directory stays for a restart). */
  stop(): Promise<void>;
  /** Stop, then start a new processor on the same directory and address. */
  restart(options?: BpaOptions): Promise<TestNode>;
  /** Stop and remove the directory. */
  destroy(): Promise<void>;
}

export interface TestNodeOptions {
  readonly nodeId: string;
  readonly network: FakeNetwork;
  /** "host:port" the node's CLA listens on, e.g. "mars:1". */
  readonly address: string;
  readonly claName?: ClaName;
  readonly clock?: Clock;
  readonly options?: BpaOptions;
  readonly dir?: string;
  readonly storeLimits?: { readonly maxBytes?: number; readonly maxBundles?: number };
}

export async function startTestNode(o: TestNodeOptions): Promise<TestNode> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'farside-bpa-'));
  const clock = o.clock ?? Date.now;
  const storeR = createBundleStore({
    path: join(dir, 'bundles.sqlite'),
    maxBytes: o.storeLimits?.maxBytes ?? 1 << 30,
    maxBundles: o.storeLimits?.maxBundles ?? 100_000,
    clock,
  });
  if (!storeR.ok) throw new Error(storeR.error.message);
  const store = storeR.value;
  const recorder: EventRecorder<LogEvent> = createEventRecorder({
    timeoutMs: 5000,
    describe: (why) => `${why}; logged: ${recorder.events.map((e) => e.event).join(', ')}`,
  });
  let sink: BundleSink = () => undefined;
  const cla = o.network.cla(o.claName ?? 'mtcp', (b, origin) => sink(b, origin));
  const [host, port] = o.address.split(':') as [string, string];
  const listening = await cla.listen(host, Number(port));
  if (!listening.ok) throw new Error(listening.error.message);
  // Sends confirm after 50 ms of a usable link, and deliveries to AAP v1 agents settle after 50 ms (2 s
  // by default), so tests need not wait.
  const bpaR = createBpa({ nodeId: o.nodeId, store, clas: [cla], clock, log: recorder.record, options: { stateDir: dir, sentConfirmMs: 50, deliverySettleMs: 50, ...o.options } });
  if (!bpaR.ok) throw new Error(bpaR.error.message);
  const bpa = bpaR.value;
  sink = bpa.sink;
  let stopped = false;

  const node: TestNode = {
    bpa,
    store,
    cla,
    events: recorder.events,
    dir,
    waitFor: recorder.waitFor,
    named: (event) => recorder.named(event),
    async stop() {
      if (stopped) return;
      stopped = true;
      await bpa.stop();
      await cla.close();
      try {
        store.close();
      } catch {
        // closed already by a test
      }
    },
    async restart(options) {
      await node.stop();
      return startTestNode({ ...o, dir, ...(options === undefined ? {} : { options }) });
    },
    async destroy() {
      await node.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return node;
}

export interface RecordingAgent {
  readonly sink: AgentSink;
  readonly received: DeliveredAdu[];
  waitFor(n: number, timeoutMs?: number): Promise<DeliveredAdu[]>;
  /** Answer false (the application did not take it) while set. */
  refuse: boolean;
}

export function recordingAgent(): RecordingAgent {
  const received: DeliveredAdu[] = [];
  let wake: (() => void) | undefined;
  const agent: RecordingAgent = {
    received,
    refuse: false,
    sink: {
      deliver: async (adu) => {
        if (agent.refuse) return false;
        received.push({ ...adu, payload: adu.payload.slice() });
        wake?.();
        return true;
      },
    },
    waitFor(n, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${n} deliveries, got ${received.length}`)), timeoutMs);
        const check = (): void => {
          if (received.length >= n) {
            clearTimeout(timer);
            wake = undefined;
            resolve(received);
          }
        };
        wake = check;
        check();
      });
    },
  };
  return agent;
}
