/**
 * The embedded BPA end to end (issue 3): AAP v1 → BPA A → MTCP → BPA B → AAP v1, one client (this
 * process), two `farside bpa` child processes, conditions as in ud3tn-behaviour.md §12 (loopback,
 * stop-and-wait sender, receiver on B, random payloads, timed from the first SENDBUNDLE to the last
 * RECVBUNDLE fully read, MB = 10^6 bytes). Each case starts fresh nodes, sends a warm-up batch (which also
 * waits for the MTCP connection), then times `rounds` runs of N bundles and keeps the fastest; with
 * uD3TN, the Farside and uD3TN rounds alternate.
 * - bpa.aap_mtcp_1KiB_bundles_per_s (10,000 × 1 KiB) and bpa.aap_mtcp_1MiB_MB_per_s (200 × 1 MiB).
 *   Baseline: the same figure for two uD3TN nodes driven by the same client code when FARSIDE_UD3TN
 *   names a binary (bpa.ud3tn_* figures, with bpa.*_farside_vs_ud3tn ratios); otherwise the peer path
 *   (tcp-peer.ts: the same payloads stop-and-wait over one loopback socket, no BP node).
 * - bpa.peak_rss_1MiB_MiB: the larger VmHWM of BPA A and B at the end of the 1 MiB case. Baseline: the
 *   larger VmHWM of the two uD3TN nodes in the same case when available, otherwise the 200 MiB goal.
 * Goal (issue 3): Farside at least as fast as uD3TN v0.13 on both rates, in under 200 MiB.
 * Profiling: FARSIDE_BENCH_BPA_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench -- bpa writes one
 * CPU profile per BPA process (bp-nodes.ts).
 */
import { ud3tnBinary } from '../electron/bpa/test-support/ud3tn';
import { openAapPair, type AapPair } from './aap-transfer';
import { cpuSeconds, peakRssMiB, startFarsideNode, startUd3tnNode, type BenchNode, type StartNode } from './bp-nodes';
import { randomBytes, type Figure } from './measure';
import type { Suite } from './suites';
import { tcpPeerSeconds } from './tcp-peer';

interface Case {
  readonly label: '1KiB' | '1MiB';
  readonly payloadBytes: number;
  readonly count: number;
  readonly warmup: number;
  readonly rounds: number;
}

const CASES: readonly Case[] = [
  { label: '1KiB', payloadBytes: 1024, count: 10_000, warmup: 500, rounds: 2 },
  { label: '1MiB', payloadBytes: 1024 * 1024, count: 200, warmup: 10, rounds: 3 },
];

const RSS_GOAL_MIB = 200;
const EARTH = 'dtn://earth.dtn/';
const MARS = 'dtn://mars.dtn/';

interface PathResult {
  /** The fastest of the timed rounds. */
  readonly seconds: number;
  /** VmHWM of A and B after the case, MiB; null without /proc. */
  readonly peakRssMiB: readonly [number | null, number | null];
  /** CPU time (user + system) per bundle in the fastest round: A, B and this client, µs. */
  readonly cpuPerBundleUs: string;
}

/** One pair of nodes (Farside or uD3TN) with its client connections, measured round by round. */
interface Path {
  readonly label: string;
  round(): Promise<void>;
  result(): PathResult;
  close(): Promise<void>;
}

function cpuUs(before: number | null, after: number | null, count: number): string {
  return before === null || after === null ? 'n/a' : String(Math.round(((after - before) * 1e6) / count));
}

function log(text: string): void {
  process.stderr.write(`bench: bpa: ${text}\n`);
}

