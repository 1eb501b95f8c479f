/**
 * How far V8 lets the old generation grow before its next mark-compact, for a process that streams large
 * bundles (`farside bpa`).
 *
 * Why: V8 counts the bytes of ArrayBuffers allocated since the last mark-compact against the old
 * generation's allocation limit, and sets that limit from the live heap after each mark-compact
 * (heap-controller.cc, CalculateAllocationLimit). A BPA's live heap is small (about 10 MB: code, the
 * bundle index) while every large bundle it moves brings fresh buffers (the socket's reads, the frame or
 * payload assembled from them): with V8's own factor the limit sat near 25 MB, and a node moving 1 MiB
 * bundles ran an incremental mark-compact every 5 to 10 bundles (`--trace-incremental-marking`: "Start
 * (allocation limit)", 130 to 160 of them in 1,500 bundles). That marking was about half of each node's
 * user CPU (perf: ConcurrentMarking, Sweeper).
 *
 * Measured with bench/pair-cpu.ts (1 MiB bundles, AAP v1 → BPA → MTCP → BPA → AAP v1, 800 bundles,
 * two runs each, alternated): user CPU per bundle at the sending BPA 1,575–1,638 µs → 1,050–1,163 µs,
 * at the receiving BPA 1,713–1,738 µs → 900–988 µs. The larger node's peak RSS in the 1 MiB case of
 * `npm run bench -- bpa` stayed where it was (118.6 MiB before, 113–116 MiB after): a mark-compact still
 * runs once the live heap has grown fourfold, and young buffers are freed by scavenges as before.
 *
 * A factor of 4 (300 %) is the largest V8 picks on its own (MaxGrowingFactor's kMaxFactor on machines
 * with large memory), so this only stops V8 from choosing a smaller one for a process whose garbage is
 * mostly external buffers.
 *
 * `--heap-growing-percent` is read each time V8 recomputes the limit, so setting it at run time takes
 * effect from the next mark-compact on (Node leaves flags unfrozen after start:
 * `--no-freeze-flags-after-init`). It is process-wide, hence set by the command that owns the process,
 * never by a module that may run inside another program (the Electron app, the tests).
 */
import { setFlagsFromString } from 'node:v8';

/** Heap growing factor for bundle-streaming processes: 1 + 300/100 = 4. */
export const BUNDLE_STREAM_HEAP_GROWING_PERCENT = 300;

/** Applies BUNDLE_STREAM_HEAP_GROWING_PERCENT to this process's V8 heap. */
export function growHeapForBundleStreams(): void {
  setFlagsFromString(`--heap-growing-percent=${BUNDLE_STREAM_HEAP_GROWING_PERCENT}`);
}
