/**
 * Messages between the pool and a module worker (JSON over the fork's IPC channel). The pool may send a worker
 * several jobs in one `run` message; the worker runs them one at a time, in order, and answers each with its own
 * `done` as soon as it ends, so the pool always knows which job a dying worker was running.
 */
import type { JobError } from '../jobs/port.js';
import type { OutputFile } from '../outputs.js';

export interface RunSpec {
  /** This dispatch, unique per pool: results and revocations name it. */
  token: string;
  jobId: string;
  attempt: number;
  projectDir: string;
  /** Absolute path of the module. */
  module: string;
  /** The declared version. */
  version: string;
  files?: string[];
  inputs: string[];
  params: Record<string, unknown>;
  outputDir: string;
  expectedVersion?: string;
}

export type ToWorker =
  | { t: 'run'; jobs: RunSpec[] }
  /** Drop these queued jobs if they have not started; answered with `revoked`. */
  | { t: 'revoke'; tokens: string[] };

export type FromWorker =
  | { t: 'ready'; pid: number }
  /** Log text of a running job written since the last message (sent while it runs, for a crash's sake). */
  | { t: 'log'; token: string; text: string }
  | { t: 'done'; token: string; ok: true; files: OutputFile[]; version: string; metadata?: Record<string, unknown>; durationMs: number; log: string }
  | { t: 'done'; token: string; ok: false; error: JobError; version?: string; durationMs: number; log: string }
  | { t: 'revoked'; tokens: string[] }
  /** The worker stops before running these (its loaded code is stale, or it is broken); run them elsewhere. */
  | { t: 'retire'; tokens: string[]; reason: string };

export const WORKER_ENV_LOG_LIMIT = 'REFLOW_WORKER_LOG_LIMIT';
