/**
 * Opening one of the embedded SQLite databases the same way everywhere: WAL (readers never block the one writer),
 * `synchronous = NORMAL` (a commit survives SIGKILL of the process; `FULL` adds power loss), a busy timeout for
 * the CLI reading beside the server, and the schema with its version. Every failure is an `InternalException`
 * naming the file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { wrapError } from '../errors.js';

export interface OpenWalOptions {
  /** What the file is, for the error message ("catalog", "job"). */
  what: string;
  /** The schema: idempotent DDL with a `meta (key, value)` table. */
  ddl: string;
  schemaVersion: number;
  synchronous?: 'NORMAL' | 'FULL';
  /**
   * WAL pages between automatic checkpoints. The stores of many small commits rewrite the same hot pages (index
   * pages, the newest leaves); checkpointing every 10,000 pages instead of SQLite's 1,000 copies each back far less
   * often, and the WAL is cut back to `journal_size_limit` (64 MiB) afterwards.
   */
  autocheckpointPages?: number;
}

export function openWalDatabase(path: string, options: OpenWalOptions): Database.Database {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.pragma(`wal_autocheckpoint = ${options.autocheckpointPages ?? 10_000}`);
    db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
    db.exec(options.ddl);
    db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(options.schemaVersion));
    return db;
  } catch (err) {
    throw wrapError(err, 'InternalException', `cannot open ${options.what} database ${path}: ${(err as Error).message}`);
  }
}
