/**
 * `farside bpa`: runs the embedded Bundle Protocol Agent (electron/bpa) until SIGTERM/SIGINT. Thin: the
 * flags and the config file become a BpaConfig (bpa/config.ts), startBpa builds the node. Standard
 * output carries one JSON line per event; the `bpa.ready` line lists the bound addresses (with the real
 * ports when 0 was asked for), so a parent process can spawn it and parse where to connect.
 */
import { readFile } from 'node:fs/promises';
import { toLogFormat } from '../../../shared/errors';
import { parseBpaConfigFile, resolveBpaConfig, type BpaConfigInput } from '../../bpa/config';
import { startBpa } from '../../bpa/start-bpa';
import type { LogEvent } from '../../bpa/types';
import { intOption, listOption, parseOptions, stringOption } from '../args';
import { growHeapForBundleStreams } from '../heap-growth';
import { createLineBatch, LOG_LINE_BATCH } from '../line-batch';
import { failure, usageError, type CliCommand, type CliIo } from '../io';

const help = `Usage: farside bpa --node-id EID [--aap tcp:HOST:PORT|unix:PATH …] [--aap2 tcp:HOST:PORT|unix:PATH …]
                   [--cla mtcp:HOST:PORT …]
                   [--cla tcpclv3:HOST:PORT] [--cla smtcp:HOST:PORT] [--store DIR] [--config FILE]
                   [--lifetime S] [--max-bundle-size B] [--status-reports] [--allow-remote-config]
                   [--store-max-bytes B] [--store-max-bundles N]

Runs Farside's embedded Bundle Protocol Agent (BPv7, RFC 9171), wire-compatible with uD3TN v0.13 over
AAP v1, AAP 2.0 and the MTCP, SMTCP and TCPCLv3 convergence layers, with a durable bundle store. Stops cleanly on
SIGTERM or SIGINT; bundles not yet sent or delivered stay stored for the next start.

Options (each overrides the config file):
  --node-id EID          this node: dtn://NODE/ or ipn:N.0 (uD3TN -e)
  --aap ADDR             an AAP v1 listener, tcp:HOST:PORT or unix:PATH; repeatable (uD3TN -a/-p, -s)
  --aap2 ADDR            an AAP 2.0 listener, tcp:HOST:PORT or unix:PATH; repeatable (uD3TN -S)
  --cla CLA:HOST:PORT    a CLA listener: mtcp, smtcp or tcpclv3; HOST * = all IPv4 interfaces, port 0 = any
                         free port; repeatable (uD3TN -c)
  --store DIR            where bundles and the node's state are kept (default ./farside-bpa)
  --store-max-bytes B    store bound, bytes of bundles (default 4 GiB)
  --store-max-bundles N  store bound, bundles (default 1000000)
  --config FILE          JSON configuration: the same settings plus the contact plan ("nodes")
  --lifetime S           lifetime of bundles agents submit, seconds (default 86400; uD3TN -l)
  --max-bundle-size B    fragment bundles larger than B bytes (uD3TN -m)
  --status-reports       send status reports when bundles ask for them (uD3TN -r)
  --allow-remote-config  accept config-agent bundles from other nodes (uD3TN -R)

Output: one JSON line per event on standard output ("bundle.received", "bundle.forwarded",
"bundle.delivered", …; never payloads). When ready:
  {"event":"bpa.ready","nodeId":…,"aap":["tcp:127.0.0.1:4242"],"aap2":[…],"cla":["mtcp:127.0.0.1:4224"],"store":…}
Contacts configured at run time through the config agent are kept across restarts (uD3TN forgets them).`;

