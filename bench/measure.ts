/**
 * Benchmark primitives. Figures are rates measured over a fixed wall-clock budget after a warm-up, and
 * every figure is reported with a baseline measured in the same run (memcpy, a peer, the direct path),
 * so that a slower or busier machine moves both together. Nothing here asserts a time.
 */

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline: { readonly name: string; readonly value: number; readonly unit: string };
  /** Optional context printed with the figure (payload sizes, run counts, goals). */
  readonly note?: string;
}

export function printFigure(f: Figure): void {
  process.stdout.write(`${JSON.stringify(f)}\n`);
}

/** Runs `op` repeatedly for about `budgetMs` (after `warmupMs`), returns operations per second. */
export function opsPerSecond(op: () => void, budgetMs = 1000, warmupMs = 200): number {
  const warmEnd = performance.now() + warmupMs;
  while (performance.now() < warmEnd) op();
  let n = 0;
  let batch = 1;
  const start = performance.now();
  let now = start;
  while (now - start < budgetMs) {
    for (let i = 0; i < batch; i++) op();
    n += batch;
    now = performance.now();
    if (now - start < budgetMs / 20) batch *= 2;
  }
  return (n * 1000) / (now - start);
}

/** Best of `rounds` runs of `opsPerSecond` (the least disturbed run), to damp noise on a shared machine. */
export function bestOpsPerSecond(op: () => void, rounds = 3, budgetMs = 700): number {
  let best = 0;
  for (let i = 0; i < rounds; i++) best = Math.max(best, opsPerSecond(op, budgetMs, i === 0 ? 300 : 50));
  return best;
}

/** memcpy baseline: Buffer.copy of `bytes` bytes, in MB/s (10^6 bytes per second). */
export function memcpyMBps(bytes: number): number {
  const src = Buffer.alloc(bytes, 0xa5);
  const dst = Buffer.alloc(bytes);
  const perS = bestOpsPerSecond(() => {
    src.copy(dst);
  });
  return (perS * bytes) / 1e6;
}

export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
