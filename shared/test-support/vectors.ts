/**
 * Test access to the shared golden vectors. They sit beside the checkout (../shared/vectors), in CI too;
 * they are never copied into the repository. FARSIDE_VECTORS overrides the location.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const vectorsRoot: string = process.env['FARSIDE_VECTORS'] ?? resolve(repoRoot, '..', 'shared', 'vectors');

export const ud3tnVectors: string = join(vectorsRoot, 'ud3tn');

/** Bytes of `../shared/vectors/ud3tn/<relPath>` as a Uint8Array (not a Buffer, so codecs see plain views). */
export function ud3tnVector(relPath: string): Uint8Array {
  const buf = readFileSync(join(ud3tnVectors, relPath));
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function ud3tnVectorNames(folder: string): string[] {
  return readdirSync(join(ud3tnVectors, folder)).sort();
}

export const haveVectors: boolean = existsSync(ud3tnVectors);

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * Split `bytes` into chunks of `size` (the last may be shorter): the "every chunk size" tests of
 * design.md principle 2 feed decoders with these.
 */
export function chunks(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, Math.min(bytes.length, i + size)));
  return out;
}

/** How many inputs each fuzz test runs: 10^5 by default, FARSIDE_FUZZ_RUNS (e.g. 1e7) for long runs. */
export const fuzzRuns: number = Number(process.env['FARSIDE_FUZZ_RUNS'] ?? 100_000);
