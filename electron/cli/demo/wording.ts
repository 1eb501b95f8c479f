/**
 * Plain-words formatting for the demo: times relative to the start, sizes, and bundle IDs read back from
 * the text form the BPA and the gateway log (electron/bpa/store/bundle-key.ts: "source creationTime
 * sequence", plus "offset adu-length" for a fragment; RFC 9171 §4.3.1, §5.6).
 */
import { dtnTimeToIso } from '../../../shared/protocol/bpv7/dtn-time';

export interface BundleIdWords {
  readonly source: string;
  /** DTN time, ms. */
  readonly creationTime: number;
  readonly sequence: number;
  /** For a fragment: where its payload starts in the ADU, and the ADU's length. */
  readonly fragment?: { readonly offset: number; readonly aduLength: number };
}

/** Reads a logged bundle ID; undefined for text that is not one. */
export function parseBundleId(text: string): BundleIdWords | undefined {
  const parts = text.split(' ');
  if (parts.length !== 3 && parts.length !== 5) return undefined;
  const [source, ...rest] = parts;
  const numbers = rest.map(Number);
  if (source === undefined || source === '' || !numbers.every((n) => Number.isSafeInteger(n) && n >= 0)) return undefined;
  const [creationTime = 0, sequence = 0, offset, aduLength] = numbers;
  return offset === undefined || aduLength === undefined ? { source, creationTime, sequence } : { source, creationTime, sequence, fragment: { offset, aduLength } };
}

/** The ID of the whole bundle a fragment belongs to (the first three fields). */
export function wholeBundleId(text: string): string {
  return text.split(' ').slice(0, 3).join(' ');
}

/** "source dtn://earth.dtn/email, creation time 2026-11-25T20:26:59.592Z = DTN 848953619592 ms, sequence 1" */
export function describeBundleId(id: BundleIdWords): string {
  return `source ${id.source}, creation time ${dtnTimeToIso(id.creationTime)} = DTN ${id.creationTime} ms, sequence ${id.sequence}`;
}

/** "+12.20 s" */
export function relativeTime(ms: number): string {
  return `+${(ms / 1000).toFixed(2)} s`;
}

/** "3.0 s" */
export function duration(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** "1 h", "20 min", "3.0 s": a contact's length. */
export function span(ms: number): string {
  if (ms >= 3_600_000) return `${Number((ms / 3_600_000).toFixed(1))} h`;
  if (ms >= 60_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return duration(ms);
}

/** "2,153,417 bytes" */
export function byteCount(n: number): string {
  return `${n.toLocaleString('en-US')} bytes`;
}

/** "1.5 MiB", "256 KiB", "900 bytes": for sizes chosen by the demo, where round binary units read best. */
export function binarySize(n: number): string {
  if (n >= 1024 * 1024) return `${Number((n / (1024 * 1024)).toFixed(2))} MiB`;
  if (n >= 1024) return `${Number((n / 1024).toFixed(1))} KiB`;
  return `${n} bytes`;
}

/** The first and last eight hex digits of a digest: enough to compare by eye. */
export function shortDigest(hex: string): string {
  return hex.length <= 20 ? hex : `${hex.slice(0, 8)}…${hex.slice(-8)}`;
}
