/**
 * A small Protocol Buffers codec, driven by one field table per message (messages.ts), for exactly what
 * AAP 2.0 (uD3TN v0.13, components/aap2/aap2.proto, proto3) uses: varint fields (bool, uint32, uint64,
 * enum) and length-delimited fields (string, embedded message).
 *
 * Encoding matches nanopb, which produced the vectors: fields in ascending number order, proto3 defaults
 * omitted (false, 0, ""), an embedded message written whenever it is present (even empty, e.g.
 * Keepalive `32 00`), minimal varints.
 *
 * Decoding (https://protobuf.dev/programming-guides/encoding/):
 * - Unknown fields of wire types 0, 1, 2 and 5 are skipped; groups (3, 4) and wire types 6, 7 are
 *   PROTOBUF_MALFORMED, as are field number 0, a known field with the wrong wire type, a varint longer
 *   than 10 bytes or beyond 64 bits, a length running past the end, and a string that is not UTF-8
 *   (proto3 requires UTF-8).
 * - Non-minimal varints are accepted (parsers must; nanopb never writes them).
 * - A repeated singular field: the last value wins (embedded messages are replaced, not merged).
 * - Range: uint64 values are JS numbers, so values above 2^53-1 are LIMIT_EXCEEDED; uint32 and enum
 *   values above 2^32-1 are PROTOBUF_MALFORMED (a negative int32 enum, sign-extended to 10 bytes, lands
 *   here too; no AAP 2.0 enum is negative).
 * - A oneof (AAPMessage.msg): the member seen last wins and clears the others.
 */
import { err, ok } from '../../errors';
import type { ErrorCode, Result } from '../../errors';
import { decodeUtf8, utf8Length, writeUtf8 } from '../cbor/utf8';

export type ScalarKind = 'bool' | 'uint32' | 'uint64' | 'enum' | 'string';

export interface ScalarField {
  readonly no: number;
  readonly kind: ScalarKind;
}

export interface MessageField {
  readonly no: number;
  readonly kind: 'message';
  readonly type: MessageType<Schema>;
}

export type Field = ScalarField | MessageField;
export type Schema = { readonly [name: string]: Field };

/** The decoded value of a field: embedded messages are undefined when absent. */
export type ValueOf<F> = F extends { readonly kind: 'string' }
  ? string
  : F extends { readonly kind: 'bool' }
    ? boolean
    : F extends { readonly kind: 'message'; readonly type: MessageType<infer S> }
      ? MessageOf<S> | undefined
      : number;

/** A decoded message: every field present, proto3 defaults for those not on the wire. */
export type MessageOf<S extends Schema> = { readonly [K in keyof S]: ValueOf<S[K]> };

type InitValueOf<F> = F extends { readonly kind: 'message'; readonly type: MessageType<infer S> } ? MessageInit<S> : ValueOf<F>;

/** What an encoder takes: any field may be left out (it is then the proto3 default, and not written). */
export type MessageInit<S extends Schema> = { readonly [K in keyof S]?: InitValueOf<S[K]> };

interface CompiledField {
  readonly name: string;
  readonly no: number;
  readonly kind: ScalarKind | 'message';
  readonly type: MessageType<Schema> | undefined;
  /** Wire type: 0 varint, 2 length-delimited. */
  readonly wire: 0 | 2;
  /** Tag varint bytes, precomputed. */
  readonly tag: Uint8Array;
}

export interface MessageType<S extends Schema> {
  readonly name: string;
  readonly schema: S;
  /** True when the fields form one oneof (AAPMessage.msg). */
  readonly oneof: boolean;
  /** Fields in ascending number order (the order nanopb writes them). */
  readonly fields: readonly CompiledField[];
  /** Field number → field. */
  readonly byNumber: ReadonlyMap<number, CompiledField>;
}

export function defineMessage<S extends Schema>(name: string, schema: S, options: { oneof?: boolean } = {}): MessageType<S> {
  const fields = Object.entries(schema)
    .map(([fieldName, f]): CompiledField => {
      const wire = f.kind === 'string' || f.kind === 'message' ? 2 : 0;
      const tag = new Uint8Array(varintSize(f.no * 8 + wire));
      writeVarint(tag, 0, f.no * 8 + wire);
      return { name: fieldName, no: f.no, kind: f.kind, type: f.kind === 'message' ? f.type : undefined, wire, tag };
    })
    .sort((a, b) => a.no - b.no);
  return { name, schema, oneof: options.oneof ?? false, fields, byNumber: new Map(fields.map((f) => [f.no, f])) };
}

