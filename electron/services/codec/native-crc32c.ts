/**
 * CRC-32C for the Node side: `@node-rs/crc32` (SIMD / SSE4.2 code shipped inside the npm package) behind
 * the Crc32cFn contract of shared/protocol/bpv7/crc.ts. Its `crc32c(input, initialState)` continues from
 * a finished CRC exactly like ours (initialState 0 = a fresh CRC), and it reads a Uint8Array view in
 * place: a subarray of a large buffer is neither copied nor widened to its whole ArrayBuffer.
 */
import { crc32c } from '@node-rs/crc32';
import type { CodecOptions, Crc32cFn } from '../../../shared/protocol/bpv7/crc';

export const nativeCrc32c: Crc32cFn = (data, previous = 0) => crc32c(data, previous);

/** Codec options for BPv7 encode/decode in Node: the native CRC-32C. */
export const nodeCodecOptions: CodecOptions = { crc32c: nativeCrc32c };
