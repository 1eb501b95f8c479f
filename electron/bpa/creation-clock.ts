/**
 * Creation timestamps for the bundles this node creates (RFC 9171 §4.2.7: [DTN time ms, sequence number]).
 *
 * Like uD3TN (application_agent.c allocate_sequence_number) the time is the node clock in DTN ms and the
 * sequence number counts from 1 within one millisecond. Unlike uD3TN, a (time, sequence) pair is never
 * handed out twice, also not across a restart or a clock that steps back, because a repeated pair would
 * give two bundles one bundle ID and a duplicate-suppressing receiver would drop the second:
 * - within a run the time never goes back: time = max(clock, last time); a clock that steps back keeps
 *   the last time and counts the sequence number on (past 65535, the width of an AAP v1 bundle ID's
 *   sequence field, protocols.md §4.4, the time moves on by 1 ms);
 * - across runs a reservation is kept on disk: before a time at or past `reservedUntil` is used, the
 *   reservation moves RESERVE_MS ahead (one small synchronous file write per RESERVE_MS of creation time).
 *   A new run starts at the saved reservation when the clock is behind it, so its times are at most
 *   RESERVE_MS ahead of the clock after a restart within that window.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dtnTimeFromUnixMs } from '../../shared/protocol/bpv7/dtn-time';
import type { CreationTimestamp } from '../../shared/protocol/bpv7/types';
import type { Clock } from './types';

/** How far ahead each saved reservation reaches, ms. */
export const RESERVE_MS = 2000;

/** Largest sequence number per millisecond: an AAP v1 bundle ID carries 16 bits of it. */
const MAX_SEQUENCE = 0xffff;

export interface CreationClock {
  next(): CreationTimestamp;
}

export interface CreationClockOptions {
  readonly clock: Clock;
  /** File holding the reservation; without one, uniqueness holds within the run only. */
  readonly path?: string;
}

function readReservation(path: string): number {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof v === 'object' && v !== null && 'reservedUntil' in v && Number.isSafeInteger(v.reservedUntil)) return v.reservedUntil as number;
  } catch {
    // Missing or unreadable: a first start (a damaged file can only come from a crash mid-rename, which
    // rename's atomicity rules out; start from the clock).
  }
  return 0;
}

function writeReservation(path: string, reservedUntil: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ reservedUntil }));
  renameSync(tmp, path);
}

export function createCreationClock(options: CreationClockOptions): CreationClock {
  const { clock, path } = options;
  let reservedUntil = path === undefined ? Number.POSITIVE_INFINITY : readReservation(path);
  // The first time of this run is at least the saved reservation: times below it may have been used.
  let lastTime = path === undefined ? -1 : reservedUntil - 1;
  let lastSeq = MAX_SEQUENCE;

  return {
    next() {
      // A clock before the DTN epoch has no DTN time; 0 means "unknown" (§4.2.7) and the builder adds a
      // Bundle Age block then. Monotonic use keeps such a node unique through the sequence number.
      const now = Math.max(0, dtnTimeFromUnixMs(clock()));
      let time: number;
      let seq: number;
      if (now > lastTime) {
        time = now;
        seq = 1;
      } else if (lastSeq < MAX_SEQUENCE) {
        time = lastTime;
        seq = lastSeq + 1;
      } else {
        time = lastTime + 1;
        seq = 1;
      }
      if (path !== undefined && time >= reservedUntil) {
        reservedUntil = time + RESERVE_MS;
        writeReservation(path, reservedUntil);
      }
      lastTime = time;
      lastSeq = seq;
      return { time, sequence: seq };
    },
  };
}
