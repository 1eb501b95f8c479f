/** Creation timestamps never repeat (RFC 9171 §4.2.7: the bundle ID must be unique), across restarts too. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DTN_EPOCH_UNIX_MS } from '../../shared/protocol/bpv7/dtn-time';
import { RESERVE_MS, createCreationClock } from './creation-clock';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'farside-cc-'));
  dirs.push(d);
  return join(d, 'creation-clock.json');
}

describe('createCreationClock', () => {
  it('is the clock in DTN ms, with a sequence number from 1 within one millisecond (uD3TN allocate_sequence_number)', () => {
    let now = DTN_EPOCH_UNIX_MS + 848946032538;
    const c = createCreationClock({ clock: () => now });
    expect(c.next()).toEqual({ time: 848946032538, sequence: 1 });
    expect(c.next()).toEqual({ time: 848946032538, sequence: 2 });
    now += 1;
    expect(c.next()).toEqual({ time: 848946032539, sequence: 1 });
  });

  it('does not go back with the clock; after 65535 in one millisecond the time moves on', () => {
    let now = DTN_EPOCH_UNIX_MS + 1_000_000;
    const c = createCreationClock({ clock: () => now });
    c.next();
    now -= 5000;
    expect(c.next()).toEqual({ time: 1_000_000, sequence: 2 });
    for (let i = 3; i <= 0xffff; i++) c.next();
    expect(c.next()).toEqual({ time: 1_000_001, sequence: 1 });
  });

  it('reserves ahead on disk and starts a new run past the reservation when the clock is behind it', () => {
    const path = tempFile();
    const now = DTN_EPOCH_UNIX_MS + 5_000_000;
    const first = createCreationClock({ clock: () => now, path });
    expect(first.next()).toEqual({ time: 5_000_000, sequence: 1 });
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ reservedUntil: 5_000_000 + RESERVE_MS });
    // A restart in the same millisecond (or with a clock set back): never the same pair again.
    const second = createCreationClock({ clock: () => now, path });
    expect(second.next()).toEqual({ time: 5_000_000 + RESERVE_MS, sequence: 1 });
    // A clock well past the reservation is used as it is.
    const later = createCreationClock({ clock: () => now + 60_000, path });
    expect(later.next()).toEqual({ time: 5_060_000, sequence: 1 });
  });
});
