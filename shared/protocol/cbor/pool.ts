/**
 * Output buffers for encoders. A fresh ArrayBuffer costs far more than the few hundred bytes of a
 * typical bundle or frame take to write (it lives outside the JS heap and is zeroed and tracked), so
 * small outputs are cut from a shared 64 KiB slab, as Node does for Buffer.allocUnsafe.
 *
 * Contract for callers: a result may be a view into a slab shared with other results. Use it through
 * its own byteOffset/byteLength (as every Uint8Array consumer should); never hand out `result.buffer`
 * as if it were the result. Slab bytes are handed out once, never reused, and are zero when handed out.
 */

const SLAB_BYTES = 64 * 1024;
/** Larger outputs get their own buffer: a big result should not pin a slab, nor a slab pin it. */
const POOLED_MAX_BYTES = 8 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed Uint8Array of `size` bytes, possibly a view into a shared slab (see the contract above). */
export function allocateOutput(size: number): Uint8Array {
  if (size > POOLED_MAX_BYTES) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const out = new Uint8Array(slab, used, size);
  // Keep later views 8-byte aligned, so readers that use DataView or wider views are never penalised.
  used = (used + size + 7) & ~7;
  return out;
}
