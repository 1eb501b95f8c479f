/**
 * Self-Delimiting Numeric Values (RFC 6256 §2.1, used throughout RFC 7242): a big-endian base-128 number,
 * 7 value bits per byte, the high bit set on every byte except the last.
 *
 * Limits (limits.ts): at most LIMITS.sdnvMaxBytes bytes, and values up to 2^53-1 so they stay exact JS
 * numbers; RFC 6256 §4 asks implementations to bound both. Non-minimal encodings (leading 0x80 bytes)
 * are accepted on input, as RFC 6256 does not forbid them; we always write the minimal form.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../limits';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Outcome of reading an SDNV in a buffer that may end early. */
export type SdnvRead = { readonly value: number; readonly end: number } | 'need-more' | 'too-long' | 'too-large';

/** Read the SDNV at `offset`, never past `limit` (default bytes.length). */
export function readSdnv(bytes: Uint8Array, offset: number, limit: number = bytes.length): SdnvRead {
  let value = 0;
  for (let i = 0; i < LIMITS.sdnvMaxBytes; i++) {
    if (offset + i >= limit) return 'need-more';
    const b = bytes[offset + i] as number;
    // value < 2^46 keeps value * 128 exact; anything larger is above 2^53-1 after the shift anyway.
    value = value * 128 + (b & 0x7f);
    if (value > MAX_SAFE) return 'too-large';
    if (b < 0x80) return { value, end: offset + i + 1 };
  }
  return 'too-long';
}

/** Non-resumable form: TRUNCATED when the bytes end inside the SDNV, LIMIT_EXCEEDED past the limits. */
export function decodeSdnv(bytes: Uint8Array, offset = 0): Result<{ readonly value: number; readonly end: number }> {
  const r = readSdnv(bytes, offset);
  if (r === 'need-more') return err('TRUNCATED', 'input ends inside an SDNV', offset);
  if (r === 'too-long') return err('LIMIT_EXCEEDED', `SDNV longer than ${LIMITS.sdnvMaxBytes} bytes`, offset);
  if (r === 'too-large') return err('LIMIT_EXCEEDED', 'SDNV value above 2^53-1', offset);
  return ok(r);
}

/** Bytes of the minimal SDNV of `value` (a non-negative safe integer). */
export function sdnvSize(value: number): number {
  let n = 1;
  for (let v = Math.floor(value / 128); v > 0; v = Math.floor(v / 128)) n++;
  return n;
}

/** Write the minimal SDNV of `value` (a non-negative safe integer, not re-checked) at `offset`; returns the end. */
export function writeSdnv(out: Uint8Array, offset: number, value: number): number {
  const n = sdnvSize(value);
  let v = value;
  for (let i = n - 1; i >= 0; i--) {
    out[offset + i] = (v % 128) | (i === n - 1 ? 0 : 0x80);
    v = Math.floor(v / 128);
  }
  return offset + n;
}

/** The minimal SDNV of `value`. Anything but a non-negative safe integer is a programmer error (RangeError). */
export function encodeSdnv(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError('encodeSdnv: value must be a non-negative safe integer');
  const out = new Uint8Array(sdnvSize(value));
  writeSdnv(out, 0, value);
  return out;
}
