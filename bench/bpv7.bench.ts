/**
 * BPv7 codec figures (issue 2):
 * - bpv7.encode_10MiB_vs_memcpy / bpv7.decode_10MiB_vs_memcpy: bundle throughput with a 10 MiB payload
 *   (encode with CRC-32C on primary and payload block, decode verifying both CRCs), as a fraction of
 *   Buffer.copy of 10 MiB measured in the same run. Goal ≥ 0.20 each. Encode uses the gather path
 *   (encodeBundleParts: headers written around the payload, its CRC computed where it lies), which is
 *   what the BPA and CLAs send; the contiguous encodeBundle (one extra copy) is reported too.
 * - bpv7.{encode,decode}_100B_per_s and _4KiB_per_s: bundles with a 100-byte / 4 KiB payload, CRC-16
 *   primary block, payload block without CRC (what uD3TN creates for AAP clients). Goal ≥ 400,000/s for
 *   100 B (bp7-rs publishes 433k encode and 462k decode). Baseline: the cbor-x library encoding and
 *   decoding the same block structure (no CRCs) in the same run.
 */
import { encode as cborxEncode, decode as cborxDecode } from 'cbor-x';
import { decodeBundle, encodeBundle, encodeBundleParts } from '../shared/protocol/bpv7/bundle';
import { parseEid } from '../shared/protocol/bpv7/eid';
import type { Bundle, CrcType, Eid } from '../shared/protocol/bpv7/types';
import { nodeCodecOptions } from '../electron/services/codec/native-crc32c';
import { bestOpsPerSecond, memcpyMBps, randomBytes, type Figure } from './measure';
import type { Suite } from './suites';

const MiB = 1024 * 1024;

function eid(text: string): Eid {
  const r = parseEid(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

function makeBundle(payload: Uint8Array, primaryCrc: CrcType, payloadCrc: CrcType): Bundle {
  return {
    primary: {
      version: 7,
      flags: 0,
      crcType: primaryCrc,
      destination: eid('dtn://mars.dtn/email'),
      source: eid('dtn://earth.dtn/email'),
      reportTo: eid('dtn:none'),
      creation: { time: 848946032538, sequence: 1 },
      lifetime: 86_400_000,
    },
    blocks: [{ type: 1, number: 1, flags: 0, crcType: payloadCrc, data: payload }],
  };
}

/** The same structure as plain CBOR values, for the cbor-x baseline. */
function cborxShape(b: Bundle): unknown[] {
  const p = b.primary;
  return [
    [7, 0, 0, [1, '//mars.dtn/email'], [1, '//earth.dtn/email'], [1, 0], [p.creation.time, p.creation.sequence], p.lifetime],
    ...b.blocks.map((x) => [x.type, x.number, x.flags, 0, x.data]),
  ];
}

function largeFigures(): Figure[] {
  const payload = randomBytes(10 * MiB, 7);
  const bundle = makeBundle(payload, 2, 2);
  const memcpy = memcpyMBps(10 * MiB);
  const baseline = { name: 'memcpy_10MiB (Buffer.copy)', value: Math.round(memcpy), unit: 'MB/s' };
  const size = encodeBundle(bundle, nodeCodecOptions).length;
  const gather = (bestOpsPerSecond(() => encodeBundleParts(bundle, nodeCodecOptions)) * size) / 1e6;
  const contiguous = (bestOpsPerSecond(() => encodeBundle(bundle, nodeCodecOptions)) * size) / 1e6;
  const wire = encodeBundle(bundle, nodeCodecOptions);
  const decoded = (bestOpsPerSecond(() => {
    const r = decodeBundle(wire, nodeCodecOptions);
    if (!r.ok) throw new Error(r.error.message);
  }) * size) / 1e6;
  const ratio = (x: number): number => Math.round((x / memcpy) * 1000) / 1000;
  return [
    { name: 'bpv7.encode_10MiB_vs_memcpy', value: ratio(gather), unit: 'ratio', baseline, note: `gather encode with CRC-32C: ${Math.round(gather)} MB/s; goal ≥ 0.20` },
    { name: 'bpv7.encode_10MiB_contiguous_vs_memcpy', value: ratio(contiguous), unit: 'ratio', baseline, note: `one-buffer encode with CRC-32C: ${Math.round(contiguous)} MB/s` },
    { name: 'bpv7.decode_10MiB_vs_memcpy', value: ratio(decoded), unit: 'ratio', baseline, note: `decode verifying CRC-32C: ${Math.round(decoded)} MB/s; goal ≥ 0.20` },
  ];
}

function smallFigures(label: string, payloadBytes: number): Figure[] {
  const bundle = makeBundle(randomBytes(payloadBytes, 3), 1, 0);
  const wire = encodeBundle(bundle, nodeCodecOptions);
  const shape = cborxShape(bundle);
  const shapeBytes = cborxEncode(shape);
  const enc = bestOpsPerSecond(() => encodeBundle(bundle, nodeCodecOptions));
  const dec = bestOpsPerSecond(() => {
    const r = decodeBundle(wire, nodeCodecOptions);
    if (!r.ok) throw new Error(r.error.message);
  });
  const encPeer = bestOpsPerSecond(() => cborxEncode(shape));
  const decPeer = bestOpsPerSecond(() => cborxDecode(shapeBytes));
  const goal = payloadBytes === 100 ? '; goal ≥ 400000/s' : '';
  return [
    { name: `bpv7.encode_${label}_per_s`, value: Math.round(enc), unit: 'bundles/s', baseline: { name: 'cbor-x encode of the same structure, no CRC', value: Math.round(encPeer), unit: 'items/s' }, note: `${wire.length}-byte bundle, CRC-16 primary${goal}` },
    { name: `bpv7.decode_${label}_per_s`, value: Math.round(dec), unit: 'bundles/s', baseline: { name: 'cbor-x decode of the same structure, no CRC', value: Math.round(decPeer), unit: 'items/s' }, note: `${wire.length}-byte bundle, CRC-16 verified${goal}` },
  ];
}

export const bpv7Suite: Suite = {
  name: 'bpv7',
  async run() {
    return [...largeFigures(), ...smallFigures('100B', 100), ...smallFigures('4KiB', 4096)];
  },
};
