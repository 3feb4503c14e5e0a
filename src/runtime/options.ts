/**
 * Worker pool options: loose public shape -> compileWorkerPoolOptions() -> the strict shape the pool reads
 * (STYLE.md rule 8; Temporal's worker-options.ts).
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { ReflowError } from '../errors.js';
import { DEFAULT_LOG_LIMIT } from './bounded-log.js';
import { parseDuration, type Duration } from './duration.js';

export interface WorkerPoolOptions {
  /** Where each attempt's output directory is made (absolute). */
  workDir: string;
  /** Jobs running at once, and the most workers alive; default: the number of CPUs. */
  concurrency?: number;
  /** An idle worker exits after this long (default 30 s); the next job starts a new one. */
  idleTimeout?: Duration;
  /** Lease on each claimed job (default 30 s), renewed every third of it while the pool holds the job. */
  lease?: Duration;
  /** How long a timed-out or cancelled command gets between SIGTERM and SIGKILL (default 5 s). */
  killGrace?: Duration;
  /** How long close() waits for running jobs before it kills them and gives them back (default 10 s). */
  closeGrace?: Duration;
  /** How often the pool looks for runnable jobs it was not told about (retries coming due, other producers); 1 s. */
  pollInterval?: Duration;
  /** The most jobs queued on one worker behind the one it runs (only for transforms measured as fast); default 32. */
  maxPrefetch?: number;
  /** Keep output directories after the settlement is acknowledged (default false: removed). */
  keepOutputs?: boolean;
  /** Characters of log kept per attempt (default 256 Ki): the end is kept. */
  logLimit?: number;
  /** Extra environment for commands and workers. */
  env?: Record<string, string>;
  /** Extra node flags for module workers (e.g. `--max-old-space-size=4096`). */
  workerExecArgv?: string[];
}

export interface CompiledWorkerPoolOptions {
  workDir: string;
  concurrency: number;
  idleTimeoutMs: number;
  leaseMs: number;
  heartbeatMs: number;
  killGraceMs: number;
  closeGraceMs: number;
  pollMs: number;
  maxPrefetch: number;
  keepOutputs: boolean;
  logLimit: number;
  env: Record<string, string>;
  workerExecArgv: string[];
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export function compileWorkerPoolOptions(options: WorkerPoolOptions): CompiledWorkerPoolOptions {
  if (!options || typeof options.workDir !== 'string' || !isAbsolute(options.workDir)) {
    throw new ReflowError('InvalidConfiguration', 'workDir must be an absolute directory path', { field: 'workDir' });
  }
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1024) {
    throw new ReflowError('InvalidConfiguration', `concurrency must be an integer from 1 to 1024, got ${concurrency}`, { field: 'concurrency' });
  }
  const maxPrefetch = options.maxPrefetch ?? 32;
  if (!Number.isInteger(maxPrefetch) || maxPrefetch < 0 || maxPrefetch > 1024) {
    throw new ReflowError('InvalidConfiguration', 'maxPrefetch must be an integer from 0 to 1024', { field: 'maxPrefetch' });
  }
  const logLimit = options.logLimit ?? DEFAULT_LOG_LIMIT;
  if (!Number.isInteger(logLimit) || logLimit < 1024) {
    throw new ReflowError('InvalidConfiguration', 'logLimit must be an integer of at least 1024', { field: 'logLimit' });
  }
  const leaseMs = parseDuration(options.lease ?? 30_000, 'lease');
  if (leaseMs < 100) throw new ReflowError('InvalidConfiguration', 'lease must be at least 100 ms', { field: 'lease' });
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (typeof value !== 'string') throw new ReflowError('InvalidConfiguration', `env.${key} must be a string`, { field: `env.${key}` });
  }
  return {
    workDir: options.workDir,
    concurrency,
    idleTimeoutMs: parseDuration(options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT_MS, 'idleTimeout'),
    leaseMs,
    heartbeatMs: Math.max(50, Math.floor(leaseMs / 3)),
    killGraceMs: parseDuration(options.killGrace ?? 5_000, 'killGrace', { allowZero: true }),
    closeGraceMs: parseDuration(options.closeGrace ?? 10_000, 'closeGrace', { allowZero: true }),
    pollMs: parseDuration(options.pollInterval ?? 1_000, 'pollInterval'),
    maxPrefetch,
    keepOutputs: options.keepOutputs ?? false,
    logLimit,
    env: { ...(options.env ?? {}) },
    workerExecArgv: [...(options.workerExecArgv ?? [])],
  };
}
