/**
 * Where the CPU of one end-to-end transfer goes, per process (not a suite of `npm run bench`; a tool for
 * A/B comparisons while optimising): the same pair and client as bpa.bench.ts (aap-transfer.ts,
 * bp-nodes.ts), one run, then user and system CPU µs per bundle of BPA A, BPA B and this client, read
 * from /proc/<pid>/stat (clock ticks of 10 ms, hence runs of thousands of bundles).
 * Run: node bin/run-ts.js bench/pair-cpu.ts [farside|ud3tn|floor] [payload bytes, default 1024] [count,
 * default 10000]; ud3tn needs FARSIDE_UD3TN; floor is floor-node.ts, the least Node.js does per bundle.
 * FARSIDE_BENCH_BPA_NODE_ARGS passes Node options to the BPAs, e.g. "--cpu-prof --cpu-prof-dir=DIR".
 * Prints one JSON line.
 */
import { openAapPair } from './aap-transfer';
import { cpuTimes, startFarsideNode, startFloorNode, startUd3tnNode } from './bp-nodes';
import { randomBytes } from './measure';

const kinds = { farside: startFarsideNode, ud3tn: startUd3tnNode, floor: startFloorNode } as const;
const arg = process.argv[2] ?? 'farside';
if (!(arg in kinds)) {
  console.error(`usage: pair-cpu.ts [${Object.keys(kinds).join('|')}] [payload bytes] [count]; not a kind: ${arg}`);
  process.exit(2);
}
const kind = arg as keyof typeof kinds;
const size = Number(process.argv[3] ?? 1024);
const count = Number(process.argv[4] ?? 10_000);

/** cpuTimes of a node that must still run: a run without /proc has nothing to report. */
function times(pid: number): { readonly user: number; readonly sys: number } {
  const t = cpuTimes(pid);
  if (t === null) throw new Error(`no CPU times for pid ${pid} (no /proc?)`);
  return t;
}

const start = kinds[kind];
const a = await start('dtn://earth.dtn/');
const b = await start('dtn://mars.dtn/');
try {
  const pair = await openAapPair(a, b);
  const payload = randomBytes(size, 11);
  await pair.transfer(payload, Math.min(2000, count));
  const [a0, b0, c0] = [times(a.pid), times(b.pid), process.cpuUsage()];
  const seconds = await pair.transfer(payload, count);
  const [a1, b1, c1] = [times(a.pid), times(b.pid), process.cpuUsage(c0)];
  type Times = ReturnType<typeof times>;
  const perBundle = (t0: Times, t1: Times): { user: number; sys: number } => ({
    user: Math.round(((t1.user - t0.user) * 1e6) / count),
    sys: Math.round(((t1.sys - t0.sys) * 1e6) / count),
  });
  console.log(
    JSON.stringify({
      kind,
      size,
      count,
      bundlesPerS: Math.round(count / seconds),
      cpuUsPerBundle: { a: perBundle(a0, a1), b: perBundle(b0, b1), client: { user: Math.round(c1.user / count), sys: Math.round(c1.system / count) } },
    }),
  );
  await pair.close();
} finally {
  await a.stop();
  await b.stop();
}
