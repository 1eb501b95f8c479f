/**
 * The gateway's SQLite schema (user_version 1). One database holds both halves' durable state:
 *
 * - `outbound`: one row per (message, destination gateway), the BSMTP bytes to send as one bundle
 *   (issue 4), until the BP node confirmed it (bundle_id set). `origin` tells mail relayed by the site MTA
 *   ('mail') from notifications the gateway generated itself ('dsn').
 * - `received`: every ADU key ever taken (bundle ID, or the payload digest when the node gives none), so a
 *   bundle delivered twice — the BP node retrying, a restart between delivery and acknowledgement — is
 *   processed once, across restarts (RFC 2442: process each message once).
 * - `deliveries`: one row per transaction still to replay into the MTA, with its per-recipient state and
 *   the trace fields written at intake (trace-fields.ts), prepended to every replay; the row goes when
 *   every recipient is settled.
 * - `seen_messages`: (Message-ID, recipient) pairs already taken, so the same message arriving in another
 *   bundle (a sender's retry after a lost confirmation) is not delivered twice to the same recipient.
 * - `secrets`: values the gateway makes once and keeps for its lifetime; `transaction-tag` is the 32-byte
 *   HMAC key of the X-Farside-Transaction field (trace-fields.ts transactionTag).
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE outbound (
  id              INTEGER PRIMARY KEY,
  origin          TEXT NOT NULL CHECK (origin IN ('mail', 'dsn')),
  destination     TEXT NOT NULL,
  message_id      TEXT,
  envid           TEXT,
  recipients      INTEGER NOT NULL,
  size            INTEGER NOT NULL,
  bsmtp           BLOB NOT NULL,
  queued_at       INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  bundle_id       TEXT,
  handed_at       INTEGER
);
CREATE INDEX outbound_due ON outbound (origin, next_attempt_at) WHERE bundle_id IS NULL;
CREATE TABLE received (
  key         TEXT PRIMARY KEY,
  source      TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  received_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX received_by_time ON received (received_at);
CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY,
  bundle_key      TEXT NOT NULL,
  source          TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('mail', 'notice')),
  mail_from       TEXT NOT NULL,
  mail_params     TEXT NOT NULL,
  recipients      TEXT NOT NULL,
  message         BLOB NOT NULL,
  message_id      TEXT,
  received_at     INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  delay_notified  INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  trace           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at);
CREATE TABLE seen_messages (
  message_id TEXT NOT NULL,
  recipient  TEXT NOT NULL,
  seen_at    INTEGER NOT NULL,
  PRIMARY KEY (message_id, recipient)
) WITHOUT ROWID;
CREATE INDEX seen_by_time ON seen_messages (seen_at);
`;

/**
 * Indexes and tables added after version 1 was first written: created when a store is opened (IF NOT
 * EXISTS), so a version-1 store made before them gets them too, and an older Farside reading a store that
 * has them ignores them. `outbound_by_bundle` finds the message a BPv7 status report is about by the
 * bundle ID recorded at hand-over (gateway.ts, RFC 9171 §6.1.1). `secrets`: see above; its rows are made
 * by the store when it is opened (gateway-store.ts).
 */
export const SCHEMA_ADDED_SQL = `
CREATE INDEX IF NOT EXISTS outbound_by_bundle ON outbound (bundle_id) WHERE bundle_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS secrets (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
`;

/** The secrets row holding the X-Farside-Transaction HMAC key, and the key's length (RFC 2104 §3: at least the hash's output, 32 bytes for SHA-256). */
export const TRANSACTION_SECRET = { name: 'transaction-tag', bytes: 32 } as const;

/**
 * Columns added after version 1 was first written, table → column → definition: added when a store that
 * lacks them is opened (SQLite has no ADD COLUMN IF NOT EXISTS). `deliveries.trace` (trace-fields.ts): a
 * delivery stored before it existed has '' and is replayed without trace fields, as it would have been.
 * An older Farside reading a store that has it ignores it.
 */
export const SCHEMA_ADDED_COLUMNS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  deliveries: { trace: "TEXT NOT NULL DEFAULT ''" },
};
