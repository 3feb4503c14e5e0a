/**
 * The embedded catalog's tables. Raw versions are shared by every dataset that reads their key; everything else is
 * per dataset. A dataset version's manifest is stored as membership ranges (`version_items.from_v` … `to_v`), so
 * publishing costs what changed, not the size of the dataset, and a published version can never change: a later
 * version only closes ranges at its own number.
 */
export const SCHEMA_VERSION = 1;

export const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS datasets (
  name TEXT PRIMARY KEY,
  transform_version TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  current_version INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS transform_versions (
  dataset TEXT NOT NULL,
  version TEXT NOT NULL,
  transform TEXT NOT NULL,
  definition TEXT NOT NULL,
  first_seen_ms INTEGER NOT NULL,
  PRIMARY KEY (dataset, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS raw_versions (
  rid INTEGER PRIMARY KEY,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  sequencer TEXT NOT NULL,
  kind TEXT NOT NULL,
  purged INTEGER NOT NULL DEFAULT 0,
  etag TEXT,
  size INTEGER,
  contributor TEXT,
  time_ms INTEGER NOT NULL,
  UNIQUE (bucket, key, version_id)
);

CREATE TABLE IF NOT EXISTS dataset_keys (
  dataset TEXT NOT NULL,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  candidate INTEGER,
  published INTEGER,
  pending INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  absent INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  stale INTEGER NOT NULL DEFAULT 0,
  dirty INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dataset, bucket, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dataset_keys_stale ON dataset_keys (dataset) WHERE stale = 1;
CREATE INDEX IF NOT EXISTS dataset_keys_dirty ON dataset_keys (dataset) WHERE dirty = 1;

CREATE TABLE IF NOT EXISTS quality_reports (
  dataset TEXT NOT NULL,
  rid INTEGER NOT NULL,
  spec_hash TEXT NOT NULL,
  passed INTEGER NOT NULL,
  reasons TEXT NOT NULL,
  report TEXT NOT NULL,
  contributor TEXT,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (dataset, rid, spec_hash)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS items (
  iid INTEGER PRIMARY KEY,
  dataset TEXT NOT NULL,
  rid INTEGER NOT NULL,
  transform_version TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  outputs TEXT NOT NULL,
  split TEXT NOT NULL,
  group_key TEXT NOT NULL,
  metadata TEXT,
  job_id TEXT,
  built_ms INTEGER NOT NULL,
  UNIQUE (dataset, rid, transform_version)
);

CREATE TABLE IF NOT EXISTS build_failures (
  dataset TEXT NOT NULL,
  rid INTEGER NOT NULL,
  transform_version TEXT NOT NULL,
  error TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  PRIMARY KEY (dataset, rid, transform_version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS dataset_versions (
  dataset TEXT NOT NULL,
  version INTEGER NOT NULL,
  transform_version TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  items INTEGER NOT NULL,
  splits TEXT NOT NULL,
  added INTEGER NOT NULL,
  removed INTEGER NOT NULL,
  published_ms INTEGER NOT NULL,
  PRIMARY KEY (dataset, version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS version_items (
  dataset TEXT NOT NULL,
  iid INTEGER NOT NULL,
  from_v INTEGER NOT NULL,
  to_v INTEGER,
  PRIMARY KEY (dataset, iid, from_v)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS version_items_open ON version_items (dataset, iid) WHERE to_v IS NULL;

CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,
  dataset TEXT NOT NULL,
  rid INTEGER NOT NULL,
  transform_version TEXT,
  status TEXT NOT NULL,
  steps TEXT NOT NULL,
  error TEXT,
  published_version INTEGER,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_dataset ON runs (dataset, updated_ms);

CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  dataset TEXT NOT NULL,
  kind TEXT NOT NULL,
  rid INTEGER NOT NULL,
  contributor TEXT,
  reasons TEXT NOT NULL,
  time_ms INTEGER NOT NULL,
  UNIQUE (dataset, kind, rid, reasons)
);

CREATE TABLE IF NOT EXISTS rebuilds (
  id INTEGER PRIMARY KEY,
  dataset TEXT NOT NULL,
  from_tv TEXT,
  to_tv TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  replay_name TEXT,
  state TEXT NOT NULL,
  stale_at_start INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER,
  published_version INTEGER,
  reason TEXT
);
CREATE INDEX IF NOT EXISTS rebuilds_by_dataset ON rebuilds (dataset, id);

CREATE TABLE IF NOT EXISTS project (key TEXT PRIMARY KEY, json TEXT NOT NULL);
`;
