/**
 * The local store's metadata tables (SQLite, WAL). Object bytes live in content-addressed blob files; these tables
 * say which version is made of which blobs. `versions.vid` orders versions (newest = highest) and is what S3's
 * "newest first" listings sort by; `outbox` holds the events of committed changes until the bus has them, written
 * in the same transaction as the change.
 */
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 2;

export const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS buckets (
  name TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  versioning TEXT
);

CREATE TABLE IF NOT EXISTS versions (
  vid INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  is_latest INTEGER NOT NULL,
  delete_marker INTEGER NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  parts_count INTEGER,
  modified_ms INTEGER NOT NULL,
  headers TEXT NOT NULL,
  metadata TEXT NOT NULL,
  checksums TEXT NOT NULL,
  UNIQUE (bucket, key, version_id)
);
-- Listing the current objects walks this partial index in key order (TEXT compares as UTF-8 bytes: S3's order).
CREATE INDEX IF NOT EXISTS versions_latest ON versions (bucket, key) WHERE is_latest = 1;
CREATE INDEX IF NOT EXISTS versions_by_key ON versions (bucket, key, vid);

-- A version's bytes: its blobs in order (one for a PUT, one per part for a multipart upload).
CREATE TABLE IF NOT EXISTS segments (
  vid INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (vid, idx)
) WITHOUT ROWID;

-- One row per blob; refs counts segments and parts pointing at it. A row at refs 0 is deleted with the
-- reference, and its file is unlinked after the commit (a crash in between leaves a file the next open sweeps).
-- A small blob has no file: its bytes are in blob_data (data_id), written in the same transaction as the version
-- that first names them (see INLINE in blobs.ts). data_id is added by migrate() on a version-1 store.
CREATE TABLE IF NOT EXISTS blobs (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL,
  data_id INTEGER
) WITHOUT ROWID;

-- Inline blob bytes. A rowid table, not WITHOUT ROWID: a rowid leaf holds up to ~4 KB of a row before spilling to
-- overflow pages (an index-shaped WITHOUT ROWID leaf only ~1 KB), and increasing rowids append at the b-tree's end.
CREATE TABLE IF NOT EXISTS blob_data (
  id INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);

CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  headers TEXT NOT NULL,
  metadata TEXT NOT NULL,
  checksums TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS uploads_by_key ON uploads (bucket, key, upload_id);

CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  md5 TEXT NOT NULL,
  modified_ms INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  record TEXT NOT NULL
);
`;

/** Brings an older store's tables up to SCHEMA_VERSION (run after DDL, inside a transaction). */
export function migrate(db: Database.Database): void {
  const columns = db.prepare("SELECT name FROM pragma_table_info('blobs')").all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'data_id')) db.prepare('ALTER TABLE blobs ADD COLUMN data_id INTEGER').run();
  db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(SCHEMA_VERSION));
}
