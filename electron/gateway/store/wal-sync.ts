/**
 * Power-loss durability for SQLite commits made with synchronous=NORMAL, without blocking the event loop.
 *
 * In WAL mode a NORMAL commit writes its frames to the `-wal` file before it returns (a killed process
 * loses nothing: the kernel holds them) and leaves the fsync to the next checkpoint; FULL fsyncs the WAL in
 * every commit (sqlite.org/pragma.html#pragma_synchronous). better-sqlite3 commits on the calling thread,
 * so with FULL the event loop stands still for each fsync (~5 ms on this machine, tens of ms when the disk
 * is busy) — and whatever waits meanwhile, e.g. the site MTA's 250 to a message the gateway replayed, waits
 * too. sync() fsyncs the WAL file on libuv's thread pool instead: once it resolves ok, every commit made
 * before the call is on stable storage, as FULL would have left it (recovery replays the WAL's committed
 * frames; a checkpoint in NORMAL mode fsyncs the WAL before and the database after copying, before the WAL
 * is reused, so frames it overwrites are already safe in the database).
 *
 * Group commit: calls made while an fsync runs share the next one (their commits may have been written
 * after the running fsync began, so it cannot count for them). The first successful sync also fsyncs the
 * directory, as SQLite does for a WAL file it created under FULL (unixSync, UNIXFILE_DIRSYNC), so that the
 * file itself survives.
 */
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { err, ok } from '../../../shared/errors';
import type { Result } from '../../../shared/errors';

export interface WalSync {
  /** fsync the WAL (off the event loop); ok once every commit made before this call is on disk. */
  sync(): Promise<Result<void>>;
  /** Close the file handle (after the database). Later sync() calls resolve with an error. */
  close(): Promise<void>;
}

/** The part of a FileHandle used here (tests count and time the fsyncs through it). */
export interface SyncableFile {
  sync(): Promise<void>;
  close(): Promise<void>;
}

export type OpenForSync = (path: string) => Promise<SyncableFile>;

const openReadOnly: OpenForSync = (path) => open(path, 'r');

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const isMissing = (e: unknown): boolean => e instanceof Error && 'code' in e && e.code === 'ENOENT';

/** `databasePath`: the SQLite database file; its WAL is `<databasePath>-wal`. */
export function createWalSync(databasePath: string, openFile: OpenForSync = openReadOnly): WalSync {
  const walPath = `${databasePath}-wal`;
  let handle: SyncableFile | null = null;
  let directorySynced = false;
  let closed = false;
  /** The fsync in progress, and the one the callers that arrived meanwhile wait for. */
  let running: Promise<Result<void>> | null = null;
  let next: Promise<Result<void>> | null = null;

  const fsyncOnce = async (): Promise<Result<void>> => {
    if (closed) return err('CONNECTION_CLOSED', 'the gateway store is closed');
    try {
      if (handle === null) {
        try {
          handle = await openFile(walPath);
        } catch (e) {
          // no WAL yet: nothing was committed through it, so nothing can be lost
          if (isMissing(e)) return ok(undefined);
          throw e;
        }
      }
      await handle.sync();
      if (!directorySynced) {
        const dir = await openFile(dirname(walPath));
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
        directorySynced = true;
      }
      return ok(undefined);
    } catch (e) {
      return err('IO_ERROR', `fsync of ${walPath} failed: ${errorText(e)}`);
    }
  };

  const start = (): Promise<Result<void>> => {
    const p = fsyncOnce().finally(() => {
      if (running === p) running = null;
    });
    running = p;
    return p;
  };

  return {
    sync() {
      if (running === null) return start();
      // a commit made now may postdate the running fsync's start: wait for one that begins after it
      next ??= running.then(() => {
        next = null;
        return start();
      });
      return next;
    },
    async close() {
      closed = true;
      await running;
      await next;
      const h = handle;
      handle = null;
      await h?.close();
    },
  };
}
