import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LIMITS } from '../../../shared/protocol/limits';
import { openBlobFiles } from './blob-files';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed) & 0xff);

describe('blob files', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'farside-blobs-'));
    dir = join(root, 'bundles.db.blobs');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes gather parts as one file and reads them back', () => {
    const blobs = openBlobFiles(dir, false);
    blobs.write(1, [bytes(10, 1), new Uint8Array(0), bytes(5000, 2)]);
    expect(blobs.read(1)).toEqual(Uint8Array.from([...bytes(10, 1), ...bytes(5000, 2)]));
    expect([...blobs.list()]).toEqual([1]);
  });

  it('reuses the file of a removed bundle for the next one, cut to the new length', () => {
    const blobs = openBlobFiles(dir, false);
    blobs.write(1, [bytes(3000, 1)]);
    blobs.remove(1, 3000);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(`${dir}-free`)).toHaveLength(1);
    blobs.write(2, [bytes(1000, 2)]);
    expect(readdirSync(`${dir}-free`)).toEqual([]);
    expect(statSync(join(dir, '2.bundle')).size).toBe(1000);
    expect(blobs.read(2)).toEqual(bytes(1000, 2));
    // and grown again when the next one is larger
    blobs.remove(2, 1000);
    blobs.write(3, [bytes(5000, 3)]);
    expect(blobs.read(3)).toEqual(bytes(5000, 3));
  });

  it('keeps at most the configured number of files, none larger than the cap', () => {
    const blobs = openBlobFiles(dir, false);
    const n = LIMITS.bundleStoreBlobPoolFiles + 3;
    for (let i = 1; i <= n; i++) blobs.write(i, [bytes(100, i)]);
    blobs.write(n + 1, [new Uint8Array(LIMITS.bundleStoreBlobPoolFileBytes + 1)]);
    blobs.remove(n + 1, LIMITS.bundleStoreBlobPoolFileBytes + 1);
    for (let i = 1; i <= n; i++) blobs.remove(i, 100);
    expect(readdirSync(`${dir}-free`)).toHaveLength(LIMITS.bundleStoreBlobPoolFiles);
    expect(readdirSync(`${dir}-free`).every((f) => statSync(join(`${dir}-free`, f)).size === 100)).toBe(true);
  });

  it('takes up the free files an earlier open left, and sweep leaves them alone', () => {
    const first = openBlobFiles(dir, false);
    first.write(1, [bytes(200, 1)]);
    first.write(2, [bytes(200, 2)]);
    first.remove(1, 200);
    writeFileSync(join(dir, '9.tmp'), 'half');
    const again = openBlobFiles(dir, false);
    expect(again.sweep(new Set([2]))).toBe(1);
    again.write(3, [bytes(50, 3)]);
    expect(readdirSync(`${dir}-free`)).toEqual([]);
    expect(again.read(3)).toEqual(bytes(50, 3));
    expect(again.read(2)).toEqual(bytes(200, 2));
  });

  it('names new free files after those an earlier run left, so none replaces another', () => {
    // A pool file with a high name, left by an earlier run (the lower ones were reused).
    mkdirSync(`${dir}-free`, { recursive: true });
    writeFileSync(join(`${dir}-free`, '3.free'), bytes(100, 0));
    const blobs = openBlobFiles(dir, false);
    for (let i = 1; i <= 4; i++) writeFileSync(join(dir, `${i}.bundle`), bytes(100, i));
    for (let i = 1; i <= 4; i++) blobs.remove(i, 100);
    expect(readdirSync(`${dir}-free`)).toHaveLength(5);
  });
});
