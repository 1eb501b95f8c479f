/**
 * Bundle bytes too large to keep well inside SQLite live in files beside the database, one per bundle,
 * named after the row's sequence number. A put writes the file completely (`<seq>.tmp`, fsynced when
 * durability is 'power') and renames it to `<seq>.bundle` before the row commits, so a committed row
 * always finds its file; a delete commits first and unlinks after. A crash between the two steps leaves
 * only a file without a row, which `sweep` removes on the next open.
 *
 * Why files (measure.ts, WAL with synchronous=NORMAL, 2-core machine): 1 MiB bundles inside SQLite
 * managed about 180 put+delete/s, in files about 1,400/s; 64 KiB: 2,200/s inside, 2,700/s in files;
 * 1 KiB inside SQLite: 5,100/s. Hence the default: up to 64 KiB inside the database, larger in files.
 *
 * Files of deleted bundles are kept for reuse (up to LIMITS.bundleStoreBlobPoolFiles, each at most
 * LIMITS.bundleStoreBlobPoolFileBytes, in `<dir>-free/`): a new bundle overwrites one in place and is cut
 * to its length. Why: on this ext4 a fresh 1 MiB file cost 1.97 ms to write (block and page-cache
 * allocation), overwriting a recently freed one 0.05 ms — at a node moving 1 MiB bundles, sender and
 * receiver each write and delete one file per bundle. Files left in the pool by a crash are reused by
 * the next open (beyond the pool's size, deleted); a `.tmp` left in `<dir>` is removed by `sweep`.
 *
 * These functions throw Node's fs errors; the store turns them into IO_ERROR results.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writevSync } from 'node:fs';
import { LIMITS } from '../../../shared/protocol/limits';
import { join } from 'node:path';

export interface BlobFiles {
  /** The file of `seq` holds `parts`, concatenated (one writev, repeated for what a short write left). */
  write(seq: number, parts: readonly Uint8Array[]): void;
  read(seq: number): Uint8Array;
  /** `size` is the file's length (the bundle's, which the caller knows): it decides whether the file is kept for reuse. */
  remove(seq: number, size: number): void;
  /** Delete files of sequence numbers not in `keep`, and unfinished .tmp files; returns how many. */
  sweep(keep: ReadonlySet<number>): number;
  /** Sequence numbers that have a file. */
  list(): Set<number>;
}

const SUFFIX = '.bundle';

export function openBlobFiles(dir: string, fsync: boolean): BlobFiles {
  mkdirSync(dir, { recursive: true });
  const file = (seq: number): string => join(dir, `${seq}${SUFFIX}`);
  const poolDir = `${dir}-free`;
  mkdirSync(poolDir, { recursive: true });
  /** Names of reusable files in poolDir. */
  const pool: string[] = readdirSync(poolDir);
  while (pool.length > LIMITS.bundleStoreBlobPoolFiles) unlinkSync(join(poolDir, pool.pop() as string));
  // New names count on from the largest one left by an earlier run: a rename onto a name in use would
  // silently replace that file.
  let poolName = 1 + Math.max(-1, ...pool.map((name) => Number.parseInt(name, 10)).filter(Number.isSafeInteger));

  /** A file to write `tmp` into: a reused one (renamed there, opened for overwriting) or a new one. */
  function openForWrite(tmp: string): { readonly fd: number; readonly reused: boolean } {
    const reuse = pool.pop();
    if (reuse !== undefined) {
      try {
        renameSync(join(poolDir, reuse), tmp);
        return { fd: openSync(tmp, 'r+'), reused: true };
      } catch {
        // gone or unusable: write a new file
      }
    }
    return { fd: openSync(tmp, 'w'), reused: false };
  }

  function syncDir(): void {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  return {
    write(seq, parts) {
      const tmp = join(dir, `${seq}.tmp`);
      const { fd, reused } = openForWrite(tmp);
      try {
        let length = 0;
        for (const p of parts) length += p.length;
        let rest = parts.filter((p) => p.length > 0);
        while (rest.length > 0) {
          let written = writevSync(fd, rest);
          const left: Uint8Array[] = [];
          for (const p of rest) {
            if (written >= p.length) {
              written -= p.length;
              continue;
            }
            left.push(written > 0 ? p.subarray(written) : p);
            written = 0;
          }
          rest = left;
        }
        // A reused file keeps its old bytes past the new length until cut.
        if (reused) ftruncateSync(fd, length);
        if (fsync) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file(seq));
      if (fsync) syncDir();
    },

    read(seq) {
      const buf = readFileSync(file(seq));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    },

    remove(seq, size) {
      const path = file(seq);
      if (pool.length < LIMITS.bundleStoreBlobPoolFiles && size <= LIMITS.bundleStoreBlobPoolFileBytes) {
        const name = `${poolName++}.free`;
        renameSync(path, join(poolDir, name));
        pool.push(name);
        return;
      }
      unlinkSync(path);
    },

    sweep(keep) {
      let removed = 0;
      for (const name of readdirSync(dir)) {
        const seq = name.endsWith(SUFFIX) ? Number(name.slice(0, -SUFFIX.length)) : Number.NaN;
        if (Number.isSafeInteger(seq) && keep.has(seq)) continue;
        unlinkSync(join(dir, name));
        removed++;
      }
      return removed;
    },

    list() {
      const out = new Set<number>();
      for (const name of readdirSync(dir)) {
        if (!name.endsWith(SUFFIX)) continue;
        const seq = Number(name.slice(0, -SUFFIX.length));
        if (Number.isSafeInteger(seq)) out.add(seq);
      }
      return out;
    },
  };
}
