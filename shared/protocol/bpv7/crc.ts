/**
 * Block CRCs of RFC 9171 §4.2.1–4.2.2 with erratum 8043 (protocols.md §3.4):
 *
 * | type | algorithm    | parameters                                                       | value bytes |
 * |------|--------------|------------------------------------------------------------------|-------------|
 * | 1    | CRC-16/X.25  | reflected poly 0x8408, init 0xFFFF, xorout 0xFFFF                | 2           |
 * | 2    | CRC-32C      | reflected poly 0x82F63B78, init 0xFFFFFFFF, xorout 0xFFFFFFFF    | 4           |
 *
 * The CRC runs over the whole encoded block with the CRC byte string's value bytes set to zero (its
 * head 0x42/0x44 included) and is stored big-endian. Both functions here are incremental: `previous` is
 * the finished CRC of the bytes before `data` (0 to start), so a CRC can run over [block head][payload
 * where it lies][CRC head + zeros] without concatenating anything. `@node-rs/crc32`'s crc32c(input,
 * initialState) has the same contract, which makes the native implementation a drop-in Crc32cFn.
 */
import type { CrcType } from './types';

/** A CRC-32C implementation: the CRC of `data` continuing from the finished CRC `previous` (default 0). */
export type Crc32cFn = (data: Uint8Array, previous?: number) => number;

/** Options every BPv7 encoder and decoder accepts. Node passes a native CRC-32C (nodeCodecOptions). */
export interface CodecOptions {
  readonly crc32c?: Crc32cFn;
}

export const CRC_NONE = 0;
export const CRC_16 = 1;
export const CRC_32C = 2;

/** Value bytes of each CRC type (RFC 9171 §4.2.2). */
export function crcValueLength(type: CrcType): number {
  return type === CRC_16 ? 2 : type === CRC_32C ? 4 : 0;
}

const CRC16_TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
  CRC16_TABLE[i] = c;
}

/** CRC-16/X.25 (CRC type 1); check value crc16("123456789") = 0x906E. */
export function crc16(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffff) & 0xffff;
  const t = CRC16_TABLE;
  for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ (t[(crc ^ (data[i] as number)) & 0xff] as number);
  return (crc ^ 0xffff) & 0xffff;
}

/** Slicing-by-8 tables: T[k][i] is the CRC of byte i followed by k zero bytes (8 tables of 256). */
const CRC32C_TABLES = new Uint32Array(8 * 256);
for (let i = 0; i < 256; i++) {
  let c = i;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC32C_TABLES[i] = c >>> 0;
}
for (let i = 0; i < 256; i++) {
  for (let t = 1; t < 8; t++) {
    const prev = CRC32C_TABLES[(t - 1) * 256 + i] as number;
    CRC32C_TABLES[t * 256 + i] = ((prev >>> 8) ^ (CRC32C_TABLES[prev & 0xff] as number)) >>> 0;
  }
}

/** CRC-32C (CRC type 2) in pure TypeScript, slicing by 8; check value crc32c("123456789") = 0xE3069283. */
export const crc32c: Crc32cFn = (data, previous = 0) => {
  const t = CRC32C_TABLES;
  let crc = ~previous;
  let i = 0;
  const n = data.length;
  const end8 = n - (n & 7);
  while (i < end8) {
    const lo = crc ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    crc =
      (t[1792 + (lo & 0xff)] as number) ^
      (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
    i += 8;
  }
  while (i < n) crc = (crc >>> 8) ^ (t[(crc ^ (data[i++] as number)) & 0xff] as number);
  return ~crc >>> 0;
};

/** Zero value bytes, fed to a CRC in place of a stored CRC value when verifying (erratum 8043). */
const ZEROS = new Uint8Array(4);

/** CRC of `type` over `data`, continuing from `previous`. */
export function crcUpdate(type: CrcType, data: Uint8Array, previous: number, crc32cFn: Crc32cFn): number {
  return type === CRC_16 ? crc16(data, previous) : crc32cFn(data, previous);
}

/**
 * CRC of an encoded block bytes[start, valueStart + length) as RFC 9171 §4.2.2 defines it: the value
 * bytes at valueStart count as zeros. Reads the block in place (no copy, no mutation).
 */
export function blockCrc(type: CrcType, bytes: Uint8Array, start: number, valueStart: number, crc32cFn: Crc32cFn): number {
  const head = crcUpdate(type, bytes.subarray(start, valueStart), 0, crc32cFn);
  return crcUpdate(type, ZEROS.subarray(0, crcValueLength(type)), head, crc32cFn);
}

/**
 * Whether the CRC of the block in bytes[start, end) matches (true when the block has none). The CRC
 * value is the block's last 2 or 4 bytes; it is verified in place, the value bytes counted as zeros.
 */
export function verifyBlockCrc(type: CrcType, bytes: Uint8Array, start: number, end: number, crc32cFn: Crc32cFn): boolean {
  if (type === CRC_NONE) return true;
  const valueAt = end - crcValueLength(type);
  return blockCrc(type, bytes, start, valueAt, crc32cFn) === readCrcValue(type, bytes, valueAt);
}

/** The CRC value stored big-endian at `offset` (2 or 4 bytes by type). */
export function readCrcValue(type: CrcType, bytes: Uint8Array, offset: number): number {
  if (type === CRC_16) return ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
  return (
    ((bytes[offset] as number) * 0x1000000 + (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number))) >>> 0
  );
}

/** Stores a CRC value big-endian (network byte order, RFC 9171 §4.2.2) at `offset`. */
export function writeCrcValue(type: CrcType, out: Uint8Array, offset: number, value: number): void {
  if (type === CRC_16) {
    out[offset] = (value >>> 8) & 0xff;
    out[offset + 1] = value & 0xff;
    return;
  }
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}

/** The CRC-32C to use: the caller's (e.g. native) or the pure one. */
export function crc32cOf(opts: CodecOptions | undefined): Crc32cFn {
  return opts?.crc32c ?? crc32c;
}
