/**
 * `farside bundle decode` and `farside bundle encode`: BPv7 bundles (RFC 9171) on standard input and
 * output, optionally framed as MTCP (one CBOR byte string per bundle, draft-ietf-dtn-mtcpcl).
 */
import { createReadStream } from 'node:fs';
import type { FarsideError } from '../../../shared/errors';
import { decodeBundle, encodeBundleParts } from '../../../shared/protocol/bpv7/bundle';
import { dtnTimeFromUnixMs } from '../../../shared/protocol/bpv7/dtn-time';
import { DTN_NONE, parseEid } from '../../../shared/protocol/bpv7/eid';
import { BundleFlag } from '../../../shared/protocol/bpv7/flags';
import { fragmentBundle } from '../../../shared/protocol/bpv7/fragment';
import type { Bundle, CrcType, Eid } from '../../../shared/protocol/bpv7/types';
import { createMtcpDecoder, encodeMtcpHeader } from '../../../shared/protocol/mtcp';
import { nodeCodecOptions } from '../../services/codec/native-crc32c';
import { intOption, parseOptions, stringOption } from '../args';
import { bundleToJson } from '../bundle-json';
import { EXIT_USAGE, failure, readAll, usageError, type CliCommand, type CliIo } from '../io';

const DECODE_HELP = `Usage: farside bundle decode [FILE|-] [--mtcp]

Decodes BPv7 bundles (RFC 9171) from FILE or standard input and prints one JSON object per bundle:
version, flags, crcType, destination, source, reportTo (text EIDs), creationTime (DTN ms), sequence,
lifetime (ms), fragmentOffset and totalAduLength for a fragment, blocks (every canonical block in wire
order: type, number, flags, crcType, dataLength), payloadLength, payloadSha256, crcOk, and for a bundle
status report its content (statusReport). CRC mismatches are reported (crcOk false), not refused.

  --mtcp   the input is a stream of MTCP frames: one JSON line per bundle, printed as frames arrive

Invalid input: exit status 1 and one line on standard error naming the problem.
`;

const ENCODE_HELP = `Usage: farside bundle encode --source EID --destination EID [--report-to EID] [--lifetime MS]
                             [--crc none|16|32c] [--payload-crc none|16|32c] [--flags N]
                             [--creation-time MS] [--sequence N] [--max-size BYTES] [--mtcp]

Reads a payload (ADU) on standard input and writes one BPv7 bundle (RFC 9171) on standard output, or with
--max-size its fragments (RFC 9171 §5.8: each whole fragment at most BYTES), as MTCP frames with --mtcp.

  --source EID          source node / endpoint, e.g. dtn://earth.dtn/email or ipn:1.25
  --destination EID     destination endpoint
  --report-to EID       report-to endpoint (default dtn:none)
  --lifetime MS         lifetime in milliseconds (default 86400000, one day)
  --crc TYPE            CRC of the primary and payload blocks: none, 16 (CRC-16/X.25), 32c (CRC-32C);
                        default 16 (a primary block must carry a CRC unless a BIB covers it, §4.3.1)
  --payload-crc TYPE    CRC of the payload block alone (default: as --crc); uD3TN writes none
  --flags N             bundle processing control flags (§4.2.3), decimal or 0x hex (default 0)
  --creation-time MS    creation time in DTN milliseconds (default: now)
  --sequence N          creation sequence number (default 0)
  --max-size BYTES      fragment so that every encoded fragment is at most BYTES
  --mtcp                frame each bundle as MTCP (a CBOR byte string)
`;

async function* inputOf(file: string | undefined, io: CliIo): AsyncIterable<Uint8Array> {
  if (file === undefined || file === '-') {
    yield* io.stdin;
    return;
  }
  for await (const chunk of createReadStream(file)) yield chunk as Uint8Array;
}

async function printBundle(bytes: Uint8Array, io: CliIo): Promise<FarsideError | undefined> {
  const decoded = decodeBundle(bytes, { ...nodeCodecOptions, requireValidCrc: false });
  if (!decoded.ok) return decoded.error;
  await io.stdout(`${JSON.stringify(bundleToJson(decoded.value))}\n`);
  return undefined;
}

export const bundleDecode: CliCommand = {
  path: ['bundle', 'decode'],
  summary: 'BPv7 bundles (or MTCP frames) → one JSON object per bundle',
  help: DECODE_HELP,
  async run(argv, io) {
    const parsed = parseOptions(argv, { mtcp: { type: 'boolean' } }, true);
    if (!parsed.ok) return usageError(io, 'bundle decode', parsed.error.message);
    const [file, extra] = parsed.value.positionals;
    if (extra !== undefined) return usageError(io, 'bundle decode', 'at most one FILE');
    try {
      if (parsed.value.values['mtcp'] !== true) {
        const problem = await printBundle(await readAll(inputOf(file, io)), io);
        return problem ? failure(io, 'bundle decode', problem) : 0;
      }
      // Strict framing: a damaged MTCP stream is an error here, not something to resynchronise past.
      const decoder = createMtcpDecoder({ recovery: 'stop' });
      let count = 0;
      for await (const chunk of inputOf(file, io)) {
        decoder.push(chunk);
        for (let step = decoder.next(); step.kind !== 'need-more'; step = decoder.next()) {
          if (step.kind === 'error') return failure(io, 'bundle decode', step.error);
          count += 1;
          const problem = await printBundle(step.bundle, io);
          if (problem) return failure(io, 'bundle decode', { ...problem, message: `MTCP frame ${count}: ${problem.message}` });
        }
      }
      if (decoder.buffered > 0) return failure(io, 'bundle decode', { code: 'TRUNCATED', message: `the input ends inside an MTCP frame (${decoder.buffered} bytes)` });
      return 0;
    } catch (e) {
      return failure(io, 'bundle decode', { code: 'IO_ERROR', message: e instanceof Error ? e.message : String(e) });
    }
  },
};

