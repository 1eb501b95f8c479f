/**
 * Errors are data (design.md principle 9): every fallible boundary returns a Result whose error carries
 * a code from one closed set. Callers branch on `code`, never on message text. Messages are for people
 * and must never contain secrets.
 */

export const ERROR_CODES = [
  // Generic framing and structure
  'TRUNCATED', // input ended inside a structure (non-resumable decoders)
  'MALFORMED', // bytes do not follow the wire grammar
  'TRAILING_BYTES', // a complete structure was followed by unexpected bytes
  'LIMIT_EXCEEDED', // a size or count limit of limits.ts was exceeded before buffering
  'UNSUPPORTED', // well-formed but not supported (e.g. BP version 6)
  'INVALID_ARGUMENT', // a caller passed a value the encoder cannot represent
  // CBOR
  'CBOR_MALFORMED',
  // BPv7
  'INVALID_EID',
  'CRC_MISMATCH',
  'BUNDLE_INVALID', // decoded but violates a semantic rule (see validateBundle)
  'FRAGMENT_MISMATCH', // fragments that cannot belong to the same ADU
  // BSMTP / SMTP
  'BSMTP_SYNTAX',
  'BSMTP_SMUGGLING', // a line ending or terminator variant used for SMTP smuggling
  'BSMTP_COMMAND_NOT_ALLOWED',
  'BSMTP_NOT_BSMTP', // the payload is not Batch SMTP (e.g. plain RFC 5322)
  // AAP v1 / AAP 2.0
  'AAP_VERSION_MISMATCH', // e.g. an AAP 2.0 server (0x2F) met by the v1 client
  'AAP_UNKNOWN_TYPE',
  'AAP_NACK',
  'AAP_STATUS', // AAP 2.0 non-success ResponseStatus
  'PROTOBUF_MALFORMED',
  // Transport and services
  'TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_FAILED',
  'NOT_FOUND',
  'UNAUTHORIZED',
  'CONFLICT',
  'STORE_FULL',
  'NO_ROUTE',
  'EXPIRED',
  'IO_ERROR',
  'CONFIG_INVALID',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FarsideError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Byte offset in the input where the problem was found, when there is one. */
  readonly offset?: number;
}

export type Ok<T> = { readonly ok: true; readonly value: T };
export type Err<E = FarsideError> = { readonly ok: false; readonly error: E };
export type Result<T, E = FarsideError> = Ok<T> | Err<E>;

export const ok = <T>(value: T): Ok<T> => ({ ok: true, value });

export function err(code: ErrorCode, message: string, offset?: number): Err<FarsideError> {
  return offset === undefined
    ? { ok: false, error: { code, message } }
    : { ok: false, error: { code, message, offset } };
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** One log line for an error: code, message and offset; nothing else (no payloads, no secrets). */
export function toLogFormat(error: FarsideError): string {
  return error.offset === undefined
    ? `${error.code}: ${error.message}`
    : `${error.code} at byte ${error.offset}: ${error.message}`;
}
