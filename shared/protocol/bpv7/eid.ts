/**
 * Endpoint IDs (RFC 9171 §4.2.5, ipn as updated by RFC 9758; protocols.md §3.7): CBOR and text forms,
 * strict validation, node-ID helpers.
 *
 * | EID                    | CBOR                                  | text               |
 * |------------------------|---------------------------------------|--------------------|
 * | null endpoint          | [1, 0]                                | dtn:none           |
 * | dtn                    | [1, "//node/demux"] (the `//` kept)    | dtn://node/demux   |
 * | ipn, allocator 0       | [2, [node, service]]                  | ipn:node.service   |
 * | ipn (RFC 9758)         | [2, [allocator<<32 | node, service]]  | ipn:a.node.service |
 * |                        | or [2, [allocator, node, service]]    |                    |
 *
 * dtn rules, the intersection of RFC 9171 §4.2.5.1.1 (node-name = reg-name, demux = *VCHAR) and what
 * uD3TN v0.13 accepts (components/ud3tn/eid.c validate_eid — a debug uD3TN aborts on an EID it rejects):
 * "//", a node name of 1+ characters from A-Z a-z 0-9 - . _, then "/", then a demux of VCHARs
 * (0x21–0x7E). So every dtn EID is ASCII. A node ID is "dtn://node/" (empty demux, §4.2.5.2).
 * ipn rules (RFC 9758): allocator and node numbers are 32-bit, the service number a uint64 (here at
 * most 2^53-1, as everywhere in types.ts); text numbers are decimal without leading zeros.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { LIMITS } from '../limits';
import { MAJOR_ARRAY, MAJOR_TEXT, MAJOR_UINT, headSize, writeHead } from '../cbor/header';
import { CborReader, FAILED } from '../cbor/reader';
import { decodeAscii } from '../cbor/utf8';
import type { DtnEid, Eid, IpnEid } from './types';

/** URI scheme codes (RFC 9171 §4.2.5.1, IANA "Bundle Protocol URI Scheme Types"). */
export const SCHEME_DTN = 1;
export const SCHEME_IPN = 2;

/** The null endpoint dtn:none (RFC 9171 §4.2.5.1.1), encoded [1, 0]. */
export const DTN_NONE: DtnEid = Object.freeze({ scheme: 'dtn', ssp: 'none' });

const MAX_U32 = 0xffff_ffff;
const TWO_32 = 0x1_0000_0000;

/** Character classes: 1 = node-name character, 2 = other VCHAR (demux only). */
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0x21; c <= 0x7e; c++) CHAR_CLASS[c] = 2;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._') CHAR_CLASS[c.charCodeAt(0)] = 1;
const SLASH = 0x2f;

/**
 * Why the dtn SSP (everything after "dtn:") in src[start, start + length) is invalid, or undefined when
 * it is valid. Takes a string or bytes, so that decoding validates the bytes before making a string.
 */
function dtnSspProblemIn(src: string | Uint8Array, start: number, length: number): string | undefined {
  if (length > LIMITS.eidMaxLength) return `dtn SSP longer than ${LIMITS.eidMaxLength} characters`;
  // No closure for the character access: this runs for every EID decoded and encoded.
  const text = typeof src === 'string';
  if (length < 2 || charAt(src, text, start) !== SLASH || charAt(src, text, start + 1) !== SLASH) {
    return 'a dtn EID is "dtn:none" or starts with "dtn://" (RFC 9171 §4.2.5.1.1)';
  }
  const end = start + length;
  let i = start + 2;
  while (i < end) {
    const c = charAt(src, text, i);
    if (c >= 128 || CHAR_CLASS[c] !== 1) break;
    i++;
  }
  if (i === start + 2) return 'the node name of a dtn EID is empty or starts with a character outside A-Z a-z 0-9 - . _';
  if (i === end) return 'a dtn EID needs a "/" after the node name (a node ID is "dtn://node/")';
  if (charAt(src, text, i) !== SLASH) return `character ${hexChar(charAt(src, text, i))} is not allowed in a dtn node name (A-Z a-z 0-9 - . _)`;
  for (i++; i < end; i++) {
    const c = charAt(src, text, i);
    if (c < 0x21 || c > 0x7e) return `character ${hexChar(c)} is not allowed in a dtn demux (VCHAR 0x21-0x7E)`;
  }
  return undefined;
}

