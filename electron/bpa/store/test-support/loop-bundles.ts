/** Deterministic bundle bytes for the kill -9 test: both the child and the checking parent derive them from the id. */

/** Every fifth bundle is large enough to go to a blob file (above the 64 KiB inline default). */
export function loopBundleSize(index: number): number {
  return index % 5 === 0 ? 200_000 + index : 1024 + (index % 7);
}

export function loopBundleBytes(id: string, size: number): Uint8Array {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) + i;
    out[i] = h >>> 24;
  }
  return out;
}
