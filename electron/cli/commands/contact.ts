/**
 * `farside contact add`: one contact through the node's config agent (protocols.md §7), on a uD3TN or on
 * the embedded BPA. The config agent answers nothing; the command prints the SENDCONFIRM of the config
 * bundle. Contacts are not persistent in uD3TN v0.13 (§7.4): configure them again after a restart.
 */
import { err, ok, type Result } from '../../../shared/errors';
import { checkNodeId } from '../../services/aap-client/endpoint';
import { intOption, parseOptions, stringOption } from '../args';
import { usageError, type CliCommand, type CliIo } from '../io';
import { AAP_HELP, AAP_OPTIONS, commandError, openAapSession } from './aap-session';

const DEFAULT_AGENT = 'farside-config';

const help = `Usage: farside contact add --aap tcp:HOST:PORT|unix:PATH [--aap2] --node EID --cla CLA:HOST:PORT
                           [--start T] [--end T] [--rate BYTES_PER_S]

Adds a contact to the peer node EID (a node ID: dtn://NODE/ or ipn:N.0) reachable over the CLA address,
e.g. mtcp:127.0.0.1:4224, by sending uD3TN's configuration text (ADD) to the node's config agent
(dtn://NODE/config or ipn:N.9000). Prints one JSON line: {"source","creationTime","sequence",
"destination","config"}: the config bundle's ID and the text sent. uD3TN 0.14 and later accept this only
over AAP 2.0 (or with -R).

Contact options:
  --node EID        the peer's node ID
  --cla ADDR        CLA and address, e.g. mtcp:HOST:PORT, tcpclv3:HOST:PORT
  --start T         contact start (default: now)
  --end T           contact end (default: start + 1 day)
  --rate B          data rate in bytes per second (default: unlimited)
  T is Unix time in seconds (1767225600) or ISO 8601 with a zone (2026-01-01T00:00:00Z,
  2026-01-01T01:00+01:00) or a date (2026-01-01, midnight UTC). Times are sent as DTN seconds
  (seconds since 2000-01-01T00:00:00Z), rounded down.

${AAP_HELP.replace('%AGENT%', DEFAULT_AGENT)}`;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Unix seconds or ISO 8601 (zone required for date-times: local time would differ per machine) → Unix ms. */
export function parseContactTime(text: string, option: string): Result<number> {
  if (/^[0-9]{1,12}$/.test(text)) return ok(Number(text) * 1000);
  if (ISO_8601.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return ok(ms);
  }
  return err('INVALID_ARGUMENT', `--${option} must be Unix seconds or ISO 8601 with a zone (e.g. 2026-01-01T00:00:00Z), got '${text}'`);
}

const CLA_ADDRESS = /^[a-z][a-z0-9]*:(\[[0-9A-Fa-f:.]+\]|[^:()\s[\]]+):([0-9]{1,5})$/;

async function run(argv: string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(argv, {
    ...AAP_OPTIONS,
    node: { type: 'string' },
    cla: { type: 'string' },
    start: { type: 'string' },
    end: { type: 'string' },
    rate: { type: 'string' },
  });
  const usage = (message: string): number => {
    return usageError(io, 'contact add', { code: 'INVALID_ARGUMENT', message });
  };
  if (!parsed.ok) return usage(parsed.error.message);
  const values = parsed.value.values;
  const node = stringOption(values, 'node');
  const cla = stringOption(values, 'cla');
  if (node === undefined || cla === undefined) return usage('--node and --cla are required');
  if (!checkNodeId(node).ok) return usage(`--node must be a node ID (dtn://NODE/ or ipn:N.0), got '${node}'`);
  const claMatch = CLA_ADDRESS.exec(cla);
  const port = claMatch ? Number(claMatch[2]) : 0;
  if (!claMatch || port < 1 || port > 65535) return usage(`--cla must be CLA:HOST:PORT, e.g. mtcp:127.0.0.1:4224, got '${cla}'`);

  const times: Record<'start' | 'end', number | undefined> = { start: undefined, end: undefined };
  for (const name of ['start', 'end'] as const) {
    const raw = stringOption(values, name);
    if (raw === undefined) continue;
    const t = parseContactTime(raw, name);
    if (!t.ok) return usage(t.error.message);
    times[name] = t.value;
  }
  const rate = intOption(values, 'rate');
  if (!rate.ok) return usage(rate.error.message);
  if (rate.value !== undefined && (rate.value < 1 || rate.value > 0xffff_ffff)) {
    return usage('--rate must be 1..4294967295 bytes per second (uD3TN stores a uint32)');
  }

  const session = await openAapSession(values, io, DEFAULT_AGENT);
  if (!session.ok) {
    return commandError(io, 'contact add', session.error);
  }
  try {
    const sent = await session.value.client.addContact({
      node,
      cla,
      ...(times.start !== undefined ? { start: times.start } : {}),
      ...(times.end !== undefined ? { end: times.end } : {}),
      ...(rate.value !== undefined ? { rateBytesPerSec: rate.value } : {}),
    });
    if (!sent.ok) {
      return commandError(io, 'contact add', sent.error);
    }
    const { bundleId, destination, config } = sent.value;
    await io.stdout(`${JSON.stringify({ ...bundleId, destination, config })}\n`);
    return 0;
  } finally {
    await session.value.close();
  }
}

export const contactAddCommand: CliCommand = {
  path: ['contact', 'add'],
  summary: "add a contact (peer node, CLA address, times, rate) through a node's config agent",
  help,
  run,
};