function toFlags(values: Record<string, string | boolean | string[] | undefined>): { flags: BpaConfigInput; error?: string } {
  const numbers: Record<string, number | undefined> = {};
  for (const name of ['lifetime', 'max-bundle-size', 'store-max-bytes', 'store-max-bundles']) {
    const r = intOption(values, name);
    if (!r.ok) return { flags: {}, error: r.error.message };
    numbers[name] = r.value;
  }
  const store = {
    ...(stringOption(values, 'store') === undefined ? {} : { dir: stringOption(values, 'store') }),
    ...(numbers['store-max-bytes'] === undefined ? {} : { maxBytes: numbers['store-max-bytes'] }),
    ...(numbers['store-max-bundles'] === undefined ? {} : { maxBundles: numbers['store-max-bundles'] }),
  };
  const aap = listOption(values, 'aap');
  const aap2 = listOption(values, 'aap2');
  const cla = listOption(values, 'cla');
  return {
    flags: {
      ...(stringOption(values, 'node-id') === undefined ? {} : { nodeId: stringOption(values, 'node-id') }),
      ...(aap.length === 0 ? {} : { aap }),
      ...(aap2.length === 0 ? {} : { aap2 }),
      ...(cla.length === 0 ? {} : { cla }),
      ...(Object.keys(store).length === 0 ? {} : { store }),
      ...(numbers['lifetime'] === undefined ? {} : { lifetimeSeconds: numbers['lifetime'] }),
      ...(numbers['max-bundle-size'] === undefined ? {} : { maxBundleSize: numbers['max-bundle-size'] }),
      ...(values['status-reports'] === true ? { statusReports: true } : {}),
      ...(values['allow-remote-config'] === true ? { allowRemoteConfig: true } : {}),
    },
  };
}

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(argv, {
    'node-id': { type: 'string' },
    aap: { type: 'string', multiple: true },
    aap2: { type: 'string', multiple: true },
    cla: { type: 'string', multiple: true },
    store: { type: 'string' },
    'store-max-bytes': { type: 'string' },
    'store-max-bundles': { type: 'string' },
    config: { type: 'string' },
    lifetime: { type: 'string' },
    'max-bundle-size': { type: 'string' },
    'status-reports': { type: 'boolean' },
    'allow-remote-config': { type: 'boolean' },
  });
  if (!parsed.ok) {
    return usageError(io, 'bpa', parsed.error.message);
  }
  const { flags, error } = toFlags(parsed.value.values);
  if (error !== undefined) {
    return usageError(io, 'bpa', error);
  }
  let file: BpaConfigInput = {};
  const configPath = stringOption(parsed.value.values, 'config');
  if (configPath !== undefined) {
    let text: string;
    try {
      text = await readFile(configPath, 'utf8');
    } catch (e) {
      return failure(io, 'bpa', `cannot read ${configPath}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const f = parseBpaConfigFile(text);
    if (!f.ok) {
      return failure(io, 'bpa', `${configPath}: ${toLogFormat(f.error)}`);
    }
    file = f.value;
  }
  const config = resolveBpaConfig(file, flags, Date.now());
  if (!config.ok) {
    return usageError(io, 'bpa', config.error);
  }

  // Lines go out in batches (line-batch.ts); the ready line and the last lines are flushed at once.
  const { push, flush } = createLineBatch((text) => void io.stdout(text).catch(() => undefined), LOG_LINE_BATCH);
  const line = (e: Record<string, unknown>): void => push(`${JSON.stringify(e)}\n`);
  // The line of { ...e, time }, made without copying the event and with one ISO string per millisecond:
  // a busy node logs two lines per bundle, and the copy and the date were 5 % of its CPU.
  let isoMs = Number.NaN;
  let iso = '';
  const log = (e: LogEvent): void => {
    const now = Date.now();
    if (now !== isoMs) {
      isoMs = now;
      iso = new Date(now).toISOString();
    }
    if ('time' in e) line({ ...e, time: iso });
    else push(`${JSON.stringify(e).slice(0, -1)},"time":"${iso}"}\n`);
  };

  // This command owns the process: let the heap grow as a node moving large bundles needs (heap-growth.ts).
  growHeapForBundleStreams();
  const running = await startBpa(config.value, { log });
  if (!running.ok) {
    flush();
    return failure(io, 'bpa', running.error);
  }
  const { addresses } = running.value;
  line({ event: 'bpa.ready', nodeId: running.value.bpa.nodeId, aap: addresses.aap, aap2: addresses.aap2, cla: addresses.cla, store: config.value.store.dir, pid: process.pid });
  flush();

  if (!io.signal.aborted) await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
  await running.value.stop();
  line({ event: 'bpa.exit', nodeId: running.value.bpa.nodeId });
  flush();
  return 0;
}

export const bpaCommand: CliCommand = {
  path: ['bpa'],
  summary: 'run the embedded Bundle Protocol Agent (AAP v1 and 2.0, MTCP/SMTCP/TCPCLv3, durable store)',
  help,
  run,
};
