/**
 * The store's SQLite schema (user_version 1). `seq` orders bundles by put and names blob files;
 * `data` is NULL when the bytes are in a blob file (blob-files.ts). `destination_node` is the routing
 * key of the destination (router/routing-key.ts), so bundles for one peer node are found by index.
 * `seen` remembers bundle ids until their expiry for duplicate suppression (RFC 9171 §5.6 step 1 and
 * §5.7 leave the policy to the node; uD3TN keeps every delivered id until the bundle's deadline,
 * bundle_processor.c bundle_record_add_and_check_known).
 */
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE bundles (
  id               TEXT PRIMARY KEY,
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
  seq              INTEGER NOT NULL UNIQUE,
  in_file          INTEGER NOT NULL,
  data             BLOB
);
CREATE INDEX bundles_by_state ON bundles (state, seq);
CREATE INDEX bundles_by_node ON bundles (destination_node, seq);
CREATE INDEX bundles_by_agent ON bundles (agent, seq) WHERE agent IS NOT NULL;
CREATE INDEX bundles_by_contact ON bundles (contact_hint, seq) WHERE contact_hint IS NOT NULL;
CREATE INDEX bundles_by_expiry ON bundles (expires_at);
CREATE TABLE seen (
  id         TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
);
CREATE INDEX seen_by_expiry ON seen (expires_at);
`;

/** Columns of BundleMeta, in SELECT order. */
export const META_COLUMNS =
  'id, destination, source, created_at, expires_at, size, state, agent, next_attempt_at, contact_hint, report_flags, stored_at';