function charAt(src: string | Uint8Array, text: boolean, i: number): number {
  return text ? (src as string).charCodeAt(i) : ((src as Uint8Array)[i] as number);
}

function hexChar(c: number): string {
  return `0x${c.toString(16).padStart(2, '0')}`;
}

/** Why a dtn SSP is invalid, or undefined when it is valid ("none" is the null endpoint). */
export function dtnSspProblem(ssp: string): string | undefined {
  if (ssp === 'none') return undefined;
  return dtnSspProblemIn(ssp, 0, ssp.length);
}

function isU32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_U32;
}

/** Why an EID object is invalid, or undefined when it is valid. */
export function eidProblem(eid: Eid): string | undefined {
  if (eid.scheme === 'dtn') return typeof eid.ssp === 'string' ? dtnSspProblem(eid.ssp) : 'dtn SSP is not a string';
  if (eid.scheme !== 'ipn') return 'unknown EID scheme';
  if (!isU32(eid.allocator)) return 'ipn allocator must be an integer in 0..2^32-1 (RFC 9758)';
  if (!isU32(eid.node)) return 'ipn node number must be an integer in 0..2^32-1 (RFC 9758)';
  if (!Number.isSafeInteger(eid.service) || eid.service < 0) return 'ipn service number must be an integer in 0..2^53-1';
  if (eid.wireForm !== undefined && eid.wireForm !== 2 && eid.wireForm !== 3) return 'ipn wireForm must be 2 or 3';
  return undefined;
}

/** The EID if it is valid, else INVALID_EID with the reason. */
export function validateEid(eid: Eid): Result<Eid> {
  const problem = eidProblem(eid);
  return problem === undefined ? ok(eid) : err('INVALID_EID', problem);
}

/** A dtn EID "dtn://node/demux"; demux '' gives the node ID. */
export function dtnEid(node: string, demux = ''): Result<DtnEid> {
  const eid: DtnEid = { scheme: 'dtn', ssp: `//${node}/${demux}` };
  const problem = dtnSspProblem(eid.ssp);
  return problem === undefined ? ok(eid) : err('INVALID_EID', problem);
}

/** An ipn EID; allocator 0 is the default (RFC 9758). */
export function ipnEid(node: number, service: number, allocator = 0): Result<IpnEid> {
  const eid: IpnEid = { scheme: 'ipn', allocator, node, service };
  const problem = eidProblem(eid);
  return problem === undefined ? ok(eid) : err('INVALID_EID', problem);
}

// ---- text form ----

/** A decimal number without leading zeros ("0" itself allowed), or -1. */
function parseDecimal(s: string, max: number): number {
  if (s.length === 0 || s.length > 20 || (s.length > 1 && s.charCodeAt(0) === 0x30)) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  const v = Number(s);
  return v <= max ? v : -1;
}

/** Parses "dtn:none", "dtn://node/demux", "ipn:node.service" or "ipn:allocator.node.service". */
export function parseEid(text: string): Result<Eid> {
  if (text.length > LIMITS.eidMaxLength + 4) return err('INVALID_EID', `EID longer than ${LIMITS.eidMaxLength} characters`);
  if (text.startsWith('dtn:')) {
    const ssp = text.slice(4);
    if (ssp === 'none') return ok(DTN_NONE);
    const problem = dtnSspProblem(ssp);
    return problem === undefined ? ok({ scheme: 'dtn', ssp }) : err('INVALID_EID', `${problem}: "${text}"`);
  }
  if (text.startsWith('ipn:')) {
    const parts = text.slice(4).split('.');
    if (parts.length !== 2 && parts.length !== 3) {
      return err('INVALID_EID', `an ipn EID is ipn:node.service or ipn:allocator.node.service (RFC 9758): "${text}"`);
    }
    const nums = parts.map((p, i) => parseDecimal(p, i === parts.length - 1 ? Number.MAX_SAFE_INTEGER : MAX_U32));
    if (nums.some((n) => n < 0)) {
      return err('INVALID_EID', `ipn numbers are decimal without leading zeros; allocator and node ≤ 2^32-1, service ≤ 2^53-1: "${text}"`);
    }
    const [a, b, c] = nums as [number, number, number | undefined];
    return ok(c === undefined ? { scheme: 'ipn', allocator: 0, node: a, service: b } : { scheme: 'ipn', allocator: a, node: b, service: c });
  }
  return err('INVALID_EID', `unknown EID scheme (expected "dtn:" or "ipn:"): "${text.slice(0, 64)}"`);
}

