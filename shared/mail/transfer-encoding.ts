/**
 * Content-Transfer-Encoding (RFC 2045 §6): decoding a part's body to its octets. 7bit, 8bit and binary
 * are identities (a view, no copy); base64 (§6.8) skips characters outside the alphabet as the RFC asks;
 * quoted-printable (§6.7) turns "=XX" into an octet and drops soft line breaks ("=" at a line end).
 */
import { err, ok } from '../errors';
import type { Result } from '../errors';

const B64 = new Int16Array(256).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) B64[ALPHABET.charCodeAt(i)] = i;

function base64(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.floor((bytes.length * 3) / 4) + 3);
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x3d) break; // "=" padding ends the data
    const v = B64[b]!;
    if (v < 0) continue; // line breaks and other characters outside the alphabet are ignored (§6.8)
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, o);
}

function hexValue(b: number | undefined): number {
  if (b === undefined) return -1;
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  if (b >= 0x61 && b <= 0x66) return b - 0x57; // lower case: not allowed by §6.7, but seen and unambiguous
  return -1;
}

function quotedPrintable(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b !== 0x3d) {
      out[o++] = b;
      continue;
    }
    const hi = hexValue(bytes[i + 1]);
    const lo = hexValue(bytes[i + 2]);
    if (hi >= 0 && lo >= 0) {
      out[o++] = (hi << 4) | lo;
      i += 2;
      continue;
    }
    // soft line break: "=" then optional white space, then CRLF or LF
    let j = i + 1;
    while (bytes[j] === 0x20 || bytes[j] === 0x09) j++;
    if (bytes[j] === 0x0d && bytes[j + 1] === 0x0a) i = j + 1;
    else if (bytes[j] === 0x0a) i = j;
    else out[o++] = b; // a lone "=": kept, as §6.7 note (2) suggests for robustness
  }
  return out.subarray(0, o);
}

/** Decode `body` per the encoding name (case-insensitive; absent means 7bit). */
export function decodeTransferEncoding(encoding: string | undefined, body: Uint8Array): Result<Uint8Array> {
  const e = (encoding ?? '7bit').trim().toLowerCase();
  if (e === '7bit' || e === '8bit' || e === 'binary') return ok(body);
  if (e === 'base64') return ok(base64(body));
  if (e === 'quoted-printable') return ok(quotedPrintable(body));
  return err('UNSUPPORTED', `unknown Content-Transfer-Encoding "${e}" (RFC 2045 §6.4)`);
}