/** Starts A and B, connects the client, adds the contact and sends the warm-up bundles. */
async function openPath(label: string, start: StartNode, c: Case, payload: Uint8Array): Promise<Path> {
  const nodes: BenchNode[] = [];
  let pair: AapPair | null = null;
  const close = async (): Promise<void> => {
    await pair?.close();
    for (const n of nodes.reverse()) await n.stop();
  };
  try {
    const a = await start(EARTH);
    nodes.push(a);
    const b = await start(MARS);
    nodes.push(b);
    const opened = await openAapPair(a, b);
    pair = opened;
    await opened.transfer(payload, c.warmup);
    let seconds = Infinity;
    let cpuPerBundleUs = '';
    return {
      label,
      async round() {
        const before = [cpuSeconds(a.pid), cpuSeconds(b.pid), process.cpuUsage()] as const;
        const s = await opened.transfer(payload, c.count);
        const client = process.cpuUsage(before[2]);
        const cpu = `A ${cpuUs(before[0], cpuSeconds(a.pid), c.count)}, B ${cpuUs(before[1], cpuSeconds(b.pid), c.count)}, client ${Math.round((client.user + client.system) / c.count)}`;
        log(`${label} ${c.label}: ${c.count} bundles in ${s.toFixed(3)} s; CPU µs per bundle: ${cpu}`);
        if (s < seconds) {
          seconds = s;
          cpuPerBundleUs = cpu;
        }
      },
      result: () => ({ seconds, peakRssMiB: [peakRssMiB(a.pid), peakRssMiB(b.pid)], cpuPerBundleUs }),
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * Both paths are open at once and their rounds alternate (Farside, uD3TN, Farside, …), so that a change
 * in the load of a shared machine falls on both; an idle pair costs nothing while the other runs.
 */
async function measurePaths(c: Case, payload: Uint8Array): Promise<{ readonly farside: PathResult; readonly ud3tn: PathResult | null }> {
  const paths: Path[] = [];
  try {
    paths.push(await openPath('farside', startFarsideNode, c, payload));
    if (ud3tnBinary !== undefined) paths.push(await openPath('ud3tn', startUd3tnNode, c, payload));
    for (let i = 0; i < c.rounds; i++) for (const p of paths) await p.round();
    const [farside, ud3tn] = paths.map((p) => p.result());
    if (farside === undefined) throw new Error('no Farside result');
    return { farside, ud3tn: ud3tn ?? null };
  } finally {
    for (const p of paths) await p.close();
  }
}

async function measurePeer(c: Case, payload: Uint8Array): Promise<number> {
  await tcpPeerSeconds(payload, c.warmup);
  let seconds = Infinity;
  for (let i = 0; i < c.rounds; i++) seconds = Math.min(seconds, await tcpPeerSeconds(payload, c.count));
  return seconds;
}

/** The case's headline rate: bundles/s for 1 KiB, payload MB/s for 1 MiB (as the issue names them). */
function rate(c: Case, seconds: number): { readonly value: number; readonly unit: string; readonly other: string } {
  const perS = c.count / seconds;
  const mbps = (perS * c.payloadBytes) / 1e6;
  return c.label === '1KiB'
    ? { value: Math.round(perS), unit: 'bundles/s', other: `${mbps.toFixed(2)} MB/s` }
    : { value: Math.round(mbps * 10) / 10, unit: 'MB/s', other: `${perS.toFixed(1)} bundles/s` };
}

function metric(c: Case): string {
  return c.label === '1KiB' ? `aap_mtcp_${c.label}_bundles_per_s` : `aap_mtcp_${c.label}_MB_per_s`;
}

const mib = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(1));
const larger = (xs: readonly [number | null, number | null]): number | null => (xs[0] === null || xs[1] === null ? null : Math.max(xs[0], xs[1]));

async function caseFigures(c: Case): Promise<Figure[]> {
  const payload = randomBytes(c.payloadBytes, 11);
  const runs = `N = ${c.count} × ${c.label}, fastest of ${c.rounds} timed runs after ${c.warmup} warm-up bundles`;
  const peer = rate(c, await measurePeer(c, payload));
  const peerBaseline = { name: 'tcp peer path: one loopback socket, stop-and-wait, no BP node', value: peer.value, unit: peer.unit };
  const { farside: farsideRun, ud3tn: ud3tnRun } = await measurePaths(c, payload);
  const farside = rate(c, farsideRun.seconds);
  const ud3tn = ud3tnRun === null ? null : rate(c, ud3tnRun.seconds);
  const figures: Figure[] = [];

  const ud3tnBaseline = ud3tn === null ? null : { name: `bpa.ud3tn_${metric(c)} (uD3TN v0.13 release, same client, same run)`, value: ud3tn.value, unit: ud3tn.unit };
  figures.push({
    name: `bpa.${metric(c)}`,
    value: farside.value,
    unit: farside.unit,
    baseline: ud3tnBaseline ?? peerBaseline,
    note: `farside bpa × 2 (child processes, durable stores), AAP v1 + MTCP; ${runs}; ${farside.other}; CPU µs per bundle ${farsideRun.cpuPerBundleUs}; peer path ${peer.value} ${peer.unit}; goal ≥ uD3TN v0.13${ud3tn === null ? ' (FARSIDE_UD3TN unset: baseline is the peer path)' : ''}`,
  });
  if (ud3tn !== null && ud3tnBaseline !== null) {
    figures.push({
      name: `bpa.ud3tn_${metric(c)}`,
      value: ud3tn.value,
      unit: ud3tn.unit,
      baseline: peerBaseline,
      note: `uD3TN v0.13 × 2 (FARSIDE_UD3TN, log level 2), contact through the config agent, same client code; ${runs}; ${ud3tn.other}; CPU µs per bundle ${ud3tnRun?.cpuPerBundleUs ?? 'n/a'}`,
    });
    figures.push({
      name: `bpa.${metric(c)}_farside_vs_ud3tn`,
      value: Math.round((farside.value / ud3tn.value) * 1000) / 1000,
      unit: 'ratio',
      baseline: ud3tnBaseline,
      note: `Farside ${farside.value} / uD3TN ${ud3tn.value} ${farside.unit}; goal ≥ 1`,
    });
  }
  if (c.label === '1MiB') {
    const peak = larger(farsideRun.peakRssMiB);
    const ud3tnPeak = ud3tnRun === null ? null : larger(ud3tnRun.peakRssMiB);
    if (peak === null) {
      log('no /proc/<pid>/status: bpa.peak_rss_1MiB_MiB not measured');
    } else {
      figures.push({
        name: 'bpa.peak_rss_1MiB_MiB',
        value: Math.round(peak * 10) / 10,
        unit: 'MiB',
        baseline:
          ud3tnPeak === null
            ? { name: 'goal (issue 3): under 200 MiB per BPA', value: RSS_GOAL_MIB, unit: 'MiB' }
            : { name: 'uD3TN v0.13 VmHWM, larger of its two nodes, same case', value: Math.round(ud3tnPeak * 10) / 10, unit: 'MiB' },
        note: `VmHWM of farside bpa A ${mib(farsideRun.peakRssMiB[0])} MiB, B ${mib(farsideRun.peakRssMiB[1])} MiB after the 1 MiB case (fresh processes: start, warm-up, ${c.rounds} × ${c.count} bundles); goal < ${RSS_GOAL_MIB} MiB${ud3tnRun === null ? '' : `; uD3TN A ${mib(ud3tnRun.peakRssMiB[0])} MiB, B ${mib(ud3tnRun.peakRssMiB[1])} MiB`}`,
      });
    }
  }
  return figures;
}

export const bpaSuite: Suite = {
  name: 'bpa',
  async run() {
    if (ud3tnBinary === undefined) log('FARSIDE_UD3TN unset: no uD3TN figures, baselines are the peer path');
    const figures: Figure[] = [];
    for (const c of CASES) figures.push(...(await caseFigures(c)));
    return figures;
  },
};