/** The text form: "dtn:none", "dtn://node/demux", "ipn:2.25", "ipn:977.2.25" (allocator ≠ 0). */
export function formatEid(eid: Eid): string {
  if (eid.scheme === 'dtn') return `dtn:${eid.ssp}`;
  return eid.allocator === 0 ? `ipn:${eid.node}.${eid.service}` : `ipn:${eid.allocator}.${eid.node}.${eid.service}`;
}

/** A string key for maps and sets; equal for equal EIDs (the ipn wire form is ignored). */
export function eidKey(eid: Eid): string {
  return formatEid(eid);
}

export function eidEquals(a: Eid, b: Eid): boolean {
  if (a.scheme === 'dtn') return b.scheme === 'dtn' && a.ssp === b.ssp;
  return b.scheme === 'ipn' && a.allocator === b.allocator && a.node === b.node && a.service === b.service;
}

export function isNullEid(eid: Eid): boolean {
  return eid.scheme === 'dtn' && eid.ssp === 'none';
}

/**
 * The node ID of an EID (RFC 9171 §4.2.5.2): dtn://node/ for dtn://node/demux, ipn:[a.]N.0 for
 * ipn:[a.]N.S. The null endpoint has no node and maps to itself. The router keys contacts by the text
 * form instead (electron/bpa/router/routing-key.ts `nodeIdOf(string)`, uD3TN's get_node_id rules).
 */
export function nodeIdOf(eid: Eid): Eid {
  if (eid.scheme === 'ipn') return { scheme: 'ipn', allocator: eid.allocator, node: eid.node, service: 0 };
  if (eid.ssp === 'none') return eid;
  const slash = eid.ssp.indexOf('/', 2);
  return slash === eid.ssp.length - 1 ? eid : { scheme: 'dtn', ssp: eid.ssp.slice(0, slash + 1) };
}

/** True for a node ID: dtn://node/ or ipn:[a.]N.0 (not the null endpoint). */
export function isNodeId(eid: Eid): boolean {
  if (eid.scheme === 'ipn') return eid.service === 0;
  return eid.ssp !== 'none' && eid.ssp.indexOf('/', 2) === eid.ssp.length - 1;
}

/** True when both EIDs belong to the same node. */
export function sameNode(a: Eid, b: Eid): boolean {
  return !isNullEid(a) && eidEquals(nodeIdOf(a), nodeIdOf(b));
}

/** The demux of a dtn EID ("smtp" for dtn://mars.dtn/smtp); undefined for dtn:none and ipn EIDs. */
export function dtnDemux(eid: Eid): string | undefined {
  if (eid.scheme !== 'dtn' || eid.ssp === 'none') return undefined;
  return eid.ssp.slice(eid.ssp.indexOf('/', 2) + 1);
}

// ---- CBOR form ----

/** Reads an EID at the reader's position (hot path: no intermediate objects besides the EID). */
export function readEid(r: CborReader, what: string): Eid | undefined {
  const start = r.pos;
  if (r.arrayHead(what, false) !== 2) return failEid(r, `${what} must be a 2-item array [scheme, SSP] (RFC 9171 §4.2.5.1)`, start);
  const scheme = r.uint(`${what} scheme`);
  if (scheme === SCHEME_DTN) return readDtnSsp(r, what);
  if (scheme === SCHEME_IPN) return readIpnSsp(r, what);
  if (scheme === FAILED) return undefined;
  return failEid(r, `${what} has unknown URI scheme code ${scheme}`, start);
}

