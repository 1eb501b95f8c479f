/** Delivery status notifications (RFC 3464): build one, or recognise and read one. */
export { buildDsn, sanitizeFieldText } from './build';
export type { BuildDsnInput, BuiltDsn } from './build';
export { parseDsn } from './parse';
export type { ParsedDsn } from './parse';
export { DSN_ACTIONS } from './types';
export type { DsnAction, DsnFields, DsnRecipientFields, TypedValue } from './types';