const CRC_TYPES: Readonly<Record<string, CrcType>> = { none: 0, '0': 0, '16': 1, '1': 1, '32c': 2, '2': 2 };

function eidArg(io: CliIo, name: string, text: string | undefined, fallback?: Eid): Eid | undefined {
  if (text === undefined) {
    if (fallback) return fallback;
    io.stderr(`farside bundle encode: --${name} is required`);
    return undefined;
  }
  const r = parseEid(text);
  if (!r.ok) {
    io.stderr(`farside bundle encode: --${name}: ${r.error.message}`);
    return undefined;
  }
  return r.value;
}

export const bundleEncode: CliCommand = {
  path: ['bundle', 'encode'],
  summary: 'payload on stdin → a BPv7 bundle (or its fragments) on stdout',
  help: ENCODE_HELP,
  async run(argv, io) {
    const parsed = parseOptions(argv, {
      source: { type: 'string' },
      destination: { type: 'string' },
      'report-to': { type: 'string' },
      lifetime: { type: 'string' },
      crc: { type: 'string' },
      'payload-crc': { type: 'string' },
      flags: { type: 'string' },
      'creation-time': { type: 'string' },
      sequence: { type: 'string' },
      'max-size': { type: 'string' },
      mtcp: { type: 'boolean' },
    });
    if (!parsed.ok) return usageError(io, 'bundle encode', parsed.error.message);
    const v = parsed.value.values;
    const source = eidArg(io, 'source', stringOption(v, 'source'));
    const destination = eidArg(io, 'destination', stringOption(v, 'destination'));
    const reportTo = eidArg(io, 'report-to', stringOption(v, 'report-to'), DTN_NONE);
    if (!source || !destination || !reportTo) return EXIT_USAGE;
    const crcText = stringOption(v, 'crc') ?? '16';
    const crcType = CRC_TYPES[crcText.toLowerCase()];
    const payloadCrcText = stringOption(v, 'payload-crc') ?? crcText;
    const payloadCrcType = CRC_TYPES[payloadCrcText.toLowerCase()];
    if (crcType === undefined || payloadCrcType === undefined) return usageError(io, 'bundle encode', '--crc and --payload-crc are none, 16 or 32c');
    const numbers = {
      lifetime: intOption(v, 'lifetime', 86_400_000),
      flags: intOption(v, 'flags', 0),
      creation: intOption(v, 'creation-time', dtnTimeFromUnixMs(Date.now())),
      sequence: intOption(v, 'sequence', 0),
      maxSize: intOption(v, 'max-size'),
    };
    for (const r of Object.values(numbers)) {
      if (!r.ok) return usageError(io, 'bundle encode', r.error.message);
    }
    const num = (r: (typeof numbers)[keyof typeof numbers]): number | undefined => (r.ok ? r.value : undefined);
    const flags = num(numbers.flags) ?? 0;
    if (flags & BundleFlag.IS_FRAGMENT) return usageError(io, 'bundle encode', '--flags must not set "is fragment" (0x1): use --max-size to fragment');
    const payload = await readAll(io.stdin);
    const bundle: Bundle = {
      primary: {
        version: 7,
        flags,
        crcType,
        destination,
        source,
        reportTo,
        creation: { time: num(numbers.creation) ?? 0, sequence: num(numbers.sequence) ?? 0 },
        lifetime: num(numbers.lifetime) ?? 0,
      },
      blocks: [{ type: 1, number: 1, flags: 0, crcType: payloadCrcType, data: payload }],
    };
    const maxSize = num(numbers.maxSize);
    const fragments = maxSize === undefined ? { ok: true as const, value: [bundle] } : fragmentBundle(bundle, maxSize);
    if (!fragments.ok) return failure(io, 'bundle encode', fragments.error);
    for (const b of fragments.value) {
      let parts: Uint8Array[];
      try {
        parts = encodeBundleParts(b, nodeCodecOptions);
      } catch (e) {
        return failure(io, 'bundle encode', { code: 'INVALID_ARGUMENT', message: e instanceof Error ? e.message : String(e) });
      }
      if (v['mtcp'] === true) await io.stdout(encodeMtcpHeader(parts.reduce((n, p) => n + p.length, 0)));
      for (const p of parts) await io.stdout(p);
    }
    return 0;
  },
};
