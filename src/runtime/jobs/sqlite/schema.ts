/**
 * The embedded job queue's tables. `jobs` holds one row per job id (the idempotency key); partial indexes keep the
 * hot sets small: runnable jobs in enqueue order, running jobs by lease end, settled jobs still to notify, dead
 * letters. A row enters or leaves a partial index only when its state says so, so a job costs few B-tree writes.
 * `attempts` keeps every failed attempt with its error and log (the dead letters show them).
 */
export const SCHEMA_VERSION = 1;

export const DDL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  payload TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  timeout_ms INTEGER,
  run_after_ms INTEGER NOT NULL,
  owner TEXT,
  lease_until_ms INTEGER,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  started_ms INTEGER,
  settled_ms INTEGER,
  result TEXT,
  error_code TEXT,
  error_message TEXT,
  log TEXT,
  notified INTEGER NOT NULL DEFAULT 1,
  cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs (seq) WHERE state IN ('pending', 'failed');
CREATE INDEX IF NOT EXISTS jobs_running ON jobs (lease_until_ms) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS jobs_unnotified ON jobs (seq) WHERE notified = 0;
CREATE INDEX IF NOT EXISTS jobs_dead ON jobs (seq) WHERE state = 'dead';

CREATE TABLE IF NOT EXISTS attempts (
  rid INTEGER PRIMARY KEY,
  job_seq INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER NOT NULL,
  error_code TEXT NOT NULL,
  error_message TEXT NOT NULL,
  log TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_job ON attempts (job_seq, rid);
`;

export interface JobRow {
  seq: number;
  id: string;
  kind: string;
  state: string;
  payload: string;
  attempts: number;
  max_attempts: number;
  timeout_ms: number | null;
  run_after_ms: number;
  owner: string | null;
  lease_until_ms: number | null;
  created_ms: number;
  updated_ms: number;
  started_ms: number | null;
  settled_ms: number | null;
  result: string | null;
  error_code: string | null;
  error_message: string | null;
  log: string | null;
  notified: number;
  cancel_requested: number;
}

export interface AttemptRow {
  attempt: number;
  started_ms: number;
  ended_ms: number;
  error_code: string;
  error_message: string;
  log: string;
}