function failEid(r: CborReader, message: string, offset: number): undefined {
  if (r.error === undefined) r.fail('INVALID_EID', message, offset);
  return undefined;
}

/**
 * Decoded dtn EIDs, interned. A node sees the same few EIDs again and again; handing out the same
 * frozen EID object for the same SSP bytes saves a string and an object per decode. Direct-mapped by a
 * hash of the bytes, so memory stays bounded (at most DTN_CACHE_SLOTS EIDs of ≤ LIMITS.eidMaxLength).
 * A pure memo: results are the same with or without it.
 */
const DTN_CACHE_SLOTS = 256;
const dtnCache: (DtnEid | undefined)[] = new Array<DtnEid | undefined>(DTN_CACHE_SLOTS).fill(undefined);

function sameAscii(s: string, bytes: Uint8Array, start: number, length: number): boolean {
  if (s.length !== length) return false;
  for (let i = 0; i < length; i++) if (s.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

function readDtnSsp(r: CborReader, what: string): DtnEid | undefined {
  const at = r.pos;
  const ib = r.peekByte();
  if (ib === 0x00) {
    r.pos++;
    return DTN_NONE; // [1, 0]: dtn:none (RFC 9171 §4.2.5.1.1)
  }
  if (ib >> 5 !== MAJOR_TEXT) return failEid(r, `${what}: a dtn SSP is the uint 0 (dtn:none) or a text string`, at);
  const n = r.textHead(`${what} SSP`);
  if (n < 0) return undefined;
  if (n > LIMITS.eidMaxLength) return failEid(r, `${what}: dtn SSP longer than ${LIMITS.eidMaxLength} characters`, at);
  const bytes = r.bytes;
  const s = r.pos;
  let h = n;
  for (let i = s; i < s + n; i++) h = (Math.imul(h, 31) + (bytes[i] as number)) | 0;
  const slot = h & (DTN_CACHE_SLOTS - 1);
  const cached = dtnCache[slot];
  if (cached !== undefined && sameAscii(cached.ssp, bytes, s, n)) {
    r.pos = s + n;
    return cached;
  }
  const problem = dtnSspProblemIn(bytes, s, n);
  if (problem !== undefined) return failEid(r, `${what}: ${problem}`, at);
  r.pos = s + n;
  const eid: DtnEid = Object.freeze({ scheme: 'dtn', ssp: decodeAscii(bytes, s, s + n) });
  dtnCache[slot] = eid;
  return eid;
}

function readIpnSsp(r: CborReader, what: string): IpnEid | undefined {
  const at = r.pos;
  const items = r.arrayHead(`${what} ipn SSP`, false);
  if (items === FAILED) return undefined;
  if (items === 3) {
    const allocator = r.uint(`${what} ipn allocator`);
    const node = r.uint(`${what} ipn node number`);
    const service = r.uint(`${what} ipn service number`);
    if (service === FAILED) return undefined;
    if (allocator > MAX_U32 || node > MAX_U32) return failEid(r, `${what}: ipn allocator and node numbers are 32-bit (RFC 9758)`, at);
    return { scheme: 'ipn', allocator, node, service, wireForm: 3 };
  }
  if (items !== 2) return failEid(r, `${what}: an ipn SSP is [FQNN, service] or [allocator, node, service] (RFC 9758)`, at);
  // FQNN = allocator << 32 | node (RFC 9758). In its 8-byte form the two halves are read directly, so
  // allocators whose FQNN passes 2^53 need no bigint.
  let allocator: number;
  let node: number;
  const p = r.pos;
  if (p + 9 <= r.end && r.bytes[p] === 0x1b) {
    allocator = readU32(r.bytes, p + 1);
    node = readU32(r.bytes, p + 5);
    r.pos = p + 9;
  } else {
    const fqnn = r.uint(`${what} ipn FQNN`);
    if (fqnn === FAILED) return undefined;
    allocator = Math.floor(fqnn / TWO_32);
    node = fqnn % TWO_32;
  }
  const service = r.uint(`${what} ipn service number`);
  if (service === FAILED) return undefined;
  return { scheme: 'ipn', allocator, node, service, wireForm: 2 };
}

/** Decodes bytes holding exactly one CBOR-encoded EID. */
export function decodeEid(bytes: Uint8Array): Result<Eid> {
  const r = new CborReader(bytes);
  const eid = readEid(r, 'EID');
  if (eid === undefined || !r.expectEnd('the EID')) return { ok: false, error: r.takeError() };
  return ok(eid);
}

/** Which ipn form an encoder writes: the received one if known, else 2 for allocator 0 and 3 otherwise. */
function ipnForm(eid: IpnEid): 2 | 3 {
  return eid.wireForm ?? (eid.allocator === 0 ? 2 : 3);
}

/**
 * Encoded size of an EID, or -1 when the EID is invalid (eidProblem says why). Validates fully, so an
 * encoder that sizes with this never writes an EID a decoder (or uD3TN) would reject.
 */
export function eidSize(eid: Eid): number {
  if (eid.scheme === 'dtn') {
    if (eid.ssp === 'none') return 3;
    if (typeof eid.ssp !== 'string' || dtnSspProblem(eid.ssp) !== undefined) return -1;
    return 2 + headSize(eid.ssp.length) + eid.ssp.length;
  }
  if (eidProblem(eid) !== undefined) return -1;
  if (ipnForm(eid) === 3) return 3 + headSize(eid.allocator) + headSize(eid.node) + headSize(eid.service);
  return 3 + (eid.allocator === 0 ? headSize(eid.node) : 9) + headSize(eid.service);
}

/** Writes an EID that eidSize() accepted; returns the offset after it. */
export function writeEid(out: Uint8Array, offset: number, eid: Eid): number {
  out[offset] = 0x82; // [scheme, SSP]
  if (eid.scheme === 'dtn') {
    out[offset + 1] = SCHEME_DTN;
    if (eid.ssp === 'none') {
      out[offset + 2] = 0x00;
      return offset + 3;
    }
    const ssp = eid.ssp;
    let o = writeHead(out, offset + 2, MAJOR_TEXT, ssp.length);
    for (let i = 0; i < ssp.length; i++) out[o++] = ssp.charCodeAt(i);
    return o;
  }
  out[offset + 1] = SCHEME_IPN;
  if (ipnForm(eid) === 3) {
    let o = writeHead(out, offset + 2, MAJOR_ARRAY, 3);
    o = writeHead(out, o, MAJOR_UINT, eid.allocator);
    o = writeHead(out, o, MAJOR_UINT, eid.node);
    return writeHead(out, o, MAJOR_UINT, eid.service);
  }
  let o = writeHead(out, offset + 2, MAJOR_ARRAY, 2);
  if (eid.allocator === 0) o = writeHead(out, o, MAJOR_UINT, eid.node);
  else {
    // FQNN = allocator << 32 | node, always ≥ 2^32 here: the 8-byte form, written as two halves.
    out[o] = (MAJOR_UINT << 5) | 27;
    writeU32(out, o + 1, eid.allocator);
    writeU32(out, o + 5, eid.node);
    o += 9;
  }
  return writeHead(out, o, MAJOR_UINT, eid.service);
}

function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] as number) * 0x1000000 + (((bytes[offset + 1] as number) << 16) | ((bytes[offset + 2] as number) << 8) | (bytes[offset + 3] as number));
}

function writeU32(out: Uint8Array, offset: number, v: number): void {
  out[offset] = v >>> 24;
  out[offset + 1] = (v >>> 16) & 0xff;
  out[offset + 2] = (v >>> 8) & 0xff;
  out[offset + 3] = v & 0xff;
}

/** The CBOR encoding of an EID, or INVALID_EID. */
export function encodeEid(eid: Eid): Result<Uint8Array> {
  const size = eidSize(eid);
  if (size < 0) return err('INVALID_EID', eidProblem(eid) ?? 'invalid EID');
  const out = new Uint8Array(size);
  writeEid(out, 0, eid);
  return ok(out);
}
