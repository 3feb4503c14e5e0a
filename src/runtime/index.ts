/**
 * The runtime's public surface: transforms (contract, validation, versions), the job queue port, the worker pool
 * and the runtime façade. The SQLite queue adapter is imported by its own path (`runtime/jobs/sqlite`).
 */
export {
  validateTransformDefinition,
  transformVersion,
  transformJobRequest,
  TRANSFORM_JOB_KIND,
  DEFAULT_TRANSFORM_RETRIES,
  type TransformDefinition,
  type CompiledTransform,
  type TransformJob,
  type TransformFunction,
  type TransformPayload,
  type TransformResult,
  type TransformJobInput,
} from './transform.js';
export type { OutputFile } from './outputs.js';
export * from './jobs/index.js';
export { compileWorkerPoolOptions, DEFAULT_IDLE_TIMEOUT_MS, type WorkerPoolOptions, type CompiledWorkerPoolOptions } from './options.js';
export { WorkerPool, createWorkerPool, type PoolStats, type WorkerPoolHooks } from './pool.js';
export { SettlementNotifier, type SettlementNotifierOptions, type SettlementHandler } from './notifier.js';
export { createJobRuntime, type JobRuntime, type JobRuntimeOptions, type RuntimeStats, type TransformJobRecord } from './runtime.js';
export { RUNTIME_ERROR_CODES, type RuntimeErrorCode } from './errors.js';
export { DEFAULT_LOG_LIMIT } from './bounded-log.js';
export { parseDuration, type Duration } from './duration.js';