// ---------------------------------------------------------------------------------------------------
// Varints

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_VARINT_BYTES = 10;

/** Outcome of readVarint: a value (≤ 2^53-1, or -1 when larger) and its end, or why there is none. */
export type VarintRead = { readonly value: number; readonly end: number } | 'need-more' | 'malformed';

/**
 * Read a varint at `at`, never past `end`. 'need-more' when the bytes stop inside it; 'malformed' when it
 * runs past 10 bytes or past 64 bits. A value above 2^53-1 comes back as -1 (callers decide).
 */
export function readVarint(bytes: Uint8Array, at: number, end: number): VarintRead {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (at + i >= end) return 'need-more';
    const b = bytes[at + i] as number;
    if (i === MAX_VARINT_BYTES - 1 && b > 1) return 'malformed'; // the 10th byte holds only bit 63
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return { value: value > MAX_SAFE ? -1 : value, end: at + i + 1 };
  }
  return 'malformed';
}

export function varintSize(value: number): number {
  let n = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) n++;
  return n;
}

/** Write `value` (a non-negative safe integer) as a minimal varint; returns the end offset. */
export function writeVarint(out: Uint8Array, at: number, value: number): number {
  let i = at;
  let v = value;
  while (v >= 128) {
    out[i++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  out[i++] = v;
  return i;
}

// ---------------------------------------------------------------------------------------------------
// Decoding

type Failure = { readonly code: ErrorCode; readonly message: string; readonly offset: number };

/** Decode bytes[start, end) as one `type` message. Error offsets are relative to `bytes`. */
export function decodeMessage<S extends Schema>(type: MessageType<S>, bytes: Uint8Array, start = 0, end = bytes.length): Result<MessageOf<S>> {
  const r = decodeFields(type, bytes, start, end);
  if ('code' in r) return err(r.code, r.message, r.offset);
  return ok(r.value as MessageOf<S>);
}

/** For a decoded oneof message: the name of its member (decoding leaves at most one set), or undefined. */
export function oneofMember(type: MessageType<Schema>, message: object): string | undefined {
  let found: string | undefined;
  for (const f of type.fields) if ((message as Record<string, unknown>)[f.name] !== undefined) found = f.name;
  return found;
}

function decodeFields(type: MessageType<Schema>, bytes: Uint8Array, start: number, end: number): { value: Record<string, unknown> } | Failure {
  const out: Record<string, unknown> = {};
  for (const f of type.fields) out[f.name] = defaultOf(f);
  let at = start;
  while (at < end) {
    const tag = readVarint(bytes, at, end);
    if (typeof tag === 'string' || tag.value < 0) return malformed(`${type.name}: bad field tag`, at);
    const no = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (no === 0) return malformed(`${type.name}: field number 0`, at);
    const field = type.byNumber.get(no);
    at = tag.end;
    if (field !== undefined && field.wire !== wire) return malformed(`${type.name}.${field.name}: wire type ${wire}`, at);
    switch (wire) {
      case 0: {
        const v = readVarint(bytes, at, end);
        if (typeof v === 'string') return malformed(`${type.name}: bad varint`, at);
        if (field !== undefined) {
          const set = scalarValue(type, field, v.value, at);
          if ('code' in set) return set;
          out[field.name] = set.value;
        }
        at = v.end;
        break;
      }
      case 2: {
        const len = readVarint(bytes, at, end);
        if (typeof len === 'string' || len.value < 0 || len.end + len.value > end) {
          return malformed(`${type.name}: length-delimited field runs past the end`, at);
        }
        const from = len.end;
        const to = len.end + len.value;
        if (field !== undefined) {
          if (field.kind === 'string') {
            const s = decodeUtf8(bytes, from, to);
            if (s === undefined) return malformed(`${type.name}.${field.name} is not UTF-8`, from);
            out[field.name] = s;
          } else {
            const inner = decodeFields(field.type as MessageType<Schema>, bytes, from, to);
            if ('code' in inner) return inner;
            if (type.oneof) for (const f of type.fields) out[f.name] = undefined;
            out[field.name] = inner.value;
          }
        }
        at = to;
        break;
      }
      case 1:
      case 5: {
        const size = wire === 1 ? 8 : 4;
        if (at + size > end) return malformed(`${type.name}: fixed-size field runs past the end`, at);
        at += size;
        break;
      }
      default:
        return malformed(`${type.name}: unsupported wire type ${wire}`, at);
    }
  }
  return { value: out };
}

function scalarValue(type: MessageType<Schema>, field: CompiledField, value: number, at: number): { value: number | boolean } | Failure {
  switch (field.kind) {
    case 'bool':
      return { value: value !== 0 };
    case 'uint64':
      if (value < 0) return { code: 'LIMIT_EXCEEDED', message: `${type.name}.${field.name} above 2^53-1`, offset: at };
      return { value };
    default: // uint32, enum
      if (value < 0 || value > 0xffffffff) return malformed(`${type.name}.${field.name} out of uint32 range`, at);
      return { value };
  }
}

function defaultOf(f: CompiledField): unknown {
  switch (f.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'message':
      return undefined;
    default:
      return 0;
  }
}

function malformed(message: string, offset: number): Failure {
  return { code: 'PROTOBUF_MALFORMED', message, offset };
}

// ---------------------------------------------------------------------------------------------------
// Encoding

/** Thrown inside this module only, by the sizing pass, for a value the field cannot carry. */
class InvalidValue extends Error {}

/** The serialised message (no length prefix). INVALID_ARGUMENT for values outside a field's range. */
export function encodeMessage<S extends Schema>(type: MessageType<S>, message: MessageInit<S>): Result<Uint8Array> {
  try {
    const out = new Uint8Array(sizeOf(type, message));
    writeFields(type, message, out, 0);
    return ok(out);
  } catch (e) {
    if (e instanceof InvalidValue) return err('INVALID_ARGUMENT', e.message);
    throw e;
  }
}

/** The serialised message preceded by its varint length (nanopb PB_ENCODE_DELIMITED). */
export function encodeDelimited<S extends Schema>(type: MessageType<S>, message: MessageInit<S>): Result<Uint8Array> {
  try {
    const size = sizeOf(type, message);
    const out = new Uint8Array(varintSize(size) + size);
    writeFields(type, message, out, writeVarint(out, 0, size));
    return ok(out);
  } catch (e) {
    if (e instanceof InvalidValue) return err('INVALID_ARGUMENT', e.message);
    throw e;
  }
}

/** Size of the fields of `message`, checking every value (throws InvalidValue). */
function sizeOf(type: MessageType<Schema>, message: object): number {
  const values = message as Record<string, unknown>;
  let size = 0;
  for (const f of type.fields) {
    const v = values[f.name];
    if (v === undefined) continue;
    switch (f.kind) {
      case 'string': {
        if (typeof v !== 'string') throw new InvalidValue(`${type.name}.${f.name} must be a string`);
        if (v === '') break;
        const n = utf8Length(v);
        size += f.tag.length + varintSize(n) + n;
        break;
      }
      case 'message': {
        if (typeof v !== 'object' || v === null) throw new InvalidValue(`${type.name}.${f.name} must be a message`);
        const n = sizeOf(f.type as MessageType<Schema>, v);
        size += f.tag.length + varintSize(n) + n;
        break;
      }
      case 'bool':
        if (typeof v !== 'boolean') throw new InvalidValue(`${type.name}.${f.name} must be a boolean`);
        if (v) size += f.tag.length + 1;
        break;
      default: {
        const max = f.kind === 'uint64' ? MAX_SAFE : 0xffffffff;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
          throw new InvalidValue(`${type.name}.${f.name} must be an integer in 0..${max}`);
        }
        if (v !== 0) size += f.tag.length + varintSize(v);
      }
    }
  }
  return size;
}

/** Write the fields (values already checked by sizeOf); returns the end offset. */
function writeFields(type: MessageType<Schema>, message: object, out: Uint8Array, start: number): number {
  const values = message as Record<string, unknown>;
  let at = start;
  for (const f of type.fields) {
    const v = values[f.name];
    if (v === undefined || v === '' || v === false || v === 0) continue;
    out.set(f.tag, at);
    at += f.tag.length;
    if (f.kind === 'string') {
      const s = v as string;
      at = writeUtf8(out, writeVarint(out, at, utf8Length(s)), s);
    } else if (f.kind === 'message') {
      const inner = f.type as MessageType<Schema>;
      at = writeFields(inner, v as object, out, writeVarint(out, at, sizeOf(inner, v as object)));
    } else {
      at = writeVarint(out, at, v === true ? 1 : (v as number));
    }
  }
  return at;
}
