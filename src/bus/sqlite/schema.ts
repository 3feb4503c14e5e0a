/**
 * The embedded bus's tables. `events` is the append-only log (original and replayed events); `pending` is each
 * target's durable queue of log positions still to deliver, written in the same transaction as the event, so an
 * acknowledged event has its deliveries recorded before PutEvents answers; `archive_events` says which archive keeps
 * which logged event.
 */
export const SCHEMA_VERSION = 1;

export const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS buses (
  name TEXT PRIMARY KEY,
  description TEXT,
  created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS rules (
  bus TEXT NOT NULL,
  name TEXT NOT NULL,
  pattern TEXT,
  schedule TEXT,
  state TEXT NOT NULL,
  description TEXT,
  role_arn TEXT,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (bus, name)
);

CREATE TABLE IF NOT EXISTS targets (
  tid INTEGER PRIMARY KEY AUTOINCREMENT,
  bus TEXT NOT NULL,
  rule TEXT NOT NULL,
  id TEXT NOT NULL,
  arn TEXT NOT NULL,
  spec TEXT NOT NULL,
  UNIQUE (bus, rule, id)
);

CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  bus TEXT NOT NULL,
  ingest_ms INTEGER NOT NULL,
  size INTEGER NOT NULL,
  replay TEXT,
  json TEXT NOT NULL
);
-- No (bus, seq) index: the log is read by seq ranges (tail, replay through archive_events), and one index less is
-- one B-tree write less per accepted event.

CREATE TABLE IF NOT EXISTS pending (
  tid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tid, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bus TEXT NOT NULL,
  rule TEXT NOT NULL,
  target_id TEXT NOT NULL,
  target_arn TEXT NOT NULL,
  dlq_arn TEXT,
  seq INTEGER NOT NULL,
  json TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS archives (
  aid INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  bus TEXT NOT NULL,
  pattern TEXT,
  description TEXT,
  retention_days INTEGER NOT NULL,
  state TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  event_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL DEFAULT 0,
  -- event_count and size_bytes cover exactly the archive_events rows up to this log position (archive-counters.ts)
  counted_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS archive_events (
  aid INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (aid, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS replays (
  name TEXT PRIMARY KEY,
  description TEXT,
  archive TEXT NOT NULL,
  aid INTEGER NOT NULL,
  source_arn TEXT NOT NULL,
  start_ms INTEGER NOT NULL,
  end_ms INTEGER NOT NULL,
  destination TEXT NOT NULL,
  state TEXT NOT NULL,
  state_reason TEXT,
  replay_start_ms INTEGER NOT NULL,
  replay_end_ms INTEGER,
  last_replayed_ms INTEGER,
  cursor_seq INTEGER NOT NULL DEFAULT 0,
  replayed INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL DEFAULT 0
);
`;
