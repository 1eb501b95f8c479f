import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createWalSync } from './wal-sync';
import type { OpenForSync, SyncableFile } from './wal-sync';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'farside-wal-sync-'));
  dirs.push(d);
  return d;
}

/** A file whose fsyncs finish only when the test says so, recording when each started and ended. */
function controlledFiles(): { open: OpenForSync; events: string[]; finish(): void; pending(): number } {
  const events: string[] = [];
  const waiting: (() => void)[] = [];
  let n = 0;
  const file = (path: string): SyncableFile => ({
    sync() {
      const k = ++n;
      events.push(`start ${k} ${path.endsWith('-wal') ? 'wal' : 'dir'}`);
      return new Promise((resolve) =>
        waiting.push(() => {
          events.push(`end ${k}`);
          resolve();
        }),
      );
    },
    close: () => Promise.resolve(),
  });
  return {
    open: (path) => Promise.resolve(file(path)),
    events,
    finish: () => waiting.shift()?.(),
    pending: () => waiting.length,
  };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('createWalSync', () => {
  it('makes a call that arrives during an fsync wait for one that starts after it, shared by every such call', async () => {
    const files = controlledFiles();
    const wal = createWalSync('/db/gateway.sqlite', files.open);
    const done: string[] = [];
    const a = wal.sync().then((r) => done.push(`a ${String(r.ok)}`));
    await settle();
    expect(files.events).toEqual(['start 1 wal']);
    // b and c may have committed after fsync 1 began: fsync 1 cannot count for them
    const b = wal.sync().then((r) => done.push(`b ${String(r.ok)}`));
    const c = wal.sync().then((r) => done.push(`c ${String(r.ok)}`));
    files.finish(); // wal 1
    await settle();
    expect(files.events).toEqual(['start 1 wal', 'end 1', 'start 2 dir']);
    files.finish(); // the directory, once, after the first WAL fsync
    await a;
    expect(done).toEqual(['a true']);
    await settle();
    expect(files.events.slice(4)).toEqual(['start 3 wal']);
    expect(files.pending()).toBe(1);
    files.finish();
    await Promise.all([b, c]);
    expect(done).toEqual(['a true', 'b true', 'c true']);
    // one fsync for b and c together, and the directory only the first time
    expect(files.events).toEqual(['start 1 wal', 'end 1', 'start 2 dir', 'end 2', 'start 3 wal', 'end 3']);
    const d = wal.sync();
    await settle();
    files.finish();
    expect((await d).ok).toBe(true);
    expect(files.events.slice(6)).toEqual(['start 4 wal', 'end 4']);
  });

  it('reports a failed fsync as IO_ERROR, and a store without a WAL file as nothing to sync', async () => {
    const failing: OpenForSync = () => Promise.resolve({ sync: () => Promise.reject(new Error('EIO: i/o error')), close: () => Promise.resolve() });
    const r = await createWalSync('/db/gateway.sqlite', failing).sync();
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('IO_ERROR');
      expect(r.error.message).toContain('EIO');
    }
    const dir = tempDir();
    expect(await createWalSync(join(dir, 'none.sqlite')).sync()).toEqual({ ok: true, value: undefined });
  });

  it('fsyncs the WAL of a real database whose commits used synchronous=NORMAL, and refuses after close', async () => {
    const dir = tempDir();
    const path = join(dir, 'gateway.sqlite');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (x INTEGER)');
    db.prepare('INSERT INTO t VALUES (?)').run(42);
    expect(existsSync(`${path}-wal`)).toBe(true);
    const wal = createWalSync(path);
    expect(await wal.sync()).toEqual({ ok: true, value: undefined });
    db.close();
    await wal.close();
    const after = await wal.sync();
    expect(after.ok).toBe(false);
  });
});
