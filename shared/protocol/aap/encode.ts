/**
 * AAP v1 encoder, derived from AAP_LAYOUT (layout.ts). The gather form returns the header and the payload
 * as separate parts so a large payload is written to the socket where it lies, never copied.
 */
import { err, ok } from '../../errors';
import type { Result } from '../../errors';
import { utf8Length, writeUtf8 } from '../cbor/utf8';
import { AAP_BUNDLE_ID_BYTES, AAP_EID_LENGTH_BYTES, AAP_LAYOUT, AAP_PAYLOAD_LENGTH_BYTES, AAP_VERSION } from './layout';
import type { AapFieldValues, AapMessage, AapTypeLayout } from './layout';
import { LIMITS } from '../limits';

const TWO_32 = 0x1_0000_0000;
const U64_MAX = (1n << 64n) - 1n;

/** The whole message as one buffer (header and payload copied together). */
export function encodeAapMessage(message: AapMessage): Result<Uint8Array> {
  const framed = encodeHeader(message);
  if (!framed.ok) return framed;
  const { header, payload } = framed.value;
  if (payload === undefined) return ok(header);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return ok(out);
}

/**
 * Gather form: `[header]` for messages without payload, `[header, payload]` for SENDBUNDLE, RECVBUNDLE,
 * SENDBIBE and RECVBIBE, where `payload` is the caller's own array (not copied).
 * Fails with INVALID_ARGUMENT when the EID's UTF-8 form exceeds the u16 length field or a bundle ID is
 * outside u64.
 */
export function encodeAapMessageParts(message: AapMessage): Result<readonly Uint8Array[]> {
  const framed = encodeHeader(message);
  if (!framed.ok) return framed;
  const { header, payload } = framed.value;
  return ok(payload === undefined ? [header] : [header, payload]);
}

function encodeHeader(message: AapMessage): Result<{ header: Uint8Array; payload: Uint8Array | undefined }> {
  const layout: AapTypeLayout = AAP_LAYOUT[message.type];
  const values = message as Partial<AapFieldValues>;
  let size = 1;
  let eidBytes = 0;
  for (const field of layout.fields) {
    if (field === 'eid') {
      eidBytes = utf8Length(values.eid ?? '');
      if (eidBytes > LIMITS.aapMaxEidLength) {
        return err('INVALID_ARGUMENT', `AAP ${message.type}: EID of ${eidBytes} bytes exceeds the u16 length field`);
      }
      size += AAP_EID_LENGTH_BYTES + eidBytes;
    } else if (field === 'payload') {
      size += AAP_PAYLOAD_LENGTH_BYTES;
    } else {
      const id = values.bundleId ?? 0n;
      if (id < 0n || id > U64_MAX) return err('INVALID_ARGUMENT', `AAP ${message.type}: bundle ID outside u64`);
      size += AAP_BUNDLE_ID_BYTES;
    }
  }

  const header = new Uint8Array(size);
  header[0] = (AAP_VERSION << 4) | layout.code;
  let at = 1;
  let payload: Uint8Array | undefined;
  for (const field of layout.fields) {
    if (field === 'eid') {
      header[at] = eidBytes >>> 8;
      header[at + 1] = eidBytes & 0xff;
      at = writeUtf8(header, at + AAP_EID_LENGTH_BYTES, values.eid ?? '');
    } else if (field === 'payload') {
      payload = values.payload ?? new Uint8Array(0);
      at = writeU64(header, at, payload.length);
    } else {
      new DataView(header.buffer, header.byteOffset + at, AAP_BUNDLE_ID_BYTES).setBigUint64(0, values.bundleId ?? 0n, false);
      at += AAP_BUNDLE_ID_BYTES;
    }
  }
  return ok({ header, payload });
}

/** Big-endian u64 of a non-negative safe integer. */
function writeU64(out: Uint8Array, at: number, value: number): number {
  const hi = Math.floor(value / TWO_32);
  const lo = value >>> 0;
  out[at] = hi >>> 24;
  out[at + 1] = (hi >>> 16) & 0xff;
  out[at + 2] = (hi >>> 8) & 0xff;
  out[at + 3] = hi & 0xff;
  out[at + 4] = lo >>> 24;
  out[at + 5] = (lo >>> 16) & 0xff;
  out[at + 6] = (lo >>> 8) & 0xff;
  out[at + 7] = lo & 0xff;
  return at + 8;
}
