/**
 * A whole embedded BPA (startBpa: store, CLAs, processor, agents, AAP v1 and AAP 2.0 servers) in its own
 * temporary directory on loopback ports chosen by the OS, for tests that pair it with other nodes. Its
 * log events are kept so a test can wait for one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAapAddress } from '../../services/aap-client/transport';
import type { AapTransport } from '../../services/aap-client/types';
import { resolveBpaConfig } from '../config';
import type { BpaConfigInput } from '../config';
import { startBpa } from '../start-bpa';
import type { RunningBpa } from '../start-bpa';
import type { LogEvent } from '../types';
import { createEventRecorder } from '../../test-support/waiting';
import { unwrap } from './agent';

export interface FarsideBpa {
  readonly nodeId: string;
  readonly running: RunningBpa;
  readonly aap1: AapTransport;
  readonly aap2: AapTransport;
  /** `<cla>:127.0.0.1:<port>` of each CLA listener, by CLA name. */
  readonly cla: Readonly<Record<string, string>>;
  readonly events: readonly LogEvent[];
  /** Resolves with the first event named `event` (already logged or still to come) that `match` accepts. */
  waitFor(event: string, match?: (e: LogEvent) => boolean, timeoutMs?: number): Promise<LogEvent>;
  stop(): Promise<void>;
}

/** The first address of an AAP listener kind, as the client's transport. */
function transportOf(addresses: readonly string[], kind: string): AapTransport {
  const address = addresses[0];
  if (address === undefined) throw new Error(`the BPA has no ${kind} listener`);
  return unwrap(parseAapAddress(address));
}

/** Start a BPA with AAP v1 on TCP, AAP 2.0 on a UNIX socket, and MTCP + TCPCLv3 listeners; `extra` overrides. */
export async function startFarsideBpa(nodeId: string, extra: BpaConfigInput = {}): Promise<FarsideBpa> {
  const dir = mkdtempSync(join(tmpdir(), 'farside-bpa-interop-'));
  const flags: BpaConfigInput = {
    nodeId,
    aap: ['tcp:127.0.0.1:0'],
    aap2: [`unix:${join(dir, 'aap2.socket')}`],
    cla: ['mtcp:127.0.0.1:0', 'tcpclv3:127.0.0.1:0'],
    store: { dir: join(dir, 'store') },
    ...extra,
  };
  const config = resolveBpaConfig({}, flags, Date.now());
  if (!config.ok) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`BPA config: ${config.error.message}`);
  }
  const recorder = createEventRecorder<LogEvent>({ timeoutMs: 10_000, describe: (why) => `BPA ${nodeId}: ${why}` });
  const running = await startBpa(config.value, { log: recorder.record });
  if (!running.ok) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`startBpa: ${running.error.message}`);
  }
  const r = running.value;
  const cla: Record<string, string> = {};
  for (const a of r.addresses.cla) cla[a.slice(0, a.indexOf(':'))] = a;
  let stopping: Promise<void> | undefined;
  return {
    nodeId,
    running: r,
    aap1: transportOf(r.addresses.aap, 'AAP v1'),
    aap2: transportOf(r.addresses.aap2, 'AAP 2.0'),
    cla,
    events: recorder.events,
    waitFor: recorder.waitFor,
    stop() {
      stopping ??= (async () => {
        await r.stop();
        rmSync(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** A FarsideBpa with both AAP versions on TCP and one MTCP listener, and its bound addresses as text. */
export interface TcpBpa extends Omit<FarsideBpa, 'aap1' | 'aap2'> {
  /** "tcp:127.0.0.1:PORT" of the AAP v1 and AAP 2.0 listeners. */
  readonly aap: string;
  readonly aap2: string;
  /** "mtcp:127.0.0.1:PORT", or '' when `extra` opened no CLA. */
  readonly mtcp: string;
}

/** startFarsideBpa with AAP 2.0 on TCP and only MTCP, `extra` overriding; its stop() is handed to `defer`. */
export async function startTcpBpa(nodeId: string, defer: (cleanup: () => Promise<void>) => void, extra: BpaConfigInput = {}): Promise<TcpBpa> {
  const node = await startFarsideBpa(nodeId, { aap2: ['tcp:127.0.0.1:0'], cla: ['mtcp:127.0.0.1:0'], ...extra });
  defer(() => node.stop());
  const { aap, aap2, cla } = node.running.addresses;
  return { ...node, aap: aap[0] ?? '', aap2: aap2[0] ?? '', mtcp: cla[0] ?? '' };
}
